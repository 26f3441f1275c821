import Cluster
import Foundation
import Autodiff
import ImageIO
import Learning
import Render
import Control

/// The options a `train ENV --pixels` run was started with: everything besides
/// the episode count that decides its weights. A checkpoint holds them, and
/// `--resume` refuses a command whose options differ (`mismatch(_:)`).
public struct PixelTrainingOptions: Codable, Equatable, Sendable {
    /// Seed of the weights, start states, targets and (trebuchet) the data set.
    public var seed: UInt64
    /// The policy's view: width in pixels (`--view-res`) and samples per pixel (`--view-spp`).
    public var resolution: Int
    public var samples: Int
    /// Cart-pole: frames stacked (`--frames`); pendulum: 2; trebuchet: frames of the rendered training set.
    public var frames: Int
    /// Polyak averaging rate of the saved weights (`--average`; cart-pole only, 0 elsewhere).
    public var averageRate: Double
    /// Adam's learning rate (the trebuchet's at the start of its schedule).
    public var learningRate: Double
    /// The folder of scene templates (`--scenes`) and the FNV-1a hash of the template's text.
    public var scenes: String
    public var sceneHash: String
    /// Trebuchet: the shots the learning-rate schedule spans (`--episodes`); nil for the others,
    /// whose `--episodes` is a target that `--resume` may raise.
    public var totalEpisodes: Int?
    /// Pendulum: the renderer's d frame/d angle is used (false: the open-loop ablation).
    public var rendererGradient: Bool
    /// Cart-pole: columns of the window centred on the cart (`--crop`, `CartCrop`);
    /// nil or 0: the whole frame (checkpoints written before the option have none).
    public var crop: Int?
    /// `crop`, 0 when absent.
    public var cropWidth: Int { crop ?? 0 }
    /// Cart-pole: training episodes start with the cart anywhere in ±`startSpread` m
    /// (`--start-spread`; the other state variables as Gym draws them); nil or 0: Gym's
    /// starts (checkpoints written before the option have none). Evaluation always uses Gym's starts.
    public var startSpread: Double?
    /// `startSpread`, 0 when absent.
    public var startSpreadWidth: Double { startSpread ?? 0 }
    /// Cart-pole: the weight of the cost-to-go added at every BPTT window's end
    /// (`--cost-to-go`, `QuadraticCostToGo.cartPole`); nil or 0: none, plain truncated
    /// BPTT (checkpoints written before the option have none).
    public var costToGo: Double?
    /// `costToGo`, 0 when absent.
    public var costToGoWeight: Double { costToGo ?? 0 }
    /// Cart-pole: the trainer (`--trainer`): `shac`, the learned critic at every window's
    /// end, or `surrogate`, the LQR cost-to-go weighted `costToGo`; nil (checkpoints
    /// written before the option, and the other problems): `surrogate`.
    public var trainer: StateTrainer?
    /// `trainer`, `surrogate` when absent.
    public var pixelTrainer: StateTrainer { trainer ?? .surrogate }
    /// Cart-pole: a training episode is a budget of this many simulated steps, the
    /// environment restarting from Gym's start states inside it and the last episode cut
    /// at the budget's end (`--episode-steps`); nil or 0: one episode of the
    /// environment (checkpoints written before the option).
    public var episodeSteps: Int?
    /// `episodeSteps`, 0 when absent.
    public var episodeBudget: Int { episodeSteps ?? 0 }
    /// Cart-pole with the learned critic: the weight c of a cost c·(x² + ẋ²) (m², m²/s²)
    /// on every state reached, added to the shaped reward's loss (`--cart-cost`); nil
    /// or 0: none (checkpoints written before the option have none).
    public var cartCost: Double?
    /// `cartCost`, 0 when absent.
    public var cartCostWeight: Double { cartCost ?? 0 }

    public init(seed: UInt64, resolution: Int, samples: Int, frames: Int, averageRate: Double = 0, learningRate: Double,
                scenes: String, sceneHash: String, totalEpisodes: Int? = nil, rendererGradient: Bool = true, crop: Int = 0,
                startSpread: Double = 0, costToGo: Double = 0, trainer: StateTrainer = .surrogate, episodeSteps: Int = 0,
                cartCost: Double = 0) {
        self.seed = seed; self.resolution = resolution; self.samples = samples; self.frames = frames
        self.averageRate = averageRate; self.learningRate = learningRate; self.scenes = scenes; self.sceneHash = sceneHash
        self.totalEpisodes = totalEpisodes; self.rendererGradient = rendererGradient
        self.crop = crop > 0 ? crop : nil
        self.startSpread = startSpread > 0 ? startSpread : nil
        self.costToGo = costToGo > 0 ? costToGo : nil
        self.trainer = trainer == .shac ? .shac : nil
        self.episodeSteps = episodeSteps > 0 ? episodeSteps : nil
        self.cartCost = cartCost > 0 ? cartCost : nil
    }

    /// The FNV-1a hash (hex) of `problem`'s scene template in `directory` (nil: the built-in one).
    public static func sceneHash(problem: ControlProblem, directory: String?) throws -> String {
        try SceneTemplate(problem: problem, directory: directory).textHash()
    }

    /// The first option in which `command` differs from `self` (the checkpoint's), as
    /// "--view-res is 16 in the checkpoint, 32 in the command"; nil if they agree.
    public func mismatch(_ command: PixelTrainingOptions) -> String? {
        func opt(_ name: String, _ a: String, _ b: String) -> String? {
            a == b ? nil : "\(name) is \(a) in the checkpoint, \(b) in the command"
        }
        let checks: [String?] = [
            opt("--seed", String(seed), String(command.seed)),
            opt("--trainer", pixelTrainer.rawValue, command.pixelTrainer.rawValue),
            opt("--view-res", String(resolution), String(command.resolution)),
            opt("--view-spp", String(samples), String(command.samples)),
            opt("--frames", String(frames), String(command.frames)),
            opt("--crop", String(cropWidth), String(command.cropWidth)),
            opt("--start-spread", String(startSpreadWidth), String(command.startSpreadWidth)),
            opt("--cost-to-go", String(costToGoWeight), String(command.costToGoWeight)),
            opt("--episode-steps", String(episodeBudget), String(command.episodeBudget)),
            opt("--cart-cost", String(cartCostWeight), String(command.cartCostWeight)),
            opt("--average", String(averageRate), String(command.averageRate)),
            opt("--lr", String(learningRate), String(command.learningRate)),
            opt("the scene template (FNV-1a hash of its text)", sceneHash, command.sceneHash),
            opt("--episodes (the length of the learning-rate schedule)", totalEpisodes.map(String.init) ?? "-",
                command.totalEpisodes.map(String.init) ?? "-"),
            opt("--open-loop", rendererGradient ? "off" : "on", command.rendererGradient ? "off" : "on"),
        ]
        return checks.lazy.compactMap { $0 }.first
    }
}

/// The format and version every checkpoint starts with.
struct CheckpointHeader: Decodable { var format: String; var version: Int }

/// What a `train ENV --pixels` checkpoint records beside its `TrainingProgress`:
/// the options, the Polyak average, the counters of its own and the pendulum's replay buffer.
public struct PixelTrainingDetails: Codable {
    public var format = PixelTrainingRun.formatName
    public var version = PixelTrainingRun.currentVersion
    public var problem: ControlProblem
    public var options: PixelTrainingOptions
    /// The Polyak-averaged weights (cart-pole; empty until the first update or when off).
    public var averaged: [Double] = []
    /// Trebuchet: passes over the data set so far.
    public var epochs = 0
    /// Frames rendered with their Jacobian (cart-pole).
    public var renderedFrames = 0
    /// The pendulum trainer's replay buffer.
    public var replay: PendulumReplay?
    /// The learned critic (options' `trainer` `shac`).
    public var critic: CriticState?
}

/// A resumable `train ENV --pixels` run, the pixel counterpart of `TrainingRun`
/// (same checkpoint discipline: versioned JSON written atomically after every
/// episode, or every curve point of the trebuchet; `--episodes` counts the whole
/// run; `--resume` continues bit for bit). It holds everything the next episode
/// depends on: the progress, the Polyak average, the pendulum's replay buffer and the options.
public typealias PixelTrainingRun = Checkpoint<PixelTrainingDetails>

extension Checkpoint where Details == PixelTrainingDetails {
    public static var formatName: String { "diffray-pixel-training-checkpoint" }
    public static var currentVersion: Int { 1 }

    /// The policy's layers for `problem` and `options`.
    public static func layers(_ problem: ControlProblem, _ options: PixelTrainingOptions) -> [Layer] {
        problem.pixelTask.layers(options)
    }

    /// A fresh run: the weights drawn from `options.seed` as the commands always did
    /// (the generator then goes on to the start states, targets or batches); the
    /// `shac` trainer's critic with `critic` settings (nil: the recipe's).
    public init(problem: ControlProblem, options: PixelTrainingOptions, critic: SHACSettings? = nil) {
        var g = SeededGenerator(seed: options.seed)
        let net = problem.pixelTask.makeNetwork(options, generator: &g)
        var details = PixelTrainingDetails(problem: problem, options: options, replay: problem == .pendulum ? PendulumReplay() : nil)
        if options.pixelTrainer == .shac, let defaults = problem.pixelTask.criticSettings {
            details.critic = CriticState(inputs: problem.pixelTask.criticInputs, settings: critic ?? defaults, generator: &g)
        }
        self.init(details: details, progress: TrainingProgress(network: net, learningRate: options.learningRate, generator: g))
    }

    /// The network being trained.
    public func currentNetwork() throws -> Network {
        try self.network.network(path: "checkpoint", expecting: PixelTrainingRun.layers(self.problem, self.options))
    }

    /// The weights to save: the Polyak average when averaging is on, else the last ones.
    public func policy() throws -> Network {
        var net = try currentNetwork()
        if self.options.averageRate > 0 && self.averaged.count == net.parameterCount { net.parameters = self.averaged }
        return net
    }

    // MARK: File

    /// The checkpoint of the model file `model` (MODEL.json → MODEL.checkpoint.json, as `train` without --pixels).
    public static func checkpointPath(model: String) -> String { modelStem(model) + ".checkpoint.json" }

    /// Reads a checkpoint for `problem` and refuses, with one line naming the file,
    /// a missing or malformed one, another format, version or problem, options
    /// that differ from `options` (the command's), or weights of the wrong shape.
    /// With `critic`, a learned critic's settings that differ from the command's are refused too.
    public static func read(path: String, problem: ControlProblem, options: PixelTrainingOptions,
                            critic: SHACSettings? = nil) throws -> PixelTrainingRun {
        let data: Data
        do { data = Data(try AtomicFile.read(path)) } catch let e as ImageIOError {
            throw ModelFileError(path: path, "cannot read the checkpoint: missing or unreadable (\(e.reason)); train without --resume first")
        }
        return try decode(data, path: path, problem: problem, options: options, critic: critic)
    }

    /// Decodes and checks a checkpoint's bytes (see `read`); `path` names it in errors.
    public static func decode(_ data: Data, path: String, problem: ControlProblem, options: PixelTrainingOptions,
                              critic command: SHACSettings? = nil) throws -> PixelTrainingRun {
        // the format first, so that another kind of checkpoint (e.g. of `train` without --pixels) is named as such
        if let h = try? CheckpointJSON.decoder().decode(CheckpointHeader.self, from: data), h.format != formatName || h.version != currentVersion {
            throw ModelFileError(path: path, "format \(h.format) version \(h.version), expected \(formatName) version \(currentVersion)"
                + (h.format == TrainingRun.formatName ? " (a checkpoint of train without --pixels)" : ""))
        }
        let run = try JSONFile.decode(PixelTrainingRun.self, from: data, path: path, expected: "a \(formatName) JSON file",
                                      decoder: CheckpointJSON.decoder())
        guard run.problem == problem else {
            throw ModelFileError(path: path, "checkpoint is for \(run.problem.rawValue) --pixels, not \(problem.rawValue)")
        }
        if let m = run.options.mismatch(options) {
            throw ModelFileError(path: path, "checkpoint does not match the command: \(m)")
        }
        _ = try run.network.network(path: path, expecting: layers(problem, options))
        let n = run.network.parameterCount
        guard run.optimizer.m.count == run.optimizer.v.count, run.optimizer.m.isEmpty || run.optimizer.m.count == n,
              run.averaged.isEmpty || run.averaged.count == n, run.optimizer.step >= 0,
              run.episodes >= 0, run.environmentSteps >= 0, run.generator.state.count == 4 else {
            throw ModelFileError(path: path, "inconsistent checkpoint: Adam's moments, the averaged weights or the generator do not fit \(n) parameters")
        }
        if run.options.pixelTrainer == .shac {
            guard problem.pixelTask.criticSettings != nil, let critic = run.critic else {
                throw ModelFileError(path: path, "a shac checkpoint without the critic's state")
            }
            let maxSteps = problem == .pendulum ? PendulumDynamics.maxSteps : CartPoleDynamics.maxSteps
            if let p = critic.problem(inputs: problem.pixelTask.criticInputs, maxSteps: maxSteps) {
                throw ModelFileError(path: path, p)
            }
            if let command, let m = critic.settings.mismatch(command) {
                throw ModelFileError(path: path, "checkpoint does not match the command: \(m)")
            }
        }
        try problem.pixelTask.validate(run, path: path)
        return run
    }

    /// Writes the checkpoint atomically (temporary file, then rename).
    public func write(path: String) throws {
        let data: Data
        do { data = try CheckpointJSON.encoder().encode(self) } catch {
            throw ModelFileError(path: path, "cannot encode the checkpoint")
        }
        try writeAtomically(data, to: path)
    }

    // MARK: Training

    /// Appends `point` to the curve, sets the run's time, and hands the run to
    /// `report` and `checkpoint`: the end of every trainer's episode (or curve point),
    /// after the trainer's state has been copied into the run.
    mutating func record(_ point: CurvePoint, seconds: Double, report: (CurvePoint, PixelTrainingRun) -> Void,
                         checkpoint: (PixelTrainingRun) throws -> Void) throws {
        self.curve.append(point)
        self.seconds = seconds
        report(point, self)
        try checkpoint(self)
    }

    /// Cart-pole from pixels (`PixelBPTTTrainer`, gradient clipped to `CartPolePixels.hyperparameters.clipNorm`,
    /// the options' frames and averaging) until `totalEpisodes` episodes. The `shac`
    /// trainer: windows of the critic's horizon on the shaped reward (`CartPoleShapedReward`),
    /// the learned critic (`CartPolePixels.hyperparameters.shac`) at each window's end,
    /// both learning rates decayed linearly over `totalEpisodes`; `surrogate`: windows of
    /// `CartPolePixels.hyperparameters.window` on `CartPoleSurrogate`, the options'
    /// LQR cost-to-go. After each episode, `report` gets its point (train return; no
    /// evaluation) and the run, and `checkpoint` the run.
    public mutating func trainCartPole(observer: PixelObservation, totalEpisodes: Int, report: (CurvePoint, PixelTrainingRun) -> Void,
                                       checkpoint: (PixelTrainingRun) throws -> Void) throws {
        precondition(self.problem == .cartpole && observer.problem == .cartpole && observer.width == self.options.resolution
                     && observer.samples == self.options.samples, "trainCartPole: the observer does not match the run's options")
        if self.options.pixelTrainer == .shac {
            try trainCartPole(CartPoleShapedReward.self, observer: observer, totalEpisodes: totalEpisodes, report: report, checkpoint: checkpoint)
        } else {
            try trainCartPole(CartPoleSurrogate.self, observer: observer, totalEpisodes: totalEpisodes, report: report, checkpoint: checkpoint)
        }
    }

    mutating func trainCartPole<L: SurrogateLoss>(_ l: L.Type, observer: PixelObservation, totalEpisodes: Int,
                                                  report: (CurvePoint, PixelTrainingRun) -> Void,
                                                  checkpoint: (PixelTrainingRun) throws -> Void) throws {
        let h = CartPolePixels.hyperparameters
        var trainer = PixelBPTTTrainer<CartPoleDynamics, L>(
            network: try currentNetwork(), optimizer: self.optimizer, observer: observer,
            window: self.critic?.settings.horizon ?? h.window, clipNorm: h.clipNorm, frames: self.options.frames, crop: self.options.cropWidth)
        trainer.averageRate = self.options.averageRate
        trainer.averaged = self.averaged
        if let critic = self.critic {
            trainer.critic = try LearnedCostToGo(critic)
            trainer.baseLearningRate = self.options.learningRate
            let c = self.options.cartCostWeight
            if c > 0 { trainer.stateCost = [c, c, 0, 0] }
        } else if self.options.costToGoWeight > 0 {
            trainer.costToGo = QuadraticCostToGo.cartPole().scaled(by: self.options.costToGoWeight)
        }
        trainer.environmentSteps = self.environmentSteps
        trainer.renderedFrames = self.renderedFrames
        let start = Date(), base = self.seconds
        let budget = self.options.episodeBudget
        while self.episodes < totalEpisodes {
            trainer.progress = Double(self.episodes) / Double(totalEpisodes)
            // one episode of the environment, or (a budget of steps) as many as fit, the last one cut at its end
            var returns = [Double](), steps = 0
            repeat {
                var state = CartPoleDynamics.startState(&self.generator)
                if self.options.startSpreadWidth > 0 { state[0] = self.generator.uniform(-self.options.startSpreadWidth, self.options.startSpreadWidth) }
                let limit = budget > 0 ? Swift.min(CartPoleDynamics.maxSteps, budget - steps) : CartPoleDynamics.maxSteps
                let r = try trainer.trainEpisode(start: state, maxSteps: limit, generator: &self.generator)
                steps += r.steps
                // a cut episode's return is not a whole one's
                if r.steps < limit || limit == CartPoleDynamics.maxSteps || returns.isEmpty && steps >= budget { returns.append(r.reward) }
            } while budget > 0 && steps < budget
            let r = (reward: returns.reduce(0, +) / Double(returns.count), steps: steps)
            self.episodes += 1
            self.network = NetworkFile(network: trainer.network); self.optimizer = trainer.optimizer; self.averaged = trainer.averaged
            self.critic = trainer.critic?.state
            self.environmentSteps = trainer.environmentSteps; self.renderedFrames = trainer.renderedFrames
            try record(CurvePoint(episode: self.episodes, trainReturn: r.reward, evaluation: .nan),
                       seconds: base + Date().timeIntervalSince(start), report: report, checkpoint: checkpoint)
        }
    }

    /// Pendulum from pixels (`PendulumPixelTrainer` on `cache`) for a fixed budget
    /// of `totalEpisodes` episodes, with no evaluation inside; `report` and
    /// `checkpoint` get the run after each episode.
    public mutating func trainPendulum(cache: PendulumFrameCache, totalEpisodes: Int,
                                       report: (CurvePoint, PixelTrainingRun) -> Void, checkpoint: (PixelTrainingRun) throws -> Void) throws {
        precondition(self.problem == .pendulum && cache.width == self.options.resolution, "trainPendulum: the cache does not match the run's options")
        var trainer = PendulumPixelTrainer(network: try currentNetwork(), optimizer: self.optimizer, cache: cache)
        trainer.useRendererGradient = self.options.rendererGradient
        if let state = self.critic {
            // the learned critic: windows from random states, both rates decayed over the budget
            var critic = try LearnedCostToGo<PendulumTrainingDynamics>(state)
            trainer.environmentSteps = self.environmentSteps
            let windows = PendulumDynamics.maxSteps / critic.settings.horizon
            let start = Date(), base = self.seconds
            while self.episodes < totalEpisodes {
                var r = 0.0
                for k in 0..<windows {
                    let progress = (Double(self.episodes) + Double(k) / Double(windows)) / Double(totalEpisodes)
                    r += trainer.shacWindow(critic: &critic, learningRate: self.options.learningRate * Swift.max(0, 1 - progress),
                                            progress: progress, generator: &self.generator)
                }
                self.episodes += 1
                self.network = NetworkFile(network: trainer.network); self.optimizer = trainer.optimizer; self.critic = critic.state
                self.environmentSteps = trainer.environmentSteps
                // the windows' mean reward a step, times an episode's steps
                try record(CurvePoint(episode: self.episodes, trainReturn: r / Double(windows * critic.settings.horizon) * Double(PendulumDynamics.maxSteps),
                                      evaluation: .nan),
                           seconds: base + Date().timeIntervalSince(start), report: report, checkpoint: checkpoint)
            }
            return
        }
        trainer.replay = self.replay ?? PendulumReplay()
        trainer.environmentSteps = self.environmentSteps
        trainer.communicator = .world
        let start = Date(), base = self.seconds
        while self.episodes < totalEpisodes {
            var r = 0.0
            for _ in 0..<PendulumPixels.hyperparameters.roundsPerEpisode {
                r += trainer.collect(windows: PendulumPixels.hyperparameters.windowsPerRound, generator: &self.generator) / Double(PendulumPixels.hyperparameters.roundsPerEpisode)
                trainer.fit(updates: PendulumPixels.hyperparameters.updatesPerRound, batch: PendulumPixels.hyperparameters.batchSize, generator: &self.generator)
            }
            self.episodes += 1
            self.network = NetworkFile(network: trainer.network); self.optimizer = trainer.optimizer; self.replay = trainer.replay
            self.environmentSteps = trainer.environmentSteps
            try record(CurvePoint(episode: self.episodes, trainReturn: r * Double(PendulumDynamics.maxSteps), evaluation: .nan),
                       seconds: base + Date().timeIntervalSince(start), report: report, checkpoint: checkpoint)
        }
    }

    /// The trebuchet aimer from pixels (`TrebuchetPixels.Trainer`, composite
    /// epochs over `data` in batches of `batchSize`, the learning rate decayed
    /// over `options.totalEpisodes` shots) until that many shots. Every
    /// `evaluateEvery` epochs and at the end: the mean relative miss on
    /// `curveSet`, a curve point to `report`, and the run to `checkpoint`
    /// (80,000 shots apart with the default 8,000 frames).
    public mutating func trainTrebuchet(data: [TrebuchetPixels.Example], curveSet: [TrebuchetPixels.Example],
                                        batchSize: Int = TrebuchetTask.hyperparameters.pixelBatchSize, evaluateEvery: Int = 10,
                                        report: (CurvePoint, PixelTrainingRun) -> Void, checkpoint: (PixelTrainingRun) throws -> Void) throws {
        precondition(self.problem == .trebuchet && data.count == self.options.frames && !curveSet.isEmpty,
                     "trainTrebuchet: the data set does not match the run's options")
        let total = self.options.totalEpisodes ?? TrebuchetTask.hyperparameters.pixelShots
        var trainer = TrebuchetPixels.Trainer(network: try currentNetwork(), optimizer: self.optimizer, generator: self.generator)
        trainer.communicator = .world
        trainer.shots = self.episodes
        let lr = self.options.learningRate
        func curveMiss(_ net: Network) -> Double {
            curveSet.reduce(0) { s, e in
                let (a, m) = TrebuchetPixels.aim(net, observation: e.observation)
                return s + Swift.abs(Trebuchet.shoot(wind: e.wind, angle: a, weight: m) - e.target) / e.target
            } / Double(curveSet.count)
        }
        let start = Date(), base = self.seconds
        while trainer.shots < total {
            trainer.optimizer.learningRate = lr * TrebuchetTask.hyperparameters.learningRate(progress: Double(trainer.shots) / Double(total))
                / TrebuchetTask.hyperparameters.learningRate
            let loss = trainer.epoch(data, batchSize: batchSize, composite: true)
            self.epochs += 1
            if self.epochs % evaluateEvery == 0 || trainer.shots >= total {
                let p = CurvePoint(episode: trainer.shots, trainReturn: loss, evaluation: curveMiss(trainer.network))
                self.network = NetworkFile(network: trainer.network); self.optimizer = trainer.optimizer; self.generator = trainer.generator
                // the shots since the last point, and the curve's: simulated too, so counted
                self.environmentSteps += trainer.shots - self.episodes + curveSet.count
                self.episodes = trainer.shots
                try record(p, seconds: base + Date().timeIntervalSince(start), report: report, checkpoint: checkpoint)
            }
        }
    }
}
