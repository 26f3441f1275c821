import ArgumentParser
import DiffRay
import Foundation

/// `train|eval|rollout trebuchet --pixels`: the aimer that reads the target
/// distance and the wind only from a path-traced frame (`TrebuchetPixels`).
enum TrebuchetPixelCommands {
    /// Whether an option was given on the command line (the shared commands'
    /// defaults are the cart-pole's; the trebuchet has its own).
    static func given(_ option: String) -> Bool {
        CommandLine.arguments.contains { $0 == option || $0.hasPrefix(option + "=") }
    }

    /// Renders a data set of `TrebuchetTraining.pixelFrames` frames once, then
    /// trains for `--episodes` simulated shots (default 1,200,000) over it,
    /// each shot on a composite of two frames (the wind half of one, the flag
    /// half of another: `TrebuchetPixels.Example.composite`).
    static func train(_ c: TrainCommand) throws {
        let res = given("--view-res") ? c.viewRes : TrebuchetPixels.resolution
        let spp = given("--view-spp") ? c.viewSpp : TrebuchetPixels.samples
        guard res >= 8 && res <= 256, spp >= 1 && spp <= 1024 else {
            throw ValidationError("train trebuchet --pixels: --view-res must be in 8...256 and --view-spp in 1...1024, got \(res), \(spp)")
        }
        let lr = given("--lr") ? c.lr : TrebuchetTraining.learningRate
        let model = c.output ?? "trebuchet-pixels.json"
        let checkpointPath = PixelTrainingRun.checkpointPath(model: model)
        let total = c.episodes ?? TrebuchetTraining.pixelShots
        let frames = TrebuchetTraining.pixelFrames
        let sceneHash = try PixelTrainingOptions.sceneHash(problem: .trebuchet, directory: c.scenes)
        let options = PixelTrainingOptions(seed: UInt64(c.seed), resolution: res, samples: spp, frames: frames, learningRate: lr,
                                           scenes: c.scenes, sceneHash: sceneHash, totalEpisodes: total)
        var run = c.resume ? try PixelTrainingRun.read(path: checkpointPath, problem: .trebuchet, options: options)
                           : PixelTrainingRun(problem: .trebuchet, options: options)
        if c.resume { print("resuming \(checkpointPath) at shot \(run.episodes) of \(total)") }
        let outputs = try OutputTransaction.begin([model, modelStem(model) + ".png"])
        let view = try TrebuchetPixels.View(directory: c.scenes, resolution: res, samples: spp)
        let start = Date()
        // The training frames are kept in MODEL.frames.bin (every 500 frames while rendering),
        // so an interrupted rendering, --resume and a rerun with the same view go on from there.
        let dataSeed = UInt64(c.seed) &+ 77
        let dataPath = modelStem(model) + ".frames.bin"
        let dataKey = TrebuchetPixels.DataSetFile.key(view: view, count: frames, seed: dataSeed, sceneHash: sceneHash)
        // a file holding more frames than its key's count is damaged: render afresh
        let existing = TrebuchetPixels.DataSetFile.read(path: dataPath, key: dataKey).flatMap { $0.count <= frames ? $0 : nil } ?? []
        let data: [TrebuchetPixels.Example]
        if existing.count == frames {
            data = existing
            print("frames: \(dataPath) (\(frames) frames, \(res)x\(res), \(spp) spp), reused")
        } else {
            print("rendering \(frames) frames (\(res)x\(res), \(spp) spp) of random targets and winds"
                + (existing.isEmpty ? "" : ", going on after the \(existing.count) in \(dataPath)") + " ...")
            data = try TrebuchetPixels.renderDataSet(view: view, count: frames, seed: dataSeed, existing: existing) { i, sofar in
                if i % 500 == 0 || i == frames { try TrebuchetPixels.DataSetFile.write(sofar, path: dataPath, key: dataKey) }
                if i % 1000 == 0 { print(String(format: "  %d frames, %.1f s", i, Date().timeIntervalSince(start))) }
            }
            let renderSeconds = Date().timeIntervalSince(start)
            let count = frames - existing.count
            print(String(format: "%d frames in %.1f s (%.1f frames/s) -> %@", count, renderSeconds, Double(count) / renderSeconds, dataPath))
        }
        let renderSeconds = Date().timeIntervalSince(start)
        // the curve's evaluation frames: rendered once, never trained on
        let curveSet = try TrebuchetPixels.renderDataSet(view: view, count: 200, seed: UInt64(c.seed) &+ 1_000_003)
        // a diagnostic only (labels are never given to the aimer)
        let reading = TrebuchetPixels.linearReading(train: data, test: curveSet)
        print(String(format: "one global linear fit per band, on the held-out frames: target rms %.4f m, wind rms %.4f m/s", reading.target, reading.wind))
        print("shots  epoch loss  mean relative miss on 200 held-out frames   (checkpoint \(checkpointPath) at each line)")
        Interruption.deferUntilCheckpoint()
        try run.trainTrebuchet(data: data, curveSet: curveSet, report: { p, _ in
            print(String(format: "%8d  %.3e  %.5f  (%.0f s)", p.episode, p.trainReturn, p.evaluation, Date().timeIntervalSince(start)))
        }, checkpoint: { try $0.write(path: checkpointPath); try Interruption.checkpointWritten(checkpointPath) })
        Interruption.endDeferral()
        let seconds = Date().timeIntervalSince(start)
        let evalFrames = curveSet.count
        try TrebuchetPixels.save(try run.policy(), to: model, resolution: res, samples: spp, metadata: [
            "seed": String(c.seed), "episodes": String(run.episodes), "environment_steps": String(run.episodes),
            "frames": String(frames), "evaluation_frames": String(evalFrames), "epochs": String(run.epochs),
        ])
        let plotPath = modelStem(model) + ".png"
        try Plot.lines(series: [run.curve.map(\.evaluation)], labels: ["mean relative miss, 200 held-out frames"], logY: true,
                       x: run.curve.map { Double($0.episode) }, title: "diffray train trebuchet --pixels (seed \(c.seed))",
                       xLabel: "shots", yLabel: "relative miss").writePNG(to: plotPath)
        try outputs.commit()
        print(String(format: "trebuchet from pixels: %d shots (%d epochs over %d frames rendered for training, %d held-out frames for the curve), %.1f s -> %@, %@, %@",
                     run.episodes, run.epochs, frames, evalFrames, seconds, model, plotPath, checkpointPath))
        if c.json {
            print("{\"environment\": \"trebuchet\", \"pixels\": true, \"episodes\": \(run.episodes), \"env_steps\": \(run.episodes), "
                + "\"frames\": \(frames), \"evaluation_frames\": \(evalFrames), \"render_seconds\": \(renderSeconds), "
                + "\"seconds\": \(seconds), \"final_evaluation\": \(run.curve.last?.evaluation ?? .nan), \"model\": \(jsonString(model))}")
        }
    }

    static func eval(_ c: EvalCommand) throws {
        let (network, res, spp) = try TrebuchetPixels.load(path: c.policy)
        let view = try TrebuchetPixels.View(directory: c.scenes, resolution: res, samples: spp)
        let n = c.episodes ?? 1000
        let start = Date()
        let r = try TrebuchetPixels.evaluate(network, view: view, count: n, seed: UInt64(c.seed))
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "trebuchet from pixels (%dx%d, %d spp): %d random targets, %d fresh frames, mean |miss| %.4f m, "
                     + "mean relative miss %.5f (%.3f%%), %.1f s", res, res, spp, n, n, r.meanAbsMiss, r.meanRelativeMiss,
                     100 * r.meanRelativeMiss, seconds))
        print(String(format: "  reachable: %.1f%% of targets; mean relative miss over them %.5f (%.3f%%); best possible over all targets %.5f (%.3f%%)",
                     100 * r.reachableFraction, r.meanRelativeMissReachable, 100 * r.meanRelativeMissReachable,
                     r.bestPossibleMeanRelativeMiss, 100 * r.bestPossibleMeanRelativeMiss))
        if c.json {
            print("{\"environment\": \"trebuchet\", \"pixels\": true, \"episodes\": \(n), \"frames\": \(n), \"mean_abs_miss_m\": \(r.meanAbsMiss), "
                + "\"mean_rel_miss\": \(r.meanRelativeMiss), \"reachable_fraction\": \(r.reachableFraction), "
                + "\"mean_rel_miss_reachable\": \(r.meanRelativeMissReachable.isFinite ? String(r.meanRelativeMissReachable) : "null"), "
                + "\"best_possible_mean_rel_miss\": \(r.bestPossibleMeanRelativeMiss), \"seconds\": \(seconds)}")
        }
    }

    /// Twelve shots at random situations from --seed: DIR/seen-NN.png (the
    /// frame each policy decision saw) and DIR/seen-contact-sheet.png; the
    /// first shot's flight rendered larger (--res, --spp) every --every-th
    /// simulation step into DIR/frame-NNNN.png and DIR/contact-sheet.png.
    static func rollout(_ c: RolloutCommand) throws {
        let (network, res, spp) = try TrebuchetPixels.load(path: c.policy)
        let view = try TrebuchetPixels.View(directory: c.scenes, resolution: res, samples: spp)
        try FileManager.default.createDirectory(atPath: c.frames, withIntermediateDirectories: true)
        func path(_ name: String) -> String { (c.frames as NSString).appendingPathComponent(name) }
        let start = Date()
        var g = SeededGenerator(seed: UInt64(c.seed))
        var seen = [Image]()
        var first: (wind: Double, target: Double, angle: Double, weight: Double)?
        for k in 0..<12 {
            let (w, t) = TrebuchetAimer.sample(&g)
            let image = try view.render(wind: w, target: t, seed: TrebuchetPixels.frameSeed(UInt64(c.seed) ^ TrebuchetPixels.evaluationSalt, k))
            try image.write(to: path(String(format: "seen-%02d.png", k)))
            seen.append(image.resized(width: image.width * Swift.max(1, 128 / image.width), height: image.height * Swift.max(1, 128 / image.height), filter: .nearest))
            let (a, m) = TrebuchetPixels.aim(network, observation: TrebuchetPixels.observation(image))
            let d = Trebuchet.shoot(wind: w, angle: a, weight: m)
            print(String(format: "shot %2d: wind %6.2f m/s, target %6.2f m (read from seen-%02d.png) -> angle %6.2f°, weight %6.1f lb -> %7.2f m (miss %+.2f m, %.2f%%)",
                         k, w, t, k, a, m, d, d - t, 100 * Swift.abs(d - t) / t))
            if first == nil { first = (w, t, a, m) }
        }
        try Image.contactSheet(seen, columns: 6).write(to: path("seen-contact-sheet.png"))
        let s = first!
        var flight = [(Double, Double)]()
        _ = Trebuchet.simulate(wind: s.wind, angle: s.angle, weight: s.weight) { _, _, x, y in flight.append((x, y)) }
        if let steps = c.steps { flight = Array(flight.prefix(steps)) }
        let stride = c.every ?? 6
        var picked = Swift.stride(from: 0, to: flight.count, by: stride).map { $0 }
        if picked.last != flight.count - 1 { picked.append(flight.count - 1) }
        var big = [Image]()
        for (k, i) in picked.enumerated() {
            let (x, y) = flight[i]
            let image = try view.render(wind: s.wind, target: s.target, seed: UInt64(i), ball: (x, y + Trebuchet.pivotHeight),
                                        resolution: c.res, samples: c.spp)
            try image.write(to: path(String(format: "frame-%04d.png", k)))
            big.append(image)
        }
        let count = Swift.min(24, big.count)
        let chosen = (0..<count).map { big[$0 * (big.count - 1) / Swift.max(count - 1, 1)] }
        try Image.contactSheet(chosen, columns: 6).write(to: path("contact-sheet.png"))
        print(String(format: "trebuchet from pixels: 12 shots seen at %dx%d, %d spp; shot 0's flight in %d frames at %dx%d, %d spp; %.1f s",
                     res, res, spp, big.count, c.res, c.res, c.spp, Date().timeIntervalSince(start)))
        print("-> \(c.frames)/seen-NN.png, \(path("seen-contact-sheet.png")), \(c.frames)/frame-NNNN.png, \(path("contact-sheet.png"))")
    }
}
