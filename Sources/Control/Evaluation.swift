import Cluster
import Foundation
import Autodiff
import Learning

/// What acts in an episode: the action for each state. A policy may keep a
/// memory within an episode (a pixel policy's stacked frames); `startEpisode`
/// clears it.
public protocol Policy {
    /// Called before the first step of each episode (`episode` counts from 0).
    mutating func startEpisode(_ episode: Int)
    /// The action in `state`, the `step`-th of the episode.
    mutating func action(state: [Double], step: Int) throws -> Double
}

/// A policy of the Gym observation `D.observation(state)`: a trained state
/// network (`EpisodicTask.policy(_:)`) or any function.
public struct ObservationPolicy<D: Dynamics>: Policy {
    public var act: ([Double]) -> Double
    public init(_ act: @escaping ([Double]) -> Double) { self.act = act }
    public mutating func startEpisode(_ episode: Int) {}
    @inlinable
    public mutating func action(state: [Double], step: Int) -> Double { act(D.observation(state)) }
}

/// The returns of a policy over evaluation episodes.
public struct EpisodeStatistics: Codable, Equatable, Sendable {
    public var mean: Double
    /// The population standard deviation of the returns.
    public var std: Double
    public var returns: [Double]
    /// Each episode's last state (terminal, or the one after the last step).
    public var finalStates: [[Double]]
    /// Steps taken, all episodes together.
    public var steps: Int

    public init(returns: [Double], finalStates: [[Double]], steps: Int) {
        let mean = returns.reduce(0, +) / Double(returns.count)
        let v = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(returns.count)
        self.mean = mean; self.std = v.squareRoot(); self.returns = returns; self.finalStates = finalStates; self.steps = steps
    }
}

/// The Gym return of `policy` over `episodes` episodes of `task`, whose start
/// states come from `seed` (Gym's start-state distribution), each run until it
/// terminates, reaches the task's step limit or `maxSteps` steps. `onStep`
/// sees every step before it is taken: the episode, the step, the state and the
/// action. Every evaluation (state or pixel policy, rendered or cached frames,
/// rollouts) is this loop. With a distributed `communicator` the episodes are
/// spread over the processes (every process draws every start state, runs its
/// own episodes, and all gather the returns in episode order): the statistics
/// are the same for any number of processes; `onStep` sees this process's episodes.
public func evaluate<T: EpisodicTask, P: Policy>(
    policy: P, task: T.Type, episodes: Int, seed: UInt64, maxSteps: Int = T.Physics.maxSteps,
    communicator: Communicator = .local,
    onStep: ((_ episode: Int, _ step: Int, _ state: [Double], _ action: Double) throws -> Void)? = nil) throws -> EpisodeStatistics {
    var policy = policy
    var g = SeededGenerator(seed: seed)
    let starts = (0..<episodes).map { _ in Environment<T.Physics, Double>(generator: &g) }
    let shards = WorkShards(count: episodes, over: communicator)
    // Per episode: its return, its steps, then its final state.
    var mine = [[Double]]()
    for e in shards.owned {
        var env = starts[e]
        policy.startEpisode(e)
        var total = 0.0
        while !env.isDone && env.steps < maxSteps {
            let a = try policy.action(state: env.state, step: env.steps)
            try onStep?(e, env.steps, env.state, a)
            total += env.step(a)
        }
        mine.append([total, Double(env.steps)] + env.state)
    }
    let all = shards.allGather(mine)
    return EpisodeStatistics(returns: all.map { $0[0] }, finalStates: all.map { Array($0.dropFirst(2)) },
                             steps: all.reduce(0) { $0 + Int($1[1]) })
}

public struct CartPoleEndings: Codable, Equatable, Sendable {
    public var poleFell: Int
    public var cartLeftTrack: Int
    public var ranToLimit: Int
    /// |x| of the cart (m) where the pole fell: median and maximum (nil: no fall).
    public var fallAbsXMedian: Double?
    public var fallAbsXMax: Double?
    /// Falls to the right (+x).
    public var fallsRight: Int

    public init(finalStates: [[Double]]) {
        let falls = finalStates.filter { abs($0[2]) > CartPoleDynamics.thetaThreshold }
        poleFell = falls.count
        cartLeftTrack = finalStates.filter { abs($0[0]) > CartPoleDynamics.xThreshold && abs($0[2]) <= CartPoleDynamics.thetaThreshold }.count
        ranToLimit = finalStates.count - poleFell - cartLeftTrack
        let fallX = falls.map { abs($0[0]) }.sorted()
        fallAbsXMedian = fallX.isEmpty ? nil : fallX[fallX.count / 2]
        fallAbsXMax = fallX.last
        fallsRight = falls.filter { $0[2] > 0 }.count
    }
}

/// One episode as a rollout records it: every state visited (the start and
/// the state after each step), each action taken and the return.
public struct EpisodeRecord: Sendable {
    public var states: [[Double]] = []
    public var actions: [Double] = []
    public var reward = 0.0
    public var steps: Int { actions.count }
}

/// One episode of `policy` from the first start state `seed` gives (the first
/// episode `evaluate` runs with that seed), at most `maxSteps` steps.
public func record<T: EpisodicTask, P: Policy>(policy: P, task: T.Type, seed: UInt64,
                                               maxSteps: Int = T.Physics.maxSteps) throws -> EpisodeRecord {
    var r = EpisodeRecord()
    let s = try evaluate(policy: policy, task: task, episodes: 1, seed: seed, maxSteps: maxSteps) { _, _, state, action in
        r.states.append(state); r.actions.append(action)
    }
    r.states.append(s.finalStates[0])
    r.reward = s.returns[0]
    return r
}

extension ControlProblem {
    /// The Gym return of a state policy over `episodes` episodes from `seed`
    /// (`evaluate(policy:task:episodes:seed:)`, spread over `communicator`); nil for the trebuchet, which has no episodes.
    public func evaluateStatePolicy(_ network: Network, episodes: Int, seed: UInt64,
                                    communicator: Communicator = .local) throws -> EpisodeStatistics? {
        switch self {
        case .cartpole: return try evaluate(policy: CartPoleTask.policy(network), task: CartPoleTask.self, episodes: episodes, seed: seed,
                                            communicator: communicator)
        case .pendulum: return try evaluate(policy: PendulumTask.policy(network), task: PendulumTask.self, episodes: episodes, seed: seed,
                                            communicator: communicator)
        case .trebuchet: return nil
        }
    }
}
