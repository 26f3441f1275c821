import Cluster
import Foundation
import Autodiff
import ImageIO
import Learning
import Render
import Control

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
/// at 32² for the bob). Evaluation (`RenderedFramePolicy`) renders every
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

    /// Renders the grid with `observer` (a pendulum observer). `progress` gets the frames done
    /// (this process's). With a distributed `communicator` the angles are shared
    /// over the processes (angle k on rank k mod size) and gathered on every one.
    public static func render(observer: PixelObservation, count: Int, seed: UInt64, communicator: Communicator = .local,
                              progress: ((Int) -> Void)? = nil) throws -> PendulumFrameCache {
        guard observer.problem == .pendulum else {
            throw ControlError("PendulumFrameCache.render: observer is for \(observer.problem.rawValue), expected pendulum")
        }
        let w = observer.width, h = observer.height, n = w * h
        var channels = [Float](repeating: 0, count: count * n), derivatives = channels
        let shards = WorkShards(count: count, over: communicator)
        var mine = [[Double]]()
        for k in shards.owned {
            let theta = -Double.pi + 2 * Double.pi * Double(k) / Double(count)
            let frame = try observer.renderWithJacobian(state: [theta, 0], seed: seed)
            let c = PixelInput.channel(frame.image)
            let j = frame.jacobian[0]
            // The channel, then its derivative, as the Floats the cache keeps (exact in Double).
            mine.append((0..<n).map { Double(Float(c[$0])) } + (0..<n).map { Double(j[3 * $0] - j[3 * $0 + 2]) })
            progress?(mine.count)
        }
        for (k, frame) in shards.allGather(mine).enumerated() {
            for i in 0..<n {
                channels[k * n + i] = Float(frame[i])
                derivatives[k * n + i] = Float(frame[n + i])
            }
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
/// Trained by `PendulumPixelTrainer` on a `PendulumFrameCache`.
public enum PendulumPixels: PixelTask {
    /// `hidden` units; the view, `resolution` pixels wide, `samples` per pixel; the
    /// training frame cache of `cacheAngles` angles (0.5° apart); Adam's
    /// `learningRate`; a training episode of `roundsPerEpisode` rounds of
    /// `windowsPerRound` closed-loop windows of 2 simulated steps (200 steps), each
    /// round followed by `updatesPerRound` Adam updates on `batchSize` stored
    /// targets; `defaultEpisodes` of `train pendulum --pixels --trainer surrogate` (a fixed budget).
    public struct Hyperparameters: Recipe {
        public var hidden: Int, resolution: Int, samples: Int, cacheAngles: Int, learningRate: Double
        public var windowsPerRound: Int, roundsPerEpisode: Int, updatesPerRound: Int, batchSize: Int
        public var defaultEpisodes: Int
        /// The learned critic (`--trainer shac`, the default): windows of 5 steps from random
        /// states (`PendulumTask.fiveStepSettings`, the state trainer's default), and its
        /// budget `shacEpisodes`.
        public var shac: SHACSettings
        public var shacEpisodes: Int
    }

    public static let problem = ControlProblem.pendulum
    public static let stateSize = PendulumDynamics.stateSize
    public static let hyperparameters = Hyperparameters(
        hidden: 32, resolution: 32, samples: 4, cacheAngles: 720, learningRate: 0.003, windowsPerRound: 10, roundsPerEpisode: 10,
        updatesPerRound: 30, batchSize: 32, defaultEpisodes: 30, shac: PendulumTask.fiveStepSettings, shacEpisodes: 100)
    /// The name of the policy in its model files (`pixels_policy`).
    public static let policyName = "pendulum-dense-1"
    public static let defaults = PixelDefaults(resolution: hyperparameters.resolution, samples: hyperparameters.samples, resolutions: 8...128,
                                               learningRate: hyperparameters.learningRate, episodes: hyperparameters.defaultEpisodes)

    public static func defines(state: [Double]) -> [String: String] {
        precondition(state.count >= 1, "SceneTemplate: pendulum state has 2 values")
        return ["angle": define(state[0] * 180 / .pi)]
    }

    /// θ around the circle.
    public static func sweep(_ u: Double) -> [Double] { [2 * Double.pi * u - Double.pi, 0] }

    public static let poseKeys = ["rod.translate", "rod.rotate", "bob.translate"]
    public static let posedStateIndices = [0]

    /// Pivot at the origin, rod centre 0.5 m and bob 1 m from it, turned by +θ about z.
    @inlinable
    public static func pose<T: Real>(state s: [T]) -> [[T]] {
        let z = T(0), th = s[0]
        return [[-T(0.5) * sin(th), T(0.5) * cos(th) - T(0.5), z],
                [z, z, th],
                [-sin(th), cos(th) - T(1), z]]
    }

    public static func layers(resolution r: Int) -> [Layer] {
        Network.mlpLayers([2 * r * r, hyperparameters.hidden, 1], hidden: .relu, output: .tanh)
    }

    public static func layers(_ options: PixelTrainingOptions) -> [Layer] { layers(resolution: options.resolution) }

    public static func layers(_ m: PixelModelMetadata, path: String) throws -> [Layer] {
        guard m.policy == policyName, m.resolution >= 4, m.resolution <= 256 else {
            throw ModelFileError(path: path, "not a pendulum pixel policy (metadata pixels_policy \(m.policy ?? "missing"), expected \(policyName); pixels_resolution in 4...256); train it with `diffray train pendulum --pixels`")
        }
        return layers(resolution: m.resolution)
    }

    public static func validate(_ run: PixelTrainingRun, path: String) throws {
        guard let r = run.replay else {
            throw ModelFileError(path: path, "missing key 'replay', expected the pendulum trainer's replay buffer")
        }
        guard r.states.count == 2 * r.targets.count, r.count <= PendulumReplay.capacity,
              r.cursor >= 0, r.cursor < PendulumReplay.capacity else {
            throw ModelFileError(path: path, "inconsistent replay buffer: \(r.states.count) state values for \(r.targets.count) targets, cursor \(r.cursor); expected 2 per target, at most \(PendulumReplay.capacity) targets and a cursor in 0..<\(PendulumReplay.capacity)")
        }
    }

    public static func describe(_ run: PixelTrainingRun, in m: inout PixelModelMetadata) { m.policy = policyName }

    /// The torque for a network input.
    @inlinable
    public static func action(_ network: Network, _ input: [Double]) -> Double {
        PendulumDynamics.maxTorque * network.predict(input)[0]
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
    /// The processes the windows and each update's batch are spread over.
    public var communicator = Communicator.local

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
    /// targets. Returns the mean Gym reward per simulated step. Every process
    /// draws every window's start (the generator stays in step) and simulates its
    /// share (`WorkShards`); the targets are stored in window order.
    public mutating func collect(windows count: Int, generator: inout SeededGenerator) -> Double {
        let starts = (0..<count).map { _ in PendulumTrainingDynamics.startState(&generator) }
        let shards = WorkShards(count: count, over: communicator, layout: .blocks)
        let windows = shards.allGather(shards.owned.map { window(from: starts[$0]) })
        var total = 0.0
        for (s0, w) in zip(starts, windows) {
            environmentSteps += 2
            total += w[4]
            replay.append(state: s0, target: w[2])
            replay.append(state: [w[0], w[1]], target: w[3])
        }
        return total / Double(max(2 * count, 1))
    }

    /// One window from `s0`: [θ₁, θ̇₁, the Newton targets of a₀ and a₁, the two steps' Gym reward].
    func window(from s0: [Double]) -> [Double] {
        let scale = PendulumDynamics.maxTorque, dt = PendulumDynamics.dt, limit = PendulumNewtonTrainer.targetLimit
        let x0 = input(theta: s0[0], previous: s0[0] - dt * s0[1])
        let a0 = scale * network.predict(x0)[0]
        let lin0 = LinearizedStep.at(PendulumTrainingDynamics.self, PendulumSurrogate.self, state: s0, action: a0)
        let s1 = lin0.next
        let x1 = input(theta: s1[0], previous: s0[0])
        var trace = Network.Trace()
        let a1 = scale * network.forward(x1, trace: &trace)[0]
        let lin1 = LinearizedStep.at(PendulumTrainingDynamics.self, PendulumGreedySurrogate.self, state: s1, action: a1)
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
        return [s1[0], s1[1], min(max(a0 - dA0 / h0, -limit), limit), min(max(a1 - dA1 / h1, -limit), limit),
                PendulumDynamics.reward(s0, action: a0) + PendulumDynamics.reward(s1, action: a1)]
    }

    /// `updates` Adam steps, each on `batch` stored targets (frames from the cache;
    /// `PendulumNewtonTrainer.fit`, the batch spread over `communicator`).
    public mutating func fit(updates: Int, batch: Int, generator: inout SeededGenerator) {
        let dt = PendulumDynamics.dt, frames = self
        PendulumNewtonTrainer.fit(&network, &optimizer, replay: replay, updates: updates, batch: batch, generator: &generator,
                                  communicator: communicator) { frames.input(theta: $0, previous: $0 - dt * $1) }
    }

    /// The trained policy seeing the CACHED frames (fast; for the training
    /// curve): the previous frame of an episode's first step is the frame itself.
    public var cachedFramePolicy: CachedFramePolicy { CachedFramePolicy(trainer: self) }
}

/// A pendulum pixel policy looking its frames up in a `PendulumFrameCache`
/// (`PendulumPixelTrainer.cachedFramePolicy`) instead of rendering them.
public struct CachedFramePolicy: Policy {
    let trainer: PendulumPixelTrainer
    var previous: Double?

    public mutating func startEpisode(_ episode: Int) { previous = nil }

    public mutating func action(state: [Double], step: Int) -> Double {
        let th = state[0]
        let a = PendulumPixels.action(trainer.network, trainer.input(theta: th, previous: previous ?? th))
        previous = th
        return a
    }
}

extension PendulumFrameCache {
    /// The cache file's key: the view, the angles, the frame seed and the scene template's text (its hash).
    public static func key(resolution: Int, samples: Int, count: Int, seed: UInt64, sceneHash: String) -> String {
        "res=\(resolution) spp=\(samples) angles=\(count) seed=\(seed) scene=\(sceneHash)"
    }

    /// The frame cache of `observer` kept at `path`: read when the file was made
    /// for the same view, angles, frame seed and scene (`key`), else rendered
    /// (`PendulumPixels.hyperparameters.cacheAngles` angles, the policy's frame
    /// seed) and written there. `rendered` is the number of frames rendered (0: reused).
    public static func load(path: String, observer: PixelObservation, sceneHash: String) throws -> (cache: PendulumFrameCache, rendered: Int) {
        let count = PendulumPixels.hyperparameters.cacheAngles, seed = PixelObservation.frameSeed
        let key = key(resolution: observer.resolution, samples: observer.samples, count: count, seed: seed, sceneHash: sceneHash)
        if let cached = read(path: path, key: key) { return (cached, 0) }
        let cache = try render(observer: observer, count: count, seed: seed, communicator: .world)
        try cache.write(path: path, key: key)
        return (cache, cache.count)
    }
}

extension PendulumPixelTrainer {
    /// One window of the short-horizon actor-critic from pixels (`SHACSettings`, the
    /// state trainer's `restartSteps` = `horizon`): `settings.horizon` closed-loop steps
    /// from a random state, the policy seeing the cached frames (the previous frame of
    /// the first step that of θ₀ − dt·θ̇₀), the losses minus Gym's reward discounted by
    /// γ plus the saturation penalty, the window's end bootstrapped by `critic`'s target
    /// (which sees the state: an asymmetric actor-critic). The backward sweep runs
    /// through the physics, the network and each frame's ∂channel/∂θ (the previous
    /// frame's into the step before; the first step's frames are constants); then one
    /// Adam step at `learningRate` (the gradient clipped to `settings.clipNorm`) and the
    /// critic's fit to the window's TD(λ) targets. Returns the window's Gym reward.
    public mutating func shacWindow(critic: inout LearnedCostToGo<PendulumTrainingDynamics>, learningRate: Double, progress: Double,
                                    generator: inout SeededGenerator) -> Double {
        let s = critic.settings, scale = PendulumDynamics.maxTorque, dt = PendulumDynamics.dt, gamma = s.discount
        var state = PendulumTrainingDynamics.startState(&generator)
        var previous = state[0] - dt * state[1]
        var steps = [LinearizedStep](), traces = [Network.Trace](), angles = [Double](), reward = 0.0
        for _ in 0..<s.horizon {
            var trace = Network.Trace()
            let a = scale * network.forward(input(theta: state[0], previous: previous), trace: &trace)[0]
            let lin = LinearizedStep.at(PendulumTrainingDynamics.self, PendulumSurrogate.self, state: state, action: a)
            reward += PendulumDynamics.reward(state, action: a)
            steps.append(lin); traces.append(trace); angles.append(state[0])
            previous = state[0]; state = lin.next
        }
        environmentSteps += steps.count
        let n = cache.pixels, gain = PixelInput.differenceGain
        var gradient = [Double](repeating: 0, count: network.parameterCount)
        var pending = [Double](repeating: 0, count: steps.count)
        backpropagate(steps, from: critic.gradient(state), discount: gamma) { t, dA, dS in
            dS[0] += pending[t]
            let w = Foundation.pow(gamma, Double(t))
            let penalty = s.saturationGradient(traces[t], layers: network.layers)
            let dIn = network.backward([(dA * scale + penalty) * w], trace: traces[t], gradient: &gradient)
            guard useRendererGradient && t > 0 else { return }
            // the input [c(θ_t) − c_rest, g·(c(θ_t) − c(θ_{t−1}))]: θ_t's frame here, θ_{t−1}'s into the step before
            var current = 0.0, older = 0.0, i = 0
            for d in cache.derivative(angles[t]) { current += (dIn[i] + gain * dIn[n + i]) * Double(d); i += 1 }
            i = 0
            for d in cache.derivative(angles[t - 1]) { older -= gain * dIn[n + i] * Double(d); i += 1 }
            dS[0] += current / w
            pending[t - 1] += older / Foundation.pow(gamma, Double(t - 1))
        }
        for i in gradient.indices { gradient[i] *= s.lossScale / Double(steps.count) }
        clip(&gradient, toNorm: s.clipNorm)
        optimizer.learningRate = learningRate
        optimizer.update(&network.parameters, gradient: gradient)
        critic.learn(steps, last: state, terminated: false, progress: progress, generator: &generator)
        return reward
    }
}

extension PendulumPixels {
    public static var criticSettings: SHACSettings? { hyperparameters.shac }
    public static var criticInputs: Int { PendulumTrainingDynamics.observationSize }
}
