import Foundation
import Autodiff
import ImageIO
import Render

/// An environment's scene template (Mitsuba XML in `scenes/`) and the glue from
/// an environment state to the template's `-D`-style defines, the loaded scene
/// and its render. The pixel policies render the same templates.
///
/// States: cart-pole `[x, ẋ, θ, θ̇]` (m, rad; θ > 0 leans to +x), pendulum
/// `[θ, θ̇]` (rad from upright), trebuchet `[wind, target, ball x, ball y]`
/// (m/s, m; the ball is hidden below the ground when ball y < 0 m).
public struct SceneTemplate: Sendable {
    public let problem: ControlProblem
    /// The XML file.
    public let path: String

    /// The template of `problem` in `directory` (default `scenes`); the file must exist.
    public init(problem: ControlProblem, directory: String = "scenes") throws {
        self.problem = problem
        path = (directory as NSString).appendingPathComponent("\(problem.rawValue).xml")
        guard FileManager.default.fileExists(atPath: path) else {
            throw ControlError("SceneTemplate: no scene template \(path) for \(problem.rawValue) (run from the package root or pass the scenes directory)")
        }
    }

    /// The film height for a film `width` pixels wide: the cart-pole's view is
    /// wide (3/8 as high as wide: the track and not much above the pole); the
    /// others are square.
    public static func height(of problem: ControlProblem, width: Int) -> Int {
        problem == .cartpole ? Swift.max(1, Int((Double(width) * 3 / 8).rounded())) : width
    }

    /// The defines for a state, `resolution` pixels wide (`res`; `height` from
    /// `height(of:width:)`) and `samples` per pixel.
    public func defines(state: [Double], resolution: Int = 64, samples: Int = 4) -> [String: String] {
        func f(_ x: Double) -> String { String(format: "%.6f", x) }
        var d = ["res": String(resolution), "height": String(SceneTemplate.height(of: problem, width: resolution)),
                 "spp": String(samples)]
        switch problem {
        case .cartpole:
            precondition(state.count >= 4, "SceneTemplate: cart-pole state has 4 values")
            d["cart_x"] = f(state[0])
            d["pole_angle"] = f(state[2] * 180 / .pi)
        case .pendulum:
            precondition(state.count >= 1, "SceneTemplate: pendulum state has 2 values")
            d["angle"] = f(state[0] * 180 / .pi)
        case .trebuchet:
            precondition(state.count >= 2, "SceneTemplate: trebuchet state is [wind, target, ball x, ball y]")
            let wind = state[0], centre = 60.0, metresPerMS = 2.0
            let half = Swift.max(Swift.abs(wind) * metresPerMS / 2, 0.05)
            d["target"] = f(state[1])
            d["wind_len"] = f(half)
            d["wind_x"] = f(centre + (wind >= 0 ? half : -half))
            d["wind_tip"] = f(centre + (wind >= 0 ? 2 * half : -2 * half))
            let bx = state.count >= 4 ? state[2] : 0, by = state.count >= 4 ? state[3] : -50
            d["ball_x"] = f(bx)
            d["ball_y"] = f(by >= 0 ? by : -50)
        }
        return d
    }

    /// The scene of a state.
    public func scene(state: [Double], resolution: Int = 64, samples: Int = 4) throws -> Scene<Double> {
        try Scene.load(path: path, defines: defines(state: state, resolution: resolution, samples: samples))
    }

    /// The path-traced image of a state (deterministic for a seed).
    public func render(state: [Double], resolution: Int = 64, samples: Int = 4, seed: UInt64 = 0,
                       threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Image {
        let s = try scene(state: state, resolution: resolution, samples: samples)
        return s.render(RenderOptions(samplesPerPixel: samples, seed: seed, threads: threads)).0
    }
}
