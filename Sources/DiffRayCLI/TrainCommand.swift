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
}

/// An environment's defaults, shown in its `train` subcommand's help.
protocol TrainDefaults {
    static var problem: ControlProblem { get }
    /// Training episodes from the state and from pixels (trebuchet: shots).
    static var episodes: Int { get }
    static var pixelEpisodes: Int { get }
    static var unit: String { get }
    /// The pixel policy's view and Adam's learning rate.
    static var viewResolution: Int { get }
    static var viewSamples: Int { get }
    static var viewResolutions: ClosedRange<Int> { get }
    static var pixelLearningRate: Double { get }
}

/// The options every `train ENV` shares.
struct TrainOptions<E: TrainDefaults>: ParsableArguments {
    @Option(help: "Training \(E.unit) (default \(E.episodes); with --pixels \(E.pixelEpisodes)); with --resume, of the whole run.")
    var episodes: Int?

    @Option(help: "Seed of the weights, start states and targets.")
    var seed: Int = 0

    @Option(name: .shortAndLong, help: "The model file to write (default \(E.problem.rawValue).json; with --pixels \(E.problem.rawValue)-pixels.json).")
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

    /// The model file: -o, or the environment's default name.
    var model: String { output ?? (pixels ? "\(E.problem.rawValue)-pixels.json" : "\(E.problem.rawValue).json") }
}

/// The pixel policy's view, learning rate and scene templates (`train ENV --pixels`).
struct PixelViewOptions<E: TrainDefaults>: ParsableArguments {
    @Option(help: "With --pixels: the width of the policy's view in pixels (\(E.viewResolutions.lowerBound)...\(E.viewResolutions.upperBound)).")
    var viewRes: Int = E.viewResolution

    @Option(help: "With --pixels: samples per pixel of the policy's view (1...1024).")
    var viewSpp: Int = E.viewSamples

    @Option(help: "With --pixels: Adam's learning rate.")
    var lr: Double = E.pixelLearningRate

    @OptionGroup var templates: TemplateOption

    func validate() throws {
        guard E.viewResolutions.contains(viewRes), viewSpp >= 1 && viewSpp <= 1024 else {
            throw ValidationError("train \(E.problem.rawValue) --pixels: --view-res must be in \(E.viewResolutions.lowerBound)...\(E.viewResolutions.upperBound) and --view-spp in 1...1024, got \(viewRes), \(viewSpp)")
        }
        if !(lr > 0 && lr.isFinite) { throw ValidationError("train \(E.problem.rawValue) --pixels: --lr must be a positive number, got \(lr)") }
    }

    /// The scene template's hash and the folder name a checkpoint records.
    func sceneRecord() throws -> (folder: String, hash: String) {
        (templates.scenes ?? "built-in", try PixelTrainingOptions.sceneHash(problem: E.problem, directory: templates.scenes))
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
func trainFromState<E: TrainDefaults>(_ o: TrainOptions<E>, keepGoing: Bool) throws {
    let problem = E.problem
    let model = o.model
    let stem = modelStem(model)
    let checkpointPath = stem + ".checkpoint.json"
    let plotPath = stem + ".png"
    let total = o.episodes ?? E.episodes
    var session = o.resume ? try TrainingRun.read(path: checkpointPath, problem: problem)
                           : TrainingRun(problem: problem, seed: UInt64(o.seed))
    if o.resume { print("resuming \(checkpointPath) at episode \(session.episodes)") }
    let shots = problem == .trebuchet
    let evalName = shots ? "eval mean relative miss (200 targets)" : "eval mean return (100 episodes)"
    print("episode  \(shots ? "batch loss" : "train return")  \(evalName)")
    try session.train(totalEpisodes: total, stopWhenSolved: !keepGoing, report: { p in
        print(shots ? String(format: "%7d  %.3e  %.5f", p.episode, p.trainReturn, p.evaluation)
                    : String(format: "%7d  %8.1f  %8.2f", p.episode, p.trainReturn, p.evaluation))
    }, checkpoint: { try $0.write(path: checkpointPath) })

    let network = try session.network.network(path: checkpointPath, expecting: problem.layers)
    try network.save(to: model, metadata: ModelMetadata.encode(StateModelMetadata(
        environment: problem, seed: session.seed, episodes: session.episodes, environmentSteps: session.environmentSteps)))
    let plot = Plot.lines(series: [session.curve.map(\.evaluation)] + (shots ? [] : [session.curve.map(\.trainReturn)]),
                          labels: shots ? ["eval mean relative miss"] : ["eval mean return", "training episode return"],
                          logY: shots, x: session.curve.map { Double($0.episode) }, title: "diffray train \(problem.rawValue) (seed \(session.seed))",
                          xLabel: shots ? "shots" : "training episodes", yLabel: shots ? "relative miss" : "return")
    try plot.writePNG(to: plotPath)
    let solved = session.solvedAt.map(String.init) ?? "not reached"
    print("\(problem.rawValue): \(session.episodes) episodes, \(session.environmentSteps) environment steps, "
        + String(format: "%.2f s", session.seconds) + (shots ? "" : ", bar met after: \(solved)")
        + " -> \(model), \(plotPath)")
    try o.json.print(TrainResult(environment: problem, episodes: session.episodes, envSteps: session.environmentSteps,
                                 seconds: session.seconds, solvedAt: Nullable(session.solvedAt),
                                 finalEvaluation: Finite(session.curve.last?.evaluation ?? .nan), model: model, plot: plotPath))
}

/// Plots a pixel run's training curve to MODEL.png.
func plotPixelCurve(_ run: PixelTrainingRun, series: [[Double]], labels: [String], logY: Bool = false,
                    xLabel: String, yLabel: String, to path: String) throws {
    try Plot.lines(series: series, labels: labels, logY: logY, x: run.curve.map { Double($0.episode) },
                   title: "diffray train \(run.problem.rawValue) --pixels (seed \(run.options.seed))",
                   xLabel: xLabel, yLabel: yLabel).writePNG(to: path)
}
