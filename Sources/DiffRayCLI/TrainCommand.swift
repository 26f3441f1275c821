import ArgumentParser
import DiffRay
import Foundation

/// `diffray train ENV`: trains a controller by backpropagation through the
/// environment's physics (and, with --pixels, the renderer); one subcommand an
/// environment, since their options differ.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a controller through the differentiable physics (trebuchet | cartpole | pendulum).",
        discussion: """
        Prints the training curve, writes MODEL.json, a plot MODEL.png and a checkpoint \
        MODEL.checkpoint.json (for --resume). Training runs its whole budget of --episodes \
        with no evaluation inside and counts every simulated step (env_steps in --json); \
        from the state, cart-pole and pendulum are then evaluated over 100 episodes from \
        seed 12345, which training never draws from (`diffray eval`'s default). \
        From the state, a cart-pole or pendulum episode is a budget of one Gym episode's \
        steps (500; 200) shared by the parallel environments of the actor-critic. \
        For the trebuchet an episode is one simulated shot. With --pixels the checkpoint \
        is written after every episode (trebuchet: every 80,000 shots) and --resume also \
        needs the options the run started with (--seed, --view-res, --view-spp, --frames, \
        --average, --lr, the scene template; trebuchet: --episodes); --episodes counts the whole run.
        """,
        subcommands: [TrainCartPoleCommand.self, TrainPendulumCommand.self, TrainTrebuchetCommand.self])
    // One subcommand an environment (CartPoleCommands.swift, ...): their options differ.
}

/// The options every `train ENV` shares; the defaults are the environment's recipe's.
struct TrainOptions<P: PixelTask>: ParsableArguments {
    @Option(help: "Training \(P.problem == .trebuchet ? "shots" : "episodes") (default \(P.problem.defaultEpisodes(trainer: P.problem.defaultStateTrainer)); with --pixels \(P.problem == .pendulum ? "\(PendulumPixels.hyperparameters.shacEpisodes), \(P.defaults.episodes) with --trainer surrogate" : "\(P.defaults.episodes)")); with --resume, of the whole run.")
    var episodes: Int?

    @Option(help: "Seed of the weights, start states and targets.")
    var seed: Int = 0

    @Option(name: .shortAndLong, help: "The model file to write (default \(P.problem.rawValue).json; with --pixels \(P.problem.rawValue)-pixels.json).")
    var output: String?

    @Flag(help: "Continue from MODEL.checkpoint.json (bit for bit; with --pixels the other options must be those the run started with).")
    var resume = false

    @Flag(help: "Train a pixel policy: the network sees only rendered frames; BPTT through physics, renderer and network.")
    var pixels = false

    @OptionGroup var json: JSONOption
    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        if let episodes, episodes <= 0 || episodes > 100_000_000 { throw ValidationError("--episodes must be in 1...100000000, got \(episodes)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
        if let output, !output.lowercased().hasSuffix(".json") { throw ValidationError("-o expects a .json file, got '\(output)'") }
    }

    /// The model file: -o, or the environment's default name; the checkpoint beside it.
    var model: String { output ?? (pixels ? "\(P.problem.rawValue)-pixels.json" : "\(P.problem.rawValue).json") }
    var checkpointPath: String { modelStem(model) + ".checkpoint.json" }

    /// A fresh pixel run with `settings` (and the learned `critic`'s), or (--resume) the
    /// checkpoint's, which must have been started with them.
    func pixelRun(critic: SHACSettings? = nil, _ settings: PixelTrainingOptions) throws -> PixelTrainingRun {
        guard resume else { return PixelTrainingRun(problem: P.problem, options: settings, critic: critic) }
        let run = try PixelTrainingRun.read(path: checkpointPath, problem: P.problem, options: settings, critic: critic)
        print("resuming \(checkpointPath) at \(P.problem == .trebuchet ? "shot" : "episode") \(run.episodes)")
        return run
    }

    /// Runs `train` with the model and its plot reserved first and committed together
    /// after `save`: a failure leaves neither, and a SIGINT/SIGTERM during `train` ends
    /// it right after the next checkpoint (`Interruption`), so `--resume` continues.
    func committingOutputs<R>(train: () throws -> Void, save: () throws -> R) throws -> R {
        let outputs = try OutputTransaction.begin([model, modelStem(model) + ".png"])
        deferSignalsUntilCheckpoint()
        do { try train() } catch { Interruption.endDeferral(); throw error }
        Interruption.endDeferral()
        let result = try save()
        try outputs.commit()
        return result
    }

    /// Writes a checkpoint, then ends the run if a signal came while it trained.
    func checkpoint(_ write: (String) throws -> Void) throws {
        try write(checkpointPath)
        try Interruption.checkpointWritten(checkpointPath)
    }

    /// Saves a pixel run's policy (`PixelModel`, the run's metadata) and plots
    /// its curve to MODEL.png; returns "MODEL.json, MODEL.png, MODEL.checkpoint.json".
    func savePixelPolicy(_ run: PixelTrainingRun, curve: [[Double]], labels: [String], logY: Bool = false,
                         xLabel: String, yLabel: String) throws -> String {
        try PixelModel.save(try run.policy(), to: model, metadata: run.modelMetadata())
        let plot = modelStem(model) + ".png"
        try Plot.lines(series: curve, labels: labels, logY: logY, x: run.curve.map { Double($0.episode) },
                       title: "diffray train \(P.problem.rawValue) --pixels (seed \(run.options.seed))",
                       xLabel: xLabel, yLabel: yLabel).writePNG(to: plot)
        return "\(model), \(plot), \(checkpointPath)"
    }
}

/// The pixel policy's view, learning rate and scene templates (`train ENV --pixels`).
struct PixelViewOptions<P: PixelTask>: ParsableArguments {
    @Option(help: "With --pixels: the width of the policy's view in pixels (\(P.defaults.resolutions.lowerBound)...\(P.defaults.resolutions.upperBound)).")
    var viewRes: Int = P.defaults.resolution

    @Option(help: "With --pixels: samples per pixel of the policy's view (1...1024).")
    var viewSpp: Int = P.defaults.samples

    @Option(help: "With --pixels: Adam's learning rate (default: \(P.criticSettings.map { "\($0.actorLearningRate) with the learned critic (the default), \(P.defaults.learningRate) with --trainer surrogate" } ?? "\(P.defaults.learningRate)")).")
    var lr: Double?

    /// `--lr`, or the recipe's default.
    var learningRate: Double { lr ?? P.defaults.learningRate }

    @OptionGroup var templates: TemplateOption

    func validate() throws {
        let range = P.defaults.resolutions
        guard range.contains(viewRes), viewSpp >= 1 && viewSpp <= 1024 else {
            throw ValidationError("train \(P.problem.rawValue) --pixels: --view-res must be in \(range.lowerBound)...\(range.upperBound) and --view-spp in 1...1024, got \(viewRes), \(viewSpp)")
        }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("train \(P.problem.rawValue) --pixels: --lr must be a positive number, got \(lr)") }
    }

    /// The scene template's folder name and hash, as a checkpoint records them.
    func sceneRecord() throws -> (folder: String, hash: String) {
        (templates.scenes ?? "built-in", try PixelTrainingOptions.sceneHash(problem: P.problem, directory: templates.scenes))
    }
}

/// What `train ENV --json` prints.
struct TrainResult: Encodable {
    var environment: ControlProblem
    var pixels: Bool?
    var episodes: Int
    var envSteps: Int
    var frames: Int?
    var evaluationFrames: Int?
    var renderSeconds: Double?
    var seconds: Double
    var trainer: StateTrainer?
    /// With selection by counted rollouts: the chosen candidate (0-based), each
    /// candidate's return over the same rollouts, and the steps they took (in `envSteps`).
    var selectedCandidate: Int?
    var candidateReturns: [Double]?
    var selectionSteps: Int?
    /// The mean return over 100 episodes after training (state), from `evaluationSeed`.
    var finalEvaluation: Finite?
    var evaluationSeed: UInt64?
    var model: String
    var plot: String?
}

/// The trainer of `train cartpole|pendulum` from the state and the actor-critic's
/// settings (defaults: the task's, `P.problem.task.shacSettings`). A resumed run
/// keeps the settings it was started with.
struct StateTrainerOptions<P: PixelTask>: ParsableArguments {
    @Option(help: "shac (short-horizon actor-critic with a learned critic) or surrogate (the environment's hand-made value or loss); from the state default \(P.problem.defaultStateTrainer.rawValue); with --pixels shac for the cart-pole and the pendulum (the critic sees the state, the policy the frames), surrogate for the trebuchet.")
    var trainer: StateTrainer?
    @Option(help: "Actor-critic: parallel environments (default \(Self.defaults?.environments ?? 0)).")
    var envs: Int?
    @Option(help: "Actor-critic: steps of each BPTT window (default \(Self.shown(\.horizon))); envs × horizon must divide an episode's steps.")
    var horizon: Int?
    @Option(help: "Actor-critic: the actor's Adam learning rate (default \(Self.defaults?.actorLearningRate ?? 0)), decayed linearly to 0 over the budget.")
    var actorLr: Double?
    @Option(help: "Actor-critic: the critic's Adam learning rate (default \(Self.shown(\.criticLearningRate))), decayed likewise.")
    var criticLr: Double?
    @Option(help: "Actor-critic: the discount γ (default \(Self.shown(\.discount))).")
    var discount: Double?
    @Option(help: "Actor-critic: standard deviation of the training actions' Gaussian noise (default \(Self.shown(\.actionNoise))).")
    var actionNoise: Double?
    @Option(help: "Actor-critic: κ of the penalty κ·z² on the policy output's pre-activation z (default \(Self.defaults?.penalty ?? 0)).")
    var saturationPenalty: Double?
    @Option(help: "Actor-critic: the actor's last layer drawn this many times smaller than Glorot's (default \(Self.defaults?.outputInitScale ?? 1)).")
    var outputInit: Double?
    @Option(help: "Actor-critic: each training environment restarts from a random state after this many steps, the cut bootstrapped by the critic (default \(Self.defaults?.restartSteps.map(String.init) ?? "an episode's length")).")
    var restartEvery: Int?
    @Option(help: "Actor-critic: TD(λ)'s λ (default \(Self.shown(\.tdLambda))).")
    var lambda: Double?
    @Option(help: "Actor-critic: passes of the critic's fit over each window's targets (default \(Self.shown(\.criticIterations))).")
    var criticPasses: Int?
    @Option(help: "Actor-critic: mini-batches of each pass of the critic's fit (default \(Self.shown(\.criticBatches))).")
    var criticBatches: Int?
    @Option(help: "Actor-critic: width of the critic's hidden layers (default \(Self.shown(\.criticWidth))).")
    var criticWidth: Int?

    @Option(help: "Actor-critic: earlier windows the critic keeps, their TD(λ) targets recomputed from the critic, nothing simulated again (default \(Self.defaults?.replayWindows ?? 0); 0: none).")
    var criticReplay: Int?
    @Option(help: "Actor-critic: kept windows drawn into each fit of the critic (default \(Self.defaults?.replayDraws ?? 0)).")
    var replayDraws: Int?

    @Option(help: "Actor-critic: the last share of the budget over which the actor's weights are averaged, the average being the policy written (default \(Self.defaults?.actorAveraging ?? 0); 0: the last weights).")
    var averageActor: Double?

    @Option(help: "Actor-critic: candidate policies to choose among by counted rollouts, the means of the actor's weights over as many spans of the averaged share (default \(Self.defaults?.selectCandidates ?? 0); 0: none).")
    var selectCandidates: Int?
    @Option(help: "Actor-critic: environment steps of the budget spent rolling out the candidates (all of them; default \(Self.defaults?.selectSteps ?? 0)).")
    var selectSteps: Int?
    @Option(help: "Actor-critic: steps of each candidate's rollout from each start state (default an episode's length).")
    var selectLength: Int?
    @Option(help: "Actor-critic: whether the rollouts' steps go into the critic's replay (default true).")
    var selectFeedsCritic: Bool?

    @Option(help: "A named recipe: its settings and budget instead of the default's (\(P.problem.namedRecipes.isEmpty ? "none for \(P.problem.rawValue)" : P.problem.namedRecipes.map { "\($0.name): \($0.summary)" }.joined(separator: "; "))); the options given still apply.")
    var recipe: String?

    static var defaults: SHACSettings? { P.problem.task.shacSettings }

    /// The recipe named by --recipe, or nil; a one-line error for an unknown name.
    func namedRecipe() throws -> NamedRecipe? {
        guard let recipe else { return nil }
        guard let r = P.problem.namedRecipes.first(where: { $0.name == recipe }) else {
            let known = P.problem.namedRecipes.map(\.name)
            throw ValidationError("train \(P.problem.rawValue): unknown --recipe '\(recipe)', expected "
                + (known.isEmpty ? "none (\(P.problem.rawValue) has only its default)" : "one of: \(known.joined(separator: ", "))"))
        }
        return r
    }

    /// A learned-critic setting's default from the state, and with --pixels where that differs.
    static func shown<T: Equatable>(_ key: KeyPath<SHACSettings, T>) -> String {
        let state = defaults.map { "\($0[keyPath: key])" } ?? "0"
        guard let pixels = P.criticSettings?[keyPath: key], pixels != defaults?[keyPath: key] else { return state }
        return state + ", with --pixels \(pixels)"
    }

    /// Whether the critic's replay or the actor's averaging was given (the state trainer's only).
    var stateOnlyGiven: Bool {
        criticReplay != nil || replayDraws != nil || averageActor != nil || selectCandidates != nil || selectSteps != nil
            || selectLength != nil || selectFeedsCritic != nil || recipe != nil
    }

    /// Whether any of the learned critic's settings was given (not the trainer, the
    /// parallel environments, the actor's rate or the restarts).
    var criticOptionsGiven: Bool {
        horizon != nil || discount != nil || lambda != nil || criticLr != nil || criticPasses != nil || criticBatches != nil || criticWidth != nil
            || actionNoise != nil || saturationPenalty != nil || outputInit != nil
    }

    /// The settings: the task's defaults with the options given.
    func settings() throws -> SHACSettings? { try settings(from: try namedRecipe()?.settings ?? Self.defaults) }

    /// `base` with the options given (nil: nil), checked.
    func settings(from base: SHACSettings?) throws -> SHACSettings? {
        guard var s = base else { return nil }
        if let envs { s.environments = envs }
        if let horizon { s.horizon = horizon }
        if let actorLr { s.actorLearningRate = actorLr }
        if let criticLr { s.criticLearningRate = criticLr }
        if let discount { s.discount = discount }
        if let actionNoise { s.actionNoise = actionNoise }
        if let saturationPenalty { s.saturationPenalty = saturationPenalty > 0 ? saturationPenalty : nil }
        if let outputInit { s.outputInitScale = outputInit != 1 ? outputInit : nil }
        if let restartEvery { s.restartSteps = restartEvery }
        if let lambda { s.tdLambda = lambda }
        if let criticPasses { s.criticIterations = criticPasses }
        if let criticWidth { s.criticWidth = criticWidth }
        if let criticBatches { s.criticBatches = criticBatches }
        if let criticReplay { s.replayWindows = criticReplay != 0 ? criticReplay : nil }
        if let replayDraws { s.replayDraws = replayDraws != 0 ? replayDraws : nil }
        if let averageActor { s.actorAveraging = averageActor != 0 ? averageActor : nil }
        if let selectCandidates { s.selectCandidates = selectCandidates != 0 ? selectCandidates : nil }
        if let selectSteps { s.selectSteps = selectSteps != 0 ? selectSteps : nil }
        if let selectLength { s.selectLength = selectLength }
        if let selectFeedsCritic { s.selectFeedsCritic = selectFeedsCritic ? nil : false }
        if let p = s.problem(maxSteps: P.problem == .cartpole ? CartPoleDynamics.maxSteps : PendulumDynamics.maxSteps) {
            throw ValidationError("train \(P.problem.rawValue): \(p)")
        }
        return s
    }
}

extension StateTrainer: ExpressibleByArgument {}

/// `train ENV` without --pixels: the environment's `ControlTask` on a `TrainingRun`,
/// then (cart-pole, pendulum) an evaluation on `diffray eval`'s default seed.
func trainFromState<P: PixelTask>(_ o: TrainOptions<P>, trainer t: StateTrainerOptions<P>?) throws {
    let problem = P.problem
    let model = o.model
    let checkpointPath = o.checkpointPath
    let plotPath = modelStem(model) + ".png"
    let trainer = t?.trainer ?? problem.defaultStateTrainer
    let recipe = try t?.namedRecipe()
    if recipe != nil, trainer != .shac {
        throw ValidationError("train \(problem.rawValue): --recipe names an actor-critic recipe, not one for --trainer \(trainer.rawValue)")
    }
    var session = o.resume ? try TrainingRun.read(path: checkpointPath, problem: problem)
                           : TrainingRun(problem: problem, seed: UInt64(o.seed), trainer: trainer, settings: try t?.settings())
    // a resumed run continues its own budget; one whose budget is not recorded was
    // started with the defaults' budget only if it has the defaults' settings
    if o.resume, o.episodes == nil, session.budget == nil, let s = session.shac?.settings, let d = StateTrainerOptions<P>.defaults,
       let different = s.mismatch(d) {
        throw ModelFileError(path: checkpointPath, "records no budget and was started with other settings than the default's (\(different)); "
            + "give the run's whole budget with --episodes")
    }
    let total = o.episodes ?? session.budget ?? recipe?.episodes ?? problem.defaultEpisodes(trainer: session.trainer ?? .surrogate)
    session.budget = total
    if o.resume { print("resuming \(checkpointPath) at episode \(session.episodes)") }
    let shots = problem == .trebuchet
    if let s = session.shac?.settings {
        var line = "short-horizon actor-critic: \(counted(s.environments, "environment")), windows of \(counted(s.horizon, "step")), "
            + "γ \(s.discount), λ \(s.tdLambda), "
            + "actor lr \(s.actorLearningRate), critic lr \(s.criticLearningRate)"
        line += (s.penalty > 0 ? ", saturation penalty \(s.penalty)" : "") + (s.actionNoise > 0 ? ", action noise \(s.actionNoise)" : "")
        line += s.restartSteps.map { ", restarts every \(counted($0, "step"))" } ?? ""
        line += s.replays ? ", the critic replays \(s.replayDraws ?? 0) of its last \(s.replayWindows ?? 0) windows" : ""
        line += s.actorAveraging.map { ", the policy the actor's mean over the budget's last share \($0)" } ?? ""
        if s.selects, let k = s.selectCandidates, let n = s.selectSteps {
            let length = s.selectionLength(maxSteps: problem == .cartpole ? 500 : 200)
            line += ", the policy chosen among \(k) span means by \(n) counted steps (each from \(counted(n / (k * length), "start")) × \(length) steps)"
                + ((s.selectFeedsCritic ?? true) && s.replays ? " fed to the critic" : "")
        }
        print(line + "; budget \(total) × \(problem == .cartpole ? 500 : 200) steps")
    }
    print("episode  \(shots ? "batch loss" : "train return (episodes ended in it)")  environment steps")
    try o.committingOutputs(train: {
        try session.train(totalEpisodes: total, report: { _ in }, checkpoint: { run in
            let p = run.curve[run.curve.count - 1]
            print(shots ? String(format: "%7d  %.3e", p.episode, p.trainReturn)
                        : String(format: "%7d  %8@  %7d", p.episode, p.trainReturn.isNaN ? "-" : String(format: "%.1f", p.trainReturn),
                                 run.environmentSteps))
            try o.checkpoint { try run.write(path: $0) }
        })
    }, save: {
        let network = try session.policyNetwork()
        try network.save(to: model, metadata: ModelMetadata.encode(StateModelMetadata(
            environment: problem, seed: session.seed, episodes: session.episodes, environmentSteps: session.environmentSteps)))
        let plot = Plot.lines(series: [session.curve.map(\.trainReturn)],
                              labels: shots ? ["batch loss"] : ["training episode return"],
                              logY: shots, x: session.curve.map { Double($0.episode) }, title: "diffray train \(problem.rawValue) (seed \(session.seed))",
                              xLabel: shots ? "shots" : "training episodes", yLabel: shots ? "loss" : "return")
        try plot.writePNG(to: plotPath)
    })
    if let state = session.shac, let k = state.selectedCandidate {
        print("selection: candidate \(k + 1) of \(state.candidates.count) (returns " + state.candidateReturns.map { String(format: "%.1f", $0) }.joined(separator: ", ")
            + " over \(counted(state.selectionStarts.count, "start")); \(state.selectionSteps) of the steps)")
    }
    print("\(problem.rawValue): \(session.episodes) episodes, \(session.environmentSteps) environment steps, "
        + String(format: "%.2f s", session.seconds) + " -> \(model), \(plotPath)")
    // after training, on episodes training never drew
    let seed: UInt64 = 12345
    let network = try session.policyNetwork()
    let evaluation = try problem.evaluateStatePolicy(network, episodes: 100, seed: seed, communicator: .world)
    if let evaluation {
        print(String(format: "evaluation after training: mean return %.2f ± %.2f over 100 episodes (seed %d)", evaluation.mean, evaluation.std, seed))
    }
    try o.json.print(TrainResult(environment: problem, episodes: session.episodes, envSteps: session.environmentSteps,
                                 seconds: session.seconds, trainer: problem == .trebuchet ? nil : session.trainer,
                                 selectedCandidate: session.shac?.selectedCandidate, candidateReturns: session.shac?.selectedCandidate == nil ? nil : session.shac?.candidateReturns,
                                 selectionSteps: session.shac?.selectedCandidate == nil ? nil : session.shac?.selectionSteps,
                                 finalEvaluation: evaluation.map { Finite($0.mean) }, evaluationSeed: evaluation == nil ? nil : seed,
                                 model: model, plot: plotPath))
}

/// "1 step", "5 steps": a count and its noun, plural unless the count is 1.
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
