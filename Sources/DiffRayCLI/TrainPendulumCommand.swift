import ArgumentParser
import DiffRay
import Foundation

/// `diffray train pendulum [--pixels]`.
struct TrainPendulumCommand: ParsableCommand, TrainDefaults {
    static let configuration = CommandConfiguration(
        commandName: "pendulum",
        abstract: "Train a pendulum swing-up controller from the state, or from rendered frames with --pixels (PendulumPixels).",
        discussion: """
        With --pixels the frames of 720 angles are rendered once with their derivatives into \
        MODEL.frames.bin (reused by later runs with the same view and scene), and training does \
        not stop early: the cached-frame evaluation keeps improving after it first meets the bar, \
        which `eval pendulum --pixels` judges on rendered frames.
        """)

    static let problem = ControlProblem.pendulum
    static let episodes = PendulumTask.defaultEpisodes
    static let pixelEpisodes = PendulumPixels.hyperparameters.defaultEpisodes
    static let unit = "episodes (200 simulated steps each)"
    static let viewResolution = PendulumPixels.hyperparameters.resolution
    static let viewSamples = PendulumPixels.hyperparameters.samples
    static let viewResolutions = 8...128
    static let pixelLearningRate = PendulumPixels.hyperparameters.learningRate

    @OptionGroup var options: TrainOptions<TrainPendulumCommand>
    @OptionGroup var view: PixelViewOptions<TrainPendulumCommand>

    @Flag(help: "Train all the episodes even after the bar is met (not with --pixels, which never stops early).")
    var keepGoing = false

    @Flag(help: "With --pixels: drop the renderer's d frame/d angle (the loop opened; an ablation).")
    var openLoop = false

    func run() throws {
        guard options.pixels else { return try trainFromState(options, keepGoing: keepGoing) }
        let model = options.model
        let stem = modelStem(model)
        let checkpointPath = PixelTrainingRun.checkpointPath(model: model)
        let total = options.episodes ?? Self.pixelEpisodes
        let scenes = try view.sceneRecord()
        let settings = PixelTrainingOptions(
            seed: UInt64(options.seed), resolution: view.viewRes, samples: view.viewSpp, frames: 2, learningRate: view.lr,
            scenes: scenes.folder, sceneHash: scenes.hash, rendererGradient: !openLoop)
        var run = options.resume ? try PixelTrainingRun.read(path: checkpointPath, problem: .pendulum, options: settings)
                                 : PixelTrainingRun(problem: .pendulum, options: settings)
        if options.resume { print("resuming \(checkpointPath) at episode \(run.episodes)") }
        let start = Date()
        let observer = try PixelObservation(problem: .pendulum, directory: view.templates.scenes, resolution: view.viewRes, samples: view.viewSpp)
        let cachePath = stem + ".frames.bin"
        let (cache, renderedFrames) = try PendulumFrameCache.load(path: cachePath, observer: observer, sceneHash: scenes.hash)
        if renderedFrames == 0 {
            print("frames: \(cachePath) (\(cache.count) angles, \(view.viewRes)x\(view.viewRes), \(view.viewSpp) spp), reused")
        } else {
            print(String(format: "frames: %d angles rendered with d frame/d angle (%dx%d, %d spp) in %.1f s -> %@",
                         cache.count, view.viewRes, view.viewRes, view.viewSpp, Date().timeIntervalSince(start), cachePath))
        }
        if openLoop { print("open loop: the renderer's gradient is dropped (--open-loop)") }
        print("episode  train return  eval mean (100 episodes, cached frames)   seconds")
        try run.trainPendulum(cache: cache, totalEpisodes: total, report: { p, _ in
            print(String(format: "%7d  %12.1f  %10@  %7.1f", p.episode, p.trainReturn,
                         p.evaluation.isNaN ? "-" : String(format: "%.2f", p.evaluation), Date().timeIntervalSince(start)))
        }, checkpoint: { try $0.write(path: checkpointPath) })
        let seconds = Date().timeIntervalSince(start)
        try PixelModel.save(try run.policy(), to: model, metadata: run.modelMetadata())
        try plotPixelCurve(run, series: [run.curve.map(\.trainReturn), run.heldEvaluations],
                           labels: ["training return (random-start windows, per 200 steps)", "eval mean return (cached frames)"],
                           xLabel: "training episodes (200 simulated steps)", yLabel: "return", to: stem + ".png")
        let last = run.curve.last(where: { !$0.evaluation.isNaN })?.evaluation ?? .nan
        print("pendulum from pixels: \(run.episodes) episodes, \(run.environmentSteps) environment steps, \(renderedFrames) frames rendered, "
            + String(format: "%.1f s", seconds) + ", bar met (cached frames) after: \(run.solvedAt.map(String.init) ?? "not reached") -> \(model), \(stem).png, \(checkpointPath)")
        try options.json.print(TrainResult(environment: .pendulum, pixels: true, episodes: run.episodes, envSteps: run.environmentSteps,
                                           frames: renderedFrames, seconds: seconds, solvedAt: Nullable(run.solvedAt),
                                           finalEvaluation: Finite(last), model: model))
    }
}
