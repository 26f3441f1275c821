import Cluster
import Foundation
import Autodiff
import ImageIO
import Learning
import Render
import Control

/// The trebuchet aimer from pixels: the network sees ONLY a path-traced frame
/// of the range (`scenes/trebuchet.xml`: the flag at the target distance, the
/// wind gauge's needle) and answers (release angle, counterweight) with
/// `TrebuchetAimer.decode`'s read-out. It is trained through the simulator's
/// gradients: loss = Huber(relative miss) of the simulated shot, ∂distance/
/// ∂(angle, weight) by forward mode, then the network's pullback. The picture
/// does not depend on the action, so a rendered data set of frames is reused
/// across epochs (the frames rendered are counted and reported); the upper
/// half of the frame shows only the wind gauge and the lower half only the
/// flag, so training pairs the upper half of one rendered frame with the lower
/// half of another (`Example.composite`, `Trainer.epoch(_:batchSize:composite:)`):
/// N rendered frames give N² situations, and every epoch shows new ones.
///
/// Input (`observation(_:)`): the frame's grey level (mean of the three
/// linear channels, minus 0.5) averaged down each column, separately over the
/// upper half (where the wind needle is) and the lower half (the flag): a fixed
/// average-pooling layer from R×R pixels to 2·R values, nothing else. Network: a
/// linear read-out of `features` (32) values from those profiles (it can learn,
/// e.g., the needle's and the flag's centroids, which are linear in the
/// pixels), then the state aimer's head (64→64→64 tanh, then 2). The read-out
/// starts (`makeNetwork`) as smooth functions across the image (a ramp and
/// cosines per band, like CoordConv's coordinate channels) rather than random
/// weights: random weights make each feature a random function of the flag's
/// column, which the network then has to unlearn (measured on a synthetic
/// stand-in for the frames: 3–4 % mean relative miss after 400,000 shots with
/// random weights, 1.2 % with the smooth start).
public enum TrebuchetPixels: PixelTask {
    /// The policy's view by default: 64×64 pixels, 8 samples per pixel (4 gave a mean relative miss of 1.08–1.34 %, 8 gave 1.01–1.09 %).
    public static let resolution = 64
    public static let samples = 8
    /// Width of the linear read-out from the image (16 per band: a ramp and 15 cosines at the start;
    /// 8 per band gave 0.987 % against 1.037 % with 16, seed 0, old scene, composite training).
    public static let features = 32
    /// Version of the pixel-aimer model files (metadata `trebuchet_pixels_version`): 2 since the flat
    /// flag and needle of `scenes/trebuchet.xml` and the 32-wide read-out (version 1: box-shaped flag
    /// and needle, 16 features).
    public static let modelVersion = "2"

    public static func layers(resolution r: Int) -> [Layer] {
        [.dense(inputs: 2 * r, outputs: features),
         .dense(inputs: features, outputs: 64), .activation(.tanh, size: 64),
         .dense(inputs: 64, outputs: 64), .activation(.tanh, size: 64),
         .dense(inputs: 64, outputs: 64), .activation(.tanh, size: 64),
         .dense(inputs: 64, outputs: 2)]
    }

    /// The rendered view of a (wind, target) situation.
    public struct View: Sendable {
        public let template: SceneTemplate
        public let resolution: Int
        public let samples: Int
        public var threads: Int

        public init(directory: String? = nil, resolution: Int = TrebuchetPixels.resolution,
                    samples: Int = TrebuchetPixels.samples, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
            guard resolution >= 8 && resolution <= 256, samples >= 1 && samples <= 4096 else {
                throw ControlError("TrebuchetPixels.View: resolution must be in 8...256 and samples in 1...4096, got \(resolution), \(samples)")
            }
            configureAllocator()
            template = try SceneTemplate(problem: .trebuchet, directory: directory)
            self.resolution = resolution; self.samples = samples; self.threads = threads
        }

        /// The template's defines for a situation (and optionally the ball's
        /// position, m above the ground); the wind needle's `wind_tip` is set to
        /// exactly 60 + 2·wind (SceneTemplate rounds |wind| < 0.05 up to 0.05).
        public func defines(wind: Double, target: Double, ball: (x: Double, y: Double)? = nil,
                            resolution: Int? = nil, samples: Int? = nil) -> [String: String] {
            let state = ball.map { [wind, target, $0.x, $0.y] } ?? [wind, target]
            var d = template.defines(state: state, resolution: resolution ?? self.resolution, samples: samples ?? self.samples)
            d["wind_tip"] = String(format: "%.6f", 60 + 2 * wind)
            return d
        }

        /// The path-traced frame (deterministic for a seed).
        public func render(wind: Double, target: Double, seed: UInt64, ball: (x: Double, y: Double)? = nil,
                           resolution: Int? = nil, samples: Int? = nil) throws -> Image {
            let d = defines(wind: wind, target: target, ball: ball, resolution: resolution, samples: samples)
            let scene = try Scene.load(path: template.path, defines: d)
            return scene.render(RenderOptions(samplesPerPixel: samples ?? self.samples, seed: seed, threads: threads)).0
        }
    }

    /// The network's input for a frame: mean(r, g, b) − 0.5 averaged down each
    /// column over the upper half (values 0..<W) and the lower half (W..<2W).
    public static func observation(_ image: Image) -> [Double] {
        let w = image.width, h = image.height, top = h / 2
        var o = [Double](repeating: 0, count: 2 * w)
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<h {
                let band = y < top ? 0 : w, n = Double(y < top ? top : h - top)
                for x in 0..<w {
                    let i = 3 * (y * w + x)
                    o[band + x] += (Double(p[i] + p[i + 1] + p[i + 2]) / 3 - 0.5) / n
                }
            }
        }
        return o
    }

    /// A fresh pixel aimer: Glorot weights, then the read-out's rows set to
    /// smooth functions of the column, half of them on each band: feature j of
    /// a band is 2·(x/W − 1/2) for j = 0 and 2·cos(π j (x + 1/2) / W) otherwise.
    public static func makeNetwork(resolution r: Int, generator: inout SeededGenerator) -> Network {
        var net = Network(layers: layers(resolution: r), generator: &generator)
        let inputs = 2 * r, half = features / 2
        for k in 0..<features {
            let band = k < half ? 0 : r, j = k % half
            for i in 0..<inputs { net.parameters[k * inputs + i] = 0 }
            for x in 0..<r {
                let u = (Double(x) + 0.5) / Double(r)
                net.parameters[k * inputs + band + x] = 2 * (j == 0 ? u - 0.5 : Foundation.cos(Double.pi * Double(j) * u))
            }
        }
        return net
    }

    /// The aim for a frame's observation.
    public static func aim(_ network: Network, observation: [Double]) -> (angle: Double, weight: Double) {
        TrebuchetAimer.decode(network.predict(observation))
    }

    /// The render seed of frame `index` of a data set or evaluation drawn with `seed`.
    public static func frameSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &+ 0x5DEE_CE66
        return SeededGenerator.splitMix64(&s)
    }

    /// One rendered training example: the situation (for the simulator's loss
    /// only) and what the network sees.
    public struct Example: Sendable {
        public var wind: Double
        public var target: Double
        public var observation: [Double]

        public init(wind: Double, target: Double, observation: [Double]) {
            self.wind = wind; self.target = target; self.observation = observation
        }

        /// The example of a frame stitched from the upper half of `windFrame`'s
        /// frame (the wind gauge) and the lower half of `targetFrame`'s (the
        /// flag): wind from the first, target from the second. The upper band
        /// of the observation is a function of the upper half's pixels only, the
        /// lower band of the lower half's, and nothing of the flag reaches the
        /// upper half or of the needle the lower half, so this is the observation
        /// of such a stitched frame and it is distributed like a rendered frame's
        /// (independent pixel noise in each half).
        public static func composite(wind windFrame: Example, target targetFrame: Example) -> Example {
            let w = windFrame.observation.count / 2
            return Example(wind: windFrame.wind, target: targetFrame.target,
                           observation: Array(windFrame.observation[..<w]) + Array(targetFrame.observation[w...]))
        }
    }

    /// Renders `count` situations drawn like the aimer's (targets U(20, 100) m,
    /// wind N(0, 5²) m/s) from `seed`, frame i with `frameSeed(seed, i)`.
    /// `existing` (the first frames of an interrupted call with the same view,
    /// count and seed) are kept and rendering goes on after them; `progress`
    /// gets the frames done and the data so far after each frame, or with a
    /// distributed `communicator` after each round of `round` frames, which the
    /// processes share (frame i on rank i mod size) and gather in frame order.
    public static func renderDataSet(view: View, count: Int, seed: UInt64, existing: [Example] = [],
                                     communicator: Communicator = .local, round: Int = 100,
                                     progress: ((Int, [Example]) throws -> Void)? = nil) throws -> [Example] {
        precondition(existing.count <= count, "renderDataSet: \(existing.count) existing frames, more than \(count)")
        var g = SeededGenerator(seed: seed)
        let situations = (0..<count).map { _ in TrebuchetAimer.sample(&g) }
        var data = existing
        data.reserveCapacity(count)
        var next = existing.count
        while next < count {
            // A round ends at the next multiple of `round` (one frame a round without MPI).
            let end = communicator.isDistributed ? Swift.min(count, (next / round + 1) * round) : next + 1
            let shards = WorkShards(count: end - next, over: communicator)
            let mine = try shards.owned.map { k -> [Double] in
                let (w, t) = situations[next + k]
                return observation(try view.render(wind: w, target: t, seed: frameSeed(seed, next + k)))
            }
            for (k, o) in shards.allGather(mine).enumerated() {
                data.append(Example(wind: situations[next + k].wind, target: situations[next + k].target, observation: o))
            }
            next = end
            try progress?(next, data)
        }
        return data
    }

    /// A rendered data set on disk (the `train trebuchet --pixels` frames, kept so that
    /// `--resume` and later runs need not render them again; also a partial set while
    /// rendering, so an interrupted rendering goes on where it stopped). The file
    /// names a key (the view, seed, count and scene it was rendered from).
    public enum DataSetFile {
        static let magic = "diffray-trebuchet-frames-1"

        /// The key of a data set of `count` frames from `seed` in `view`, the scene template's hash `sceneHash`.
        public static func key(view: View, count: Int, seed: UInt64, sceneHash: String) -> String {
            "res=\(view.resolution) spp=\(view.samples) count=\(count) seed=\(seed) scene=\(sceneHash)"
        }

        /// Writes `data` (possibly the first frames only) atomically.
        public static func write(_ data: [Example], path: String, key: String) throws {
            let width = data.first?.observation.count ?? 0
            var bytes = FrameFile.header(magic: magic, key: key, sizes: [data.count, width])
            var values = [Double]()
            values.reserveCapacity(data.count * (2 + width))
            for e in data {
                precondition(e.observation.count == width)
                values.append(e.wind); values.append(e.target); values.append(contentsOf: e.observation)
            }
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
            try writeAtomically(bytes, to: path)
        }

        /// The frames of a file written with `key`; nil if it is missing, made for another key, or damaged.
        public static func read(path: String, key: String) -> [Example]? {
            guard let data = FileManager.default.contents(atPath: path),
                  let (dims, body) = FrameFile.read(data, magic: magic, key: key, sizes: 2),
                  dims[0] == 0 || dims[1] > 0 else { return nil }
            let (count, width) = (dims[0], dims[1])
            // wind, target and the observation of every frame, 8 bytes each
            guard width < Int.max - 2, let bytes = FrameFile.product([count, width + 2, 8]), body.count == bytes else { return nil }
            var values = [Double](repeating: 0, count: count * (2 + width))
            body.withUnsafeBytes { raw in values.withUnsafeMutableBytes { $0.copyMemory(from: raw) } }
            guard values.allSatisfy({ $0.isFinite }) else { return nil }
            return (0..<count).map { i in
                let o = i * (2 + width)
                return Example(wind: values[o], target: values[o + 1], observation: Array(values[(o + 2)..<(o + 2 + width)]))
            }
        }
    }

    /// The seed of a run's training frames, and of the held-out frames of its
    /// training curve (rendered once, never trained on), of which there are `curveFrames`.
    public static func trainingSeed(_ seed: UInt64) -> UInt64 { seed &+ 77 }
    public static func curveSeed(_ seed: UInt64) -> UInt64 { seed &+ 1_000_003 }
    public static let curveFrames = 200

    /// The training frames of a run, kept in `path` (every 500 frames while
    /// rendering, so an interrupted rendering, `--resume` and a rerun with the
    /// same view go on from there): `count` situations from `seed` (frame i with
    /// `frameSeed(seed, i)`), read back when the file holds them all for the same
    /// key (`DataSetFile.key`), else rendered after the frames it holds. `starting`
    /// gets the frames found (before any rendering); `progress` every 1,000th frame
    /// rendered. Returns the data and the frames rendered (0: all reused).
    public static func trainingData(view: View, count: Int, seed: UInt64, sceneHash: String, path: String,
                                    communicator: Communicator = .local,
                                    starting: (_ existing: Int) -> Void = { _ in },
                                    progress: (_ done: Int) -> Void = { _ in }) throws -> (data: [Example], rendered: Int) {
        let key = DataSetFile.key(view: view, count: count, seed: seed, sceneHash: sceneHash)
        // a file holding more frames than its key's count is damaged: render afresh
        let existing = DataSetFile.read(path: path, key: key).flatMap { $0.count <= count ? $0 : nil } ?? []
        if existing.count == count { return (existing, 0) }
        starting(existing.count)
        let data = try withoutActuallyEscaping(progress) { progress in
            try renderDataSet(view: view, count: count, seed: seed, existing: existing, communicator: communicator) { i, sofar in
                if i % 500 == 0 || i == count { try DataSetFile.write(sofar, path: path, key: key) }
                if i % 1000 == 0 { progress(i) }
            }
        }
        return (data, count - existing.count)
    }

    /// A diagnostic of how well the observation can be read: least-squares fits
    /// (ridge 1e-9 relative) of the target from the lower band and of the wind
    /// from the upper band (each band's values and a constant) on `train`,
    /// applied to `test`; returns the root-mean-square errors there (m, m/s).
    /// Labels are used here only, never by the aimer.
    public static func linearReading(train: [Example], test: [Example]) -> (target: Double, wind: Double) {
        guard let w = train.first.map({ $0.observation.count / 2 }), !test.isEmpty else { return (.nan, .nan) }
        func fit(_ band: Int, _ label: (Example) -> Double) -> Double {
            let n = w + 1
            var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n)
            for e in train {
                let x = Array(e.observation[band..<(band + w)]) + [1]
                let y = label(e)
                for i in 0..<n { b[i] += x[i] * y; for j in 0..<n { a[i * n + j] += x[i] * x[j] } }
            }
            let trace = (0..<n).reduce(0) { $0 + a[$1 * n + $1] } / Double(n)
            for i in 0..<n { a[i * n + i] += 1e-9 * trace }
            // Cholesky: a = L Lᵀ, then two triangular solves.
            for j in 0..<n {
                var d = a[j * n + j]
                for k in 0..<j { d -= a[j * n + k] * a[j * n + k] }
                let l = Foundation.sqrt(Swift.max(d, 1e-300))
                a[j * n + j] = l
                for i in (j + 1)..<Swift.max(n, j + 1) {
                    var v = a[i * n + j]
                    for k in 0..<j { v -= a[i * n + k] * a[j * n + k] }
                    a[i * n + j] = v / l
                }
            }
            var z = b
            for i in 0..<n { for k in 0..<i { z[i] -= a[i * n + k] * z[k] }; z[i] /= a[i * n + i] }
            for i in stride(from: n - 1, through: 0, by: -1) { for k in (i + 1)..<Swift.max(n, i + 1) { z[i] -= a[k * n + i] * z[k] }; z[i] /= a[i * n + i] }
            var se = 0.0
            for e in test {
                var p = z[w]
                for i in 0..<w { p += z[i] * e.observation[band + i] }
                se += (p - label(e)) * (p - label(e))
            }
            return Foundation.sqrt(se / Double(test.count))
        }
        return (fit(w, { $0.target }), fit(0, { $0.wind }))
    }

    /// Trains a pixel aimer by backpropagating Huber(relative miss) through
    /// the simulator and the network, over shuffled mini-batches of a data set.
    public struct Trainer {
        public var network: Network
        public var optimizer: Adam
        public var generator: SeededGenerator
        public var delta: Double
        /// Shots simulated so far.
        public var shots = 0
        /// The processes a batch's examples are spread over.
        public var communicator = Communicator.local

        public init(network: Network, optimizer: Adam, generator: SeededGenerator, delta: Double = TrebuchetTask.hyperparameters.huberDelta) {
            self.network = network; self.optimizer = optimizer; self.generator = generator; self.delta = delta
        }

        /// One mini-batch step on `batch`; returns its mean loss. The examples
        /// are spread over `communicator`'s processes and their gradients summed
        /// in batch order (`WorkShards`): the same weights for any number of processes.
        public mutating func step(_ batch: ArraySlice<Example>) -> Double {
            let shards = WorkShards(count: batch.count, over: communicator, layout: .blocks)
            var trace = Network.Trace()
            let mine = shards.owned.map { k -> [Double] in
                let e = batch[batch.startIndex + k]
                var gradient = [Double](repeating: 0, count: network.parameterCount)
                let o = network.forward(e.observation, trace: &trace)
                let (a, m) = TrebuchetAimer.decode(o)
                let (da, dm) = TrebuchetAimer.decodeDerivative(o)
                let d = Trebuchet.shoot(wind: Dual2(e.wind), angle: Dual2(a, variable: 0), weight: Dual2(m, variable: 1))
                let h = TrebuchetAimer.huber((d.value - e.target) / e.target, delta: delta)
                let scale = h.derivative / e.target / Double(batch.count)
                _ = network.backward([scale * d.partial(0) * da, scale * d.partial(1) * dm], trace: trace, gradient: &gradient)
                return gradient + [h.loss]
            }
            var gradient = shards.sumInShardOrder(mine, length: network.parameterCount + 1)
            let loss = gradient.removeLast()
            shots += batch.count
            optimizer.update(&network.parameters, gradient: gradient)
            return loss / Double(batch.count)
        }

        mutating func shuffled(_ n: Int) -> [Int] {
            var order = Array(0..<n)
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
            return order
        }

        /// One pass over `data` in a fresh random order; returns the mean batch
        /// loss. With `composite`, shot k pairs the wind band of the k-th frame
        /// of one random order with the flag band of the k-th of a second,
        /// independent order (`Example.composite`): each epoch shows new
        /// (wind, target) situations, N² of them reachable from N rendered frames.
        public mutating func epoch(_ data: [Example], batchSize: Int, composite: Bool = false) -> Double {
            let order = shuffled(data.count)
            let partner = composite ? shuffled(data.count) : order
            var total = 0.0, batches = 0
            var start = 0
            while start < order.count {
                let end = Swift.min(start + batchSize, order.count)
                let batch = (start..<end).map { k in
                    composite ? Example.composite(wind: data[order[k]], target: data[partner[k]]) : data[order[k]]
                }
                total += step(batch[...])
                batches += 1
                start = end
            }
            return total / Double(Swift.max(batches, 1))
        }
    }

    /// Evaluates a pixel aimer on `count` fresh situations from `seed`, each
    /// rendered afresh (frame i with `frameSeed(seed ^ evaluationSalt, i)`), with
    /// the reachability figures of `TrebuchetAimer.evaluate`.
    public static let evaluationSalt: UInt64 = 0xE7A1
    /// With a distributed `communicator` the shots (and their frames) are spread over the processes.
    public static func evaluate(_ network: Network, view: View, count: Int, seed: UInt64, reachability: Bool = true,
                                communicator: Communicator = .local) throws -> TrebuchetAimer.Evaluation {
        try TrebuchetAimer.evaluate(count: count, seed: seed, reachability: reachability, communicator: communicator) { i, w, t in
            let image = try view.render(wind: w, target: t, seed: frameSeed(seed ^ evaluationSalt, i))
            return aim(network, observation: observation(image))
        }
    }

    /// One shot of a pixel aimer: the situation, the frame it saw, its aim and where the ball landed.
    public struct Shot {
        public var wind, target, angle, weight, distance: Double
        public var image: Image
    }

    /// `count` shots at situations drawn from `seed` (frame k rendered with
    /// `frameSeed(seed ^ evaluationSalt, k)`, as `evaluate` renders them).
    public static func shots(_ network: Network, view: View, count: Int, seed: UInt64) throws -> [Shot] {
        var g = SeededGenerator(seed: seed)
        return try (0..<count).map { k in
            let (w, t) = TrebuchetAimer.sample(&g)
            let image = try view.render(wind: w, target: t, seed: frameSeed(seed ^ evaluationSalt, k))
            let (a, m) = aim(network, observation: observation(image))
            return Shot(wind: w, target: t, angle: a, weight: m, distance: Trebuchet.shoot(wind: w, angle: a, weight: m), image: image)
        }
    }

    // MARK: PixelTask

    public static let problem = ControlProblem.trebuchet
    /// `[wind, target, ball x, ball y]` (m/s, m; the ball is hidden below the ground when ball y < 0 m).
    public static let stateSize = 4
    /// The recipe's shots and learning rate are the state aimer's (`TrebuchetTask.hyperparameters`).
    public static let defaults = PixelDefaults(resolution: resolution, samples: samples, resolutions: 8...256,
                                               learningRate: TrebuchetTask.learningRate, episodes: TrebuchetTask.hyperparameters.pixelShots)

    /// The range from the side: the flag at the target, the wind gauge's needle
    /// (0.05 long at the least) and the ball in flight (hidden when ball y < 0).
    public static func defines(state: [Double]) -> [String: String] {
        precondition(state.count >= 2, "SceneTemplate: trebuchet state is [wind, target, ball x, ball y]")
        let wind = state[0], centre = 60.0, metresPerMS = 2.0
        let half = Swift.max(Swift.abs(wind) * metresPerMS / 2, 0.05)
        let bx = state.count >= 4 ? state[2] : 0, by = state.count >= 4 ? state[3] : -50
        return ["target": define(state[1]), "wind_len": define(half),
                "wind_x": define(centre + (wind >= 0 ? half : -half)),
                "wind_tip": define(centre + (wind >= 0 ? 2 * half : -2 * half)),
                "ball_x": define(bx), "ball_y": define(by >= 0 ? by : -50)]
    }

    /// Targets from 20 to 100 m, winds from −10 to 10 m/s, no ball.
    public static func sweep(_ u: Double) -> [Double] { [20 * u - 10, 20 + 80 * u, 0, -1] }

    public static func layers(_ options: PixelTrainingOptions) -> [Layer] { layers(resolution: options.resolution) }

    public static func makeNetwork(_ options: PixelTrainingOptions, generator: inout SeededGenerator) -> Network {
        makeNetwork(resolution: options.resolution, generator: &generator)
    }

    public static func layers(_ m: PixelModelMetadata, path: String) throws -> [Layer] {
        guard m.resolution >= 8, m.resolution <= 256 else {
            throw ModelFileError(path: path, "metadata pixels_resolution is \(m.resolution), expected an integer in 8...256")
        }
        guard m.trebuchetVersion == modelVersion else {
            throw ModelFileError(path: path, "trebuchet pixel aimer version \(m.trebuchetVersion ?? "?"), expected \(modelVersion)")
        }
        return layers(resolution: m.resolution)
    }

    /// The model version, the training frames and the epochs over them.
    public static func describe(_ run: PixelTrainingRun, in m: inout PixelModelMetadata) {
        m.trebuchetVersion = modelVersion
        m.renderedFrames = run.options.frames
        m.evaluationFrames = curveFrames
        m.epochs = run.epochs
    }

    public static func validate(_ run: PixelTrainingRun, path: String) throws {
        if let total = run.options.totalEpisodes, run.episodes > total {
            throw ModelFileError(path: path, "checkpoint has \(run.episodes) shots, more than the run's \(total)")
        }
    }
}
