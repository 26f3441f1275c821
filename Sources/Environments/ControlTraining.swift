import Foundation
import Autodiff
import ImageIO
import Learning

/// The three control problems as the command line names them.
public enum ControlProblem: String, CaseIterable, Codable, Sendable {
    case trebuchet, cartpole, pendulum

    /// Parses a name, or throws a one-line error listing the known ones.
    public init(name: String) throws {
        guard let p = ControlProblem(rawValue: name.lowercased()) else {
            throw ControlError("unknown environment '\(name)', expected one of: \(ControlProblem.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = p
    }

    /// The policy network's layers.
    public var layers: [Layer] {
        switch self {
        case .trebuchet: return TrebuchetAimer.layers
        case .cartpole: return Network.mlpLayers([4, 24, 48, 1], hidden: .relu, output: .tanh)
        case .pendulum: return PendulumTraining.layers
        }
    }

    /// The default number of training episodes (trebuchet: shots).
    public var defaultEpisodes: Int {
        switch self {
        case .trebuchet: return 1_200_000
        case .cartpole: return 50
        case .pendulum: return 400
        }
    }
}

/// A one-line error of the control commands.
public struct ControlError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

/// The pendulum's swing-up recipe (`PendulumNewtonTrainer`): one-step BPTT
/// windows from random states with the analytic terminal value
/// `PendulumValueSurrogate` (energy shaping + the upright LQR cost-to-go); each
/// simulated step's exact derivatives give a Newton target torque, and the
/// policy is fitted to all stored targets between simulated steps. One training
/// *episode* is 200 simulated steps (the length of a Gym episode): 20 rounds of
/// 10 simulated steps, each followed by 30 Adam updates (lr 0.01) on 32 stored
/// targets. The policy is 2·tanh(network), so the torque never exceeds ±2 N·m.
public enum PendulumTraining {
    public static let layers = Network.mlpLayers([3, 32, 32, 1], hidden: .tanh, output: .tanh)
    public static let stepsPerRound = 10
    public static let roundsPerEpisode = 20
    public static let updatesPerRound = 30
    public static let batchSize = 32
    public static let learningRate = 0.01

    /// The network's input for a Gym observation `[cos θ, sin θ, θ̇]`: θ̇ scaled by 1/8.
    @inlinable
    public static func policyInput(_ observation: [Double]) -> [Double] {
        [observation[0], observation[1], observation[2] / PendulumDynamics.maxSpeed]
    }

    /// The torque (N·m) of a trained network for a Gym observation.
    @inlinable
    public static func action(_ network: Network, _ observation: [Double]) -> Double {
        PendulumDynamics.maxTorque * network.predict(policyInput(observation))[0]
    }
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
}

/// A resumable training run: the network, the optimiser, the random
/// generator and the curve so far. Saved as versioned JSON next to the model.
public struct TrainingRun: Codable {
    public static let formatName = "diffray-training-checkpoint"
    /// Version 2 added `pendulumReplay` (the pendulum recipe's replay buffer);
    /// version-1 checkpoints of cart-pole and the trebuchet still read.
    public static let currentVersion = 2

    public var format = TrainingRun.formatName
    public var version = TrainingRun.currentVersion
    public var problem: ControlProblem
    public var seed: UInt64
    public var network: NetworkFile
    public var optimizer: Adam
    public var generator: SeededGenerator
    public var episodes = 0
    public var environmentSteps = 0
    public var seconds = 0.0
    public var curve: [CurvePoint] = []
    /// The episode after which the evaluation first met the bar, if it did.
    public var solvedAt: Int?
    /// The pendulum recipe's replay buffer (`PendulumNewtonTrainer`); nil for the other problems.
    public var pendulumReplay: PendulumReplay? = nil

    /// A fresh run.
    public init(problem: ControlProblem, seed: UInt64) {
        self.problem = problem
        self.seed = seed
        var g = SeededGenerator(seed: seed)
        let net = Network(layers: problem.layers, generator: &g)
        network = NetworkFile(network: net)
        switch problem {
        case .trebuchet: optimizer = Adam(learningRate: TrebuchetTraining.learningRate)
        case .cartpole: optimizer = Adam(learningRate: CartPoleTraining.learningRate)
        case .pendulum: optimizer = Adam(learningRate: PendulumTraining.learningRate)
        }
        generator = g
    }

    /// The evaluation seed used during training (distinct from `diffray eval`'s default).
    public var trainingEvaluationSeed: UInt64 { seed &+ 1_000_003 }

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

    /// Runs training until `totalEpisodes` episodes (or, for cart-pole and
    /// pendulum, until the training evaluation meets the bar when `stopWhenSolved`).
    /// `report` gets each new curve point; `checkpoint` is called after each
    /// episode (trebuchet: every `checkpointEvery` shots).
    public mutating func train(totalEpisodes: Int, stopWhenSolved: Bool,
                               report: (CurvePoint) -> Void, checkpoint: (TrainingRun) throws -> Void) throws {
        let start = Date()
        let base = seconds
        var net = try network.network(path: "checkpoint", expecting: problem.layers)
        switch problem {
        case .cartpole:
            var trainer = BPTTTrainer<CartPoleDynamics, CartPoleSurrogate>(
                network: net, optimizer: optimizer, actionScale: 1, window: CartPoleTraining.window)
            trainer.environmentSteps = environmentSteps
            while episodes < totalEpisodes && !(stopWhenSolved && solvedAt != nil) {
                let r = trainer.trainEpisode(start: CartPoleDynamics.startState(&generator))
                episodes += 1
                let net = trainer.network
                let e = evaluate(CartPoleDynamics.self, episodes: 100, seed: trainingEvaluationSeed) { net.predict($0)[0] }
                if e.mean >= CartPoleTraining.solvedMean && solvedAt == nil { solvedAt = episodes }
                let p = CurvePoint(episode: episodes, trainReturn: r.reward, evaluation: e.mean)
                curve.append(p)
                network = NetworkFile(network: trainer.network); optimizer = trainer.optimizer
                environmentSteps = trainer.environmentSteps; seconds = base + Date().timeIntervalSince(start)
                report(p)
                try checkpoint(self)
            }
            net = trainer.network
        case .pendulum:
            var trainer = PendulumNewtonTrainer(network: net, optimizer: optimizer, replay: pendulumReplay ?? PendulumReplay())
            trainer.environmentSteps = environmentSteps
            while episodes < totalEpisodes && !(stopWhenSolved && solvedAt != nil) {
                var r = 0.0
                for _ in 0..<PendulumTraining.roundsPerEpisode {
                    r += trainer.collect(count: PendulumTraining.stepsPerRound, generator: &generator) / Double(PendulumTraining.roundsPerEpisode)
                    trainer.fit(updates: PendulumTraining.updatesPerRound, batch: PendulumTraining.batchSize, generator: &generator)
                }
                episodes += 1
                let net = trainer.network
                let e = evaluate(PendulumDynamics.self, episodes: 100, seed: trainingEvaluationSeed) { PendulumTraining.action(net, $0) }
                if e.mean >= PendulumTraining.solvedMean && solvedAt == nil { solvedAt = episodes }
                // the training return: mean reward per simulated step (random states), times 200 (an episode's worth)
                let p = CurvePoint(episode: episodes, trainReturn: r * Double(PendulumDynamics.maxSteps), evaluation: e.mean)
                curve.append(p)
                network = NetworkFile(network: trainer.network); optimizer = trainer.optimizer; pendulumReplay = trainer.replay
                environmentSteps = trainer.environmentSteps; seconds = base + Date().timeIntervalSince(start)
                report(p)
                try checkpoint(self)
            }
        case .trebuchet:
            var trainer = TrebuchetAimer.Trainer(network: net, optimizer: optimizer,
                                                 batchSize: TrebuchetTraining.batchSize, generator: generator)
            trainer.shots = episodes
            var lossSum = 0.0, lossCount = 0
            while trainer.shots < totalEpisodes {
                trainer.optimizer.learningRate = TrebuchetTraining.learningRate(progress: Double(trainer.shots) / Double(totalEpisodes))
                lossSum += trainer.step(); lossCount += 1
                if trainer.shots % TrebuchetTraining.reportEvery < TrebuchetTraining.batchSize || trainer.shots >= totalEpisodes {
                    let e = TrebuchetAimer.evaluate(trainer.network, count: 200, seed: trainingEvaluationSeed)
                    episodes = trainer.shots
                    let p = CurvePoint(episode: episodes, trainReturn: lossSum / Double(lossCount), evaluation: e.meanRelativeMiss)
                    lossSum = 0; lossCount = 0
                    curve.append(p)
                    network = NetworkFile(network: trainer.network); optimizer = trainer.optimizer
                    generator = trainer.generator
                    environmentSteps = episodes; seconds = base + Date().timeIntervalSince(start)
                    report(p)
                    try checkpoint(self)
                }
            }
        }
    }
}

/// The cart-pole recipe: the seed's (4→24→48→1 relu, relu, tanh; straight-through
/// sign; shaped-reward MSE; truncated BPTT over 8 steps) with Adam at 0.01
/// instead of 0.03 (0.03 failed 3 of 10 seeds within 20 episodes here).
public enum CartPoleTraining {
    public static let window = 8
    public static let learningRate = 0.01
    public static let solvedMean = 475.0
}

extension PendulumTraining {
    public static let solvedMean = -200.0
}

/// The trebuchet aimer's recipe (`TrebuchetAimer`): Adam over mini-batches of
/// 32 shots, 256 from shot 480,000 on (40 % of the default 1,200,000 shots),
/// the learning rate decayed exponentially from 3e-3 to 3e-5 over the run, the
/// Huber loss of the relative miss with threshold 1 %, the counterweight
/// read-out started at 500 lb. Reports every 51,200 shots (a multiple of both
/// batch sizes, so each report falls on a batch boundary).
public enum TrebuchetTraining {
    public static let batchSize = 32
    public static let batchGrowth: (after: Int, to: Int)? = (after: 480_000, to: 256)
    public static let initialWeight = 500.0
    public static let learningRate = 3e-3
    public static let finalLearningRate = 3e-5
    public static let huberDelta = 0.01
    public static let reportEvery = 51_200
    /// The pixel aimer (`TrebuchetPixels`): frames rendered once for training, and simulated shots.
    public static let pixelFrames = 8_000
    public static let pixelShots = 1_200_000
    public static let pixelBatchSize = 64
    /// Learning rate after `progress` ∈ [0, 1] of the run: 3e-3 · (1/100)^progress.
    public static func learningRate(progress: Double) -> Double {
        learningRate * Foundation.pow(finalLearningRate / learningRate, Swift.min(Swift.max(progress, 0), 1))
    }
}
