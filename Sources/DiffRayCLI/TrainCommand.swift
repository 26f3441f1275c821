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
        MODEL.checkpoint.json (for --resume). Cart-pole and pendulum stop at the first \
        episode after which 100 evaluation episodes meet the bar (475; −200) unless --keep-going. \
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
    @Option(help: "Training \(P.problem == .trebuchet ? "shots" : "episodes") (default \(P.problem.defaultEpisodes); with --pixels \(P.defaults.episodes)); with --resume, of the whole run.")
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

    func validate() throws {
        if let episodes, episodes <= 0 || episodes > 100_000_000 { throw ValidationError("--episodes must be in 1...100000000, got \(episodes)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
        if let output, !output.lowercased().hasSuffix(".json") { throw ValidationError("-o expects a .json file, got '\(output)'") }
    }

    /// The model file: -o, or the environment's default name; the checkpoint beside it.
    var model: String { output ?? (pixels ? "\(P.problem.rawValue)-pixels.json" : "\(P.problem.rawValue).json") }
    var checkpointPath: String { modelStem(model) + ".checkpoint.json" }

    /// A fresh pixel run with `settings`, or (--resume) the checkpoint's, which must have been started with them.
    func pixelRun(_ settings: PixelTrainingOptions) throws -> PixelTrainingRun {
        guard resume else { return PixelTrainingRun(problem: P.problem, options: settings) }
        let run = try PixelTrainingRun.read(path: checkpointPath, problem: P.problem, options: settings)
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

    @Option(help: "With --pixels: Adam's learning rate.")
    var lr: Double = P.defaults.learningRate

    @OptionGroup var templates: TemplateOption

    func validate() throws {
        let range = P.defaults.resolutions
        guard range.contains(viewRes), viewSpp >= 1 && viewSpp <= 1024 else {
            throw ValidationError("train \(P.problem.rawValue) --pixels: --view-res must be in \(range.lowerBound)...\(range.upperBound) and --view-spp in 1...1024, got \(viewRes), \(viewSpp)")
        }
        if !(lr > 0 && lr.isFinite) { throw ValidationError("train \(P.problem.rawValue) --pixels: --lr must be a positive number, got \(lr)") }
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
    var solvedAt: Nullable<Int>?
    var finalEvaluation: Finite?
    var model: String
    var plot: String?
}

/// `train ENV` without --pixels: the environment's `ControlTask` on a `TrainingRun`.
func trainFromState<P: PixelTask>(_ o: TrainOptions<P>, keepGoing: Bool) throws {
    let problem = P.problem
    let model = o.model
    let checkpointPath = o.checkpointPath
    let plotPath = modelStem(model) + ".png"
    let total = o.episodes ?? problem.defaultEpisodes
    var session = o.resume ? try TrainingRun.read(path: checkpointPath, problem: problem)
                           : TrainingRun(problem: problem, seed: UInt64(o.seed))
    if o.resume { print("resuming \(checkpointPath) at episode \(session.episodes)") }
    let shots = problem == .trebuchet
    let evalName = shots ? "eval mean relative miss (200 targets)" : "eval mean return (100 episodes)"
    print("episode  \(shots ? "batch loss" : "train return")  \(evalName)")
    try o.committingOutputs(train: {
        try session.train(totalEpisodes: total, stopWhenSolved: !keepGoing, report: { p in
            print(shots ? String(format: "%7d  %.3e  %.5f", p.episode, p.trainReturn, p.evaluation)
                        : String(format: "%7d  %8.1f  %8.2f", p.episode, p.trainReturn, p.evaluation))
        }, checkpoint: { run in try o.checkpoint { try run.write(path: $0) } })
    }, save: {
        let network = try session.network.network(path: checkpointPath, expecting: problem.layers)
        try network.save(to: model, metadata: ModelMetadata.encode(StateModelMetadata(
            environment: problem, seed: session.seed, episodes: session.episodes, environmentSteps: session.environmentSteps)))
        let plot = Plot.lines(series: [session.curve.map(\.evaluation)] + (shots ? [] : [session.curve.map(\.trainReturn)]),
                              labels: shots ? ["eval mean relative miss"] : ["eval mean return", "training episode return"],
                              logY: shots, x: session.curve.map { Double($0.episode) }, title: "diffray train \(problem.rawValue) (seed \(session.seed))",
                              xLabel: shots ? "shots" : "training episodes", yLabel: shots ? "relative miss" : "return")
        try plot.writePNG(to: plotPath)
    })
    let solved = session.solvedAt.map(String.init) ?? "not reached"
    print("\(problem.rawValue): \(session.episodes) episodes, \(session.environmentSteps) environment steps, "
        + String(format: "%.2f s", session.seconds) + (shots ? "" : ", bar met after: \(solved)")
        + " -> \(model), \(plotPath)")
    try o.json.print(TrainResult(environment: problem, episodes: session.episodes, envSteps: session.environmentSteps,
                                 seconds: session.seconds, solvedAt: Nullable(session.solvedAt),
                                 finalEvaluation: Finite(session.curve.last?.evaluation ?? .nan), model: model, plot: plotPath))
}

