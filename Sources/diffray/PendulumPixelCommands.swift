import ArgumentParser
import DiffRay
import Foundation

/// `train|eval|rollout pendulum --pixels`.
enum PendulumPixelCommands {
    /// The frame cache's identity: the view, the angles, the frame seed and the scene file's text.
    static func cacheKey(scenes: String, resolution: Int, samples: Int) throws -> String {
        let hash = try PixelTrainingOptions.sceneHash(problem: .pendulum, directory: scenes)
        return "res=\(resolution) spp=\(samples) angles=\(PendulumPixelPolicy.cacheAngles) seed=\(PixelPolicy.frameSeed) scene=\(hash)"
    }

    static func train(_ c: TrainCommand) throws {
        guard c.viewRes >= 8 && c.viewRes <= 128, c.viewSpp >= 1 && c.viewSpp <= 1024 else {
            throw ValidationError("train pendulum --pixels: --view-res must be in 8...128 and --view-spp in 1...1024, got \(c.viewRes), \(c.viewSpp)")
        }
        let model = c.output ?? "pendulum-pixels.json"
        let stem = modelStem(model)
        let checkpointPath = PixelTrainingRun.checkpointPath(model: model)
        // No early stop: the cached-frame evaluation keeps improving after it first meets
        // the bar (seed 1: −163 after 10 episodes, −143 after 30), and the bar is judged
        // by `eval --pixels` on rendered frames.
        let total = c.episodes ?? PendulumPixelPolicy.defaultEpisodes
        let seed = UInt64(c.seed)
        // --lr is shared with the cart-pole; its default there is PixelPolicy.learningRate
        let lr = c.lr == PixelPolicy.learningRate ? PendulumPixelPolicy.learningRate : c.lr
        // Ablation: DIFFRAY_PENDULUM_OPEN_LOOP=1 drops the renderer's d frame/d angle (the loop opened).
        let openLoop = ProcessInfo.processInfo.environment["DIFFRAY_PENDULUM_OPEN_LOOP"] == "1"
        let options = PixelTrainingOptions(
            seed: seed, resolution: c.viewRes, samples: c.viewSpp, frames: 2, learningRate: lr, scenes: c.scenes,
            sceneHash: try PixelTrainingOptions.sceneHash(problem: .pendulum, directory: c.scenes), rendererGradient: !openLoop)
        var run = c.resume ? try PixelTrainingRun.read(path: checkpointPath, problem: .pendulum, options: options)
                           : PixelTrainingRun(problem: .pendulum, options: options)
        if c.resume { print("resuming \(checkpointPath) at episode \(run.episodes)") }
        let outputs = try OutputTransaction.begin([model, stem + ".png"])
        let start = Date()
        let observer = try PixelObservation(problem: .pendulum, directory: c.scenes, resolution: c.viewRes, samples: c.viewSpp)
        let key = try cacheKey(scenes: c.scenes, resolution: c.viewRes, samples: c.viewSpp)
        let cachePath = stem + ".frames.bin"
        var renderedFrames = 0
        let cache: PendulumFrameCache
        if let cached = PendulumFrameCache.read(path: cachePath, key: key) {
            cache = cached
            print("frames: \(cachePath) (\(cache.count) angles, \(c.viewRes)x\(c.viewRes), \(c.viewSpp) spp), reused")
        } else {
            cache = try PendulumFrameCache.render(observer: observer, count: PendulumPixelPolicy.cacheAngles, seed: PixelPolicy.frameSeed)
            renderedFrames = cache.count
            try cache.write(path: cachePath, key: key)
            print(String(format: "frames: %d angles rendered with d frame/d angle (%dx%d, %d spp) in %.1f s -> %@",
                         cache.count, c.viewRes, c.viewRes, c.viewSpp, Date().timeIntervalSince(start), cachePath))
        }
        if openLoop { print("open loop: the renderer's gradient is dropped (DIFFRAY_PENDULUM_OPEN_LOOP=1)") }
        print("episode  train return  eval mean (100 episodes, cached frames)   seconds")
        Interruption.deferUntilCheckpoint()
        try run.trainPendulum(cache: cache, totalEpisodes: total, report: { p, _ in
            print(String(format: "%7d  %12.1f  %10@  %7.1f", p.episode, p.trainReturn,
                         p.evaluation.isNaN ? "-" : String(format: "%.2f", p.evaluation), Date().timeIntervalSince(start)))
        }, checkpoint: { try $0.write(path: checkpointPath); try Interruption.checkpointWritten(checkpointPath) })
        Interruption.endDeferral()
        let seconds = Date().timeIntervalSince(start)
        try PendulumPixelPolicy.save(try run.policy(), to: model, resolution: c.viewRes, samples: c.viewSpp, metadata: [
            "seed": String(seed), "episodes": String(run.episodes), "environment_steps": String(run.environmentSteps),
        ])
        let curve = run.curve
        // the evaluation curve holds its last value between evaluations
        var held = [Double](), lastEval = Double.nan
        for p in curve { if !p.evaluation.isNaN { lastEval = p.evaluation }; held.append(lastEval) }
        let plot = Plot.lines(series: [curve.map(\.trainReturn), held],
                              labels: ["training return (random-start windows, per 200 steps)", "eval mean return (cached frames)"], logY: false,
                              x: curve.map { Double($0.episode) }, title: "diffray train pendulum --pixels (seed \(seed))",
                              xLabel: "training episodes (200 simulated steps)", yLabel: "return")
        try plot.writePNG(to: stem + ".png")
        try outputs.commit()
        let last = curve.last(where: { !$0.evaluation.isNaN })?.evaluation ?? .nan
        let solvedAt = run.solvedAt
        print("pendulum from pixels: \(run.episodes) episodes, \(run.environmentSteps) environment steps, \(renderedFrames) frames rendered, "
            + String(format: "%.1f s", seconds) + ", bar met (cached frames) after: \(solvedAt.map(String.init) ?? "not reached") -> \(model), \(stem).png, \(checkpointPath)")
        if c.json {
            print("{\"environment\": \"pendulum\", \"pixels\": true, \"episodes\": \(run.episodes), \"env_steps\": \(run.environmentSteps), "
                + "\"frames\": \(renderedFrames), \"seconds\": \(seconds), \"solved_at\": \(solvedAt.map(String.init) ?? "null"), "
                + "\"final_evaluation\": \(last.isFinite ? String(last) : "null"), \"model\": \(jsonString(model))}")
        }
    }

    static func eval(_ c: EvalCommand) throws {
        let (network, res, spp) = try PendulumPixelPolicy.load(path: c.policy)
        let observer = try PixelObservation(problem: .pendulum, directory: c.scenes, resolution: res, samples: spp)
        let n = c.episodes ?? 100
        let start = Date()
        let r = try evaluatePendulumPixels(network: network, observer: observer, episodes: n, seed: UInt64(c.seed))
        let seconds = Date().timeIntervalSince(start)
        let frames = n * PendulumDynamics.maxSteps
        print(String(format: "pendulum from pixels (%dx%d, %d spp, every frame rendered): %d episodes, mean return %.2f ± %.2f (min %.1f, max %.1f), %d frames, %.1f s",
                     res, res, spp, n, r.mean, r.std, r.returns.min()!, r.returns.max()!, frames, seconds))
        if c.json {
            print("{\"environment\": \"pendulum\", \"pixels\": true, \"episodes\": \(n), \"mean_reward\": \(r.mean), "
                + "\"std_reward\": \(r.std), \"frames\": \(frames), \"seconds\": \(seconds)}")
        }
    }

    static func rollout(_ c: RolloutCommand) throws {
        let (network, viewRes, viewSpp) = try PendulumPixelPolicy.load(path: c.policy)
        let observer = try PixelObservation(problem: .pendulum, directory: c.scenes, resolution: viewRes, samples: viewSpp)
        let template = try SceneTemplate(problem: .pendulum, directory: c.scenes)
        try FileManager.default.createDirectory(atPath: c.frames, withIntermediateDirectories: true)
        var states = [[Double]](), seen = [Image]()
        let start = Date()
        let r = try evaluatePendulumPixels(network: network, observer: observer, episodes: 1, seed: UInt64(c.seed),
                                           maxSteps: c.steps ?? PendulumDynamics.maxSteps) { _, step, state, image in
            states.append(state); seen.append(image)
            try image.write(to: (c.frames as NSString).appendingPathComponent(String(format: "seen-%04d.png", step)))
        }
        let stride = c.every ?? 5
        var picked = Swift.stride(from: 0, to: states.count, by: stride).map { $0 }
        if picked.last != states.count - 1 { picked.append(states.count - 1) }
        var big = [Image]()
        for (k, i) in picked.enumerated() {
            let image = try template.render(state: states[i], resolution: c.res, samples: c.spp, seed: UInt64(i))
            try image.write(to: (c.frames as NSString).appendingPathComponent(String(format: "frame-%04d.png", k)))
            big.append(image)
        }
        func sheet(_ images: [Image], scale: Int) -> Image {
            let count = Swift.min(24, images.count)
            let chosen = (0..<count).map { images[$0 * (images.count - 1) / Swift.max(count - 1, 1)] }
            return Image.contactSheet(chosen.map { scale > 1 ? $0.resized(width: $0.width * scale, height: $0.height * scale, filter: .nearest) : $0 }, columns: 6)
        }
        let seenSheet = (c.frames as NSString).appendingPathComponent("seen-contact-sheet.png")
        let bigSheet = (c.frames as NSString).appendingPathComponent("contact-sheet.png")
        try sheet(seen, scale: Swift.max(1, 128 / viewRes)).write(to: seenSheet)
        try sheet(big, scale: 1).write(to: bigSheet)
        print(String(format: "pendulum from pixels: %d steps, return %.1f; %d frames seen (%dx%d, %d spp), %d rendered at %dx%d, %d spp, in %.1f s",
                     states.count, r.mean, seen.count, viewRes, viewRes, viewSpp, big.count, c.res, c.res, c.spp, Date().timeIntervalSince(start)))
        print("-> \(c.frames)/seen-NNNN.png, \(seenSheet), \(c.frames)/frame-NNNN.png, \(bigSheet)")
    }
}
