import Foundation
import Autodiff
import Learning

/// Choosing the trained policy among candidates by whole training episodes
/// (`SHACSettings.selectionEpisodes`, `selectionCandidates`).
///
/// The averaged share of the training budget (`actorAveraging`) is split into
/// `selectionCandidates` consecutive spans of equal length; the mean of the
/// actor's weights after each step of a span is a candidate policy. After
/// training, the budget's last `selectionEpisodes` episodes run each candidate
/// for whole episodes of the environment (`D.maxSteps` steps, no noise, nothing
/// learned) from start states drawn from the environment's own start
/// distribution, the same starts for every candidate; the candidate with the
/// highest total return is the policy written (ties: the later span). Every
/// step of these episodes is counted in `environmentSteps`: this is model
/// selection on training data, at the budget's cost.
extension SHACSettings {
    /// Candidate policies (`selectionCandidates`, 1 when absent).
    public var candidateCount: Int { selectionCandidates ?? 1 }

    /// Whether training ends with selection episodes.
    public var selects: Bool { (selectionEpisodes ?? 0) > 0 }

    /// The span of the averaged share that an actor step at `progress` (the
    /// share of the training budget spent before it) belongs to, or nil if
    /// the averaged share has not begun.
    public func candidateSpan(progress: Double) -> Int? {
        guard let share = actorAveraging, share > 0, progress >= 1 - share else { return nil }
        let k = candidateCount
        return Swift.min(k - 1, Swift.max(0, Int((progress - (1 - share)) / share * Double(k))))
    }
}

extension SHACState {
    /// Adds the actor's weights after a step to the running mean of candidate `span`.
    mutating func addCandidate(_ weights: [Double], span: Int) {
        let k = settings.candidateCount
        if candidates.count < k {
            candidates = [[Double]](repeating: [], count: k); candidateSteps = [Int](repeating: 0, count: k)
        }
        var mean = candidates[span].isEmpty ? weights : candidates[span]
        candidateSteps[span] += 1
        let w = 1 / Double(candidateSteps[span])
        for i in mean.indices { mean[i] += w * (weights[i] - mean[i]) }
        candidates[span] = mean
    }
}

extension SHACTrainer {
    /// One episode of the policy with `weights` from `start`, as the environment
    /// runs it (the forward physics and Gym's reward; no action noise, nothing
    /// learned): its return and its steps (up to `D.maxSteps`, fewer if it terminates).
    public func episode(weights: [Double], from start: [Double]) -> (total: Double, steps: Int) {
        var policy = actor
        policy.parameters = weights
        var x = start, total = 0.0, steps = 0
        while steps < D.maxSteps {
            let a = actionScale * policy.predict(D.observation(x))[0]
            total += D.reward(x, action: a)
            x = D.step(x, action: a)
            steps += 1
            if D.isTerminal(x) { break }
        }
        return (total, steps)
    }

    /// Runs the selection episodes: `selectionEpisodes / selectionCandidates`
    /// start states drawn by `start` from `generator`, every candidate run from
    /// each, every step counted. Records the chosen candidate in `state.selected`
    /// and returns each episode's return in the order run (start by start,
    /// candidate by candidate). A candidate whose span held no step (a budget
    /// shorter than its spans) is not run.
    public mutating func select(start: (inout SeededGenerator) -> [Double], generator: inout SeededGenerator) -> [Double] {
        let k = state.settings.candidateCount, starts = (state.settings.selectionEpisodes ?? 0) / k
        var totals = [Double](repeating: 0, count: k), returns = [Double]()
        let ready = (0..<k).filter { $0 < state.candidates.count && !state.candidates[$0].isEmpty }
        for _ in 0..<starts {
            let x = start(&generator)
            for c in ready {
                let r = episode(weights: state.candidates[c], from: x)
                totals[c] += r.total; returns.append(r.total)
                environmentSteps += r.steps
            }
        }
        // the highest total; ties go to the later span
        state.selected = ready.max { totals[$0] < totals[$1] || (totals[$0] == totals[$1] && $0 < $1) }
        return returns
    }
}

extension SHACSettings {
    /// Why the selection settings are wrong, or nil (part of `problem(maxSteps:)`).
    var selectionProblem: String? {
        let episodes = selectionEpisodes ?? 0, k = candidateCount
        guard episodes >= 0, episodes <= 10_000, k >= 1, k <= 64 else {
            return "selection episodes must be in 0...10000 and candidates in 1...64, got \(episodes) and \(k)"
        }
        guard episodes > 0 else { return k == 1 ? nil : "\(k) candidates need selection episodes to choose among them" }
        guard k >= 2, episodes % k == 0 else {
            return "selection episodes (\(episodes)) must be a positive multiple of the candidates (\(k)), with at least 2 candidates"
        }
        guard (actorAveraging ?? 0) > 0 else { return "selection needs the actor's averaged share (the candidates' spans), got none" }
        return nil
    }
}
