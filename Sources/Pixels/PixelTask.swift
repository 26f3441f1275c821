import Foundation
import Autodiff
import Learning
import Control

/// One environment as the pixel policies see it: the scene template's defines
/// for a state, the moving shapes' pose keys and their pose as a function of
/// the state (generic, so that dual numbers give ∂pose/∂state), the pixel
/// policy's layers and the checks of its checkpoints. `CartPolePixels`,
/// `PendulumPixels` and `TrebuchetPixels` conform; `ControlProblem.pixelTask`
/// picks one by name.
public protocol PixelTask {
    static var problem: ControlProblem { get }
    /// The length of the state a frame shows.
    static var stateSize: Int { get }
    /// The recipe's defaults: the view, Adam's learning rate, the training episodes.
    static var defaults: PixelDefaults { get }
    /// The film height for a film `width` pixels wide.
    static func height(width: Int) -> Int
    /// The template's defines (besides `res`, `height` and `spp`) for a state.
    static func defines(state: [Double]) -> [String: String]
    /// The pose parameter keys a state sets (empty: the picture has no moving parts to differentiate).
    static var poseKeys: [String] { get }
    /// The state variables the picture depends on (the others, velocities, have zero Jacobian columns).
    static var posedStateIndices: [Int] { get }
    /// The pose parameters of a state, in the order of `poseKeys`.
    static func pose<T: Real>(state: [T]) -> [[T]]
    /// A state along a swing, `u` ∈ [0, 1] of the way (`bench pixels` times frames of them).
    static func sweep(_ u: Double) -> [Double]
    /// The pixel policy's layers for a run's options.
    static func layers(_ options: PixelTrainingOptions) -> [Layer]
    /// A fresh pixel policy for a run's options.
    static func makeNetwork(_ options: PixelTrainingOptions, generator: inout SeededGenerator) -> Network
    /// The checks of a checkpoint beyond those every pixel run shares (one-line errors naming `path`).
    static func validate(_ run: PixelTrainingRun, path: String) throws
    /// The layers of a saved model with `metadata`, or a one-line error naming `path`.
    static func layers(_ metadata: PixelModelMetadata, path: String) throws -> [Layer]
    /// Adds what this problem's model files record of a run to `metadata`.
    static func describe(_ run: PixelTrainingRun, in metadata: inout PixelModelMetadata)
    /// The learned critic's default settings from pixels (nil: no critic from pixels).
    static var criticSettings: SHACSettings? { get }
    /// The length of the state observation the critic sees.
    static var criticInputs: Int { get }
}

extension PixelTask {
    public static func height(width: Int) -> Int { width }
    public static var poseKeys: [String] { [] }
    public static var posedStateIndices: [Int] { [] }
    public static func pose<T: Real>(state: [T]) -> [[T]] { [] }
    public static func makeNetwork(_ options: PixelTrainingOptions, generator: inout SeededGenerator) -> Network {
        Network(layers: layers(options), generator: &generator)
    }
    public static func validate(_ run: PixelTrainingRun, path: String) throws {}
    public static func describe(_ run: PixelTrainingRun, in metadata: inout PixelModelMetadata) {}
    public static var criticSettings: SHACSettings? { nil }
    public static var criticInputs: Int { stateSize }

    /// A number as the templates take it (six decimals).
    static func define(_ x: Double) -> String { String(format: "%.6f", x) }
}

/// A pixel recipe's defaults (`PixelTask.defaults`), as `train ENV --pixels` shows them.
public struct PixelDefaults: Codable, Equatable, Sendable {
    /// The policy's view: width in pixels, and samples per pixel.
    public var resolution: Int
    public var samples: Int
    /// The view widths training accepts.
    public var resolutions: ClosedRange<Int>
    public var learningRate: Double
    /// Training episodes (trebuchet: shots).
    public var episodes: Int

    public init(resolution: Int, samples: Int, resolutions: ClosedRange<Int>, learningRate: Double, episodes: Int) {
        self.resolution = resolution; self.samples = samples; self.resolutions = resolutions
        self.learningRate = learningRate; self.episodes = episodes
    }
}

extension ControlProblem {
    /// The pixel side of this problem: the one place a problem name becomes a `PixelTask`.
    public var pixelTask: any PixelTask.Type {
        switch self {
        case .trebuchet: return TrebuchetPixels.self
        case .cartpole: return CartPolePixels.self
        case .pendulum: return PendulumPixels.self
        }
    }
}

/// The metadata of a pixel policy's model file (`ModelMetadata`): the view it
/// was trained on and what the training run recorded. The keys are those of
/// the files written before this type (`pixels_resolution`, ...), so old files read.
public struct PixelModelMetadata: Codable, Equatable, Sendable {
    public var environment: ControlProblem
    public var pixels: Bool
    /// The policy's view: width in pixels and samples per pixel.
    public var resolution: Int
    public var samples: Int
    /// Cart-pole: frames stacked (absent in old files: 2) and the window around the cart (absent: 0, the whole frame).
    public var stackedFrames: Int?
    public var crop: Int?
    /// Pendulum: the policy's name (`pendulum-dense-1`); trebuchet: the model version.
    public var policy: String?
    public var trebuchetVersion: String?
    /// What the training run recorded.
    public var seed: UInt64?
    public var episodes: Int?
    public var environmentSteps: Int?
    /// Frames rendered (cart-pole: with their Jacobians; trebuchet: the data set).
    public var renderedFrames: Int?
    public var evaluationFrames: Int?
    public var epochs: Int?
    public var averageRate: Double?
    public var startSpread: Double?
    public var costToGo: Double?
    /// The FNV-1a hash of the scene template's text the policy was trained on
    /// (`PixelTrainingOptions.sceneHash`): its figures hold for that view.
    public var sceneHash: String?

    enum CodingKeys: String, CodingKey {
        case environment, pixels, seed, episodes, epochs
        case resolution = "pixels_resolution", samples = "pixels_samples", stackedFrames = "pixels_frames", crop = "pixels_crop"
        case policy = "pixels_policy", trebuchetVersion = "trebuchet_pixels_version"
        case environmentSteps = "environment_steps", renderedFrames = "frames", evaluationFrames = "evaluation_frames"
        case averageRate = "average_rate", startSpread = "start_spread", costToGo = "cost_to_go"
        case sceneHash = "pixels_scene_hash"
    }

    public init(environment: ControlProblem, resolution: Int, samples: Int) {
        self.environment = environment; self.pixels = true; self.resolution = resolution; self.samples = samples
    }

    /// Frames stacked (2 where the file does not say).
    public var frames: Int { stackedFrames ?? 2 }
    /// The window around the cart (0, the whole frame, where the file does not say).
    public var cropWidth: Int { crop ?? 0 }
}

/// A pixel policy's model file: the network and `PixelModelMetadata`.
public enum PixelModel {
    public static func save(_ network: Network, to path: String, metadata: PixelModelMetadata) throws {
        try network.save(to: path, metadata: ModelMetadata.encode(metadata))
    }

    /// Loads a pixel policy of `problem`: a file of another environment, a state
    /// policy or a wrong shape is refused with one line naming the file.
    public static func load(path: String, problem: ControlProblem) throws -> (network: Network, metadata: PixelModelMetadata) {
        let file = try NetworkFile.read(path: path)
        guard file.metadata["environment"] == problem.rawValue else {
            throw ModelFileError(path: path, "policy is for \(file.metadata["environment"] ?? "?"), not \(problem.rawValue)")
        }
        guard file.metadata["pixels"] == "true" else {
            throw ModelFileError(path: path, "not a pixel policy (metadata pixels missing); train it with `diffray train \(problem.rawValue) --pixels`")
        }
        let m = try ModelMetadata.decode(PixelModelMetadata.self, from: file.metadata, path: path)
        guard m.resolution > 0, m.samples > 0 else {
            throw ModelFileError(path: path, "metadata pixels_resolution \(m.resolution), pixels_samples \(m.samples), expected positive integers")
        }
        return (try file.network(path: path, expecting: try problem.pixelTask.layers(m, path: path)), m)
    }
}

extension PixelTrainingRun {
    /// The model file's metadata: the view, the seed, the counters, and what the problem's `PixelTask` adds.
    public func modelMetadata() -> PixelModelMetadata {
        var m = PixelModelMetadata(environment: self.problem, resolution: self.options.resolution, samples: self.options.samples)
        m.seed = self.options.seed
        m.episodes = self.episodes
        m.environmentSteps = self.environmentSteps
        m.sceneHash = self.options.sceneHash
        self.problem.pixelTask.describe(self, in: &m)
        return m
    }

    /// The curve's evaluations, each held until the next one (NaN before the first).
    public var heldEvaluations: [Double] {
        var held = [Double](), last = Double.nan
        for p in self.curve { if !p.evaluation.isNaN { last = p.evaluation }; held.append(last) }
        return held
    }
}
