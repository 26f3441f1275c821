import ArgumentParser
import DiffRay
import Foundation

/// `diffray train cartpole [--pixels]`.
struct TrainCartPoleCommand: ParsableCommand, TrainDefaults {
    static let configuration = CommandConfiguration(
        commandName: "cartpole",
        abstract: "Train a cart-pole controller from the state, or from rendered frames with --pixels (CartPolePixels).")

    static let problem = ControlProblem.cartpole
    static let episodes = CartPoleTask.defaultEpisodes
    static let pixelEpisodes = CartPolePixels.hyperparameters.defaultEpisodes
    static let unit = "episodes"
    static let viewResolution = CartPolePixels.hyperparameters.resolution
    static let viewSamples = CartPolePixels.hyperparameters.samples
    static let viewResolutions = 4...256
    static let pixelLearningRate = CartPolePixels.hyperparameters.learningRate

    @OptionGroup var options: TrainOptions<TrainCartPoleCommand>
    @OptionGroup var view: PixelViewOptions<TrainCartPoleCommand>

    @Flag(help: "Train all the episodes even after the bar is met (not with --pixels, which never stops early).")
    var keepGoing = false

    @Option(help: "With --pixels: frames the policy sees stacked, the current one and those before it (2...\(CartPolePixels.maxFrames)).")
    var frames: Int = CartPolePixels.hyperparameters.frames

    @Option(help: "With --pixels: columns of the window centred on the cart that the policy sees (0: the whole frame; default a quarter of --view-res).")
    var crop: Int?

    @Option(help: "With --pixels: training episodes start with the cart anywhere in ± this many metres (0: Gym's starts; evaluation always uses Gym's).")
    var startSpread: Double = CartPolePixels.hyperparameters.startSpread

    @Option(help: "With --pixels: weight of the LQR cost-to-go of the state at every BPTT window's end (0: none, plain truncated BPTT).")
    var costToGo: Double = CartPolePixels.hyperparameters.costToGo

    @Option(help: "With --pixels: Polyak averaging rate of the saved weights (0: save the last weights).")
    var average: Double = CartPolePixels.hyperparameters.averageRate

    func validate() throws {
        if frames < 2 || frames > CartPolePixels.maxFrames {
            throw ValidationError("train --pixels: --frames must be in 2...\(CartPolePixels.maxFrames), got \(frames)")
        }
        if let crop, crop < 0 || crop > CartPolePixels.maxCrop(resolution: view.viewRes) {
            throw ValidationError("train --pixels: --crop must be in 0...\(CartPolePixels.maxCrop(resolution: view.viewRes)) (twice --view-res), got \(crop)")
        }
        if !(startSpread >= 0 && startSpread <= CartPoleDynamics.xThreshold) {
            throw ValidationError("train --pixels: --start-spread must be in 0...\(CartPoleDynamics.xThreshold) (metres; the track ends at ±\(CartPoleDynamics.xThreshold)), got \(startSpread)")
        }
        if !(costToGo >= 0 && costToGo <= 1000) { throw ValidationError("train --pixels: --cost-to-go must be in 0...1000, got \(costToGo)") }
        if !(average >= 0 && average <= 1) { throw ValidationError("train --pixels: --average must be in 0...1, got \(average)") }
    }

    func run() throws {
        guard options.pixels else { return try trainFromState(options, keepGoing: keepGoing) }
        let model = options.model
        let stem = modelStem(model)
        let checkpointPath = PixelTrainingRun.checkpointPath(model: model)
        let total = options.episodes ?? Self.pixelEpisodes
        let window = crop ?? CartPolePixels.crop(resolution: view.viewRes)
        let scenes = try view.sceneRecord()
        let settings = PixelTrainingOptions(
            seed: UInt64(options.seed), resolution: view.viewRes, samples: view.viewSpp, frames: frames, averageRate: average,
            learningRate: view.lr, scenes: scenes.folder, sceneHash: scenes.hash, crop: window, startSpread: startSpread, costToGo: costToGo)
        var run = options.resume ? try PixelTrainingRun.read(path: checkpointPath, problem: .cartpole, options: settings)
                                 : PixelTrainingRun(problem: .cartpole, options: settings)
        if options.resume { print("resuming \(checkpointPath) at episode \(run.episodes)") }
        let observer = try PixelObservation(problem: .cartpole, directory: view.templates.scenes, resolution: view.viewRes, samples: view.viewSpp)
        print("episode  return  frames  seconds   (policy view \(observer.width)x\(observer.height), \(view.viewSpp) spp, \(frames) frames stacked, "
            + (window > 0 ? "\(window) columns around the cart" : "whole frames")
            + (costToGo > 0 ? ", cost-to-go × \(costToGo)" : ", no cost-to-go")
            + (startSpread > 0 ? ", training starts anywhere in ±\(startSpread) m)" : ", Gym's starts)"))
        try run.trainCartPole(observer: observer, totalEpisodes: total, report: { p, r in
            print(String(format: "%7d  %6.0f  %6d  %7.1f", p.episode, p.trainReturn, r.renderedFrames, r.seconds))
        }, checkpoint: { try $0.write(path: checkpointPath) })
        var metadata = run.modelMetadata()
        metadata.averageRate = average; metadata.startSpread = startSpread; metadata.costToGo = costToGo
        try PixelModel.save(try run.policy(), to: model, metadata: metadata)
        try plotPixelCurve(run, series: [run.curve.map(\.trainReturn)], labels: ["training episode return"],
                           xLabel: "training episodes", yLabel: "return", to: stem + ".png")
        print("cartpole from pixels: \(run.episodes) episodes, \(run.environmentSteps) environment steps, "
            + "\(run.renderedFrames) frames with gradients, " + String(format: "%.1f s", run.seconds) + " -> \(model), \(stem).png, \(checkpointPath)")
        try options.json.print(TrainResult(environment: .cartpole, pixels: true, episodes: run.episodes, envSteps: run.environmentSteps,
                                           frames: run.renderedFrames, seconds: run.seconds, model: model))
    }
}
