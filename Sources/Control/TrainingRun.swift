import Foundation
import Autodiff
import Learning

/// A one-line error of the control commands.
public struct ControlError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

/// One point of a training curve.
public struct CurvePoint: Codable, Equatable, Sendable {
    /// Training episodes (trebuchet: shots) so far.
    public var episode: Int
    /// The training episode's own return (trebuchet: mean relative squared miss of the last batches).
    public var trainReturn: Double
    /// The evaluation figure after it (mean return over the evaluation episodes;
    /// trebuchet: mean relative miss over the evaluation targets).
    public var evaluation: Double

    public init(episode: Int, trainReturn: Double, evaluation: Double) {
        self.episode = episode; self.trainReturn = trainReturn; self.evaluation = evaluation
    }
}

/// What a `train ENV` checkpoint records beside its `TrainingProgress`.
public struct StateTrainingDetails: Codable {
    public var format = TrainingRun.formatName
    public var version = TrainingRun.currentVersion
    public var problem: ControlProblem
    public var seed: UInt64
    /// The pendulum recipe's replay buffer (`PendulumNewtonTrainer`); nil for the other problems.
    public var pendulumReplay: PendulumReplay? = nil
}

/// A resumable `train ENV` run (from the state): the network, the optimiser,
/// the random generator and the curve so far. Saved as versioned JSON next to the model.
public typealias TrainingRun = Checkpoint<StateTrainingDetails>

extension Checkpoint where Details == StateTrainingDetails {
    public static var formatName: String { "diffray-training-checkpoint" }
    /// Version 2 added `pendulumReplay` (the pendulum recipe's replay buffer);
    /// version-1 checkpoints of cart-pole and the trebuchet still read.
    public static var currentVersion: Int { 2 }

    /// A fresh run.
    public init(problem: ControlProblem, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let net = Network(layers: problem.layers, generator: &g)
        self.init(details: StateTrainingDetails(problem: problem, seed: seed),
                  progress: TrainingProgress(network: net, learningRate: problem.task.learningRate, generator: g))
    }

    /// The evaluation seed used during training (distinct from `diffray eval`'s default).
    public var trainingEvaluationSeed: UInt64 { self.seed &+ 1_000_003 }

    /// Reads a checkpoint, checking the format, version and problem.
    public static func read(path: String, problem: ControlProblem) throws -> TrainingRun {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(path: path, "cannot read the checkpoint (missing or unreadable); train without --resume first")
        }
        let run: TrainingRun
        do { run = try JSONDecoder().decode(TrainingRun.self, from: data) } catch {
            throw ModelFileError(path: path, "not a \(formatName) JSON file")
        }
        guard run.format == formatName, run.version == currentVersion || (run.version == 1 && problem != .pendulum) else {
            throw ModelFileError(path: path, "format \(run.format) version \(run.version), expected \(formatName) version \(currentVersion)")
        }
        guard run.problem == problem else {
            throw ModelFileError(path: path, "checkpoint is for \(run.problem.rawValue), not \(problem.rawValue)")
        }
        _ = try run.network.network(path: path, expecting: problem.layers)
        return run
    }

    public func write(path: String) throws {
        let data: Data
        do { data = try JSONEncoder().encode(self) } catch { throw ModelFileError(path: path, "cannot encode the checkpoint") }
        try writeAtomically(data, to: path)
    }

    /// The network being trained.
    public func currentNetwork() throws -> Network {
        try self.network.network(path: "checkpoint", expecting: self.problem.layers)
    }

    /// Runs training until `totalEpisodes` episodes (or, for cart-pole and
    /// pendulum, until the training evaluation meets the bar when `stopWhenSolved`):
    /// the loop of the problem's `ControlTask`. `report` gets each new curve point;
    /// `checkpoint` is called after each episode (trebuchet: every report).
    public mutating func train(totalEpisodes: Int, stopWhenSolved: Bool,
                               report: (CurvePoint) -> Void, checkpoint: (TrainingRun) throws -> Void) throws {
        configureAllocator()
        try self.problem.task.train(&self, totalEpisodes: totalEpisodes, stopWhenSolved: stopWhenSolved, report: report, checkpoint: checkpoint)
    }
}

/// The model file's name without `.json` (MODEL.json → MODEL): the stem of
/// the files written beside it (MODEL.png, MODEL.checkpoint.json, MODEL.frames.bin).
public func modelStem(_ model: String) -> String {
    model.hasSuffix(".json") ? String(model.dropLast(5)) : model
}
