import ArgumentParser
import DiffRay
import Foundation

/// `diffray train trebuchet [--pixels]`.
struct TrainTrebuchetCommand: ParsableCommand, ClusterCommand {
    var cluster: ClusterOptions { options.cluster }

    static let configuration = CommandConfiguration(
        commandName: "trebuchet",
        abstract: "Train the trebuchet aimer from (wind, target), or from a rendered frame of the range with --pixels (TrebuchetPixels).",
        discussion: """
        With --pixels a data set of 8,000 frames is rendered once into MODEL.frames.bin, then \
        --episodes simulated shots train over it, each shot on a composite of two frames (the \
        wind half of one, the flag half of another); the learning rate decays over --episodes shots.
        """)

    @OptionGroup var options: TrainOptions<TrebuchetPixels>
    @OptionGroup var view: PixelViewOptions<TrebuchetPixels>

    func run() throws {
        guard options.pixels else { return try trainFromState(options, trainer: nil) }
        let (res, spp, seed) = (view.viewRes, view.viewSpp, UInt64(options.seed))
        let model = options.model, checkpointPath = options.checkpointPath
        let total = options.episodes ?? TrebuchetPixels.defaults.episodes
        let frames = TrebuchetTask.hyperparameters.pixelFrames
        let scenes = try view.sceneRecord()
        var run = try options.pixelRun(PixelTrainingOptions(seed: seed, resolution: res, samples: spp, frames: frames, learningRate: view.learningRate,
                                                            scenes: scenes.folder, sceneHash: scenes.hash, totalEpisodes: total))
        let trebuchetView = try TrebuchetPixels.View(directory: view.templates.scenes, resolution: res, samples: spp)
        let start = Date()
        let dataPath = modelStem(model) + ".frames.bin"
        let (data, rendered) = try TrebuchetPixels.trainingData(
            view: trebuchetView, count: frames, seed: TrebuchetPixels.trainingSeed(seed), sceneHash: scenes.hash, path: dataPath,
            communicator: .world, starting: { existing in
                print("rendering \(frames) frames (\(res)x\(res), \(spp) spp) of random targets and winds"
                    + (existing == 0 ? "" : ", going on after the \(existing) in \(dataPath)") + " ...")
            }, progress: { i in print(String(format: "  %d frames, %.1f s", i, Date().timeIntervalSince(start))) })
        let renderSeconds = Date().timeIntervalSince(start)
        if rendered == 0 {
            print("frames: \(dataPath) (\(frames) frames, \(res)x\(res), \(spp) spp), reused")
        } else {
            print(String(format: "%d frames in %.1f s (%.1f frames/s) -> %@", rendered, renderSeconds, Double(rendered) / renderSeconds, dataPath))
        }
        let curveSet = try TrebuchetPixels.renderDataSet(view: trebuchetView, count: TrebuchetPixels.curveFrames, seed: TrebuchetPixels.curveSeed(seed),
                                                         communicator: .world)
        // a diagnostic only (labels are never given to the aimer)
        let reading = TrebuchetPixels.linearReading(train: data, test: curveSet)
        print(String(format: "one global linear fit per band, on the held-out frames: target rms %.4f m, wind rms %.4f m/s", reading.target, reading.wind))
        print("shots  epoch loss  mean relative miss on \(curveSet.count) held-out frames   (checkpoint \(checkpointPath) at each line)")
        var seconds = 0.0
        let files = try options.committingOutputs(train: {
            try run.trainTrebuchet(data: data, curveSet: curveSet, report: { p, _ in
                print(String(format: "%8d  %.3e  %.5f  (%.0f s)", p.episode, p.trainReturn, p.evaluation, Date().timeIntervalSince(start)))
            }, checkpoint: { run in try options.checkpoint { try run.write(path: $0) } })
            seconds = Date().timeIntervalSince(start)
        }, save: {
            try options.savePixelPolicy(run, curve: [run.curve.map(\.evaluation)], labels: ["mean relative miss, \(curveSet.count) held-out frames"],
                                        logY: true, xLabel: "shots", yLabel: "relative miss")
        })
        print(String(format: "trebuchet from pixels: %d shots (%d epochs over %d frames rendered for training, %d held-out frames for the curve), %.1f s -> %@",
                     run.episodes, run.epochs, frames, curveSet.count, seconds, files))
        try options.json.print(TrainResult(environment: .trebuchet, pixels: true, episodes: run.episodes, envSteps: run.episodes,
                                           frames: frames, evaluationFrames: curveSet.count, renderSeconds: renderSeconds,
                                           seconds: seconds, finalEvaluation: Finite(run.curve.last?.evaluation ?? .nan), model: model))
    }
}

extension TrebuchetPixels: EnvironmentCommand {
    static let unit = "shots at random targets"
    static let evaluationEpisodes = 1000
    static let rolloutEvery = 6

    /// The miss over random targets and winds, and how much of it no aim could avoid.
    static func evaluate(_ o: EvalOptions<Self>) throws {
        let n = o.episodes, seed = UInt64(o.model.seed), start = Date()
        let r: TrebuchetAimer.Evaluation
        var seen = ""
        if o.model.pixels {
            let (network, m) = try o.model.pixelModel()
            r = try evaluate(network, view: try View(directory: o.model.templates.scenes, resolution: m.resolution, samples: m.samples),
                             count: n, seed: seed, communicator: .world)
            seen = " from pixels (\(m.resolution)x\(m.resolution), \(m.samples) spp), \(n) fresh frames"
        } else {
            let network = try o.model.stateNetwork()
            r = TrebuchetAimer.evaluate(count: n, seed: seed, reachability: true, communicator: .world) { _, w, t in
                TrebuchetAimer.aim(network, wind: w, target: t)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "trebuchet: %d random targets%@, mean |miss| %.4f m, mean relative miss %.5f (%.3f%%), %.2f s",
                     n, seen, r.meanAbsMiss, r.meanRelativeMiss, 100 * r.meanRelativeMiss, seconds))
        print(String(format: "  reachable (a hit within 0.01%% with angle in [%g°, %g°], weight in [%g, %g] lb): %.1f%% of targets; "
                     + "mean relative miss over them %.5f (%.3f%%); best possible over all targets %.5f (%.3f%%)",
                     TrebuchetAimer.angleRange.0, TrebuchetAimer.angleRange.1, TrebuchetAimer.weightRange.0, TrebuchetAimer.weightRange.1,
                     100 * r.reachableFraction, r.meanRelativeMissReachable, 100 * r.meanRelativeMissReachable,
                     r.bestPossibleMeanRelativeMiss, 100 * r.bestPossibleMeanRelativeMiss))
        print(String(format: "  unreachable: %.1f%% of targets; reachability verdicts confirmed by an independent check (a re-shot hit, or a 161 × 201 grid with no shot that far): %.1f%%",
                     100 * (1 - r.reachableFraction), 100 * r.verdictAccuracy))
        var result = EvalResult(.trebuchet, pixels: o.model.pixels, episodes: n, seconds: seconds)
        if o.model.pixels { result.frames = n }
        result.meanAbsMissM = r.meanAbsMiss; result.meanRelMiss = r.meanRelativeMiss; result.reachableFraction = r.reachableFraction
        result.meanRelMissReachable = Finite(r.meanRelativeMissReachable); result.bestPossibleMeanRelMiss = r.bestPossibleMeanRelativeMiss
        result.unreachableFraction = 1 - r.reachableFraction; result.reachVerdictAccuracy = r.verdictAccuracy
        try o.json.print(result)
    }

    /// One shot's flight; with --pixels, first twelve shots at random situations
    /// (DIR/seen-NN.png the frame each aim saw), then the first shot's flight.
    static func rollout(_ o: RolloutOptions<Self>) throws {
        let start = Date()
        let (wind, target, angle, weight): (Double, Double, Double, Double)
        let render: (_ x: Double, _ y: Double, _ index: Int) throws -> Image
        var seenView = ""
        if o.model.pixels {
            let (network, m) = try o.model.pixelModel()
            let view = try View(directory: o.model.templates.scenes, resolution: m.resolution, samples: m.samples)
            try o.prepare()
            let shots = try shots(network, view: view, count: 12, seed: UInt64(o.model.seed))
            for (k, s) in shots.enumerated() {
                try s.image.write(to: o.path(String(format: "seen-%02d.png", k)))
                print(String(format: "shot %2d: wind %6.2f m/s, target %6.2f m (read from seen-%02d.png) -> angle %6.2f°, weight %6.1f lb -> %7.2f m (miss %+.2f m, %.2f%%)",
                             k, s.wind, s.target, k, s.angle, s.weight, s.distance, s.distance - s.target, 100 * Swift.abs(s.distance - s.target) / s.target))
            }
            let seen = shots.map { $0.image.resized(width: $0.image.width * Swift.max(1, 128 / $0.image.width),
                                                    height: $0.image.height * Swift.max(1, 128 / $0.image.height), filter: .nearest) }
            try Image.contactSheet(seen, columns: 6).write(to: o.path("seen-contact-sheet.png"))
            seenView = "\(m.resolution)x\(m.resolution), \(m.samples) spp"
            (wind, target, angle, weight) = (shots[0].wind, shots[0].target, shots[0].angle, shots[0].weight)
            render = { x, y, i in try view.render(wind: wind, target: target, seed: UInt64(i), ball: (x, y + Trebuchet.pivotHeight), resolution: o.res, samples: o.spp) }
        } else {
            let network = try o.model.stateNetwork()
            var g = SeededGenerator(seed: UInt64(o.model.seed))
            (wind, target) = TrebuchetAimer.sample(&g)
            (angle, weight) = TrebuchetAimer.aim(network, wind: wind, target: target)
            let template = try SceneTemplate(problem: .trebuchet, directory: o.model.templates.scenes)
            try o.prepare()
            render = { x, y, i in try template.render(state: [wind, target, x, y], resolution: o.res, samples: o.spp, seed: UInt64(i)) }
        }
        let shot = Trebuchet.flight(wind: wind, angle: angle, weight: weight)
        let flight = o.steps.map { Array(shot.path.prefix($0)) } ?? shot.path
        let images: [Image]
        if o.model.pixels {
            images = try o.renderFrames(count: flight.count) { try render(flight[$0].x, flight[$0].y, $0) }
            print(String(format: "trebuchet from pixels: 12 shots seen at %@; shot 0's flight in %d frames at %dx%d, %d spp; %.1f s",
                         seenView, images.count, o.res, o.res, o.spp, Date().timeIntervalSince(start)))
            print("-> \(o.frames)/seen-NN.png, \(o.path("seen-contact-sheet.png")), \(o.frames)/frame-NNNN.png, \(o.path("contact-sheet.png"))")
        } else {
            // the first frame shows the ball before the shot (hidden below the ground)
            images = try o.renderFrames(count: flight.count + 1) { i in
                i == 0 ? try render(0, -1, 0) : try render(flight[i - 1].x, flight[i - 1].y + Trebuchet.pivotHeight, i)
            }
            print(String(format: "trebuchet: wind %.2f m/s, target %.2f m, angle %.2f°, weight %.1f lb -> %.2f m (miss %.2f m)",
                         wind, target, angle, weight, shot.distance, shot.distance - target))
            print(String(format: "%d frames (%dx%d, %d spp) in %.2f s", images.count, images.first?.width ?? o.res, images.first?.height ?? o.res,
                         o.spp, Date().timeIntervalSince(start)) + " -> \(o.frames)/frame-NNNN.png, \(o.path("contact-sheet.png"))")
        }
    }
}
