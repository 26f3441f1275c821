import Autodiff
import Learning

/// Gym's CartPole-v1: a pole hinged on a cart pushed left or right by 10 N.
///
/// State `[x, ẋ, θ, θ̇]` (m, m/s, rad from upright, rad/s); the observation is
/// the state. The action is a real number whose sign picks the force
/// direction: force = 10 N · sign(action), with the straight-through sign
/// (derivative 1) so a policy can be trained through the decision. Explicit
/// Euler at τ = 0.02 s; the episode terminates when |x| > 2.4 m or
/// |θ| > 12°, and is truncated at 500 steps; +1 reward per step taken.
public enum CartPoleDynamics: Dynamics {
    public static let name = "cartpole"
    public static let gravity = 9.8
    public static let cartMass = 1.0
    public static let poleMass = 0.1
    public static let totalMass = cartMass + poleMass
    /// Half the pole's length (m).
    public static let length = 0.5
    public static let poleMassLength = poleMass * length
    public static let forceMagnitude = 10.0
    public static let tau = 0.02
    public static let thetaThreshold = 12 * 2 * Double.pi / 360
    public static let xThreshold = 2.4
    public static let stateSize = 4
    public static let observationSize = 4
    public static let maxSteps = 500

    public static func startState(_ g: inout SeededGenerator) -> [Double] {
        (0..<4).map { _ in g.uniform(-0.05, 0.05) }
    }

    /// The force (N) an action applies: ±10 N, straight-through.
    @inlinable
    public static func force<T: Real>(_ action: T) -> T {
        // sign(0) = 0 would apply no force; Gym has no such action, so 0 pushes right.
        let a = action.primal
        return action.lifted(value: a >= 0 ? forceMagnitude : -forceMagnitude, derivative: forceMagnitude)
    }

    /// One explicit-Euler step of the Gym equations under a given force (N).
    @inlinable
    public static func step<T: Real>(_ s: [T], force: T) -> [T] {
        let x = s[0], xDot = s[1], theta = s[2], thetaDot = s[3]
        let c = cos(theta), sn = sin(theta)
        let temp = (force + T(poleMassLength) * thetaDot * thetaDot * sn) / T(totalMass)
        let thetaAcc = (T(gravity) * sn - c * temp) / (T(length) * (T(4.0 / 3.0) - T(poleMass) * c * c / T(totalMass)))
        let xAcc = temp - T(poleMassLength) * thetaAcc * c / T(totalMass)
        let h = T(tau)
        return [x + h * xDot, xDot + h * xAcc, theta + h * thetaDot, thetaDot + h * thetaAcc]
    }

    @inlinable
    public static func step<T: Real>(_ state: [T], action: T) -> [T] { step(state, force: force(action)) }

    @inlinable
    public static func reward<T: Real>(_ state: [T], action: T) -> T { 1 }

    @inlinable
    public static func observation<T: Real>(_ state: [T]) -> [T] { state }

    public static func isTerminal(_ s: [Double]) -> Bool {
        s[0] < -xThreshold || s[0] > xThreshold || s[2] < -thetaThreshold || s[2] > thetaThreshold
    }

    /// The seed's shaped, differentiable stand-in for the reward: the product
    /// of triangle functions (1 − |x|/2.4)(1 − |θ|/12°), 1 when centred and upright.
    @inlinable
    public static func shapedReward<T: Real>(_ s: [T]) -> T {
        (T(1) - s[0].magnitude / T(xThreshold)) * (T(1) - s[2].magnitude / T(thetaThreshold))
    }
}

/// A cart-pole episode.
public typealias CartPole<T: Real> = Environment<CartPoleDynamics, T>

extension Environment where D == CartPoleDynamics {
    /// Cart position (m) and pole angle from upright (rad): what a scene builder needs.
    @inlinable public var cartPosition: T { state[0] }
    @inlinable public var poleAngle: T { state[2] }
}
