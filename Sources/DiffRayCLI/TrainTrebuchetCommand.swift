import ArgumentParser
import DiffRay
import Foundation

/// `diffray train trebuchet [--pixels]`.
struct TrainTrebuchetCommand: ParsableCommand, TrainDefaults {
    static let configuration = CommandConfiguration(
        commandName: "trebuchet",
        abstract: "Train the trebuchet aimer from (wind, target), or from a rendered frame of the range with --pixels (TrebuchetPixels).",
        discussion: """
        With --pixels a data set of 8,000 frames is rendered once into MODEL.frames.bin, then \
        --episodes simulated shots train over it, each shot on a composite of two frames (the \
        wind half of one, the flag half of another); the learning rate decays over --episodes shots.
        """)

    static let problem = ControlProblem.trebuchet
    static let episodes = TrebuchetTask.defaultEpisodes
    static let pixelEpisodes = TrebuchetTask.hyperparameters.pixelShots
    static let unit = "shots"
    static let viewResolution = TrebuchetPixels.resolution
    static let viewSamples = TrebuchetPixels.samples
    static let viewResolutions = 8...256
    static let pixelLearningRate = TrebuchetTask.learningRate

    @OptionGroup var options: TrainOptions<TrainTrebuchetCommand>
    @OptionGroup var view: PixelViewOptions<TrainTrebuchetCommand>

    func run() throws {
        guard options.pixels else { return try trainFromState(options, keepGoing: false) }
        let (res, spp, seed) = (view.viewRes, view.viewSpp, UInt64(options.seed))
        let model = options.model
        let checkpointPath = PixelTrainingRun.checkpointPath(model: model)
        let total = options.episodes ?? Self.pixelEpisodes
        let frames = TrebuchetTask.hyperparameters.pixelFrames
        let scenes = try view.sceneRecord()
        let settings = PixelTrainingOptions(seed: seed, resolution: res, samples: spp, frames: frames, learningRate: view.lr,
                                            scenes: scenes.folder, sceneHash: scenes.hash, totalEpisodes: total)
        var run = options.resume ? try PixelTrainingRun.read(path: checkpointPath, problem: .trebuchet, options: settings)
                                 : PixelTrainingRun(problem: .trebuchet, options: settings)
        if options.resume { print("resuming \(checkpointPath) at shot \(run.episodes) of \(total)") }
        let trebuchetView = try TrebuchetPixels.View(directory: view.templates.scenes, resolution: res, samples: spp)
        let start = Date()
        let dataPath = modelStem(model) + ".frames.bin"
        let (data, rendered) = try TrebuchetPixels.trainingData(
            view: trebuchetView, count: frames, seed: TrebuchetPixels.trainingSeed(seed), sceneHash: scenes.hash, path: dataPath,
            starting: { existing in
                print("rendering \(frames) frames (\(res)x\(res), \(spp) spp) of random targets and winds"
                    + (existing == 0 ? "" : ", going on after the \(existing) in \(dataPath)") + " ...")
            }, progress: { i in print(String(format: "  %d frames, %.1f s", i, Date().timeIntervalSince(start))) })
        let renderSeconds = Date().timeIntervalSince(start)
        if rendered == 0 {
            print("frames: \(dataPath) (\(frames) frames, \(res)x\(res), \(spp) spp), reused")
        } else {
            print(String(format: "%d frames in %.1f s (%.1f frames/s) -> %@", rendered, renderSeconds, Double(rendered) / renderSeconds, dataPath))
        }
        let curveSet = try TrebuchetPixels.renderDataSet(view: trebuchetView, count: TrebuchetPixels.curveFrames, seed: TrebuchetPixels.curveSeed(seed))
        // a diagnostic only (labels are never given to the aimer)
        let reading = TrebuchetPixels.linearReading(train: data, test: curveSet)
        print(String(format: "one global linear fit per band, on the held-out frames: target rms %.4f m, wind rms %.4f m/s", reading.target, reading.wind))
        print("shots  epoch loss  mean relative miss on \(curveSet.count) held-out frames   (checkpoint \(checkpointPath) at each line)")
        try run.trainTrebuchet(data: data, curveSet: curveSet, report: { p, _ in
            print(String(format: "%8d  %.3e  %.5f  (%.0f s)", p.episode, p.trainReturn, p.evaluation, Date().timeIntervalSince(start)))
        }, checkpoint: { try $0.write(path: checkpointPath) })
        let seconds = Date().timeIntervalSince(start)
        var metadata = run.modelMetadata()
        metadata.evaluationFrames = curveSet.count
        try PixelModel.save(try run.policy(), to: model, metadata: metadata)
        let plotPath = modelStem(model) + ".png"
        try plotPixelCurve(run, series: [run.curve.map(\.evaluation)], labels: ["mean relative miss, \(curveSet.count) held-out frames"],
                           logY: true, xLabel: "shots", yLabel: "relative miss", to: plotPath)
        print(String(format: "trebuchet from pixels: %d shots (%d epochs over %d frames rendered for training, %d held-out frames for the curve), %.1f s -> %@, %@, %@",
                     run.episodes, run.epochs, frames, curveSet.count, seconds, model, plotPath, checkpointPath))
        try options.json.print(TrainResult(environment: .trebuchet, pixels: true, episodes: run.episodes, envSteps: run.episodes,
                                           frames: frames, evaluationFrames: curveSet.count, renderSeconds: renderSeconds,
                                           seconds: seconds, finalEvaluation: Finite(run.curve.last?.evaluation ?? .nan), model: model))
    }
}
