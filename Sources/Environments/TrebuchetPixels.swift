import Foundation
import Autodiff
import ImageIO
import Learning
import Render

/// The trebuchet aimer from pixels: the network sees ONLY a path-traced frame
/// of the range (`scenes/trebuchet.xml`: the flag at the target distance, the
/// wind gauge's needle) and answers (release angle, counterweight) with
/// `TrebuchetAimer.decode`'s read-out. It is trained through the simulator's
/// gradients: loss = Huber(relative miss) of the simulated shot, ∂distance/
/// ∂(angle, weight) by forward mode, then the network's pullback. The picture
/// does not depend on the action, so a rendered data set of frames is reused
/// across epochs (the frames rendered are counted and reported).
///
/// Input (`observation(_:)`): the frame's grey level (mean of the three
/// linear channels, minus 0.5) averaged down each column, separately over the
/// upper half (where the wind needle is) and the lower half (the flag): a fixed
/// average-pooling layer from R×R pixels to 2·R values, nothing else. Network: a
/// linear read-out of `features` values from those profiles (it can learn,
/// e.g., the needle's and the flag's centroids, which are linear in the
/// pixels), then the state aimer's head (64→64→64 tanh, then 2). The read-out
/// starts (`makeNetwork`) as smooth functions across the image (a ramp and
/// cosines per band, like CoordConv's coordinate channels) rather than random
/// weights: random weights make each feature a random function of the flag's
/// column, which the network then has to unlearn (measured on a synthetic
/// stand-in for the frames: 3–4 % mean relative miss after 400,000 shots with
/// random weights, 1.2 % with the smooth start).
public enum TrebuchetPixels {
    /// The policy's view by default: 64×64 pixels, 8 samples per pixel (4 gave a mean relative miss of 1.08–1.34 %, 8 gave 1.01–1.09 %).
    public static let resolution = 64
    public static let samples = 8
    /// Width of the linear read-out from the image.
    public static let features = 16
    /// Version of the pixel-aimer model files (metadata `trebuchet_pixels_version`).
    public static let modelVersion = "1"

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

        public init(directory: String = "scenes", resolution: Int = TrebuchetPixels.resolution,
                    samples: Int = TrebuchetPixels.samples, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
            guard resolution >= 8 && resolution <= 256, samples >= 1 && samples <= 4096 else {
                throw ControlError("TrebuchetPixels.View: resolution must be in 8...256 and samples in 1...4096, got \(resolution), \(samples)")
            }
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
    }

    /// Renders `count` situations drawn like the aimer's (targets U(20, 100) m,
    /// wind N(0, 5²) m/s) from `seed`, frame i with `frameSeed(seed, i)`.
    public static func renderDataSet(view: View, count: Int, seed: UInt64,
                                     progress: ((Int) -> Void)? = nil) throws -> [Example] {
        var g = SeededGenerator(seed: seed)
        var data = [Example]()
        data.reserveCapacity(count)
        for i in 0..<count {
            let (w, t) = TrebuchetAimer.sample(&g)
            let image = try view.render(wind: w, target: t, seed: frameSeed(seed, i))
            data.append(Example(wind: w, target: t, observation: observation(image)))
            progress?(i + 1)
        }
        return data
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

        public init(network: Network, optimizer: Adam, generator: SeededGenerator, delta: Double = TrebuchetTraining.huberDelta) {
            self.network = network; self.optimizer = optimizer; self.generator = generator; self.delta = delta
        }

        /// One mini-batch step on `batch`; returns its mean loss.
        public mutating func step(_ batch: ArraySlice<Example>) -> Double {
            var gradient = [Double](repeating: 0, count: network.parameterCount)
            var loss = 0.0
            var trace = Network.Trace()
            for e in batch {
                let o = network.forward(e.observation, trace: &trace)
                let (a, m) = TrebuchetAimer.decode(o)
                let (da, dm) = TrebuchetAimer.decodeDerivative(o)
                let d = Trebuchet.shoot(wind: Dual2(e.wind), angle: Dual2(a, variable: 0), weight: Dual2(m, variable: 1))
                let h = TrebuchetAimer.huber((d.value - e.target) / e.target, delta: delta)
                loss += h.loss
                let scale = h.derivative / e.target / Double(batch.count)
                _ = network.backward([scale * d.partial(0) * da, scale * d.partial(1) * dm], trace: trace, gradient: &gradient)
            }
            shots += batch.count
            optimizer.update(&network.parameters, gradient: gradient)
            return loss / Double(batch.count)
        }

        /// One pass over `data` in a fresh random order; returns the mean batch loss.
        public mutating func epoch(_ data: [Example], batchSize: Int) -> Double {
            var order = Array(data.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
            var total = 0.0, batches = 0
            var start = 0
            while start < order.count {
                let end = Swift.min(start + batchSize, order.count)
                let batch = order[start..<end].map { data[$0] }
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
    public static func evaluate(_ network: Network, view: View, count: Int, seed: UInt64, reachability: Bool = true) throws
        -> TrebuchetAimer.Evaluation {
        var i = 0
        return try TrebuchetAimer.evaluate(count: count, seed: seed, reachability: reachability) { w, t in
            let image = try view.render(wind: w, target: t, seed: frameSeed(seed ^ evaluationSalt, i))
            i += 1
            return aim(network, observation: observation(image))
        }
    }

    /// Saves a pixel aimer with its view in the metadata.
    public static func save(_ network: Network, to path: String, resolution: Int, samples: Int,
                            metadata: [String: String] = [:]) throws {
        var m = metadata
        m["environment"] = ControlProblem.trebuchet.rawValue
        m["pixels"] = "true"
        m["pixels_resolution"] = String(resolution)
        m["pixels_samples"] = String(samples)
        m["trebuchet_pixels_version"] = modelVersion
        try network.save(to: path, metadata: m)
    }

    /// Loads a pixel aimer and its view; a file that is not one is refused with a one-line error.
    public static func load(path: String) throws -> (network: Network, resolution: Int, samples: Int) {
        let file = try NetworkFile.read(path: path)
        guard file.metadata["environment"] == ControlProblem.trebuchet.rawValue else {
            throw ModelFileError(path: path, "not a trebuchet model (environment \(file.metadata["environment"] ?? "?")); train one with `diffray train trebuchet --pixels`")
        }
        guard file.metadata["pixels"] == "true", let r = file.metadata["pixels_resolution"].flatMap(Int.init),
              let s = file.metadata["pixels_samples"].flatMap(Int.init), r >= 8, r <= 256, s >= 1 else {
            throw ModelFileError(path: path, "not a trebuchet pixel aimer (metadata pixels, pixels_resolution, pixels_samples missing or invalid); train it with `diffray train trebuchet --pixels`")
        }
        guard file.metadata["trebuchet_pixels_version"] == modelVersion else {
            throw ModelFileError(path: path, "trebuchet pixel aimer version \(file.metadata["trebuchet_pixels_version"] ?? "?"), expected \(modelVersion)")
        }
        return (try file.network(path: path, expecting: layers(resolution: r)), r, s)
    }
}
