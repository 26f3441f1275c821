import Autodiff
import Learning

/// A differentiable per-step training loss for an environment: a stand-in for
/// (minus) its reward that has useful gradients.
public protocol SurrogateLoss {
    /// The loss of taking `action` in `state`, arriving in `next`.
    static func loss<T: Real>(state: [T], action: T, next: [T]) -> T
}

/// One step linearised by forward mode (`Dual8`) through the generic physics.
public struct LinearizedStep {
    public var next: [Double]
    /// ∂next/∂state (row-major, n × n) and ∂next/∂action (n).
    public var dNextdState: [Double]
    public var dNextdAction: [Double]
    public var loss: Double
    public var dLossdState: [Double]
    public var dLossdAction: Double
    /// The observation of `state` and its Jacobian ∂obs/∂state (m × n, row-major).
    public var observation: [Double]
    public var dObsdState: [Double]

    @inlinable
    public init(next: [Double], dNextdState: [Double], dNextdAction: [Double], loss: Double, dLossdState: [Double],
                dLossdAction: Double, observation: [Double], dObsdState: [Double]) {
        self.next = next; self.dNextdState = dNextdState; self.dNextdAction = dNextdAction; self.loss = loss
        self.dLossdState = dLossdState; self.dLossdAction = dLossdAction; self.observation = observation
        self.dObsdState = dObsdState
    }
}

extension LinearizedStep {
    /// Linearises one step of `D` at (`state`, `action`) with the loss `L`.
    @inlinable
    public static func at<D: Dynamics, L: SurrogateLoss>(_ d: D.Type, _ l: L.Type, state: [Double], action: Double) -> LinearizedStep {
        let n = state.count
        precondition(n < 8, "Dual8 linearisation takes at most 7 state variables")
        let s = (0..<n).map { Dual8(state[$0], variable: $0) }
        let a = Dual8(action, variable: n)
        let next = D.step(s, action: a)
        let loss = L.loss(state: s, action: a, next: next)
        var jS = [Double](repeating: 0, count: n * n), jA = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<n { jS[i * n + j] = next[i].partial(j) }
            jA[i] = next[i].partial(n)
        }
        let (obs, jO) = observationJacobian(D.self, s)
        return LinearizedStep(next: next.map(\.value), dNextdState: jS, dNextdAction: jA,
                              loss: loss.value, dLossdState: (0..<n).map { loss.partial($0) },
                              dLossdAction: loss.partial(n), observation: obs, dObsdState: jO)
    }

    /// Adds Σᵢ wᵢ·nextᵢ², a quadratic cost on the state reached (`weights[i]` for
    /// state variable i), to the step's loss, with its derivatives through ∂next/∂state and ∂next/∂action.
    @inlinable
    public mutating func addStateCost(_ weights: [Double]) {
        let n = next.count
        for i in weights.indices where weights[i] != 0 {
            let d = 2 * weights[i] * next[i]
            loss += weights[i] * next[i] * next[i]
            for j in 0..<n { dLossdState[j] += d * dNextdState[i * n + j] }
            dLossdAction += d * dNextdAction[i]
        }
    }

    /// The observation of a state and its Jacobian ∂obs/∂state (m × n, row-major),
    /// from the state's duals (each variable's own partial seeded).
    @inlinable
    public static func observationJacobian<D: Dynamics>(_ d: D.Type, _ s: [Dual8]) -> ([Double], [Double]) {
        let n = s.count
        let obs = D.observation(s)
        var jacobian = [Double](repeating: 0, count: obs.count * n)
        for i in obs.indices { for j in 0..<n { jacobian[i * n + j] = obs[i].partial(j) } }
        return (obs.map(\.value), jacobian)
    }
}

/// Trains a policy network by backpropagation through time through an
/// environment's differentiable physics.
///
/// The policy maps the observation to `actionScale · network(observation)`.
/// An episode is cut into windows of `window` steps; after each window the
/// summed surrogate loss is differentiated back through every step of the
/// window (physics Jacobians by forward mode through the generic step, the
/// network by its hand-written pullback; truncated BPTT: nothing flows into
/// the window's start state) and Adam takes one step.
public struct BPTTTrainer<D: Dynamics, L: SurrogateLoss> {
    public var network: Network
    public var optimizer: Adam
    public var actionScale: Double
    public var window: Int
    /// Every simulated step so far (training only).
    public var environmentSteps = 0
    /// Clip the window's gradient to this norm (0: no clipping).
    public var clipNorm: Double

    public init(network: Network, optimizer: Adam, actionScale: Double, window: Int, clipNorm: Double = 0) {
        self.network = network
        self.optimizer = optimizer
        self.actionScale = actionScale
        self.window = window
        self.clipNorm = clipNorm
    }

    /// The policy's action for an observation (plain `Double`).
    public func action(_ observation: [Double]) -> Double { actionScale * network.predict(observation)[0] }

    /// One training episode from `start`; returns its Gym return and length.
    public mutating func trainEpisode(start: [Double]) -> (reward: Double, steps: Int) {
        var env = Environment<D, Double>(state: start)
        var total = 0.0
        while !env.isDone {
            var steps = [LinearizedStep](), traces = [Network.Trace](), outputs = [Double]()
            while steps.count < window && !env.isDone {
                var trace = Network.Trace()
                let out = network.forward(env.observation, trace: &trace)[0]
                let a = actionScale * out
                let lin = LinearizedStep.at(D.self, L.self, state: env.state, action: a)
                total += env.step(a)
                steps.append(lin); traces.append(trace); outputs.append(out)
            }
            environmentSteps += steps.count
            var gradient = [Double](repeating: 0, count: network.parameterCount)
            backward(steps, traces, &gradient)
            clip(&gradient, toNorm: clipNorm)
            optimizer.update(&network.parameters, gradient: gradient)
        }
        return (total, env.steps)
    }

    /// The reverse sweep over a window (`backpropagate`), through the network
    /// and the observation's Jacobian.
    func backward(_ steps: [LinearizedStep], _ traces: [Network.Trace], _ gradient: inout [Double]) {
        let n = D.stateSize
        // ∂L/∂(state after the last step): nothing beyond the window
        backpropagate(steps, from: [Double](repeating: 0, count: n)) { t, dA, dS in
            let s = steps[t]
            let dObs = network.backward([dA * actionScale], trace: traces[t], gradient: &gradient)
            for i in dObs.indices { for j in 0..<n { dS[j] += dObs[i] * s.dObsdState[i * n + j] } }
        }
    }
}

/// The reverse sweep of backpropagation through time over a window of
/// linearised steps, shared by every BPTT trainer. λ, ∂loss/∂state, starts at
/// `terminal` (the gradient of what the state after the last step costs; zeros
/// for plain truncated BPTT) and runs back through each step's physics
/// Jacobians: ∂loss/∂action_t = ∂ℓ_t/∂a + λ·∂next/∂a and ∂loss/∂state_t =
/// ∂ℓ_t/∂s + λ·∂next/∂s. `policy(t, ∂loss/∂action_t, &∂loss/∂state_t)` is the
/// policy's pullback: it takes the action's adjoint into the weights' gradient
/// and adds what flows through the policy's input (the observation, or the
/// rendered frames) to the state's adjoint, which becomes the next λ. With a
/// `discount` γ < 1 the losses are weighed γᵗ and every quantity of step t is
/// relative to γᵗ: λ is multiplied by γ at each step back, and the policy's
/// pullback must weigh the weights' gradient by γᵗ.
@inlinable
public func backpropagate(_ steps: [LinearizedStep], from terminal: [Double], discount: Double = 1,
                          policy: (_ step: Int, _ dAction: Double, _ dState: inout [Double]) -> Void) {
    let n = terminal.count
    var lambda = terminal
    for t in steps.indices.reversed() {
        if discount != 1 { for i in 0..<n { lambda[i] *= discount } }
        let s = steps[t]
        var dA = s.dLossdAction
        var dS = s.dLossdState
        for i in 0..<n {
            dA += lambda[i] * s.dNextdAction[i]
            for j in 0..<n { dS[j] += lambda[i] * s.dNextdState[i * n + j] }
        }
        policy(t, dA, &dS)
        lambda = dS
    }
}

/// The seed's cart-pole loss: squared distance of the shaped reward from its maximum 1.
public enum CartPoleSurrogate: SurrogateLoss {
    @inlinable
    public static func loss<T: Real>(state: [T], action: T, next: [T]) -> T {
        let r = CartPoleDynamics.shapedReward(next)
        return (T(1) - r) * (T(1) - r)
    }
}

/// The pendulum's own cost (−reward, with the torque clamped) as a training loss.
public enum PendulumSurrogate: SurrogateLoss {
    @inlinable
    public static func loss<T: Real>(state: [T], action: T, next: [T]) -> T {
        -PendulumDynamics.reward(state, action: action)
    }
}
