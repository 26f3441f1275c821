import Foundation
import Autodiff
import ImageIO
import Learning
import Render

/// The pixel policies' networks: the input is `PixelInput` (two stacked
/// `resolution`² channels), nothing else; no state goes in.
public enum PixelPolicy {
    /// Hidden units of the policy.
    public static let hidden = 32

    /// The layers for `problem`'s view `resolution` pixels wide (its height
    /// from `SceneTemplate.height(of:width:)`): dense(2·w·h → 32) relu → 1 tanh.
    public static func layers(_ problem: ControlProblem, resolution r: Int) -> [Layer] {
        Network.mlpLayers([2 * r * SceneTemplate.height(of: problem, width: r), hidden, 1], hidden: .relu, output: .tanh)
    }

    /// Default image size and samples per pixel of the policy's view.
    public static let resolution = 32
    public static let samples = 4
    /// Every frame of the policy's view is rendered with this seed (the same
    /// sample pattern each step, so the difference channel shows motion, not noise).
    public static let frameSeed: UInt64 = 7
}

/// One window of a pixel-policy rollout, kept for the backward sweep.
public struct PixelWindow {
    public var steps: [LinearizedStep] = []
    public var traces: [Network.Trace] = []
    public var frames: [PixelFrame] = []
    /// The contrast channel of the last frame (the next window's previous frame).
    public var lastChannel: [Double] = []
    public var state: [Double] = []
    public var reward = 0.0
    public var loss = 0.0
    public var terminated = false
}

/// Backpropagation through time around the closed loop
/// physics → renderer → pixels → network → action → physics.
///
/// Each step renders the state (`PixelObservation.renderWithJacobian`), feeds
/// the network the current and previous frames (`PixelInput`), applies
/// `actionScale · network`, and steps the generic physics (linearised by
/// forward mode). The backward sweep carries ∂loss/∂state through the physics
/// Jacobians, the network's pullback, and the renderer's ∂image/∂state for both
/// frames a step looked at. `useRendererGradient = false` drops the last term
/// (the loop is then open: the policy's influence on future images is ignored).
public struct PixelBPTTTrainer<D: Dynamics, L: SurrogateLoss> {
    public var network: Network
    public var optimizer: Adam
    public var observer: PixelObservation
    public var actionScale: Double
    public var window: Int
    public var clipNorm: Double
    public var useRendererGradient = true
    public var frameSeed = PixelPolicy.frameSeed
    public var environmentSteps = 0
    /// Frames rendered with their Jacobian.
    public var renderedFrames = 0

    public init(network: Network, optimizer: Adam, observer: PixelObservation, actionScale: Double = 1,
                window: Int, clipNorm: Double = 0) {
        self.network = network; self.optimizer = optimizer; self.observer = observer
        self.actionScale = actionScale; self.window = window; self.clipNorm = clipNorm
    }

    /// Simulates up to `count` steps from `start`; `previous` is the contrast
    /// channel of the frame before `start` (nil: the start frame itself, i.e. no motion seen).
    public mutating func rollout(start: [Double], previous: [Double]?, steps count: Int) throws -> PixelWindow {
        var w = PixelWindow()
        var state = start
        var prev = previous
        for _ in 0..<count {
            let frame = try observer.renderWithJacobian(state: state, seed: frameSeed)
            renderedFrames += 1
            let cur = PixelInput.channel(frame.image)
            var trace = Network.Trace()
            let a = actionScale * network.forward(PixelInput.input(current: cur, previous: prev ?? cur, background: observer.background), trace: &trace)[0]
            let lin = LinearizedStep.at(D.self, L.self, state: state, action: a)
            w.reward += D.reward(state, action: a)
            w.loss += lin.loss
            state = lin.next
            prev = cur
            w.steps.append(lin); w.traces.append(trace); w.frames.append(frame)
            if D.isTerminal(state) { w.terminated = true; break }
        }
        environmentSteps += w.steps.count
        w.lastChannel = prev ?? []
        w.state = state
        return w
    }

    /// ∂(sum of the window's losses)/∂parameters, added into `gradient`.
    public func backward(_ w: PixelWindow, _ gradient: inout [Double]) {
        let n = D.stateSize
        var lambda = [Double](repeating: 0, count: n)
        var pendingPrevious = [Double](repeating: 0, count: n)
        for t in w.steps.indices.reversed() {
            let s = w.steps[t]
            var dA = s.dLossdAction
            var dS = s.dLossdState
            for i in 0..<n {
                dA += lambda[i] * s.dNextdAction[i]
                for j in 0..<n { dS[j] += lambda[i] * s.dNextdState[i * n + j] }
            }
            for j in 0..<n { dS[j] += pendingPrevious[j] }
            pendingPrevious = [Double](repeating: 0, count: n)
            let dIn = network.backward([dA * actionScale], trace: w.traces[t], gradient: &gradient)
            if useRendererGradient {
                let pixels = w.frames[t].image.width * w.frames[t].image.height
                let (cur, prev) = PixelInput.pullback(dIn, pixels: pixels)
                let dCur = w.frames[t].pullback(cur)
                for j in 0..<n { dS[j] += dCur[j] }
                if t > 0 { pendingPrevious = w.frames[t - 1].pullback(prev) }
            }
            lambda = dS
        }
    }

    /// The summed loss of a window from `start` and its gradient (no update).
    public mutating func lossAndGradient(start: [Double], steps count: Int) throws -> (loss: Double, gradient: [Double]) {
        let w = try rollout(start: start, previous: nil, steps: count)
        var g = [Double](repeating: 0, count: network.parameterCount)
        backward(w, &g)
        return (w.loss, g)
    }

    /// One training episode from `start` (truncated BPTT over `window` steps,
    /// one Adam step per window); returns its Gym return and length.
    public mutating func trainEpisode(start: [Double], maxSteps: Int = D.maxSteps) throws -> (reward: Double, steps: Int) {
        var state = start
        var previous: [Double]? = nil
        var total = 0.0, steps = 0
        while steps < maxSteps {
            let w = try rollout(start: state, previous: previous, steps: Swift.min(window, maxSteps - steps))
            total += w.reward; steps += w.steps.count
            var g = [Double](repeating: 0, count: network.parameterCount)
            backward(w, &g)
            clip(&g, toNorm: clipNorm)
            optimizer.update(&network.parameters, gradient: g)
            state = w.state; previous = w.lastChannel
            if w.terminated { break }
        }
        return (total, steps)
    }
}

/// Mean and standard deviation of the Gym return of a pixel policy over
/// `episodes` episodes (start states from `seed`); the policy sees only the
/// rendered frames (primal renders, no derivatives).
public func evaluatePixels<D: Dynamics>(_ d: D.Type, observer: PixelObservation, episodes: Int, seed: UInt64,
                                        maxSteps: Int = D.maxSteps, frameSeed: UInt64 = PixelPolicy.frameSeed,
                                        policy: ([Double]) -> Double,
                                        onFrame: ((_ episode: Int, _ step: Int, _ state: [Double], _ image: Image) throws -> Void)? = nil)
    throws -> (mean: Double, std: Double, returns: [Double]) {
    var g = SeededGenerator(seed: seed)
    var returns = [Double]()
    for e in 0..<episodes {
        var env = Environment<D, Double>(generator: &g)
        var total = 0.0
        var previous: [Double]? = nil
        while !env.isDone && env.steps < maxSteps {
            let image = try observer.render(state: env.state, seed: frameSeed)
            try onFrame?(e, env.steps, env.state, image)
            let cur = PixelInput.channel(image)
            total += env.step(policy(PixelInput.input(current: cur, previous: previous ?? cur, background: observer.background)))
            previous = cur
        }
        returns.append(total)
    }
    let mean = returns.reduce(0, +) / Double(returns.count)
    let v = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)
    return (mean, v.squareRoot(), returns)
}

extension PixelPolicy {
    /// Cart-pole from pixels: the state recipe's loss (`CartPoleSurrogate`),
    /// windows of 8 steps, Adam at `learningRate`, gradient clipped to norm 1.
    public static let cartPoleWindow = 8
    public static let learningRate = 0.01
    public static let clipNorm = 1.0

    /// Saves a pixel policy with the view it was trained on.
    public static func save(_ network: Network, to path: String, problem: ControlProblem, resolution: Int, samples: Int,
                            metadata: [String: String] = [:]) throws {
        var m = metadata
        m["environment"] = problem.rawValue
        m["pixels"] = "true"
        m["pixels_resolution"] = String(resolution)
        m["pixels_samples"] = String(samples)
        try network.save(to: path, metadata: m)
    }

    /// Loads a pixel policy for `problem`: the network and the view (resolution, spp) it was trained on.
    public static func load(path: String, problem: ControlProblem) throws -> (network: Network, resolution: Int, samples: Int) {
        let file = try NetworkFile.read(path: path)
        guard file.metadata["pixels"] == "true", let r = file.metadata["pixels_resolution"].flatMap(Int.init),
              let s = file.metadata["pixels_samples"].flatMap(Int.init), r > 0, s > 0 else {
            throw ModelFileError(path: path, "not a pixel policy (metadata pixels, pixels_resolution, pixels_samples missing); train it with `diffray train ENV --pixels`")
        }
        guard file.metadata["environment"] == problem.rawValue else {
            throw ModelFileError(path: path, "pixel policy is for \(file.metadata["environment"] ?? "?"), not \(problem.rawValue)")
        }
        return (try file.network(path: path, expecting: layers(problem, resolution: r)), r, s)
    }
}
