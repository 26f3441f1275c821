import Cluster
import Foundation
import Autodiff
import Learning

/// The settings of the short-horizon actor-critic (`SHACTrainer`).
///
/// After Xu et al., "Accelerated Policy Learning with Parallel Differentiable
/// Simulation" (ICLR 2022): `environments` episodes run side by side; every
/// iteration advances each by `horizon` steps, backpropagates the window's
/// discounted losses plus the critic's cost-to-go of its last state through the
/// physics into the policy (one Adam step on the actor), then fits the critic to
/// TD(λ) targets of the same steps (`criticIterations` passes over
/// `criticBatches` mini-batches) and moves the target critic towards it. Both
/// learning rates fall linearly to zero over the run's budget, as in the paper.
public struct SHACSettings: Codable, Equatable, Sendable {
    /// Parallel environments, and steps of each per window.
    public var environments: Int, horizon: Int
    /// γ and the TD(λ) mixing λ.
    public var discount: Double, tdLambda: Double
    public var actorLearningRate: Double, criticLearningRate: Double
    public var criticIterations: Int, criticBatches: Int
    /// α of the target critic's update, target ← α·target + (1 − α)·critic.
    public var targetRate: Double
    /// The actor's gradient is clipped to this norm (0: not clipped).
    public var clipNorm: Double
    /// The per-step loss as the critic and the actor see it is multiplied by this.
    public var lossScale: Double
    /// Width of the critic's two tanh hidden layers.
    public var criticWidth: Int
    /// Standard deviation of the Gaussian noise added to each training action
    /// (the action's gradient passes through it; 0: none).
    public var actionNoise: Double
    /// κ of the actor's saturation penalty κ·z² a step, z the pre-activation of the
    /// policy's output layer (keeps a tanh output from saturating, where its gradient
    /// vanishes); nil or 0: none (checkpoints written before the option have none).
    public var saturationPenalty: Double?
    /// The actor's last dense layer is drawn this many times smaller than Glorot's
    /// (a policy that starts near zero torque); nil or 1: Glorot's.
    public var outputInitScale: Double?
    /// Steps after which a training environment restarts from a fresh start state
    /// (`D.startState`), the cut bootstrapped by the target critic like a
    /// truncated episode: short training episodes spread the windows over the
    /// start distribution (the simulator can be started anywhere); nil: an
    /// episode's `D.maxSteps` (checkpoints written before the option).
    public var restartSteps: Int?
    /// Windows of earlier iterations the critic keeps (a ring of this many); nil: none
    /// (checkpoints written before the option). Each iteration the critic is fitted
    /// to its own windows and `replayDraws` of these, drawn at random, their TD(λ)
    /// targets recomputed with the current target critic from the stored
    /// observations and losses: no step is simulated again.
    public var replayWindows: Int?
    /// Stored windows drawn into each iteration's fit of the critic (with `replayWindows`).
    public var replayDraws: Int?
    /// The last share of the budget over which the actor's weights are averaged
    /// (Polyak and Juditsky, "Acceleration of stochastic approximation by averaging",
    /// 1992; Izmailov et al., "Averaging Weights Leads to Wider Optima", 2018): the
    /// trained policy is the mean of the weights after each actor step taken once
    /// that share of the budget remains; nil or 0: the last weights (checkpoints
    /// written before the option).
    public var actorAveraging: Double?
    /// Policy selection by counted rollouts (`SHAC+Selection.swift`; nil: none,
    /// checkpoints written before the option): the averaged share of the budget is
    /// cut into this many spans, each span's mean of the actor's weights a
    /// candidate, and the policy written is the candidate with the highest return
    /// over the same rollouts from the same start states.
    public var selectCandidates: Int?
    /// Environment steps of the budget spent on the candidates' rollouts (all
    /// candidates together; training gets the rest): `selectCandidates` ×
    /// starts × `selectLength`.
    public var selectSteps: Int?
    /// Steps of each rollout (nil: an episode's `maxSteps`).
    public var selectLength: Int?
    /// Whether the rollouts' steps go into the critic's replay (with a replay);
    /// nil: they do.
    public var selectFeedsCritic: Bool?

    public init(environments: Int, horizon: Int, discount: Double = 0.99, tdLambda: Double = 0.95,
                actorLearningRate: Double, criticLearningRate: Double, criticIterations: Int = 16, criticBatches: Int = 4,
                targetRate: Double = 0.2, clipNorm: Double = 1, lossScale: Double = 1, criticWidth: Int = 64, actionNoise: Double = 0,
                saturationPenalty: Double = 0, outputInitScale: Double = 1, restartSteps: Int? = nil,
                replayWindows: Int? = nil, replayDraws: Int? = nil, actorAveraging: Double = 0) {
        self.environments = environments; self.horizon = horizon; self.discount = discount; self.tdLambda = tdLambda
        self.actorLearningRate = actorLearningRate; self.criticLearningRate = criticLearningRate
        self.criticIterations = criticIterations; self.criticBatches = criticBatches; self.targetRate = targetRate
        self.clipNorm = clipNorm; self.lossScale = lossScale; self.criticWidth = criticWidth; self.actionNoise = actionNoise
        self.saturationPenalty = saturationPenalty > 0 ? saturationPenalty : nil
        self.outputInitScale = outputInitScale != 1 ? outputInitScale : nil
        self.restartSteps = restartSteps
        self.replayWindows = replayWindows; self.replayDraws = replayDraws
        self.actorAveraging = actorAveraging != 0 ? actorAveraging : nil
    }

    /// Whether the critic replays stored windows (`replayWindows` and `replayDraws` both positive).
    public var replays: Bool { (replayWindows ?? 0) > 0 && (replayDraws ?? 0) > 0 }

    /// Steps of a training episode: `restartSteps`, or an episode's `maxSteps`.
    public func trainingEpisodeSteps(maxSteps: Int) -> Int { min(restartSteps ?? maxSteps, maxSteps) }

    /// `saturationPenalty`, 0 when absent.
    public var penalty: Double { saturationPenalty ?? 0 }

    /// ∂(κ·z²)/∂y for the policy's output y = f(z) recorded in `trace` (f the output
    /// layer's activation; identity if the last layer is dense): 2κz / f′(z).
    public func saturationGradient(_ trace: Network.Trace, layers: [Layer]) -> Double {
        let k = penalty
        guard k > 0 else { return 0 }
        let y = trace.output[0]
        guard case let .activation(f, _) = layers[layers.count - 1] else { return 2 * k * y }
        let z = trace.values[trace.values.count - 2][0]
        return 2 * k * z / Swift.max(f.derivative(output: y), 1e-300)
    }

    /// κ·z² of the policy's output recorded in `trace`.
    public func saturationCost(_ trace: Network.Trace) -> Double {
        let z = trace.values[Swift.max(trace.values.count - 2, 0)][0]
        return penalty * z * z
    }

    /// `actor` with its last dense layer scaled by `outputInitScale`.
    public func initialised(_ actor: Network) -> Network {
        guard let scale = outputInitScale, scale != 1, let last = actor.layers.lastIndex(where: { if case .dense = $0 { return true }; return false }),
              case let .dense(i, o) = actor.layers[last] else { return actor }
        var a = actor
        for k in 0..<(i * o) { a.parameters[a.offsets[last] + k] *= scale }
        return a
    }


    /// Environment steps of one iteration (all environments together).
    public var stepsPerIteration: Int { environments * horizon }

    /// Why these settings cannot train an environment whose episodes last
    /// `maxSteps` (an iteration's steps must divide an episode's so that a
    /// budget of whole episodes is met exactly), or nil.
    public func problem(maxSteps: Int) -> String? {
        guard environments >= 1, environments <= 1024, horizon >= 1, horizon <= maxSteps else {
            return "environments must be in 1...1024 and the horizon in 1...\(maxSteps), got \(environments) and \(horizon)"
        }
        guard maxSteps % stepsPerIteration == 0 else {
            return "environments × horizon (\(environments) × \(horizon)) must divide an episode's \(maxSteps) steps"
        }
        guard discount > 0, discount <= 1, tdLambda >= 0, tdLambda <= 1 else {
            return "discount must be in (0, 1] and λ in [0, 1], got \(discount) and \(tdLambda)"
        }
        guard actorLearningRate > 0, actorLearningRate.isFinite, criticLearningRate > 0, criticLearningRate.isFinite else {
            return "learning rates must be positive, got \(actorLearningRate) and \(criticLearningRate)"
        }
        // the replay's sizes before the mini-batches they fill
        if let r = replayWindows, r < 0 || r > 1_000_000 {
            return "the critic's replay must keep 0...1000000 windows, got \(r)"
        }
        if let d = replayDraws, d < 0 || d > 100_000 {
            return "the critic's replay draws must be in 0...100000 windows, got \(d)"
        }
        // with a replay the stored windows fill the mini-batches too
        let fitted = stepsPerIteration * (replays ? 1 + (replayDraws ?? 0) : 1)
        guard criticBatches >= 1, criticBatches <= fitted else {
            return "the critic's \(criticBatches) mini-batches need 1...\(fitted) steps per iteration "
                + "(environments × horizon = \(environments) × \(horizon)"
                + (replays ? ", and as many again for each of the \(replayDraws ?? 0) replayed windows)" : ")")
        }
        // The remaining settings, each named with the range it must lie in.
        let checks: [(ok: Bool, name: String, value: Double, range: String)] = [
            (criticIterations >= 0, "critic passes", Double(criticIterations), "≥ 0"),
            (targetRate >= 0 && targetRate < 1, "target critic rate", targetRate, "[0, 1)"),
            (clipNorm >= 0, "gradient clipping norm", clipNorm, "≥ 0"),
            (lossScale > 0, "loss scale", lossScale, "> 0"),
            (criticWidth >= 1, "critic width", Double(criticWidth), "≥ 1"),
            (actionNoise >= 0, "action noise", actionNoise, "≥ 0"),
            (penalty >= 0 && penalty.isFinite, "saturation penalty", penalty, "≥ 0 and finite"),
            ((outputInitScale ?? 1) > 0 && (outputInitScale ?? 1).isFinite, "output initialisation scale", outputInitScale ?? 1, "> 0 and finite"),
            ((actorAveraging ?? 0) >= 0 && (actorAveraging ?? 0) <= 1, "the actor's averaged share of the budget", actorAveraging ?? 0, "in [0, 1]"),
        ]
        if let bad = checks.first(where: { !$0.ok }) {
            return "\(bad.name) must be \(bad.range), got \(bad.value)"
        }
        if let r = restartSteps, r < 1 || r > maxSteps {
            return "restart steps must be in 1...\(maxSteps), got \(r)"
        }
        return selectionProblem(maxSteps: maxSteps)
    }
}

/// What a short-horizon actor-critic run carries between iterations beside the
/// policy: the critic, its target and optimiser, and each parallel episode.
public struct SHACState: Equatable {
    /// The critic, its target, their optimiser and the settings: what a pixel
    /// trainer's learned cost-to-go keeps too.
    public var learned: CriticState
    /// Each environment's state, steps into its episode and Gym return so far.
    public var states: [[Double]]
    public var episodeSteps: [Int]
    public var episodeReturns: [Double]
    /// The critic's stored windows (`SHACSettings.replayWindows`), a ring whose
    /// next write is at `replayCursor` once it is full.
    public var replay: [CriticWindow] = []
    public var replayCursor = 0
    /// The mean of the actor's weights after each step since the averaged share of
    /// the budget began (`SHACSettings.actorAveraging`), and how many steps it
    /// holds; nil before then and without averaging.
    public var averagedActor: [Double]? = nil
    public var averagedSteps = 0
    /// The selection's candidates so far (`SHACSettings.selectCandidates`): each
    /// finished span's mean of the actor's weights, its total return over the
    /// rollouts from `selectionStarts` (drawn when the first span ends), and the
    /// environment steps the rollouts took.
    public var candidates: [[Double]] = []
    public var candidateReturns: [Double] = []
    public var selectionStarts: [[Double]] = []
    public var selectionSteps = 0

    public var settings: SHACSettings { learned.settings }

    /// Stores `windows` in the replay ring (oldest overwritten first).
    mutating func store(_ windows: [CriticWindow]) {
        let capacity = settings.replayWindows ?? 0
        for w in windows where capacity > 0 {
            if replay.count < capacity {
                replay.append(w)
            } else {
                replay[replayCursor] = w
                replayCursor = (replayCursor + 1) % capacity
            }
        }
    }

    /// Adds the actor's weights after a step to their running mean (`averagedActor`).
    mutating func average(_ weights: [Double]) {
        var mean = averagedActor ?? weights
        averagedSteps += 1
        let w = 1 / Double(averagedSteps)
        for i in mean.indices { mean[i] += w * (weights[i] - mean[i]) }
        averagedActor = mean
    }

    /// The policy's weights as training leaves them: the selected candidate once
    /// every candidate has been rolled out (`SHACSettings.selectCandidates`), else
    /// their average if the actor's weights are averaged (`SHACSettings.actorAveraging`) and the
    /// averaged share has begun, else `weights`, the actor's last.
    public func policyWeights(_ weights: [Double]) -> [Double] {
        if let k = selectedCandidate { return candidates[k] }
        return averagedActor ?? weights
    }

    /// `count` stored windows drawn without replacement (all of them if there are no more).
    func drawReplay(_ count: Int, generator: inout SeededGenerator) -> [CriticWindow] {
        guard replay.count > count else { return replay }
        var order = Array(replay.indices)
        for i in 0..<count { order.swapAt(i, i + Int(generator.next() % UInt64(order.count - i))) }
        return order[0..<count].map { replay[$0] }
    }

    /// A fresh state: the critic drawn from `generator`, each environment started from `D.startState`.
    public init<D: Dynamics>(_ d: D.Type, settings: SHACSettings, generator: inout SeededGenerator) {
        learned = CriticState(inputs: D.observationSize, settings: settings, generator: &generator)
        states = (0..<settings.environments).map { _ in D.startState(&generator) }
        episodeSteps = [Int](repeating: 0, count: settings.environments)
        episodeReturns = [Double](repeating: 0, count: settings.environments)
    }

    /// The critic: the observation → width → width → 1 (tanh, tanh, linear).
    public static func criticLayers(inputs: Int, width: Int) -> [Layer] {
        Network.mlpLayers([inputs, width, width, 1], hidden: .tanh, output: .identity)
    }

    /// Why this state does not fit `D` (a checkpoint's), or nil.
    public func problem<D: Dynamics>(_ d: D.Type) -> String? {
        if let p = settings.problem(maxSteps: D.maxSteps) { return p }
        let n = settings.environments
        guard states.count == n, episodeSteps.count == n, episodeReturns.count == n,
              states.allSatisfy({ $0.count == D.stateSize && $0.allSatisfy(\.isFinite) }),
              episodeSteps.allSatisfy({ $0 >= 0 && $0 < settings.trainingEpisodeSteps(maxSteps: D.maxSteps) }) else {
            return "inconsistent critic state: \(states.count) environment states for \(n) environments"
        }
        let m = D.observationSize
        guard replay.count <= (settings.replayWindows ?? 0), replayCursor >= 0, replayCursor < max(replay.count, 1),
              replay.allSatisfy({ w in !w.costs.isEmpty && w.observations.count == w.costs.count && w.last.count == m
                  && w.observations.allSatisfy { $0.count == m } }) else {
            return "inconsistent critic replay: \(replay.count) windows (at most \(settings.replayWindows ?? 0)), cursor \(replayCursor); "
                + "expected windows of observations of \(m) values with one loss each"
        }
        if let p = selectionStateProblem(D.self) { return p }
        return learned.problem(inputs: D.observationSize, maxSteps: D.maxSteps).map { "\(D.name): \($0)" }
    }
}

/// A checkpoint keeps the critic's fields flat beside the episodes' (the critic's
/// optimiser as `criticOptimizer`), as it always has.
extension SHACState: Codable {
    enum CodingKeys: String, CodingKey {
        case settings, critic, targetCritic, criticOptimizer, states, episodeSteps, episodeReturns, replay, replayCursor
        case averagedActor, averagedSteps
        case candidates, candidateReturns, selectionStarts, selectionSteps
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        learned = CriticState(settings: try c.decode(SHACSettings.self, forKey: .settings), critic: try c.decode(NetworkFile.self, forKey: .critic),
                              targetCritic: try c.decode(NetworkFile.self, forKey: .targetCritic),
                              optimizer: try c.decode(Adam.self, forKey: .criticOptimizer))
        states = try c.decode([[Double]].self, forKey: .states)
        episodeSteps = try c.decode([Int].self, forKey: .episodeSteps)
        episodeReturns = try c.decode([Double].self, forKey: .episodeReturns)
        replay = try c.decodeIfPresent([CriticWindow].self, forKey: .replay) ?? []
        replayCursor = try c.decodeIfPresent(Int.self, forKey: .replayCursor) ?? 0
        averagedActor = try c.decodeIfPresent([Double].self, forKey: .averagedActor)
        averagedSteps = try c.decodeIfPresent(Int.self, forKey: .averagedSteps) ?? 0
        candidates = try c.decodeIfPresent([[Double]].self, forKey: .candidates) ?? []
        candidateReturns = try c.decodeIfPresent([Double].self, forKey: .candidateReturns) ?? []
        selectionStarts = try c.decodeIfPresent([[Double]].self, forKey: .selectionStarts) ?? []
        selectionSteps = try c.decodeIfPresent(Int.self, forKey: .selectionSteps) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(learned.settings, forKey: .settings)
        try c.encode(learned.critic, forKey: .critic)
        try c.encode(learned.targetCritic, forKey: .targetCritic)
        try c.encode(learned.optimizer, forKey: .criticOptimizer)
        try c.encode(states, forKey: .states)
        try c.encode(episodeSteps, forKey: .episodeSteps)
        try c.encode(episodeReturns, forKey: .episodeReturns)
        // written only by runs that replay, so that other checkpoints keep their layout
        if learned.settings.replays {
            try c.encode(replay, forKey: .replay)
            try c.encode(replayCursor, forKey: .replayCursor)
        }
        // likewise written only once the actor's weights are being averaged
        if let averagedActor {
            try c.encode(averagedActor, forKey: .averagedActor)
            try c.encode(averagedSteps, forKey: .averagedSteps)
        }
        // and the selection's state only by runs that select
        if learned.settings.selects {
            try c.encode(candidates, forKey: .candidates)
            try c.encode(candidateReturns, forKey: .candidateReturns)
            try c.encode(selectionStarts, forKey: .selectionStarts)
            try c.encode(selectionSteps, forKey: .selectionSteps)
        }
    }
}

/// Trains a policy through the differentiable physics of `D` with a learned
/// critic at the end of each short window (`SHACSettings`): the loss `L`
/// (minus a reward with gradients) is what the policy minimises, the critic
/// estimates its discounted sum from a state on. The policy acts as
/// `actionScale · network(D.observation(state))`. An episode that terminates
/// costs nothing after its last step; one truncated at `D.maxSteps`, or cut by
/// the window's end, is bootstrapped with the target critic's cost-to-go.
public struct SHACTrainer<D: Dynamics, L: SurrogateLoss> {
    public var actor: Network
    public var actorOptimizer: Adam
    public var actionScale: Double
    public var state: SHACState
    public var critic: Network
    public var targetCritic: Network
    /// Every simulated step so far (training only).
    public var environmentSteps = 0
    /// The processes the parallel environments are spread over (`iterate`).
    public var communicator = Communicator.local

    public init(actor: Network, optimizer: Adam, actionScale: Double, state: SHACState) throws {
        if let p = state.problem(D.self) { throw ControlError(p) }
        self.actor = actor; actorOptimizer = optimizer; self.actionScale = actionScale; self.state = state
        (critic, targetCritic) = try state.learned.networks()
    }

    /// The state to checkpoint (the critics written back).
    public var savedState: SHACState {
        var s = state
        s.learned.critic = NetworkFile(network: critic); s.learned.targetCritic = NetworkFile(network: targetCritic)
        return s
    }

    /// One environment's steps within a window, up to its end or the end of its
    /// episode: the linearised steps, the policy's traces, the state after the
    /// last step and whether the episode terminated there.
    struct Segment {
        var steps: [LinearizedStep] = []
        var traces: [Network.Trace] = []
        var last: [Double] = []
        var terminated = false
    }

    /// One environment's window as `iterate` simulates it: where it started in
    /// the generator's stream and how many numbers it drew, its segments, and the
    /// environment's state, steps into its episode and return after it.
    struct EnvironmentWindow {
        var start = 0, draws = 0
        var segments: [Segment] = []
        var state: [Double] = []
        var episodeSteps = 0, episodeReturn = 0.0
        var finished: [Double] = []
    }

    /// One iteration: every environment advances `horizon` steps, the actor takes
    /// one Adam step, the critic is fitted. `progress` ∈ [0, 1] is the share of the
    /// budget spent before it (for the learning rates' decay). Returns the Gym
    /// returns of the episodes that ended in it.
    ///
    /// The environments are spread over `communicator`'s processes (`WorkShards`,
    /// blocks; where there are enough steps to pay for the collectives,
    /// `Communicator.sharing(work:)`): each simulates its environments and pulls their windows back into
    /// the actor's weights; the pullbacks are added in environment order
    /// (`sumInShardOrder`), the windows' TD(λ) targets gathered in that order, and
    /// every process fits the same critic. The generator is drawn from as by one
    /// loop over the environments (`simulateEnvironments`), so the weights do not
    /// depend on the number of processes.
    public mutating func iterate(progress: Double, generator: inout SeededGenerator) -> [Double] {
        let s = state.settings
        let decay = max(0, 1 - progress)
        // a step's work: the actor's passes and the target critic's predictions
        let work = s.stepsPerIteration * (actor.parameterCount + critic.parameterCount)
        let shards = WorkShards(count: s.environments, over: communicator.sharing(work: work), layout: .blocks)
        let n = D.stateSize, m = D.observationSize
        // This process's environments: each backward pass into the actor's weights
        // kept apart (to be added in order), the TD(λ) targets of their windows and
        // the environment after them, as [state, steps, return, k, k returns,
        // samples, targets, observations], and with a replay each window to store
        // as [length, losses, last observation, terminated].
        var pullbacks = [[[Double]]](), results = [[Double]]()
        for w in simulateEnvironments(shards, generator: &generator) {
            var mine = [[Double]](), inputs = [[Double]](), targets = [Double](), stored = [Double]()
            for segment in w.segments {
                actorPullbacks(segment) { dOutput, trace in
                    var piece = [Double](repeating: 0, count: actor.parameterCount)
                    let dObservation = actor.backward(dOutput, trace: trace, gradient: &piece)
                    mine.append(piece)
                    return dObservation
                }
                let window = CriticWindow(observations: segment.steps.map(\.observation), costs: segment.steps.map { s.lossScale * $0.loss },
                                          last: D.observation(segment.last), terminated: segment.terminated)
                s.tdTargets(window, targetCritic: targetCritic, &inputs, &targets)
                if s.replays { stored += [Double(window.costs.count)] + window.costs + window.last + [window.terminated ? 1 : 0] }
            }
            pullbacks.append(mine)
            results.append(w.state + [Double(w.episodeSteps), w.episodeReturn, Double(w.finished.count)] + w.finished
                           + [Double(targets.count)] + targets + Array(inputs.joined()) + stored)
        }
        var gradient = shards.sumInShardOrder(pullbacks, length: actor.parameterCount)
        var finished = [Double](), inputs = [[Double]](), targets = [Double](), windows = [CriticWindow]()
        for (e, r) in shards.allGather(results).enumerated() {
            state.states[e] = Array(r[0..<n])
            state.episodeSteps[e] = Int(r[n]); state.episodeReturns[e] = r[n + 1]
            let k = Int(r[n + 2])
            finished += r[n + 3..<n + 3 + k]
            let samples = Int(r[n + 3 + k]), first = n + 4 + k
            targets += r[first..<first + samples]
            let observations = first + samples
            var mine = [[Double]]()
            for i in 0..<samples { mine.append(Array(r[observations + i * m..<observations + (i + 1) * m])) }
            inputs += mine
            // the windows to store: their observations are those above, in order
            var at = observations + samples * m, used = 0
            while at < r.count {
                let length = Int(r[at])
                windows.append(CriticWindow(observations: Array(mine[used..<used + length]), costs: Array(r[at + 1..<at + 1 + length]),
                                            last: Array(r[at + 1 + length..<at + 1 + length + m]), terminated: r[at + 1 + length + m] != 0))
                used += length; at += length + m + 2
            }
        }
        if s.replays {
            // earlier windows' targets from the current target critic (drawn before this iteration's are stored)
            for w in state.drawReplay(s.replayDraws ?? 0, generator: &generator) {
                s.tdTargets(w, targetCritic: targetCritic, &inputs, &targets)
            }
            state.store(windows)
        }
        environmentSteps += s.stepsPerIteration
        let scale = s.lossScale / Double(s.stepsPerIteration)
        for i in gradient.indices { gradient[i] *= scale }
        clip(&gradient, toNorm: s.clipNorm)
        actorOptimizer.learningRate = s.actorLearningRate * decay
        actorOptimizer.update(&actor.parameters, gradient: gradient)
        if let share = s.actorAveraging, share > 0, progress >= 1 - share { state.average(actor.parameters) }
        s.fitCritic(&critic, optimizer: &state.learned.optimizer, inputs: inputs, targets: targets, learningRate: s.criticLearningRate * decay,
                    communicator: communicator, generator: &generator)
        s.moveTarget(&targetCritic, towards: critic)
        return finished
    }

    /// The windows of this process's environments (`shards.owned`), each drawn
    /// from the generator's stream where the environments before it end, as one
    /// loop over the environments draws; `generator` is left after every
    /// environment's draws. Where a window starts is known only once those before
    /// it are simulated (its action noise and any restart draw numbers), so each
    /// process simulates its environments from a guess (no restart before them),
    /// the processes exchange where each started and how much it drew, and the
    /// windows that started elsewhere than the draws before them end are
    /// simulated again, until none is: one round unless an episode ended in an
    /// earlier window, at most one round an environment (the first is always right).
    mutating func simulateEnvironments(_ shards: WorkShards, generator: inout SeededGenerator) -> [EnvironmentWindow] {
        let s = state.settings, owned = shards.owned
        var timeline = GeneratorTimeline(generator)
        // the guess: `normal()` draws two numbers a step
        let perWindow = s.actionNoise > 0 ? 2 * s.horizon : 0
        var starts = (0..<s.environments).map { $0 * perWindow }
        var windows = [EnvironmentWindow?](repeating: nil, count: owned.count)
        while true {
            for (k, e) in owned.enumerated() where windows[k]?.start != starts[e] {
                var g = timeline.generator(at: starts[e])
                var w = simulate(e, generator: &g)
                w.start = starts[e]
                w.draws = timeline.position(of: g, from: starts[e]) - starts[e]
                windows[k] = w
            }
            let drawn = shards.allGather(windows.map { [Double($0!.start), Double($0!.draws)] })
            var position = 0, consistent = true
            for e in 0..<s.environments {
                if Int(drawn[e][0]) != position { consistent = false }
                starts[e] = position
                position += Int(drawn[e][1])
            }
            if consistent {
                generator = timeline.generator(at: position)
                return windows.map { $0! }
            }
        }
    }

    /// Environment `e`'s `horizon` steps from its state, its action noise and the
    /// start states of its next episodes drawn from `generator`.
    func simulate(_ e: Int, generator: inout SeededGenerator) -> EnvironmentWindow {
        let s = state.settings, episodeLength = s.trainingEpisodeSteps(maxSteps: D.maxSteps)
        var w = EnvironmentWindow(state: state.states[e], episodeSteps: state.episodeSteps[e], episodeReturn: state.episodeReturns[e])
        var segments = [Segment()]
        for _ in 0..<s.horizon {
            let x = w.state
            var trace = Network.Trace()
            let out = actor.forward(D.observation(x), trace: &trace)[0]
            let a = actionScale * out + (s.actionNoise > 0 ? s.actionNoise * generator.normal() : 0)
            let lin = LinearizedStep.at(D.self, L.self, state: x, action: a)
            w.episodeReturn += D.reward(x, action: a)
            w.episodeSteps += 1
            segments[segments.count - 1].steps.append(lin)
            segments[segments.count - 1].traces.append(trace)
            let terminated = D.isTerminal(lin.next)
            if terminated || w.episodeSteps >= episodeLength {
                segments[segments.count - 1].last = lin.next
                segments[segments.count - 1].terminated = terminated
                // a restarted episode's return as a whole episode's (its mean reward a step times D.maxSteps)
                w.finished.append(s.restartSteps == nil ? w.episodeReturn : w.episodeReturn * Double(D.maxSteps) / Double(w.episodeSteps))
                w.state = D.startState(&generator)
                w.episodeSteps = 0; w.episodeReturn = 0
                segments.append(Segment())
            } else {
                w.state = lin.next
            }
        }
        if segments[segments.count - 1].steps.isEmpty { segments.removeLast() } else { segments[segments.count - 1].last = w.state }
        w.segments = segments
        return w
    }

    /// One window of `horizon` steps from `start` under the current policy (no
    /// noise; nothing reset, counted or learned): the objective the actor
    /// minimises, Σ γᵗℓ_t + γᵏ·C′(s_k) / `lossScale` (no C′ if the episode
    /// terminated), and its gradient with respect to the policy's weights, as
    /// `iterate` differentiates each environment's window. For checks.
    public func windowObjective(from start: [Double]) -> (value: Double, gradient: [Double]) {
        let s = state.settings
        var segment = Segment()
        var x = start, value = 0.0
        for t in 0..<s.horizon {
            var trace = Network.Trace()
            let a = actionScale * actor.forward(D.observation(x), trace: &trace)[0]
            let lin = LinearizedStep.at(D.self, L.self, state: x, action: a)
            value += Foundation.pow(s.discount, Double(t)) * (lin.loss + s.saturationCost(trace))
            segment.steps.append(lin); segment.traces.append(trace)
            x = lin.next
            if D.isTerminal(x) { segment.terminated = true; break }
        }
        segment.last = x
        if !segment.terminated {
            value += Foundation.pow(s.discount, Double(segment.steps.count)) * targetCritic.predict(D.observation(x))[0] / s.lossScale
        }
        var gradient = [Double](repeating: 0, count: actor.parameterCount)
        actorGradient(segment, &gradient)
        return (value, gradient)
    }

    /// Adds the gradient of the segment's discounted losses plus, unless it
    /// terminated, γᵏ times the target critic's cost-to-go of its last state.
    func actorGradient(_ segment: Segment, _ gradient: inout [Double]) {
        actorPullbacks(segment) { actor.backward($0, trace: $1, gradient: &gradient) }
    }

    /// The backward sweep of `actorGradient`: `pullback` gets, for each step from
    /// the last to the first, ∂objective/∂(network output) and the step's trace,
    /// and returns ∂objective/∂observation (the actor's backward pass, which adds
    /// the step's part of the weights' gradient wherever the caller keeps it).
    /// Quantities of step t are kept relative to γᵗ: the sweep multiplies λ by γ
    /// at each step back and each step's pullback into the weights by γᵗ.
    func actorPullbacks(_ segment: Segment, _ pullback: (_ dOutput: [Double], _ trace: Network.Trace) -> [Double]) {
        let n = D.stateSize, gamma = state.settings.discount
        let terminal = segment.terminated ? [Double](repeating: 0, count: n)
                                          : state.settings.costToGoGradient(D.self, targetCritic: targetCritic, state: segment.last)
        backpropagate(segment.steps, from: terminal, discount: gamma) { t, dA, dS in
            let w = Foundation.pow(gamma, Double(t))
            let trace = segment.traces[t]
            let penalty = state.settings.penalty > 0 ? state.settings.saturationGradient(trace, layers: actor.layers) : 0
            let dObs = pullback([(dA * actionScale + penalty) * w], trace)
            let st = segment.steps[t]
            for i in dObs.indices { for j in 0..<n { dS[j] += dObs[i] / w * st.dObsdState[i * n + j] } }
        }
    }
}

/// The cart-pole's reward for the short-horizon actor-critic: the shaped reward
/// (`CartPoleDynamics.shapedReward`, 1 centred and upright, 0 at the track's end
/// or at 12°) of the state reached, as a loss (its negative), so that an episode
/// that ends early forgoes the rewards it would have had.
public enum CartPoleShapedReward: SurrogateLoss {
    @inlinable
    public static func loss<T: Real>(state: [T], action: T, next: [T]) -> T {
        -CartPoleDynamics.shapedReward(next)
    }
}

