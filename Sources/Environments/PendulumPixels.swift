import Foundation
import Autodiff
import ImageIO
import Learning
import Render

/// The pendulum's rendered frames over a fine grid of angles, with their
/// derivatives: the renderer's output that the pixel trainer looks up.
///
/// The pendulum's picture depends on θ alone (θ̇ is not drawn), so the frames
/// of every state the trainer visits are, up to a grid step, a one-parameter
/// family. `render` path-traces `count` angles θₖ = −π + 2πk/count once
/// (`PixelObservation.renderWithJacobian`, the policy's frame seed, boundary
/// terms as configured there) and keeps each frame's contrast channel
/// (`PixelInput.channel`) and its derivative ∂channel/∂θ. A state is shown the
/// frame of the nearest grid angle (at 720 angles: within 0.25°, under 0.05 px
/// at 32² for the bob). Evaluation (`evaluatePendulumPixels`) renders every
/// frame afresh; only training looks frames up.
public struct PendulumFrameCache: Sendable {
    public let count: Int
    public let width: Int
    public let height: Int
    /// count × pixels: the contrast channel of each grid angle's frame.
    public var channels: [Float]
    /// count × pixels: ∂channel/∂θ at each grid angle.
    public var derivatives: [Float]
    /// The observer's background channel (the rest pose).
    public var background: [Double]

    public var pixels: Int { width * height }

    public init(count: Int, width: Int, height: Int, channels: [Float], derivatives: [Float], background: [Double]) {
        precondition(channels.count == count * width * height && derivatives.count == channels.count && background.count == width * height)
        self.count = count; self.width = width; self.height = height
        self.channels = channels; self.derivatives = derivatives; self.background = background
    }

    /// The grid angle k (rad).
    public func angle(_ k: Int) -> Double { -Double.pi + 2 * Double.pi * Double(k) / Double(count) }

    /// The index of the grid angle nearest to θ (wrapped).
    @inlinable
    public func index(_ theta: Double) -> Int {
        let u = (theta + Double.pi) / (2 * Double.pi)
        let k = Int((u - u.rounded(.down)) * Double(count) + 0.5)
        return k % count
    }

    /// The contrast channel shown for angle θ.
    public func channel(_ theta: Double) -> ArraySlice<Float> {
        let k = index(theta)
        return channels[(k * pixels)..<((k + 1) * pixels)]
    }

    /// ∂channel/∂θ at the grid angle nearest to θ.
    public func derivative(_ theta: Double) -> ArraySlice<Float> {
        let k = index(theta)
        return derivatives[(k * pixels)..<((k + 1) * pixels)]
    }

    /// Renders the grid with `observer` (a pendulum observer). `progress` gets the frames done.
    public static func render(observer: PixelObservation, count: Int, seed: UInt64,
                              progress: ((Int) -> Void)? = nil) throws -> PendulumFrameCache {
        guard observer.problem == .pendulum else {
            throw ControlError("PendulumFrameCache.render: observer is for \(observer.problem.rawValue), expected pendulum")
        }
        let w = observer.width, h = observer.height, n = w * h
        var channels = [Float](repeating: 0, count: count * n), derivatives = channels
        for k in 0..<count {
            let theta = -Double.pi + 2 * Double.pi * Double(k) / Double(count)
            let frame = try observer.renderWithJacobian(state: [theta, 0], seed: seed)
            let c = PixelInput.channel(frame.image)
            let j = frame.jacobian[0]
            for i in 0..<n {
                channels[k * n + i] = Float(c[i])
                derivatives[k * n + i] = j[3 * i] - j[3 * i + 2]
            }
            progress?(k + 1)
        }
        return PendulumFrameCache(count: count, width: w, height: h, channels: channels, derivatives: derivatives,
                                  background: observer.background)
    }

    // MARK: File

    static let magic = "diffray-pendulum-frames-1"

    /// Writes the cache with a key (the view and scene it was rendered from) atomically.
    public func write(path: String, key: String) throws {
        var data = FrameFile.header(magic: PendulumFrameCache.magic, key: key, sizes: [count, width, height])
        channels.withUnsafeBytes { data.append(contentsOf: $0) }
        derivatives.withUnsafeBytes { data.append(contentsOf: $0) }
        background.withUnsafeBytes { data.append(contentsOf: $0) }
        try writeAtomically(data, to: path)
    }

    /// Reads a cache written with the same `key`; nil if the file is missing or was made for another key.
    public static func read(path: String, key: String) -> PendulumFrameCache? {
        guard let data = FileManager.default.contents(atPath: path),
              let (dims, body) = FrameFile.read(data, magic: magic, key: key, sizes: 3),
              dims.allSatisfy({ $0 > 0 }) else { return nil }
        let (count, w, h) = (dims[0], dims[1], dims[2])
        // 4-byte channels and derivatives for every frame, one 8-byte background
        guard let n = FrameFile.product([count, w, h]), n <= Int.max / 16, body.count == 8 * n + 8 * (w * h) else { return nil }
        var channels = [Float](repeating: 0, count: n), derivatives = channels
        var background = [Double](repeating: 0, count: w * h)
        body.withUnsafeBytes { raw in
            channels.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(4 * n)])) }
            derivatives.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(4 * n)..<(8 * n)])) }
            background.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(8 * n)...])) }
        }
        return PendulumFrameCache(count: count, width: w, height: h, channels: channels, derivatives: derivatives, background: background)
    }
}

/// The pendulum's pixel policy: dense(2·R² → 32) relu → dense(32 → 1) tanh on
/// the input of a two-frame `FrameStack` (the current frame's contrast channel minus the rest pose's,
/// and 4× its difference to the previous frame's), torque = 2·tanh. No state goes in.
public enum PendulumPixelPolicy {
    public static let hidden = 32
    public static let resolution = 32
    public static let samples = 4
    /// Angles of the training frame cache (0.5° apart).
    public static let cacheAngles = 720
    /// Adam's learning rate.
    public static let learningRate = 0.003
    /// A training episode: `roundsPerEpisode` rounds of `windowsPerRound` closed-loop
    /// windows of 2 simulated steps (200 steps), each round followed by
    /// `updatesPerRound` Adam updates on `batchSize` stored targets.
    public static let windowsPerRound = 10
    public static let roundsPerEpisode = 10
    public static let updatesPerRound = 30
    public static let batchSize = 32
    /// Training episodes of `train pendulum --pixels` (it does not stop early).
    public static let defaultEpisodes = 30

    public static func layers(resolution r: Int) -> [Layer] {
        Network.mlpLayers([2 * r * r, hidden, 1], hidden: .relu, output: .tanh)
    }

    /// The torque for a network input.
    @inlinable
    public static func action(_ network: Network, _ input: [Double]) -> Double {
        PendulumDynamics.maxTorque * network.predict(input)[0]
    }

    /// Saves a pendulum pixel policy with the view it was trained on.
    public static func save(_ network: Network, to path: String, resolution: Int, samples: Int,
                            metadata: [String: String] = [:]) throws {
        var m = metadata
        m["environment"] = "pendulum"
        m["pixels"] = "true"
        m["pixels_policy"] = "pendulum-dense-1"
        m["pixels_resolution"] = String(resolution)
        m["pixels_samples"] = String(samples)
        try network.save(to: path, metadata: m)
    }

    /// Loads a pendulum pixel policy: the network and its view (resolution, spp).
    public static func load(path: String) throws -> (network: Network, resolution: Int, samples: Int) {
        let file = try NetworkFile.read(path: path)
        guard file.metadata["environment"] == "pendulum" else {
            throw ModelFileError(path: path, "policy is for \(file.metadata["environment"] ?? "?"), not pendulum")
        }
        guard file.metadata["pixels_policy"] == "pendulum-dense-1", let r = file.metadata["pixels_resolution"].flatMap(Int.init),
              let s = file.metadata["pixels_samples"].flatMap(Int.init), r >= 4, r <= 256, s > 0 else {
            throw ModelFileError(path: path, "not a pendulum pixel policy (metadata pixels_policy, pixels_resolution, pixels_samples); train it with `diffray train pendulum --pixels`")
        }
        return (try file.network(path: path, expecting: layers(resolution: r)), r, s)
    }
}

/// Pendulum swing-up from pixels, by backpropagation through physics → renderer
/// → network, with the state recipe's terminal value (`PendulumValueSurrogate`)
/// and Newton targets (`PendulumNewtonTrainer`).
///
/// A window starts in a random state s₀ (θ ~ U(−π, π), θ̇ ~ U(−8, 8)); its
/// previous frame is that of θ₀ − dt·θ̇₀ (exactly where the pendulum was a step
/// before, whatever the torque: θ′ = θ + dt·θ̇′). Two closed-loop steps:
/// a₀ = π(frame(θ₀), frame(θ₀ − dt θ̇₀)), s₁ = f(s₀, a₀), a₁ = π(frame(θ₁), frame(θ₀)),
/// s₂ = f(s₁, a₁); loss ℓ = c(s₀, a₀) + c(s₁, a₁) + V(s₂). Backward: ∂ℓ/∂a₁
/// through the physics and V; ∂ℓ/∂s₁ through the physics, Gym's cost and, when
/// `useRendererGradient`, through a₁'s network pullback and the renderer's
/// ∂frame/∂θ₁ (the loop closed: moving the pendulum changes what the policy
/// sees next); ∂ℓ/∂a₀ = ∂c₀/∂a₀ + ∂ℓ/∂s₁·∂s₁/∂a₀. Each action's Newton target
/// a − (∂ℓ/∂a)/h (h: Gauss–Newton curvatures, `PendulumValueSurrogate.curvature`)
/// goes into the replay buffer with its state; the policy is fitted to the buffer
/// by Adam on (a(frames) − target)² + κ·atanh(a/2)². Frames come from the
/// `PendulumFrameCache` (rendered once); every simulated step is counted.
public struct PendulumPixelTrainer {
    public var network: Network
    public var optimizer: Adam
    public let cache: PendulumFrameCache
    public var replay = PendulumReplay()
    public var environmentSteps = 0
    public var useRendererGradient = true

    public init(network: Network, optimizer: Adam, cache: PendulumFrameCache) {
        self.network = network; self.optimizer = optimizer; self.cache = cache
    }

    /// The policy input for the pendulum at θ, having been at θ_prev a step before (cached frames).
    public func input(theta: Double, previous: Double) -> [Double] {
        let n = cache.pixels
        let cur = cache.channel(theta), prev = cache.channel(previous)
        var x = [Double](repeating: 0, count: 2 * n)
        let gain = PixelInput.differenceGain
        var i = 0
        for (c, p) in zip(cur, prev) {
            x[i] = Double(c) - cache.background[i]
            x[n + i] = gain * (Double(c) - Double(p))
            i += 1
        }
        return x
    }

    /// Simulates `count` closed-loop windows of two steps and stores their Newton
    /// targets. Returns the mean Gym reward per simulated step.
    public mutating func collect(windows count: Int, generator: inout SeededGenerator) -> Double {
        let scale = PendulumDynamics.maxTorque, dt = PendulumDynamics.dt, limit = PendulumNewtonTrainer.targetLimit
        var total = 0.0
        for _ in 0..<count {
            let s0 = PendulumTrainingDynamics.startState(&generator)
            let x0 = input(theta: s0[0], previous: s0[0] - dt * s0[1])
            let a0 = scale * network.predict(x0)[0]
            let lin0 = LinearizedStep.at(PendulumTrainingDynamics.self, PendulumSurrogate.self, state: s0, action: a0)
            let s1 = lin0.next
            let x1 = input(theta: s1[0], previous: s0[0])
            var trace = Network.Trace()
            let a1 = scale * network.forward(x1, trace: &trace)[0]
            let lin1 = LinearizedStep.at(PendulumTrainingDynamics.self, PendulumGreedySurrogate.self, state: s1, action: a1)
            environmentSteps += 2
            total += PendulumDynamics.reward(s0, action: a0) + PendulumDynamics.reward(s1, action: a1)
            // ∂ℓ/∂a₁ and ∂ℓ/∂s₁ (physics + cost + V)
            let dA1 = lin1.dLossdAction
            var dS1 = lin1.dLossdState
            if useRendererGradient {
                // through a₁ = π(frame(θ₁), frame(θ₀)): the network's input pullback and ∂frame/∂θ₁
                var unused = [Double](repeating: 0, count: network.parameterCount)
                let dIn = network.backward([scale * dA1], trace: trace, gradient: &unused)
                let n = cache.pixels, gain = PixelInput.differenceGain
                var s = 0.0, i = 0
                for d in cache.derivative(s1[0]) { s += (dIn[i] + gain * dIn[n + i]) * Double(d); i += 1 }
                dS1[0] += s
            }
            let b0 = lin0.dNextdAction, a = lin1.dNextdState
            let dA0 = lin0.dLossdAction + dS1[0] * b0[0] + dS1[1] * b0[1]
            // curvatures: V(s₂) along ∂s₂/∂a (open loop), Gym's torque and state costs
            let g0 = [a[0] * b0[0] + a[1] * b0[1], a[2] * b0[0] + a[3] * b0[1]]
            let h1 = 0.002 + PendulumValueSurrogate.curvature(next: lin1.next, sensitivity: lin1.dNextdAction)
            let h0 = 0.002 + 2 * b0[0] * b0[0] + 0.2 * b0[1] * b0[1]
                + PendulumValueSurrogate.curvature(next: lin1.next, sensitivity: g0)
            replay.append(state: s0, target: min(max(a0 - dA0 / h0, -limit), limit))
            replay.append(state: s1, target: min(max(a1 - dA1 / h1, -limit), limit))
        }
        return total / Double(max(2 * count, 1))
    }

    /// `updates` Adam steps, each on `batch` stored targets (frames from the cache).
    public mutating func fit(updates: Int, batch: Int, generator: inout SeededGenerator) {
        guard replay.count > 0 else { return }
        let scale = PendulumDynamics.maxTorque, kappa = PendulumNewtonTrainer.saturationPenalty, dt = PendulumDynamics.dt
        for _ in 0..<updates {
            var gradient = [Double](repeating: 0, count: network.parameterCount)
            let n = min(batch, replay.count)
            for _ in 0..<n {
                let i = Int(generator.next() % UInt64(replay.count))
                let th = replay.states[2 * i], w = replay.states[2 * i + 1]
                var trace = Network.Trace()
                let y = network.forward(input(theta: th, previous: th - dt * w), trace: &trace)[0]
                let yc = min(max(y, -0.999999), 0.999999)
                let d = 2 * scale * (scale * y - replay.targets[i]) + kappa * log((1 + yc) / (1 - yc)) / (1 - yc * yc)
                _ = network.backward([d / Double(n)], trace: trace, gradient: &gradient)
            }
            optimizer.update(&network.parameters, gradient: gradient)
        }
    }

    /// Mean and standard deviation of the Gym return over `episodes` episodes
    /// (Gym's start states from `seed`) seen through the CACHED frames (fast; for
    /// the training curve; `evaluatePendulumPixels` renders every frame).
    public func evaluateCached(episodes: Int, seed: UInt64) -> (mean: Double, std: Double) {
        var g = SeededGenerator(seed: seed)
        var returns = [Double]()
        for _ in 0..<episodes {
            var env = Pendulum<Double>(generator: &g)
            var previous = env.state[0], total = 0.0
            while !env.isDone {
                let th = env.state[0]
                total += env.step(PendulumPixelPolicy.action(network, input(theta: th, previous: previous)))
                previous = th
            }
            returns.append(total)
        }
        let mean = returns.reduce(0, +) / Double(returns.count)
        return (mean, (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)).squareRoot())
    }
}

/// Mean and standard deviation of the Gym return of a pendulum pixel policy over
/// `episodes` episodes (start states from `seed`), every frame path-traced by
/// `observer` (primal render, the policy's frame seed); the first step's previous
/// frame is the frame itself (no motion seen). `onFrame` sees each frame.
public func evaluatePendulumPixels(network: Network, observer: PixelObservation, episodes: Int, seed: UInt64,
                                   maxSteps: Int = PendulumDynamics.maxSteps, frameSeed: UInt64 = PixelPolicy.frameSeed,
                                   onFrame: ((_ episode: Int, _ step: Int, _ state: [Double], _ image: Image) throws -> Void)? = nil)
    throws -> (mean: Double, std: Double, returns: [Double]) {
    let r = try evaluatePixels(PendulumDynamics.self, observer: observer, episodes: episodes, seed: seed, maxSteps: maxSteps,
                               frameSeed: frameSeed, policy: { PendulumPixelPolicy.action(network, $0) }, onFrame: onFrame)
    return (r.mean, r.std, r.returns)
}
