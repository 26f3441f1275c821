import Cluster
import Foundation
import Autodiff
import Learning

/// What the critic learns from in one environment's window: the observations of
/// its states, their scaled losses, the observation after the last step and
/// whether the episode terminated there.
public struct CriticWindow: Codable, Equatable {
    public var observations: [[Double]]
    public var costs: [Double]
    public var last: [Double]
    public var terminated: Bool

    public init(observations: [[Double]], costs: [Double], last: [Double], terminated: Bool) {
        self.observations = observations; self.costs = costs; self.last = last; self.terminated = terminated
    }
}

/// The learned critic's operations, shared by the short-horizon actor-critic
/// from the state (`SHACTrainer`) and from pixels (`LearnedCostToGo` in the
/// pixel trainer): TD(λ) targets from a target critic, the critic's mean-squared
/// fit, the target's Polyak update and the target's cost-to-go gradient with
/// respect to the state. The critic estimates Σ γᵗ · `lossScale` · loss_t.
extension SHACSettings {
    /// Appends the TD(λ) target of each of the window's states:
    /// G_t = c_t + γ((1 − λ)V′(s_{t+1}) + λG_{t+1}), with G after the last step
    /// V′ of the last state (0 if the episode terminated); V′ the target critic.
    public func tdTargets(_ w: CriticWindow, targetCritic: Network, _ inputs: inout [[Double]], _ targets: inout [Double]) {
        let k = w.costs.count
        var g = w.terminated ? 0 : targetCritic.predict(w.last)[0]
        var values = [Double](repeating: 0, count: k)
        for t in (0..<k).reversed() {
            if t == k - 1 {
                g = w.costs[t] + discount * g
            } else {
                let next = targetCritic.predict(w.observations[t + 1])[0]
                g = w.costs[t] + discount * ((1 - tdLambda) * next + tdLambda * g)
            }
            values[t] = g
        }
        inputs += w.observations; targets += values
    }

    /// Fits `critic` to the targets by mean squared error: `criticIterations`
    /// passes, each over the samples shuffled into `criticBatches` mini-batches.
    /// Every process fits the same critic; a mini-batch large enough to pay for
    /// a collective (`Communicator.sharing(work:)`) is spread over the processes
    /// and its gradients added in sample order.
    public func fitCritic(_ critic: inout Network, optimizer: inout Adam, inputs: [[Double]], targets: [Double], learningRate: Double,
                          communicator: Communicator, generator: inout SeededGenerator) {
        guard !targets.isEmpty else { return }
        optimizer.learningRate = learningRate
        var order = Array(targets.indices)
        let batch = (targets.count + criticBatches - 1) / criticBatches
        for _ in 0..<criticIterations {
            order.shuffle(using: &generator)
            for start in stride(from: 0, to: order.count, by: batch) {
                let members = Array(order[start..<min(start + batch, order.count)])
                let net = critic
                let shards = WorkShards(count: members.count, over: communicator.sharing(work: members.count * net.parameterCount),
                                        layout: .blocks)
                let gradient = shards.accumulateInShardOrder(length: net.parameterCount) { k, gradient in
                    let i = members[k]
                    var trace = Network.Trace()
                    let v = net.forward(inputs[i], trace: &trace)[0]
                    net.backward([2 * (v - targets[i]) / Double(members.count)], trace: trace, gradient: &gradient)
                }
                optimizer.update(&critic.parameters, gradient: gradient)
            }
        }
    }

    /// target ← α·target + (1 − α)·critic (α = `targetRate`).
    public func moveTarget(_ target: inout Network, towards critic: Network) {
        let a = targetRate
        for i in target.parameters.indices {
            target.parameters[i] = a * target.parameters[i] + (1 - a) * critic.parameters[i]
        }
    }

    /// ∂V′(observation(s))/∂s / `lossScale`: the gradient of the target critic's
    /// cost-to-go of state `s` of `D`, in the window's loss units.
    public func costToGoGradient<D: Dynamics>(_ d: D.Type, targetCritic: Network, state s: [Double]) -> [Double] {
        let n = s.count
        var gradient = [Double](repeating: 0, count: n)
        let (obs, jacobian) = LinearizedStep.observationJacobian(D.self, s.indices.map { Dual8(s[$0], variable: $0) })
        var trace = Network.Trace()
        targetCritic.forward(obs, trace: &trace)
        var unused = [Double]()
        let dObs = targetCritic.backward([1], trace: trace, gradient: &unused)
        // the critic estimates scaled losses (`lossScale`); the window's losses are not
        for i in dObs.indices { for j in 0..<n { gradient[j] += dObs[i] * jacobian[i * n + j] / lossScale } }
        return gradient
    }
}

/// A learned critic without parallel environments: what a checkpoint keeps of the
/// critic that bootstraps each window's end of a trainer following one episode at
/// a time (the pixel trainers). The critic sees `D.observation` of the simulator's
/// state, which the policy need not see (an asymmetric actor-critic, Pinto et al.,
/// "Asymmetric Actor Critic for Image-Based Robot Learning", RSS 2018).
public struct CriticState: Codable, Equatable {
    public var settings: SHACSettings
    public var critic: NetworkFile
    public var targetCritic: NetworkFile
    public var optimizer: Adam

    /// A fresh critic for observations of `inputs` values, drawn from `generator`; its target starts equal to it.
    public init(inputs: Int, settings: SHACSettings, generator: inout SeededGenerator) {
        let critic = NetworkFile(network: Network(layers: SHACState.criticLayers(inputs: inputs, width: settings.criticWidth),
                                                  generator: &generator))
        self.init(settings: settings, critic: critic, targetCritic: critic, optimizer: Adam(learningRate: settings.criticLearningRate))
    }

    /// Why this state does not fit observations of `inputs` values, or nil.
    public func problem(inputs: Int, maxSteps: Int) -> String? {
        if let p = settings.problem(maxSteps: maxSteps) { return p }
        let layers = SHACState.criticLayers(inputs: inputs, width: settings.criticWidth)
        guard critic.layers == layers, targetCritic.layers == layers, critic.parameters.count == critic.parameterCount,
              targetCritic.parameters.count == targetCritic.parameterCount,
              optimizer.m.count == optimizer.v.count, optimizer.m.isEmpty || optimizer.m.count == critic.parameterCount else {
            return "the critic's layers or parameters do not fit an observation of \(inputs) values"
        }
        return nil
    }
}

/// The learned critic as a cost-to-go at the end of a window of `D`'s steps:
/// the target critic's estimate (and its gradient) of what the state costs from
/// there on, fitted after every window to TD(λ) targets of the window's steps.
public struct LearnedCostToGo<D: Dynamics> {
    public var settings: SHACSettings
    public var critic: Network
    public var targetCritic: Network
    public var optimizer: Adam
    public var communicator = Communicator.local

    public init(_ state: CriticState) throws {
        if let p = state.problem(inputs: D.observationSize, maxSteps: D.maxSteps) { throw ControlError(p) }
        settings = state.settings
        (critic, targetCritic) = try state.networks()
        optimizer = state.optimizer
    }

    /// The state to checkpoint.
    public var state: CriticState {
        CriticState(settings: settings, critic: NetworkFile(network: critic), targetCritic: NetworkFile(network: targetCritic),
                    optimizer: optimizer)
    }

    /// V′(s) / `lossScale`: the target critic's cost-to-go of state `s`, in the loss's units.
    public func value(_ s: [Double]) -> Double { targetCritic.predict(D.observation(s))[0] / settings.lossScale }

    /// ∂value/∂s.
    public func gradient(_ s: [Double]) -> [Double] { settings.costToGoGradient(D.self, targetCritic: targetCritic, state: s) }

    /// Fits the critic to the TD(λ) targets of a window's `steps` (ending in
    /// `last`, terminated or not) at the learning rate decayed by `progress` ∈ [0, 1]
    /// of the run, then moves the target critic.
    public mutating func learn(_ steps: [LinearizedStep], last: [Double], terminated: Bool, progress: Double,
                               generator: inout SeededGenerator) {
        var inputs = [[Double]](), targets = [Double]()
        settings.tdTargets(CriticWindow(observations: steps.map(\.observation), costs: steps.map { settings.lossScale * $0.loss },
                                        last: D.observation(last), terminated: terminated),
                           targetCritic: targetCritic, &inputs, &targets)
        settings.fitCritic(&critic, optimizer: &optimizer, inputs: inputs, targets: targets,
                           learningRate: settings.criticLearningRate * max(0, 1 - progress), communicator: communicator, generator: &generator)
        settings.moveTarget(&targetCritic, towards: critic)
    }
}

extension CriticState {
    /// The critic and its target as networks, each checked against the layers its file names.
    public func networks() throws -> (critic: Network, target: Network) {
        (try critic.network(path: "checkpoint", expecting: critic.layers),
         try targetCritic.network(path: "checkpoint", expecting: targetCritic.layers))
    }

    /// A critic state of the given parts.
    public init(settings: SHACSettings, critic: NetworkFile, targetCritic: NetworkFile, optimizer: Adam) {
        self.settings = settings; self.critic = critic; self.targetCritic = targetCritic; self.optimizer = optimizer
    }
}

extension SHACSettings {
    /// The first setting in which `command` differs from `self` (a checkpoint's), as
    /// "--discount is 0.9 in the checkpoint, 0.99 in the command"; nil if they agree.
    public func mismatch(_ command: SHACSettings) -> String? {
        let named: [(String, Double, Double)] = [
            ("--envs", Double(environments), Double(command.environments)), ("--horizon", Double(horizon), Double(command.horizon)),
            ("--discount", discount, command.discount), ("--lambda", tdLambda, command.tdLambda),
            ("--actor-lr", actorLearningRate, command.actorLearningRate), ("--critic-lr", criticLearningRate, command.criticLearningRate),
            ("--critic-passes", Double(criticIterations), Double(command.criticIterations)),
            ("--critic-batches", Double(criticBatches), Double(command.criticBatches)),
            ("--critic-width", Double(criticWidth), Double(command.criticWidth)), ("--action-noise", actionNoise, command.actionNoise),
            ("--saturation-penalty", penalty, command.penalty), ("--output-init", outputInitScale ?? 1, command.outputInitScale ?? 1),
            ("--restart-every", Double(restartSteps ?? 0), Double(command.restartSteps ?? 0)),
            ("--critic-replay", Double(replayWindows ?? 0), Double(command.replayWindows ?? 0)),
            ("--replay-draws", Double(replayDraws ?? 0), Double(command.replayDraws ?? 0)),
            ("--average-actor", actorAveraging ?? 0, command.actorAveraging ?? 0),
            ("--select-candidates", Double(selectCandidates ?? 0), Double(command.selectCandidates ?? 0)),
            ("--select-steps", Double(selectSteps ?? 0), Double(command.selectSteps ?? 0)),
            ("--select-length", Double(selectLength ?? 0), Double(command.selectLength ?? 0)),
            ("--select-feeds-critic", (selectFeedsCritic ?? true) ? 1 : 0, (command.selectFeedsCritic ?? true) ? 1 : 0),
        ]
        if let (name, a, b) = named.first(where: { $0.1 != $0.2 }) {
            func text(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
            return "\(name) is \(text(a)) in the checkpoint, \(text(b)) in the command"
        }
        return self == command ? nil : "the critic's settings differ between the checkpoint and the command"
    }
}
