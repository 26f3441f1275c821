import Autodiff
import Learning

/// Policy selection by counted rollouts: a fixed share of the budget
/// (`selectSteps`) is kept back from training and spent on rolling out
/// candidate policies in the training's own simulator, and the policy written
/// is the candidate with the highest return.
///
/// The averaged share of the training steps (`actorAveraging`) is cut into
/// `selectCandidates` spans of equal numbers of actor steps; each span's mean of
/// the actor's weights is a candidate (a policy that loses what it had learnt
/// late in the run leaves the earlier spans' means intact). When a span ends,
/// its candidate runs `selectLength` steps from each of the same start states
/// (drawn once, when the first span ends, from the training's own generator by
/// `D.episodeStartState`: the environment's episode starts), so that the
/// comparison is paired: the dynamics and the policies are deterministic, and
/// two candidates' returns differ only by what the policies do. The rollouts'
/// steps count in `environmentSteps`; with a replay they also go into the
/// critic's stored windows (`selectFeedsCritic`), since they are real
/// transitions. Training's learning rates fall to 0 over the training steps
/// (the budget less `selectSteps`).
extension SHACSettings {
    /// Whether the policy is selected by rollouts (`selectCandidates` and `selectSteps` both positive).
    public var selects: Bool { (selectCandidates ?? 0) > 0 && (selectSteps ?? 0) > 0 }

    /// Steps of each selection rollout in an environment whose episodes last `maxSteps`.
    public func selectionLength(maxSteps: Int) -> Int { min(selectLength ?? maxSteps, maxSteps) }

    /// Start states of the selection's rollouts (each candidate runs from every one).
    public func selectionStartCount(maxSteps: Int) -> Int {
        selects ? (selectSteps ?? 0) / ((selectCandidates ?? 1) * selectionLength(maxSteps: maxSteps)) : 0
    }

    /// Why the selection's settings cannot be used with episodes of `maxSteps`, or nil.
    func selectionProblem(maxSteps: Int) -> String? {
        if let k = selectCandidates, k < 0 || k > 64 { return "selection candidates must be in 0...64, got \(k)" }
        if let n = selectSteps, n < 0 || n > 100_000_000 { return "selection steps must be in 0...100000000, got \(n)" }
        if let l = selectLength, l < 1 || l > maxSteps { return "the selection's rollouts must last 1...\(maxSteps) steps, got \(l)" }
        guard selects else { return nil }
        let k = selectCandidates ?? 0, n = selectSteps ?? 0, l = selectionLength(maxSteps: maxSteps)
        guard n % (k * l) == 0 else {
            return "selection steps (\(n)) must be a whole number of rollouts of \(l) steps for each of \(k) candidates (a multiple of \(k * l))"
        }
        guard n % stepsPerIteration == 0 else {
            return "selection steps (\(n)) must be a multiple of environments × horizon (\(stepsPerIteration))"
        }
        guard (actorAveraging ?? 0) > 0 else {
            return "selecting among candidates needs the actor's averaged share (--average-actor > 0): its spans are the candidates"
        }
        return nil
    }

    /// Why a budget of `budget` environment steps cannot hold the selection, or nil:
    /// the training steps left must give every candidate's span at least one actor step.
    public func selectionProblem(budget: Int, maxSteps: Int) -> String? {
        guard selects else { return nil }
        let n = selectSteps ?? 0, k = selectCandidates ?? 0
        guard n < budget, averagedIterations(trainingSteps: budget - n) >= k else {
            return "the selection's \(n) steps leave \(max(budget - n, 0)) of the budget's \(budget) for training, "
                + "too few for \(k) spans of the actor's averaged share \(actorAveraging ?? 0); give more --episodes or fewer --select-steps"
        }
        return nil
    }

    /// The first averaged iteration of a training of `trainingSteps` steps: the
    /// first whose progress (its steps before it over `trainingSteps`) reaches
    /// 1 − `actorAveraging`, as `SHACTrainer.iterate` decides.
    func firstAveragedIteration(trainingSteps: Int) -> Int {
        let share = actorAveraging ?? 0, h = stepsPerIteration, count = trainingSteps / h
        var i = max(0, min(count, Int(((1 - share) * Double(trainingSteps) / Double(h)).rounded(.down)) - 1))
        while i < count && Double(i * h) / Double(trainingSteps) < 1 - share { i += 1 }
        return i
    }

    /// Iterations whose actor steps are averaged in a training of `trainingSteps` steps.
    func averagedIterations(trainingSteps: Int) -> Int {
        trainingSteps / stepsPerIteration - firstAveragedIteration(trainingSteps: trainingSteps)
    }

    /// Whether iteration `i` (0-based) of a training of `trainingSteps` steps is
    /// the last of its candidate's span: the averaged iterations, A of them, are
    /// cut into `selectCandidates` spans, the j-th averaged iteration in span ⌊jK/A⌋.
    func endsSpan(iteration i: Int, trainingSteps: Int) -> Bool {
        let first = firstAveragedIteration(trainingSteps: trainingSteps), a = averagedIterations(trainingSteps: trainingSteps)
        let k = selectCandidates ?? 1, j = i - first
        guard j >= 0, j < a, a >= k else { return false }
        return j == a - 1 || (j + 1) * k / a != j * k / a
    }
}

extension SHACState {
    /// The selected candidate: once every candidate has its return, the one with
    /// the highest (the later of equal ones); nil before then and without selection.
    public var selectedCandidate: Int? {
        guard settings.selects, candidateReturns.count == settings.selectCandidates, !candidateReturns.isEmpty else { return nil }
        var best = 0
        for (k, r) in candidateReturns.enumerated() where r >= candidateReturns[best] { best = k }
        return best
    }

    /// Why the selection's state does not fit `D` (a checkpoint's), or nil.
    func selectionStateProblem<D: Dynamics>(_ d: D.Type) -> String? {
        let k = settings.selects ? settings.selectCandidates ?? 0 : 0
        let starts = settings.selectionStartCount(maxSteps: D.maxSteps)
        guard candidates.count <= k, candidateReturns.count == candidates.count, candidateReturns.allSatisfy(\.isFinite),
              selectionStarts.isEmpty || selectionStarts.count == starts,
              selectionStarts.allSatisfy({ $0.count == D.stateSize && $0.allSatisfy(\.isFinite) }),
              selectionSteps >= 0, selectionSteps <= candidates.count * starts * settings.selectionLength(maxSteps: D.maxSteps) else {
            return "inconsistent selection: \(candidates.count) candidates with \(candidateReturns.count) returns, \(selectionStarts.count) start states, "
                + "\(selectionSteps) steps; expected at most \(k) candidates, one finite return each, \(starts) start states of \(D.stateSize) values"
        }
        return nil
    }
}

extension SHACTrainer {
    /// Training steps so far: every environment step less the selection's rollouts.
    public var trainingSteps: Int { environmentSteps - state.selectionSteps }

    /// `weights` run as the policy for up to `length` steps from each of `starts`
    /// (no noise; stopping where an episode terminates): each rollout's Gym return,
    /// the steps taken, and the steps as the critic's windows of `horizon` steps.
    public func rollouts(_ weights: [Double], from starts: [[Double]], length: Int) -> (returns: [Double], steps: Int, windows: [CriticWindow]) {
        let s = state.settings
        var policy = actor
        policy.parameters = weights
        var returns = [Double](), steps = 0, windows = [CriticWindow]()
        for start in starts {
            var x = start, total = 0.0
            var window = CriticWindow(observations: [], costs: [], last: [], terminated: false)
            for t in 0..<length {
                let observation = D.observation(x)
                let a = actionScale * policy.predict(observation)[0]
                let next = D.step(x, action: a)
                total += D.reward(x, action: a)
                steps += 1
                window.observations.append(observation)
                window.costs.append(s.lossScale * L.loss(state: x, action: a, next: next))
                x = next
                let terminated = D.isTerminal(x)
                if terminated || window.costs.count == s.horizon || t == length - 1 {
                    window.last = D.observation(x); window.terminated = terminated
                    windows.append(window)
                    window = CriticWindow(observations: [], costs: [], last: [], terminated: false)
                }
                if terminated { break }
            }
            returns.append(total)
        }
        return (returns, steps, windows)
    }

    /// Ends the current span: its mean of the actor's weights becomes the next
    /// candidate, which is rolled out from the selection's start states (drawn
    /// from `generator` if this is the first); the steps are counted and, with a
    /// replay, stored for the critic. The next span's average starts afresh.
    public mutating func selectCandidate(generator: inout SeededGenerator) {
        let s = state.settings
        let length = s.selectionLength(maxSteps: D.maxSteps)
        if state.selectionStarts.isEmpty {
            state.selectionStarts = (0..<s.selectionStartCount(maxSteps: D.maxSteps)).map { _ in D.episodeStartState(&generator) }
        }
        let candidate = state.averagedActor ?? actor.parameters
        let r = rollouts(candidate, from: state.selectionStarts, length: length)
        state.candidates.append(candidate)
        state.candidateReturns.append(r.returns.reduce(0, +))
        state.selectionSteps += r.steps
        environmentSteps += r.steps
        if s.replays && (s.selectFeedsCritic ?? true) { state.store(r.windows) }
        state.averagedActor = nil; state.averagedSteps = 0
    }
}
