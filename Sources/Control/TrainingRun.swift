import Cluster
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
    /// The trainer (nil in checkpoints before version 3: `surrogate`).
    public var trainer: StateTrainer? = nil
    /// The actor-critic's critic and parallel environments (`trainer` `shac`).
    public var shac: SHACState? = nil
    /// The whole run's budget in episodes, which `--resume` continues (nil in
    /// checkpoints written before it was recorded).
    public var budget: Int? = nil
}

/// How `train ENV` trains from the state.
public enum StateTrainer: String, Codable, CaseIterable, Sendable {
    /// The short-horizon actor-critic (`SHACTrainer`): a learned critic at each window's end.
    case shac
    /// The environment's hand-made recipe (cart-pole: truncated BPTT on the shaped
    /// reward; pendulum: the energy + LQR value surrogate; trebuchet: the aimer's own loop).
    case surrogate
}

/// A resumable `train ENV` run (from the state): the network, the optimiser,
/// the random generator and the curve so far. Saved as versioned JSON next to the model.
public typealias TrainingRun = Checkpoint<StateTrainingDetails>

extension Checkpoint where Details == StateTrainingDetails {
    public static var formatName: String { "diffray-training-checkpoint" }
    /// Version 2 added `pendulumReplay` (the pendulum recipe's replay buffer),
    /// version 3 `trainer` and `shac`; earlier checkpoints read as `surrogate` runs
    /// (version 1 of cart-pole and the trebuchet only).
    public static var currentVersion: Int { 3 }

    /// A fresh run with `trainer` (default: `problem.defaultStateTrainer`; the
    /// actor-critic with `settings`, by default the task's; problems without a
    /// sequence of steps always train with their own loop).
    public init(problem: ControlProblem, seed: UInt64, trainer: StateTrainer? = nil, settings: SHACSettings? = nil) {
        let trainer = trainer ?? problem.defaultStateTrainer
        var g = SeededGenerator(seed: seed)
        var net = Network(layers: problem.layers, generator: &g)
        var details = StateTrainingDetails(problem: problem, seed: seed)
        let task = problem.task
        if trainer == .shac, let settings = settings ?? task.shacSettings, let state = task.shacState(settings, generator: &g) {
            details.trainer = .shac
            details.shac = state
            net = settings.initialised(net)
        } else {
            details.trainer = .surrogate
        }
        let lr = details.trainer == .shac ? details.shac!.settings.actorLearningRate : task.learningRate
        self.init(details: details, progress: TrainingProgress(network: net, learningRate: lr, generator: g))
    }

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
        var run = try JSONFile.decode(TrainingRun.self, from: data, path: path, expected: "a \(formatName) JSON file",
                                  decoder: CheckpointJSON.decoder())
        guard run.format == formatName, run.version == currentVersion || run.version == 2 || (run.version == 1 && problem != .pendulum) else {
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
        if run.version < 3 { run.trainer = .surrogate }
        guard run.trainer == .surrogate || run.shac != nil else {
            throw ModelFileError(path: path, "a shac checkpoint without the critic's state")
        }
        if let state = run.shac {
            guard (state.averagedActor?.count ?? n) == n, (state.averagedActor == nil) == (state.averagedSteps == 0),
                  state.candidates.allSatisfy({ $0.count == n }) else {
                throw ModelFileError(path: path, "inconsistent averaged actor: \(state.averagedActor?.count ?? 0) weights over \(state.averagedSteps) steps, "
                    + "candidates of \(state.candidates.map { "\($0.count)" }.joined(separator: ", ")) weights; "
                    + "expected \(n) weights and at least one step, or neither, and \(n) weights a candidate")
            }
            let p: String?
            switch run.problem {
            case .cartpole: p = state.problem(CartPoleDynamics.self)
            case .pendulum: p = state.problem(PendulumTrainingDynamics.self)
            case .trebuchet: p = "the trebuchet is trained without a critic"
            }
            if let p { throw ModelFileError(path: path, p) }
        }
        return run
    }

    public func write(path: String) throws {
        let data: Data
        do { data = try CheckpointJSON.encoder().encode(self) } catch { throw ModelFileError(path: path, "cannot encode the checkpoint") }
        try writeAtomically(data, to: path)
    }

    /// The network being trained.
    public func currentNetwork() throws -> Network {
        try self.network.network(path: "checkpoint", expecting: self.problem.layers)
    }

    /// The trained policy: the network being trained, with the actor-critic's
    /// averaged weights where it averages them (`SHACSettings.actorAveraging`).
    public func policyNetwork() throws -> Network {
        var net = try currentNetwork()
        if let state = self.shac { net.parameters = state.policyWeights(net.parameters) }
        return net
    }

    /// Runs training for a fixed budget of `totalEpisodes` episodes (of the whole
    /// run): the loop of the problem's `ControlTask`, with no evaluation inside.
    /// `report` gets each new curve point; `checkpoint` is called after each
    /// episode (trebuchet: every report).
    public mutating func train(totalEpisodes: Int, report: (CurvePoint) -> Void, checkpoint: (TrainingRun) throws -> Void) throws {
        configureAllocator()
        try self.problem.task.train(&self, totalEpisodes: totalEpisodes, report: report, checkpoint: checkpoint)
    }

    /// The actor-critic's loop (`SHACTrainer` through `D` with the loss `L`): a
    /// budget of `totalEpisodes` × `D.maxSteps` simulated steps, a curve point and
    /// a checkpoint after each episode's worth of steps. A curve point's train
    /// return is the mean Gym return of the episodes that ended since the last
    /// (NaN if none did).
    mutating func trainSHAC<D: Dynamics, L: SurrogateLoss>(_ d: D.Type, _ l: L.Type, actionScale: Double, totalEpisodes: Int,
                                                           report: (CurvePoint) -> Void, checkpoint: (TrainingRun) throws -> Void) throws {
        guard let state = self.shac else { throw ControlError("a shac run without the critic's state") }
        let start = Date(), base = self.seconds
        var trainer = try SHACTrainer<D, L>(actor: try currentNetwork(), optimizer: self.optimizer, actionScale: actionScale, state: state)
        trainer.environmentSteps = self.environmentSteps
        trainer.communicator = .world
        let budget = totalEpisodes * D.maxSteps, s = state.settings
        if let p = s.selectionProblem(budget: budget, maxSteps: D.maxSteps) { throw ControlError("\(D.name): \(p)") }
        // the training steps: the budget less the selection's (their rates fall to 0 over them)
        let training = budget - (s.selects ? s.selectSteps ?? 0 : 0)
        let perCandidate = s.selects ? (s.selectSteps ?? 0) / (s.selectCandidates ?? 1) : 0
        // the budget spent: training steps and each rolled-out candidate's share (a
        // rollout that ends where an episode terminates takes fewer steps than its share)
        func spent(_ t: SHACTrainer<D, L>) -> Int { t.trainingSteps + t.state.candidates.count * perCandidate }
        var returns = [Double]()
        while spent(trainer) < budget {
            let before = spent(trainer), t = trainer.trainingSteps
            guard t < training else { throw ControlError("\(D.name): the selection has \(trainer.state.candidates.count) of its candidates after training") }
            returns += trainer.iterate(progress: Double(t) / Double(training), generator: &self.generator)
            if s.selects, s.endsSpan(iteration: t / s.stepsPerIteration, trainingSteps: training) {
                trainer.selectCandidate(generator: &self.generator)
            }
            guard spent(trainer) / D.maxSteps > before / D.maxSteps else { continue }
            self.episodes = spent(trainer) / D.maxSteps
            let p = CurvePoint(episode: self.episodes, trainReturn: returns.isEmpty ? .nan : returns.reduce(0, +) / Double(returns.count),
                               evaluation: .nan)
            returns = []
            self.network = NetworkFile(network: trainer.actor); self.optimizer = trainer.actorOptimizer
            self.shac = trainer.savedState
            self.environmentSteps = trainer.environmentSteps
            try record(p, seconds: base + Date().timeIntervalSince(start), report: report, checkpoint: checkpoint)
        }
    }

    /// Appends `p` to the curve with the run's time so far, then reports it and checkpoints the run.
    mutating func record(_ p: CurvePoint, seconds: Double, report: (CurvePoint) -> Void, checkpoint: (TrainingRun) throws -> Void) throws {
        self.curve.append(p)
        self.seconds = seconds
        report(p)
        try checkpoint(self)
    }
}

/// The model file's name without `.json` (MODEL.json → MODEL): the stem of
/// the files written beside it (MODEL.png, MODEL.checkpoint.json, MODEL.frames.bin).
public func modelStem(_ model: String) -> String {
    model.hasSuffix(".json") ? String(model.dropLast(5)) : model
}
