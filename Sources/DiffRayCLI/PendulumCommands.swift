import ArgumentParser
import DiffRay
import Foundation

/// `diffray train pendulum [--pixels]`.
struct TrainPendulumCommand: ParsableCommand, ClusterCommand {
    var cluster: ClusterOptions { options.cluster }

    static let configuration = CommandConfiguration(
        commandName: "pendulum",
        abstract: "Train a pendulum swing-up controller from the state, or from rendered frames with --pixels (PendulumPixels).",
        discussion: """
        With --pixels the frames of 720 angles are rendered once with their derivatives into \
        MODEL.frames.bin (reused by later runs with the same view and scene); training runs \
        its whole budget with no evaluation inside, and `eval pendulum --pixels` judges the \
        policy on rendered frames.
        """)

    @OptionGroup var options: TrainOptions<PendulumPixels>
    @OptionGroup var view: PixelViewOptions<PendulumPixels>

    @OptionGroup var trainer: StateTrainerOptions<PendulumPixels>

    @Flag(help: "With --pixels: drop the renderer's d frame/d angle (the loop opened; an ablation).")
    var openLoop = false

    func validate() throws {
        if options.pixels, trainer.envs != nil || trainer.restartEvery != nil || trainer.actorLr != nil {
            throw ValidationError("train pendulum --pixels: --envs, --restart-every and --actor-lr are for training from the state (the pixel actor's rate is --lr; its windows always restart)")
        }
        if options.pixels, trainer.stateOnlyGiven {
            throw ValidationError("train pendulum --pixels: --critic-replay, --replay-draws, --average-actor, --select-* and --recipe are for training from the state")
        }
        if options.pixels, pixelTrainer != .shac, trainer.criticOptionsGiven {
            throw ValidationError("train pendulum --pixels: --horizon, --discount, --lambda, --critic-lr, --critic-passes, --critic-width, --action-noise, --saturation-penalty and --output-init set the learned critic (--trainer shac)")
        }
    }

    /// The pixel trainer: `--trainer`, by default the learned critic (`--trainer surrogate`:
    /// the energy and LQR value surrogate, kept for comparison).
    var pixelTrainer: StateTrainer { trainer.trainer ?? .shac }

    func run() throws {
        guard options.pixels else { return try trainFromState(options, trainer: trainer) }
        let scenes = try view.sceneRecord()
        let shac = pixelTrainer == .shac
        let critic = shac ? try trainer.settings(from: PendulumPixels.hyperparameters.shac) : nil
        let episodes = options.episodes ?? (shac ? PendulumPixels.hyperparameters.shacEpisodes : PendulumPixels.defaults.episodes)
        var run = try options.pixelRun(critic: critic, PixelTrainingOptions(
            seed: UInt64(options.seed), resolution: view.viewRes, samples: view.viewSpp, frames: 2,
            learningRate: view.lr ?? (critic?.actorLearningRate ?? view.learningRate),
            scenes: scenes.folder, sceneHash: scenes.hash,
            // the learned critic's learning rates fall over the whole budget: `--resume` must keep it
            totalEpisodes: shac ? episodes : nil, rendererGradient: !openLoop, trainer: shac ? .shac : .surrogate))
        let start = Date()
        let observer = try PixelObservation(problem: .pendulum, directory: view.templates.scenes, resolution: view.viewRes, samples: view.viewSpp)
        let cachePath = modelStem(options.model) + ".frames.bin"
        let (cache, renderedFrames) = try PendulumFrameCache.load(path: cachePath, observer: observer, sceneHash: scenes.hash)
        if renderedFrames == 0 {
            print("frames: \(cachePath) (\(cache.count) angles, \(view.viewRes)x\(view.viewRes), \(view.viewSpp) spp), reused")
        } else {
            print(String(format: "frames: %d angles rendered with d frame/d angle (%dx%d, %d spp) in %.1f s -> %@",
                         cache.count, view.viewRes, view.viewRes, view.viewSpp, Date().timeIntervalSince(start), cachePath))
        }
        if openLoop { print("open loop: the renderer's gradient is dropped (--open-loop)") }
        print("episode  train return   seconds")
        var seconds = 0.0
        let files = try options.committingOutputs(train: {
            try run.trainPendulum(cache: cache, totalEpisodes: episodes, report: { p, _ in
                print(String(format: "%7d  %12.1f  %7.1f", p.episode, p.trainReturn, Date().timeIntervalSince(start)))
            }, checkpoint: { run in try options.checkpoint { try run.write(path: $0) } })
            seconds = Date().timeIntervalSince(start)
        }, save: {
            try options.savePixelPolicy(run, curve: [run.curve.map(\.trainReturn)],
                                        labels: ["training return (random-start windows, per 200 steps)"],
                                        xLabel: "training episodes (200 simulated steps)", yLabel: "return")
        })
        print("pendulum from pixels: \(run.episodes) episodes, \(run.environmentSteps) environment steps, \(renderedFrames) frames rendered, "
            + String(format: "%.1f s", seconds) + " -> \(files)")
        try options.json.print(TrainResult(environment: .pendulum, pixels: true, episodes: run.episodes, envSteps: run.environmentSteps,
                                           frames: renderedFrames, seconds: seconds, model: options.model))
    }
}

extension PendulumPixels: EnvironmentCommand {
    static let unit = "episodes"
    static let evaluationEpisodes = 100
    static let rolloutEvery = 5

    static func evaluate(_ o: EvalOptions<Self>) throws {
        try o.json.print(try evaluateEpisodes(PendulumTask.self, o, act: action).1)
    }

    static func rollout(_ o: RolloutOptions<Self>) throws {
        _ = try rolloutEpisode(PendulumTask.self, o, act: action)
    }
}
