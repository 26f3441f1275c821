import Autodiff
import Learning

/// The physics of a control problem, generic over the scalar so that
/// gradients flow through every step (forward mode with `Dual`, reverse mode
/// with `Adjoint`). States are flat arrays (see each type for the layout), so
/// a scene builder can read them and a trainer can differentiate them.
public protocol Dynamics {
    /// The environment's name on the command line (`cartpole`, `pendulum`).
    static var name: String { get }
    static var stateSize: Int { get }
    static var observationSize: Int { get }
    /// Steps after which an episode is truncated.
    static var maxSteps: Int { get }
    /// A start state drawn as the Gym environment draws it.
    static func startState(_ generator: inout SeededGenerator) -> [Double]
    /// A start state of an episode as the task is judged (a trainer that starts
    /// its windows anywhere draws `startState` wider; default: `startState`).
    static func episodeStartState(_ generator: inout SeededGenerator) -> [Double]
    /// The state after one step under `action` (the environment's action
    /// convention; see each type).
    static func step<T: Real>(_ state: [T], action: T) -> [T]
    /// The Gym reward for taking `action` in `state`.
    static func reward<T: Real>(_ state: [T], action: T) -> T
    /// What a policy sees.
    static func observation<T: Real>(_ state: [T]) -> [T]
    /// Whether the episode ends in `state` (before truncation).
    static func isTerminal(_ state: [Double]) -> Bool
}

extension Dynamics {
    public static func episodeStartState(_ generator: inout SeededGenerator) -> [Double] { startState(&generator) }
}

/// One episode of an environment: the state, the step count and whether it is over.
public struct Environment<D: Dynamics, T: Real> {
    public var state: [T]
    public var steps: Int = 0
    public var isTerminated = false

    public init(state: [T]) {
        precondition(state.count == D.stateSize)
        self.state = state
    }

    /// A fresh episode from a random start state.
    public init(generator: inout SeededGenerator) {
        self.init(state: D.startState(&generator).map { T($0) })
    }

    /// The policy's view of the state.
    @inlinable public var observation: [T] { D.observation(state) }
    /// Terminated (failure/success) or truncated (`maxSteps` reached).
    @inlinable public var isDone: Bool { isTerminated || steps >= D.maxSteps }

    /// Takes one step and returns its reward.
    @inlinable
    public mutating func step(_ action: T) -> T {
        precondition(!isDone, "step after the end of the episode")
        let r = D.reward(state, action: action)
        state = D.step(state, action: action)
        steps += 1
        isTerminated = D.isTerminal(state.map(\.primal))
        return r
    }
}
