import Autodiff
import Learning

/// Gym's Pendulum-v1: swing a pendulum up and hold it with a torque of at most 2 N·m.
///
/// State `[θ, θ̇]` (rad, 0 = upright; rad/s); observation `[cos θ, sin θ, θ̇]`.
/// The action is the torque (N·m), clamped to ±2 in the dynamics AND in the
/// cost (the seed's Julia demo clamped it only when drawing). θ̇ is clipped to
/// ±8 rad/s; dt = 0.05 s; 200-step episodes; start θ ~ U(−π, π), θ̇ ~ U(−1, 1).
/// Reward −(angle_normalize(θ)² + 0.1 θ̇² + 0.001 u²).
public enum PendulumDynamics: Dynamics {
    public static let name = "pendulum"
    public static let maxSpeed = 8.0
    public static let maxTorque = 2.0
    public static let dt = 0.05
    public static let g = 10.0
    public static let m = 1.0
    public static let l = 1.0
    public static let stateSize = 2
    public static let observationSize = 3
    public static let maxSteps = 200

    public static func startState(_ gen: inout SeededGenerator) -> [Double] {
        [gen.uniform(-Double.pi, Double.pi), gen.uniform(-1, 1)]
    }

    /// θ wrapped into [−π, π) (the floor has zero derivative, so d/dθ = 1).
    @inlinable
    public static func angleNormalize<T: Real>(_ x: T) -> T {
        let twoPi = 2 * Double.pi
        return x - T(twoPi) * floor((x + T(Double.pi)) / T(twoPi))
    }

    @inlinable
    public static func step<T: Real>(_ s: [T], action: T) -> [T] {
        let u = clamp(action, T(-maxTorque), T(maxTorque))
        let th = s[0], thdot = s[1]
        var newThdot = thdot + (T(3 * g / (2 * l)) * sin(th) + T(3.0 / (m * l * l)) * u) * T(dt)
        newThdot = clamp(newThdot, T(-maxSpeed), T(maxSpeed))
        return [th + newThdot * T(dt), newThdot]
    }

    @inlinable
    public static func reward<T: Real>(_ s: [T], action: T) -> T {
        let u = clamp(action, T(-maxTorque), T(maxTorque))
        let a = angleNormalize(s[0])
        return -(a * a + T(0.1) * s[1] * s[1] + T(0.001) * u * u)
    }

    @inlinable
    public static func observation<T: Real>(_ s: [T]) -> [T] { [cos(s[0]), sin(s[0]), s[1]] }

    public static func isTerminal(_ s: [Double]) -> Bool { false }
}

/// A pendulum episode.
public typealias Pendulum<T: Real> = Environment<PendulumDynamics, T>

extension Environment where D == PendulumDynamics {
    /// The pendulum's angle from upright (rad): what a scene builder needs.
    @inlinable public var angle: T { state[0] }
}

/// The pendulum as the swing-up trainer simulates and differentiates it.
///
/// The forward values are Gym's (`PendulumDynamics.step` and `reward`); two
/// things differ, both documented surrogates for training only:
/// - the clip of θ̇ to ±8 rad/s passes gradients straight through (its true
///   derivative is 0 while clipped, which leaves a policy spinning at the speed
///   limit with no gradient to slow it down);
/// - the policy sees `[cos θ, sin θ, θ̇ / 8]` (see `PendulumTask.policyInput`);
/// and training windows start anywhere in the state space: θ ~ U(−π, π),
/// θ̇ ~ U(−8, 8) (the simulator can be started in any state).
public enum PendulumTrainingDynamics: Dynamics {
    public static let name = "pendulum"
    public static let stateSize = 2
    public static let observationSize = 3
    public static let maxSteps = 200

    public static func startState(_ gen: inout SeededGenerator) -> [Double] {
        [gen.uniform(-Double.pi, Double.pi), gen.uniform(-PendulumDynamics.maxSpeed, PendulumDynamics.maxSpeed)]
    }

    /// Gym's start states (`PendulumDynamics.startState`), as episodes are judged.
    public static func episodeStartState(_ gen: inout SeededGenerator) -> [Double] { PendulumDynamics.startState(&gen) }

    @inlinable
    public static func step<T: Real>(_ s: [T], action: T) -> [T] {
        typealias P = PendulumDynamics
        let u = clamp(action, T(-P.maxTorque), T(P.maxTorque))
        let th = s[0], thdot = s[1]
        let free = thdot + (T(3 * P.g / (2 * P.l)) * sin(th) + T(3.0 / (P.m * P.l * P.l)) * u) * T(P.dt)
        let newThdot = straightThrough(clamp(free, T(-P.maxSpeed), T(P.maxSpeed)), backward: free)
        return [th + newThdot * T(P.dt), newThdot]
    }

    @inlinable
    public static func reward<T: Real>(_ s: [T], action: T) -> T { PendulumDynamics.reward(s, action: action) }

    @inlinable
    public static func observation<T: Real>(_ s: [T]) -> [T] { [cos(s[0]), sin(s[0]), s[1] / T(PendulumDynamics.maxSpeed)] }

    public static func isTerminal(_ s: [Double]) -> Bool { false }
}

