import Foundation
import Autodiff
import ImageIO
import Learning
import Render

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

    public init(seed: UInt64, resolution: Int, samples: Int, frames: Int, averageRate: Double = 0, learningRate: Double,
                scenes: String, sceneHash: String, totalEpisodes: Int? = nil, rendererGradient: Bool = true, crop: Int = 0,
                startSpread: Double = 0, costToGo: Double = 0) {
        self.seed = seed; self.resolution = resolution; self.samples = samples; self.frames = frames
        self.averageRate = averageRate; self.learningRate = learningRate; self.scenes = scenes; self.sceneHash = sceneHash
        self.totalEpisodes = totalEpisodes; self.rendererGradient = rendererGradient
        self.crop = crop > 0 ? crop : nil
        self.startSpread = startSpread > 0 ? startSpread : nil
        self.costToGo = costToGo > 0 ? costToGo : nil
    }

    /// The FNV-1a hash (hex) of `problem`'s scene template in `directory`.
    public static func sceneHash(problem: ControlProblem, directory: String) throws -> String {
        let template = try SceneTemplate(problem: problem, directory: directory)
        guard let text = FileManager.default.contents(atPath: template.path) else {
            throw ControlError("\(template.path): cannot read the scene template")
        }
        var hash: UInt64 = 0xcbf29ce484222325
        for b in text { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
        return String(hash, radix: 16)
    }

    /// The first option in which `command` differs from `self` (the checkpoint's), as
    /// "--view-res is 16 in the checkpoint, 32 in the command"; nil if they agree.
    public func mismatch(_ command: PixelTrainingOptions) -> String? {
        func opt(_ name: String, _ a: String, _ b: String) -> String? {
            a == b ? nil : "\(name) is \(a) in the checkpoint, \(b) in the command"
        }
        let checks: [String?] = [
            opt("--seed", String(seed), String(command.seed)),
            opt("--view-res", String(resolution), String(command.resolution)),
            opt("--view-spp", String(samples), String(command.samples)),
            opt("--frames", String(frames), String(command.frames)),
            opt("--crop", String(cropWidth), String(command.cropWidth)),
            opt("--start-spread", String(startSpreadWidth), String(command.startSpreadWidth)),
            opt("--cost-to-go", String(costToGoWeight), String(command.costToGoWeight)),
            opt("--average", String(averageRate), String(command.averageRate)),
            opt("--lr", String(learningRate), String(command.learningRate)),
            opt("--scenes", "'\(scenes)'", "'\(command.scenes)'"),
            opt("the scene template (FNV-1a hash)", sceneHash, command.sceneHash),
            opt("--episodes (the length of the learning-rate schedule)", totalEpisodes.map(String.init) ?? "-",
                command.totalEpisodes.map(String.init) ?? "-"),
            opt("the renderer gradient (DIFFRAY_PENDULUM_OPEN_LOOP)", rendererGradient ? "on" : "off", command.rendererGradient ? "on" : "off"),
        ]
        return checks.lazy.compactMap { $0 }.first
    }
}

/// The model file's name without `.json` (MODEL.json → MODEL): the stem of
/// the files written beside it (MODEL.png, MODEL.checkpoint.json, MODEL.frames.bin).
public func modelStem(_ model: String) -> String {
    model.hasSuffix(".json") ? String(model.dropLast(5)) : model
}

/// A resumable `train ENV --pixels` run, the pixel counterpart of `TrainingRun`
/// (same checkpoint discipline: versioned JSON written atomically after every
/// episode, or every curve point of the trebuchet; `--episodes` counts the whole
/// run; `--resume` continues bit for bit). It holds everything the next episode
/// depends on: the weights, Adam's moments and step count, the Polyak average,
/// the random generator (start states, targets, batches), the counters, the
/// pendulum's replay buffer, the curve so far and the options.
public struct PixelTrainingRun: Codable {
    public static let formatName = "diffray-pixel-training-checkpoint"
    public static let currentVersion = 1

    public var format = PixelTrainingRun.formatName
    public var version = PixelTrainingRun.currentVersion
    public var problem: ControlProblem
    public var options: PixelTrainingOptions
    public var network: NetworkFile
    public var optimizer: Adam
    /// The Polyak-averaged weights (cart-pole; empty until the first update or when off).
    public var averaged: [Double] = []
    public var generator: SeededGenerator
    /// Training episodes so far (trebuchet: shots).
    public var episodes = 0
    /// Trebuchet: passes over the data set so far.
    public var epochs = 0
    public var environmentSteps = 0
    /// Frames rendered with their Jacobian (cart-pole).
    public var renderedFrames = 0
    public var seconds = 0.0
    /// The curve: train return (trebuchet: epoch loss) and evaluation (NaN where none was made).
    public var curve: [CurvePoint] = []
    public var solvedAt: Int?
    /// The pendulum trainer's replay buffer.
    public var replay: PendulumReplay?

    /// The policy's layers for `problem` and `options`.
    public static func layers(_ problem: ControlProblem, _ options: PixelTrainingOptions) -> [Layer] {
        switch problem {
        case .cartpole: return PixelPolicy.layers(.cartpole, resolution: options.resolution, frames: options.frames, crop: options.cropWidth)
        case .pendulum: return PendulumPixelPolicy.layers(resolution: options.resolution)
        case .trebuchet: return TrebuchetPixels.layers(resolution: options.resolution)
        }
    }

    /// A fresh run: the weights drawn from `options.seed` as the commands always did
    /// (the generator then goes on to the start states, targets or batches).
    public init(problem: ControlProblem, options: PixelTrainingOptions) {
        self.problem = problem
        self.options = options
        var g = SeededGenerator(seed: options.seed)
        let net = problem == .trebuchet
            ? TrebuchetPixels.makeNetwork(resolution: options.resolution, generator: &g)
            : Network(layers: PixelTrainingRun.layers(problem, options), generator: &g)
        network = NetworkFile(network: net)
        optimizer = Adam(learningRate: options.learningRate)
        generator = g
        if problem == .pendulum { replay = PendulumReplay() }
    }

    /// The network being trained.
    public func currentNetwork() throws -> Network {
        try network.network(path: "checkpoint", expecting: PixelTrainingRun.layers(problem, options))
    }

    /// The weights to save: the Polyak average when averaging is on, else the last ones.
    public func policy() throws -> Network {
        var net = try currentNetwork()
        if options.averageRate > 0 && averaged.count == net.parameterCount { net.parameters = averaged }
        return net
    }

    // MARK: File

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// The checkpoint of the model file `model` (MODEL.json → MODEL.checkpoint.json, as `train` without --pixels).
    public static func checkpointPath(model: String) -> String { modelStem(model) + ".checkpoint.json" }

    /// Reads a checkpoint for `problem` and refuses, with one line naming the file,
    /// a missing or malformed one, another format, version or problem, options
    /// that differ from `options` (the command's), or weights of the wrong shape.
    public static func read(path: String, problem: ControlProblem, options: PixelTrainingOptions) throws -> PixelTrainingRun {
        let data: Data
        do { data = Data(try AtomicFile.read(path)) } catch let e as ImageIOError {
            throw ModelFileError(path: path, "cannot read the checkpoint: missing or unreadable (\(e.reason)); train without --resume first")
        }
        return try decode(data, path: path, problem: problem, options: options)
    }

    /// Decodes and checks a checkpoint's bytes (see `read`); `path` names it in errors.
    public static func decode(_ data: Data, path: String, problem: ControlProblem, options: PixelTrainingOptions) throws -> PixelTrainingRun {
        // the format first, so that another kind of checkpoint (e.g. of `train` without --pixels) is named as such
        struct Header: Decodable { var format: String; var version: Int }
        if let h = try? decoder().decode(Header.self, from: data), h.format != formatName || h.version != currentVersion {
            throw ModelFileError(path: path, "format \(h.format) version \(h.version), expected \(formatName) version \(currentVersion)"
                + (h.format == TrainingRun.formatName ? " (a checkpoint of train without --pixels)" : ""))
        }
        let run = try JSONFile.decode(PixelTrainingRun.self, from: data, path: path, expected: "a \(formatName) JSON file",
                                      decoder: decoder())
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
        if problem == .pendulum {
            guard let r = run.replay else {
                throw ModelFileError(path: path, "missing key 'replay', expected the pendulum trainer's replay buffer")
            }
            guard r.states.count == 2 * r.targets.count, r.count <= PendulumReplay.capacity,
                  r.cursor >= 0, r.cursor < PendulumReplay.capacity else {
                throw ModelFileError(path: path, "inconsistent replay buffer: \(r.states.count) state values for \(r.targets.count) targets, cursor \(r.cursor); expected 2 per target, at most \(PendulumReplay.capacity) targets and a cursor in 0..<\(PendulumReplay.capacity)")
            }
        }
        if problem == .trebuchet, let total = run.options.totalEpisodes, run.episodes > total {
            throw ModelFileError(path: path, "checkpoint has \(run.episodes) shots, more than the run's \(total)")
        }
        return run
    }

    /// Writes the checkpoint atomically (temporary file, then rename).
    public func write(path: String) throws {
        let data: Data
        do { data = try PixelTrainingRun.encoder().encode(self) } catch {
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
        curve.append(point)
        self.seconds = seconds
        report(point, self)
        try checkpoint(self)
    }

    /// Cart-pole from pixels (`PixelBPTTTrainer`: windows of `PixelPolicy.cartPoleWindow`,
    /// gradient clipped to `PixelPolicy.clipNorm`, the options' frames, averaging and cost-to-go) until
    /// `totalEpisodes` episodes; after each one, `report` gets its point (train return;
    /// no evaluation) and the run, and `checkpoint` the run.
    public mutating func trainCartPole(observer: PixelObservation, totalEpisodes: Int, report: (CurvePoint, PixelTrainingRun) -> Void,
                                       checkpoint: (PixelTrainingRun) throws -> Void) throws {
        precondition(problem == .cartpole && observer.problem == .cartpole && observer.width == options.resolution
                     && observer.samples == options.samples, "trainCartPole: the observer does not match the run's options")
        var trainer = PixelBPTTTrainer<CartPoleDynamics, CartPoleSurrogate>(
            network: try currentNetwork(), optimizer: optimizer, observer: observer,
            window: PixelPolicy.cartPoleWindow, clipNorm: PixelPolicy.clipNorm, frames: options.frames, crop: options.cropWidth)
        trainer.averageRate = options.averageRate
        trainer.averaged = averaged
        if options.costToGoWeight > 0 { trainer.costToGo = QuadraticCostToGo.cartPole().scaled(by: options.costToGoWeight) }
        trainer.environmentSteps = environmentSteps
        trainer.renderedFrames = renderedFrames
        let start = Date(), base = seconds
        while episodes < totalEpisodes {
            var state = CartPoleDynamics.startState(&generator)
            if options.startSpreadWidth > 0 { state[0] = generator.uniform(-options.startSpreadWidth, options.startSpreadWidth) }
            let r = try trainer.trainEpisode(start: state)
            episodes += 1
            network = NetworkFile(network: trainer.network); optimizer = trainer.optimizer; averaged = trainer.averaged
            environmentSteps = trainer.environmentSteps; renderedFrames = trainer.renderedFrames
            try record(CurvePoint(episode: episodes, trainReturn: r.reward, evaluation: .nan),
                       seconds: base + Date().timeIntervalSince(start), report: report, checkpoint: checkpoint)
        }
    }

    /// Pendulum from pixels (`PendulumPixelTrainer` on `cache`) until `totalEpisodes`
    /// episodes; every `evaluateEvery`-th episode and the last one are evaluated
    /// (100 episodes on cached frames, seed + 1,000,003; evaluation draws nothing
    /// from the run's generator, so the weights do not depend on it). `checkpoint`
    /// gets the run after each episode. A run stopped at its last episode and
    /// extended with a larger `totalEpisodes` keeps the evaluation point of that
    /// episode in its curve (and possibly an earlier `solvedAt`), which an
    /// uninterrupted run would not have made; its weights are the same bit for bit.
    public mutating func trainPendulum(cache: PendulumFrameCache, totalEpisodes: Int, evaluateEvery: Int = 5,
                                       report: (CurvePoint, PixelTrainingRun) -> Void, checkpoint: (PixelTrainingRun) throws -> Void) throws {
        precondition(problem == .pendulum && cache.width == options.resolution, "trainPendulum: the cache does not match the run's options")
        var trainer = PendulumPixelTrainer(network: try currentNetwork(), optimizer: optimizer, cache: cache)
        trainer.useRendererGradient = options.rendererGradient
        trainer.replay = replay ?? PendulumReplay()
        trainer.environmentSteps = environmentSteps
        let evalSeed = options.seed &+ 1_000_003
        let start = Date(), base = seconds
        while episodes < totalEpisodes {
            var r = 0.0
            for _ in 0..<PendulumPixelPolicy.roundsPerEpisode {
                r += trainer.collect(windows: PendulumPixelPolicy.windowsPerRound, generator: &generator) / Double(PendulumPixelPolicy.roundsPerEpisode)
                trainer.fit(updates: PendulumPixelPolicy.updatesPerRound, batch: PendulumPixelPolicy.batchSize, generator: &generator)
            }
            episodes += 1
            var e = Double.nan
            if episodes % evaluateEvery == 0 || episodes == totalEpisodes {
                e = trainer.evaluateCached(episodes: 100, seed: evalSeed).mean
                if e >= PendulumTraining.solvedMean && solvedAt == nil { solvedAt = episodes }
            }
            network = NetworkFile(network: trainer.network); optimizer = trainer.optimizer; replay = trainer.replay
            environmentSteps = trainer.environmentSteps
            try record(CurvePoint(episode: episodes, trainReturn: r * Double(PendulumDynamics.maxSteps), evaluation: e),
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
                                        batchSize: Int = TrebuchetTraining.pixelBatchSize, evaluateEvery: Int = 10,
                                        report: (CurvePoint, PixelTrainingRun) -> Void, checkpoint: (PixelTrainingRun) throws -> Void) throws {
        precondition(problem == .trebuchet && data.count == options.frames && !curveSet.isEmpty,
                     "trainTrebuchet: the data set does not match the run's options")
        let total = options.totalEpisodes ?? TrebuchetTraining.pixelShots
        var trainer = TrebuchetPixels.Trainer(network: try currentNetwork(), optimizer: optimizer, generator: generator)
        trainer.shots = episodes
        let lr = options.learningRate
        func curveMiss(_ net: Network) -> Double {
            curveSet.reduce(0) { s, e in
                let (a, m) = TrebuchetPixels.aim(net, observation: e.observation)
                return s + Swift.abs(Trebuchet.shoot(wind: e.wind, angle: a, weight: m) - e.target) / e.target
            } / Double(curveSet.count)
        }
        let start = Date(), base = seconds
        while trainer.shots < total {
            trainer.optimizer.learningRate = lr * TrebuchetTraining.learningRate(progress: Double(trainer.shots) / Double(total))
                / TrebuchetTraining.learningRate
            let loss = trainer.epoch(data, batchSize: batchSize, composite: true)
            epochs += 1
            if epochs % evaluateEvery == 0 || trainer.shots >= total {
                let p = CurvePoint(episode: trainer.shots, trainReturn: loss, evaluation: curveMiss(trainer.network))
                network = NetworkFile(network: trainer.network); optimizer = trainer.optimizer; generator = trainer.generator
                episodes = trainer.shots; environmentSteps = trainer.shots
                try record(p, seconds: base + Date().timeIntervalSince(start), report: report, checkpoint: checkpoint)
            }
        }
    }
}
