import Foundation
import Autodiff
import ImageIO
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
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch let e as ImageIOError {
            throw ModelFileError(path: path, "cannot read the checkpoint: missing or unreadable (\(e.reason)); train without --resume first")
        }
        return try decode(Data(bytes), path: path, problem: problem)
    }

    /// Decodes and checks a checkpoint's bytes (see `read`); `path` names it in errors.
    public static func decode(_ data: Data, path: String, problem: ControlProblem) throws -> TrainingRun {
        let run = try JSONFile.decode(TrainingRun.self, from: data, path: path, expected: "a \(formatName) JSON file")
        guard run.format == formatName, run.version == currentVersion || (run.version == 1 && problem != .pendulum) else {
            throw ModelFileError(path: path, "format \(run.format) version \(run.version), expected \(formatName) version \(currentVersion)")
        }
        guard run.problem == problem else {
            throw ModelFileError(path: path, "checkpoint is for \(run.problem.rawValue), not \(problem.rawValue)")
        }
        _ = try run.network.network(path: path, expecting: problem.layers)
        let n = run.network.parameterCount
        guard run.optimizer.m.count == run.optimizer.v.count, run.optimizer.m.isEmpty || run.optimizer.m.count == n,
              run.optimizer.step >= 0, run.episodes >= 0, run.environmentSteps >= 0 else {
            throw ModelFileError(path: path, "inconsistent checkpoint: Adam's moments (\(run.optimizer.m.count), \(run.optimizer.v.count) values), "
                + "step \(run.optimizer.step), episodes \(run.episodes) or steps \(run.environmentSteps) do not fit \(n) parameters")
        }
        if let r = run.pendulumReplay {
            guard r.states.count == 2 * r.targets.count, r.count <= PendulumReplay.capacity,
                  r.cursor >= 0, r.cursor < PendulumReplay.capacity else {
                throw ModelFileError(path: path, "inconsistent replay buffer: \(r.states.count) state values for \(r.targets.count) targets, cursor \(r.cursor); expected 2 per target, at most \(PendulumReplay.capacity) targets and a cursor in 0..<\(PendulumReplay.capacity)")
            }
        }
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
