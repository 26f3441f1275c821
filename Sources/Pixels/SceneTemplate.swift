import Foundation
import Autodiff
import ImageIO
import Render
import Control

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

    /// The folder of the templates that ship with DiffRay (a resource of this
    /// module: `Templates/cartpole.xml`, `pendulum.xml`, `trebuchet.xml`).
    public static var builtInDirectory: String {
        Bundle.module.url(forResource: "Templates", withExtension: nil)?.path ?? Bundle.module.bundlePath + "/Templates"
    }

    /// The template of `problem` in `directory`, or the built-in one (nil); the file must exist.
    public init(problem: ControlProblem, directory: String? = nil) throws {
        self.problem = problem
        path = ((directory ?? SceneTemplate.builtInDirectory) as NSString).appendingPathComponent("\(problem.rawValue).xml")
        guard FileManager.default.fileExists(atPath: path) else {
            throw ControlError("\(path): no scene template for \(problem.rawValue)"
                + (directory == nil ? " (the built-in templates are missing: reinstall diffray)" : " (drop --scenes to use the built-in one)"))
        }
    }

    /// The film height for a film `width` pixels wide (the problem's `PixelTask`:
    /// the cart-pole's view is 3/8 as high as wide, the others square).
    public static func height(of problem: ControlProblem, width: Int) -> Int {
        problem.pixelTask.height(width: width)
    }

    /// The defines for a state, `resolution` pixels wide (`res`; `height` from
    /// `height(of:width:)`) and `samples` per pixel.
    public func defines(state: [Double], resolution: Int = 64, samples: Int = 4) -> [String: String] {
        var d = problem.pixelTask.defines(state: state)
        d["res"] = String(resolution)
        d["height"] = String(SceneTemplate.height(of: problem, width: resolution))
        d["spp"] = String(samples)
        return d
    }

    /// The FNV-1a hash (hex) of the template's text: a checkpoint's record of the scene.
    public func textHash() throws -> String {
        guard let text = FileManager.default.contents(atPath: path) else {
            throw ControlError("\(path): cannot read the scene template")
        }
        var hash: UInt64 = 0xcbf29ce484222325
        for b in text { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
        return String(hash, radix: 16)
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
