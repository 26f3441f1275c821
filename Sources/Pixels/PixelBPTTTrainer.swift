import Foundation
import Autodiff
import ImageIO
import Learning
import Render
import Control


/// What a pixel policy sees: the last `count` views stacked, so that
/// velocities (and, from more than two frames, less noisy velocities) are
/// observable. With contrast channels c (`PixelInput.channel`), newest first,
/// the input is `[c_t − c_rest, g·(c_t − c_{t−1}), …, g·(c_t − c_{t−count+1})]`
/// (`count·w·h` values, g = `PixelInput.differenceGain`), where c_rest is the
/// fixed background image (`PixelObservation.background`; nil: c_t itself, as
/// `CartCrop` takes it). Two frames give `[c_t − c_rest, g·(c_t − c_{t−1})]`.
/// At an episode's start the missing frames repeat the first one (no motion seen).
public enum FrameStack {
    /// The network input of `history` (contrast channels, newest first, `count` of them).
    @inlinable
    public static func input(_ history: [[Double]], background: [Double]?) -> [Double] {
        let current = history[0], n = current.count, g = PixelInput.differenceGain
        var x = [Double](repeating: 0, count: history.count * n)
        if let background {
            for i in 0..<n { x[i] = current[i] - background[i] }
        } else {
            for i in 0..<n { x[i] = current[i] }
        }
        for j in 1..<history.count {
            let older = history[j]
            for i in 0..<n { x[j * n + i] = g * (current[i] - older[i]) }
        }
        return x
    }

    /// Pulls ∂loss/∂input back to ∂loss/∂image of each stacked frame (linear
    /// RGB adjoints, newest first; `count` of them, `3·pixels` values each).
    @inlinable
    public static func pullback(_ dInput: [Double], count: Int, pixels n: Int) -> [[Double]] {
        var out = [[Double]](repeating: [Double](repeating: 0, count: 3 * n), count: count)
        let g = PixelInput.differenceGain
        for i in 0..<n {
            var dc = dInput[i]
            for j in 1..<count {
                let d = g * dInput[j * n + i]
                dc += d
                out[j][3 * i] = -d; out[j][3 * i + 2] = d
            }
            out[0][3 * i] = dc; out[0][3 * i + 2] = -dc
        }
        return out
    }

    /// `history` with `channel` pushed in front, kept to `count` entries
    /// (padded with the oldest one at an episode's start).
    @inlinable
    public static func push(_ channel: [Double], onto history: [[Double]], count: Int) -> [[Double]] {
        var h = [channel] + history.prefix(count - 1)
        while h.count < count { h.append(h[h.count - 1]) }
        return h
    }
}

/// One window of a pixel-policy rollout, kept for the backward sweep.
public struct PixelWindow {
    public var steps: [LinearizedStep] = []
    public var traces: [Network.Trace] = []
    public var frames: [PixelFrame] = []
    /// The stacked contrast channels after the last step (newest first): the next window's history.
    public var history: [[Double]] = []
    /// The stack each step's input was made from (the window's pullback reads it).
    public var stacks: [[[Double]]] = []
    public var state: [Double] = []
    public var reward = 0.0
    public var loss = 0.0
    public var terminated = false
}

/// Backpropagation through time around the closed loop
/// physics → renderer → pixels → network → action → physics.
///
/// Each step renders the state (`PixelObservation.renderWithJacobian`), feeds
/// the network the last `frames` frames (`FrameStack`), applies
/// `actionScale · network`, and steps the generic physics (linearised by
/// forward mode). The backward sweep carries ∂loss/∂state through the physics
/// Jacobians, the network's pullback, and the renderer's ∂image/∂state for every
/// frame a step looked at (frames from before the window are not differentiated:
/// truncated BPTT). `costToGo` stands for the losses after a window's end: its
/// value at the last state joins the window's loss, and its gradient starts the
/// backward sweep (nothing when the episode ended inside the window).
/// `critic`, if set, replaces `costToGo` with a learned critic (`LearnedCostToGo`,
/// the short-horizon actor-critic of `SHACTrainer` with one environment): the
/// window's losses are discounted by its γ, the target critic's cost-to-go of the
/// simulator's state ends each window, and the critic is fitted to the window's
/// TD(λ) targets after every update. The critic sees the state, the policy only the
/// frames (an asymmetric actor-critic).
/// `useRendererGradient = false` drops the renderer's term
/// (the loop is then open: the policy's influence on future images is ignored).
public struct PixelBPTTTrainer<D: Dynamics, L: SurrogateLoss> {
    public var network: Network
    public var optimizer: Adam
    public var observer: PixelObservation
    public var actionScale: Double
    public var window: Int
    public var clipNorm: Double
    /// Frames the policy sees (`FrameStack`).
    public let frames: Int
    /// The cart-pole's window around the cart (nil: the whole frames).
    public let crop: CartCrop?
    public var useRendererGradient = true
    public var frameSeed = PixelObservation.frameSeed
    public var environmentSteps = 0
    /// Frames rendered with their Jacobian.
    public var renderedFrames = 0
    /// Polyak averaging: after every update, `averaged ← averaged + rate·(parameters − averaged)`
    /// (0: off). The averaged weights are a smoother final policy than the last iterate.
    public var averageRate = 0.0
    public var averaged: [Double] = []
    /// What the state at a window's end costs from there on (nil: nothing, plain truncated BPTT).
    public var costToGo: QuadraticCostToGo?
    /// A learned cost-to-go at every window's end, fitted as training goes (nil: `costToGo`).
    public var critic: LearnedCostToGo<D>?
    /// Weights wᵢ of a quadratic cost Σ wᵢ·sᵢ² on each state reached, added to the
    /// step's loss (`LinearizedStep.addStateCost`; empty: none).
    public var stateCost: [Double] = []
    /// The share of the run's budget spent, for the learning rates' linear decay with a `critic`.
    public var progress = 0.0
    /// The actor's learning rate before the decay (with a `critic`).
    public var baseLearningRate: Double
    /// γ of the window's losses: the critic's, or 1.
    public var discount: Double { critic?.settings.discount ?? 1 }

    public init(network: Network, optimizer: Adam, observer: PixelObservation, actionScale: Double = 1,
                window: Int, clipNorm: Double = 0, frames: Int = 2, crop: Int = 0) {
        let cropped = CartCrop.window(width: crop, frameWidth: observer.width)
        let expected = CartPolePixels.inputSize(frames: frames, width: observer.width, height: observer.height, crop: cropped)
        precondition(frames >= 2 && network.inputSize == expected,
                     "PixelBPTTTrainer: the network takes \(network.inputSize) inputs, expected \(expected) (\(frames) frames of \(observer.width)x\(observer.height), crop \(crop))")
        self.network = network; self.optimizer = optimizer; self.observer = observer
        self.actionScale = actionScale; self.window = window; self.clipNorm = clipNorm; self.frames = frames
        self.crop = cropped
        baseLearningRate = optimizer.learningRate
    }

    /// Simulates up to `count` steps from `start`; `previous` holds the contrast
    /// channels of the frames before `start`, newest first (nil or empty: none, i.e. no motion seen).
    /// No action noise.
    public mutating func rollout(start: [Double], previous: [[Double]]?, steps count: Int) throws -> PixelWindow {
        var unused = SeededGenerator(seed: 0)
        return try rollout(start: start, previous: previous, steps: count, noise: 0, generator: &unused)
    }

    /// `rollout(start:previous:steps:)` with Gaussian noise of standard deviation
    /// `noise` drawn from `generator` added to each action (its gradient passes through).
    public mutating func rollout(start: [Double], previous: [[Double]]?, steps count: Int, noise: Double,
                                 generator: inout SeededGenerator) throws -> PixelWindow {
        var w = PixelWindow()
        var state = start
        var history = previous ?? []
        for _ in 0..<count {
            let frame = try observer.renderWithJacobian(state: state, seed: frameSeed)
            renderedFrames += 1
            history = FrameStack.push(PixelInput.channel(frame.image), onto: history, count: frames)
            var trace = Network.Trace()
            let a = actionScale * network.forward(CartPolePixels.input(history, background: observer.background, crop: crop), trace: &trace)[0]
                + (noise > 0 ? noise * generator.normal() : 0)
            if crop != nil { w.stacks.append(history) }
            var lin = LinearizedStep.at(D.self, L.self, state: state, action: a)
            if !stateCost.isEmpty { lin.addStateCost(stateCost) }
            w.reward += D.reward(state, action: a)
            w.loss += Foundation.pow(discount, Double(w.steps.count)) * lin.loss
            state = lin.next
            w.steps.append(lin); w.traces.append(trace); w.frames.append(frame)
            if D.isTerminal(state) { w.terminated = true; break }
        }
        environmentSteps += w.steps.count
        w.history = history
        w.state = state
        if !w.terminated {
            if let v = critic { w.loss += Foundation.pow(discount, Double(w.steps.count)) * v.value(state) } else if let v = costToGo { w.loss += v.value(state) }
        }
        return w
    }

    /// ∂(sum of the window's losses)/∂parameters, added into `gradient`: the
    /// BPTT sweep (`backpropagate`) with the policy's pullback through the
    /// network and the renderer's ∂frame/∂state of every frame a step looked at.
    public func backward(_ w: PixelWindow, _ gradient: inout [Double]) {
        let n = D.stateSize
        var lambda = [Double](repeating: 0, count: n)
        if !w.terminated {
            if let v = critic { lambda = v.gradient(w.state) } else if let v = costToGo { lambda = v.gradient(w.state) }
        }
        // ∂loss/∂state of each step through the later steps' views of its frame;
        // as in `backpropagate`, step t's quantities are relative to γᵗ (γ = 1 without a critic)
        let gamma = discount
        var pending = [[Double]](repeating: [Double](repeating: 0, count: n), count: w.steps.count)
        backpropagate(w.steps, from: lambda, discount: gamma) { t, dA, dS in
            for j in 0..<n { dS[j] += pending[t][j] }
            let weight = Foundation.pow(gamma, Double(t))
            let dIn = network.backward([dA * actionScale * weight], trace: w.traces[t], gradient: &gradient)
            // The window's first frame shows its start state, where the sweep ends
            // (truncated BPTT), and frames from before the window are constants (at
            // an episode's start, repeats of the first frame fill the stack): their
            // adjoints reach no weight, so only frames 1... of the window are pulled back.
            if useRendererGradient && t > 0 {
                let pixels = w.frames[t].image.width * w.frames[t].image.height
                let adjoints = crop.map { $0.pullback(dIn, history: w.stacks[t]) } ?? FrameStack.pullback(dIn, count: frames, pixels: pixels)
                let dCur = w.frames[t].pullback(adjoints[0])
                for j in 0..<n { dS[j] += dCur[j] / weight }
                for k in 1..<frames where t - k > 0 {
                    let d = w.frames[t - k].pullback(adjoints[k])
                    let earlier = Foundation.pow(gamma, Double(t - k))
                    for j in 0..<n { pending[t - k][j] += d[j] / earlier }
                }
            }
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
    /// one Adam step per window); returns its Gym return and length. Without a `critic`.
    public mutating func trainEpisode(start: [Double], maxSteps: Int = D.maxSteps) throws -> (reward: Double, steps: Int) {
        precondition(critic == nil, "PixelBPTTTrainer: a critic is fitted with a generator (trainEpisode(start:maxSteps:generator:))")
        var unused = SeededGenerator(seed: 0)
        return try trainEpisode(start: start, maxSteps: maxSteps, generator: &unused)
    }

    /// One training episode from `start`: after each window one Adam step and,
    /// with a `critic`, the critic's fit (its mini-batches shuffled by `generator`)
    /// and both learning rates decayed linearly by `progress`. Returns its Gym return and length.
    public mutating func trainEpisode(start: [Double], maxSteps: Int = D.maxSteps,
                                      generator: inout SeededGenerator) throws -> (reward: Double, steps: Int) {
        var state = start
        var history = [[Double]]()
        var total = 0.0, steps = 0
        while steps < maxSteps {
            let w = try rollout(start: state, previous: history, steps: Swift.min(window, maxSteps - steps),
                                noise: critic?.settings.actionNoise ?? 0, generator: &generator)
            total += w.reward; steps += w.steps.count
            var g = [Double](repeating: 0, count: network.parameterCount)
            backward(w, &g)
            clip(&g, toNorm: clipNorm)
            if critic != nil { optimizer.learningRate = baseLearningRate * Swift.max(0, 1 - progress) }
            optimizer.update(&network.parameters, gradient: g)
            critic?.learn(w.steps, last: w.state, terminated: w.terminated, progress: progress, generator: &generator)
            if averageRate > 0 {
                if averaged.count != network.parameterCount { averaged = network.parameters }
                for i in averaged.indices { averaged[i] += averageRate * (network.parameters[i] - averaged[i]) }
            }
            state = w.state; history = w.history
            if w.terminated { break }
        }
        return (total, steps)
    }
}
