import Foundation
import Autodiff
import Learning

/// What every trainer advances and every checkpoint holds: the weights, Adam's
/// moments and step count, the random generator (start states, targets,
/// batches), the counters, the time and the curve so far.
public struct TrainingProgress: Codable {
    public var network: NetworkFile
    public var optimizer: Adam
    public var generator: SeededGenerator
    /// Training episodes so far (trebuchet: shots).
    public var episodes = 0
    /// Every simulated step so far (training only).
    public var environmentSteps = 0
    public var seconds = 0.0
    /// The curve: train return (trebuchet: batch or epoch loss) and evaluation (NaN where none was made).
    public var curve: [CurvePoint] = []
    /// The episode after which the evaluation first met the bar, if it did.
    public var solvedAt: Int?

    /// A fresh run's progress: `network` drawn from `generator`, which goes on from there.
    public init(network: Network, learningRate: Double, generator: SeededGenerator) {
        self.network = NetworkFile(network: network)
        optimizer = Adam(learningRate: learningRate)
        self.generator = generator
    }
}

/// A resumable training run: what its kind of run records (`Details`: the
/// checkpoint format and version, the problem, what the run was started with
/// and any state of its own trainer) and the `TrainingProgress`, written as ONE
/// flat JSON object next to the model. The fields of both read as the run's
/// own (`run.episodes`, `run.problem`). `TrainingRun` (`train ENV`) and
/// `PixelTrainingRun` (`train ENV --pixels`) are the two kinds.
@dynamicMemberLookup
public struct Checkpoint<Details: Codable>: Codable {
    public var details: Details
    public var progress: TrainingProgress

    public init(details: Details, progress: TrainingProgress) {
        self.details = details; self.progress = progress
    }

    public init(from decoder: Decoder) throws {
        details = try Details(from: decoder)
        progress = try TrainingProgress(from: decoder)
    }

    /// Both parts into the same JSON object.
    public func encode(to encoder: Encoder) throws {
        try details.encode(to: encoder)
        try progress.encode(to: encoder)
    }

    public subscript<T>(dynamicMember key: WritableKeyPath<Details, T>) -> T {
        get { details[keyPath: key] }
        set { details[keyPath: key] = newValue }
    }

    public subscript<T>(dynamicMember key: WritableKeyPath<TrainingProgress, T>) -> T {
        get { progress[keyPath: key] }
        set { progress[keyPath: key] = newValue }
    }
}

/// The JSON coders of checkpoints: keys sorted, and NaN and infinities (a curve
/// point without an evaluation) written as the strings "nan", "inf" and "-inf".
public enum CheckpointJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}
