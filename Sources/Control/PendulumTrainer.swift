import Autodiff
import Cluster
import Learning

/// A documented analytic value surrogate for Pendulum-v1's cost-to-go, used as
/// the terminal value of one-step BPTT windows (`PendulumNewtonTrainer`).
///
/// V(s) = k·((E − E*)/E*)² + [P₁₁·2(1 − cos θ) + 2P₁₂·sin θ·θ̇ + P₂₂·θ̇²]
///
/// - E = ½θ̇² + (3g/2l)·cos θ is the energy per unit inertia, E* = 3g/2l = 15
///   the upright energy at rest; k = `energyWeight` = 30. Energy shaping: its
///   gradient pumps energy in below E* and takes it out above.
/// - P is the solution of the discrete algebraic Riccati equation of Gym's
///   dynamics linearised about the upright (dt = 0.05, semi-implicit Euler:
///   A = [[1 + 15dt², dt], [15dt, 1]], B = [3dt², 3dt]) with Gym's cost
///   (Q = diag(1, 0.1), R = 0.001): near the top (θ → 0, where 2(1 − cos θ) ≈ θ²
///   and sin θ ≈ θ) the bracket is the LQR cost-to-go xᵀPx; written with cos/sin
///   it is periodic and smooth everywhere.
///
/// A one-step greedy controller on c(s, u) + V(s′) (exhaustive search over the
/// torque, `greedyAction`) scores about −141 over 100 Gym episodes: the surrogate
/// carries the swing-up knowledge; the network learns to act greedily on it.
public enum PendulumValueSurrogate {
    public static let energyWeight = 30.0
    /// E* = 3g / 2l.
    public static let uprightEnergy = 3 * PendulumDynamics.g / (2 * PendulumDynamics.l)
    /// [P₁₁, P₁₂, P₂₂] of the upright LQR (solved at first use by iterating the Riccati recursion).
    public static let riccati: [Double] = solveRiccati()

    /// The Riccati recursion P ← Q + AᵀPA − AᵀPB (R + BᵀPB)⁻¹ BᵀPA iterated to convergence.
    public static func solveRiccati() -> [Double] {
        let dt = PendulumDynamics.dt, k = uprightEnergy, c = 3 / (PendulumDynamics.m * PendulumDynamics.l * PendulumDynamics.l)
        let a = [[1 + k * dt * dt, dt], [k * dt, 1.0]], b = [c * dt * dt, c * dt]
        let q = [1.0, 0.1], r = 0.001
        var p = [[q[0], 0.0], [0.0, q[1]]]
        for _ in 0..<10_000 {
            let pb = [p[0][0] * b[0] + p[0][1] * b[1], p[1][0] * b[0] + p[1][1] * b[1]]
            let s = r + b[0] * pb[0] + b[1] * pb[1]
            let bpa = [pb[0] * a[0][0] + pb[1] * a[1][0], pb[0] * a[0][1] + pb[1] * a[1][1]]
            var next = [[0.0, 0.0], [0.0, 0.0]]
            for i in 0..<2 {
                for j in 0..<2 {
                    var v = 0.0
                    for m in 0..<2 { for n in 0..<2 { v += a[m][i] * p[m][n] * a[n][j] } }
                    next[i][j] = (i == j ? q[i] : 0) + v - bpa[i] * bpa[j] / s
                }
            }
            let change = abs(next[0][0] - p[0][0]) + abs(next[0][1] - p[0][1]) + abs(next[1][1] - p[1][1])
            p = next
            if change < 1e-13 { break }
        }
        return [p[0][0], p[0][1], p[1][1]]
    }

    @inlinable
    public static func energy<T: Real>(_ s: [T]) -> T {
        T(0.5) * s[1] * s[1] + T(uprightEnergy) * cos(s[0])
    }

    /// V(s) (see the type's documentation).
    @inlinable
    public static func value<T: Real>(_ s: [T]) -> T {
        let p = riccati
        let e = (energy(s) - T(uprightEnergy)) / T(uprightEnergy)
        let th = s[0], w = s[1]
        return T(energyWeight) * e * e
            + T(2 * p[0]) * (T(1) - cos(th)) + T(2 * p[1]) * sin(th) * w + T(p[2]) * w * w
    }

    /// The Gauss–Newton curvature of V(s′) along a sensitivity g = ∂s′/∂a:
    /// 2k·(∇e(s′)·g)² + 2·gᵀPg, e = (E(s′) − E*)/E* (k·e²'s second-order part is left out).
    @inlinable
    public static func curvature(next: [Double], sensitivity g: [Double]) -> Double {
        let p = riccati, eStar = uprightEnergy
        let de = (-eStar * sin(next[0]) * g[0] + next[1] * g[1]) / eStar
        return 2 * energyWeight * de * de + 2 * (p[0] * g[0] * g[0] + 2 * p[1] * g[0] * g[1] + p[2] * g[1] * g[1])
    }

    /// The torque in [−2, 2] (steps of 0.05) minimising c(s, u) + V(step(s, u)):
    /// the greedy controller the surrogate implies (a reference, not used in training).
    public static func greedyAction(_ s: [Double]) -> Double {
        var best = 0.0, bestLoss = Double.infinity
        for k in 0...80 {
            let u = -2 + 0.05 * Double(k)
            let l = PendulumGreedySurrogate.loss(state: s, action: u, next: PendulumDynamics.step(s, action: u))
            if l < bestLoss { bestLoss = l; best = u }
        }
        return best
    }
}

/// The one-step training loss: Gym's cost of the step (torque clamped) plus the
/// value surrogate V of the state reached.
public enum PendulumGreedySurrogate: SurrogateLoss {
    @inlinable
    public static func loss<T: Real>(state: [T], action: T, next: [T]) -> T {
        -PendulumDynamics.reward(state, action: action) + PendulumValueSurrogate.value(next)
    }
}

/// Every simulated step so far and its Newton target: what the policy is fitted to.
/// FIFO, at most `capacity` entries. Saved in the training checkpoint.
public struct PendulumReplay: Codable, Equatable, Sendable {
    public static let capacity = 20_000
    /// θ, θ̇ of each stored step (interleaved).
    public var states: [Double] = []
    /// The Newton target torque of each stored step.
    public var targets: [Double] = []
    /// Where the next entry goes once full.
    public var cursor = 0

    public init() {}
    public var count: Int { targets.count }

    public mutating func append(state: [Double], target: Double) {
        if count < PendulumReplay.capacity {
            states.append(contentsOf: state[0..<2]); targets.append(target)
        } else {
            states[2 * cursor] = state[0]; states[2 * cursor + 1] = state[1]; targets[cursor] = target
            cursor = (cursor + 1) % PendulumReplay.capacity
        }
    }
}

/// Pendulum swing-up from one-step windows of BPTT through the exact physics,
/// with `PendulumValueSurrogate` as the terminal value.
///
/// Each simulated step starts from a random state (θ ~ U(−π, π), θ̇ ~ U(−8, 8);
/// `PendulumTrainingDynamics`: Gym's step, with the θ̇ clip passing gradients
/// straight through), takes the policy's torque a, and is linearised by forward
/// mode: the loss ℓ(a) = c(s, a) + V(s′(a)) gets its exact derivative ℓ′(a)
/// through the physics, and a Gauss–Newton curvature
/// h = 0.002 + 2k·(∂e/∂a)² + 2·bᵀPb (b = ∂s′/∂a, e = (E(s′) − E*)/E*; the
/// Hessians of Gym's torque cost, of k·e² without its second-order part, and of
/// the quadratic form). The step's Newton target a − ℓ′(a)/h (clipped to
/// ±`targetLimit`) is the torque the local quadratic model of ℓ prefers; it goes
/// into a replay buffer with the state. Between simulated steps the policy is
/// fitted to the buffer by Adam on (a(s) − target)² + κ·atanh(a/2)² (the second
/// term keeps the tanh output out of saturation). Fitting reuses stored data
/// and simulates nothing; every simulated step counts in `environmentSteps`.
public struct PendulumNewtonTrainer {
    public var network: Network
    public var optimizer: Adam
    public var replay: PendulumReplay
    public var environmentSteps = 0
    /// The processes each update's batch is spread over (`fit`).
    public var communicator = Communicator.local

    /// Torque targets are clipped to ±1.95 (a tanh output reaches ±2 only at infinity).
    public static let targetLimit = 1.95
    /// κ of the saturation penalty.
    public static let saturationPenalty = 0.01

    public init(network: Network, optimizer: Adam, replay: PendulumReplay = PendulumReplay()) {
        self.network = network; self.optimizer = optimizer; self.replay = replay
    }

    /// The Newton target of one simulated step of the policy's torque `action`
    /// from `state`, and the step's Gym reward.
    @inlinable
    public static func newtonTarget(state: [Double], action: Double) -> (target: Double, reward: Double) {
        let lin = LinearizedStep.at(PendulumTrainingDynamics.self, PendulumGreedySurrogate.self, state: state, action: action)
        let torqueCurvature = abs(action) < PendulumDynamics.maxTorque ? 0.002 : 0
        let h = torqueCurvature + PendulumValueSurrogate.curvature(next: lin.next, sensitivity: lin.dNextdAction)
        let target = min(max(action - lin.dLossdAction / h, -targetLimit), targetLimit)
        return (target, PendulumDynamics.reward(state, action: action))
    }

    /// Simulates `count` steps, each from a fresh random state, with the current
    /// policy; stores their Newton targets. Returns the mean Gym reward per step.
    public mutating func collect(count: Int, generator: inout SeededGenerator) -> Double {
        var total = 0.0
        for _ in 0..<count {
            let s = PendulumTrainingDynamics.startState(&generator)
            let a = PendulumTask.action(network, observation: PendulumDynamics.observation(s))
            let r = PendulumNewtonTrainer.newtonTarget(state: s, action: a)
            replay.append(state: s, target: r.target)
            total += r.reward
            environmentSteps += 1
        }
        return total / Double(max(count, 1))
    }

    /// `updates` Adam steps, each on `batch` entries drawn from the replay buffer
    /// (`fit(_:_:replay:...)`; `collect`'s few steps run whole on every process).
    public mutating func fit(updates: Int, batch: Int, generator: inout SeededGenerator) {
        PendulumNewtonTrainer.fit(&network, &optimizer, replay: replay, updates: updates, batch: batch, generator: &generator,
                                  communicator: communicator) { PendulumTask.policyInput(PendulumDynamics.observation([$0, $1])) }
    }

    /// `updates` Adam steps of a policy 2·tanh(`network`) towards the replay
    /// buffer's Newton targets, each on `batch` entries drawn from it, by
    /// (a(s) − target)² + κ·atanh(a/2)²; `input` is the network's input for a
    /// stored θ, θ̇. Every process draws every entry (the generator stays in
    /// step); a batch large enough to pay for a collective (`Communicator.sharing(work:)`:
    /// the pixel policy's, not the state policy's) is spread over `communicator`'s
    /// processes and its gradients added in batch order (`WorkShards`), so the
    /// weights do not depend on the number of processes.
    public static func fit(_ network: inout Network, _ optimizer: inout Adam, replay: PendulumReplay, updates: Int, batch: Int,
                           generator: inout SeededGenerator, communicator: Communicator,
                           input: (_ theta: Double, _ thetaDot: Double) -> [Double]) {
        guard replay.count > 0 else { return }
        let scale = PendulumDynamics.maxTorque, kappa = PendulumNewtonTrainer.saturationPenalty
        for _ in 0..<updates {
            let n = min(batch, replay.count)
            let entries = (0..<n).map { _ in Int(generator.next() % UInt64(replay.count)) }
            let net = network
            let shards = WorkShards(count: n, over: communicator.sharing(work: n * net.parameterCount), layout: .blocks)
            let gradient = shards.accumulateInShardOrder(length: net.parameterCount) { k, gradient in
                let i = entries[k]
                var trace = Network.Trace()
                let y = net.forward(input(replay.states[2 * i], replay.states[2 * i + 1]), trace: &trace)[0]
                let yc = min(max(y, -0.999999), 0.999999)
                // d/dy [(2y − t)² + κ·atanh(y)²]
                let d = 2 * scale * (scale * y - replay.targets[i]) + kappa * log((1 + yc) / (1 - yc)) / (1 - yc * yc)
                _ = net.backward([d / Double(n)], trace: trace, gradient: &gradient)
            }
            optimizer.update(&network.parameters, gradient: gradient)
        }
    }
}
