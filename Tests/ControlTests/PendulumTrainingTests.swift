import Testing
import Foundation
import Autodiff
import Learning
import Control

/// The Riccati solution satisfies P = Q + AᵀPA − AᵀPB(R + BᵀPB)⁻¹BᵀPA for the
/// upright linearisation of Gym's step, and is positive definite.
@Test func pendulumRiccatiSolvesTheDiscreteRiccatiEquation() {
    let p = PendulumValueSurrogate.riccati
    // The linearisation comes from the physics itself (Dual8 at the upright, rest).
    let lin = LinearizedStep.at(PendulumDynamics.self, PendulumSurrogate.self, state: [0, 0], action: 0)
    let a = [[lin.dNextdState[0], lin.dNextdState[1]], [lin.dNextdState[2], lin.dNextdState[3]]]
    let b = lin.dNextdAction
    let pm = [[p[0], p[1]], [p[1], p[2]]]
    let pb = [pm[0][0] * b[0] + pm[0][1] * b[1], pm[1][0] * b[0] + pm[1][1] * b[1]]
    let s = 0.001 + b[0] * pb[0] + b[1] * pb[1]
    let bpa = [pb[0] * a[0][0] + pb[1] * a[1][0], pb[0] * a[0][1] + pb[1] * a[1][1]]
    for i in 0..<2 {
        for j in 0..<2 {
            var v = 0.0
            for m in 0..<2 { for n in 0..<2 { v += a[m][i] * pm[m][n] * a[n][j] } }
            let rhs = (i == j ? [1.0, 0.1][i] : 0) + v - bpa[i] * bpa[j] / s
            #expect(abs(rhs - pm[i][j]) <= 1e-9 * max(1, abs(pm[i][j])), "P[\(i)][\(j)] = \(pm[i][j]), right-hand side \(rhs)")
        }
    }
    #expect(p[0] > 0 && p[0] * p[2] - p[1] * p[1] > 0)
}

/// The one-step loss's derivative with respect to the torque (forward mode through
/// the physics and the value surrogate) matches central differences.
@Test func pendulumGreedySurrogateDerivativeMatchesFiniteDifferences() {
    var g = SeededGenerator(seed: 11)
    for _ in 0..<20 {
        let s = [g.uniform(-3, 3), g.uniform(-6, 6)], a = g.uniform(-1.9, 1.9)
        let lin = LinearizedStep.at(PendulumDynamics.self, PendulumGreedySurrogate.self, state: s, action: a)
        func loss(_ u: Double) -> Double {
            PendulumGreedySurrogate.loss(state: s, action: u, next: PendulumDynamics.step(s, action: u))
        }
        let h = 1e-6, fd = (loss(a + h) - loss(a - h)) / (2 * h)
        #expect(abs(lin.dLossdAction - fd) <= 1e-5 * max(1, abs(fd)), "state \(s), torque \(a): \(lin.dLossdAction) vs \(fd)")
        // and the state derivatives
        for j in 0..<2 {
            var sp = s, sm = s; sp[j] += h; sm[j] -= h
            let fs = (PendulumGreedySurrogate.loss(state: sp, action: a, next: PendulumDynamics.step(sp, action: a))
                - PendulumGreedySurrogate.loss(state: sm, action: a, next: PendulumDynamics.step(sm, action: a))) / (2 * h)
            #expect(abs(lin.dLossdState[j] - fs) <= 1e-4 * max(1, abs(fs)))
        }
    }
}

/// The Newton target of a step is the minimiser of the local quadratic model:
/// near the top, where the loss is nearly quadratic in the torque, it matches a
/// direct search over the torque.
@Test func pendulumNewtonTargetNearTheTopMatchesADirectSearch() {
    for s in [[0.05, -0.2], [-0.1, 0.3], [0.02, 0.05]] {
        let t = PendulumNewtonTrainer.newtonTarget(state: s, action: 0).target
        var best = 0.0, bestLoss = Double.infinity
        for k in 0...4000 {
            let u = -2 + 0.001 * Double(k)
            let l = PendulumGreedySurrogate.loss(state: s, action: u, next: PendulumTrainingDynamics.step(s, action: u))
            if l < bestLoss { bestLoss = l; best = u }
        }
        let clipped = min(max(best, -PendulumNewtonTrainer.targetLimit), PendulumNewtonTrainer.targetLimit)
        #expect(abs(t - clipped) <= 0.02, "state \(s): Newton target \(t), direct search \(best)")
    }
}

/// The surrogate is a good one: acting greedily on it (no network) swings up and holds.
@Test func greedyControllerOnTheValueSurrogateMeetsTheBar() throws {
    let greedy = ObservationPolicy<PendulumDynamics> { obs in PendulumValueSurrogate.greedyAction([atan2(obs[1], obs[0]), obs[2]]) }
    let r = try evaluate(policy: greedy, task: PendulumTask.self, episodes: 20, seed: 4)
    #expect(r.mean >= -200, "greedy mean \(r.mean)")
}

/// The surrogate recipe meets the bar after a fixed budget of three episodes
/// (600 simulated steps) and counts 200 simulated steps per episode.
@Test func pendulumSurrogateTrainingMeetsTheBarWithinThreeEpisodes() throws {
    var run = TrainingRun(problem: .pendulum, seed: 1, trainer: .surrogate)
    try run.train(totalEpisodes: 3, report: { _ in }, checkpoint: { _ in })
    #expect(run.environmentSteps == 200 * run.episodes && run.episodes == 3)
    #expect(run.pendulumReplay?.count == run.environmentSteps)
    let net = try run.network.network(path: "-", expecting: PendulumTask.layers)
    let fresh = try evaluate(policy: PendulumTask.policy(net), task: PendulumTask.self, episodes: 100, seed: 12345)
    #expect(fresh.mean >= -200, "fresh evaluation \(fresh.mean)")
}

/// A version-1 pendulum checkpoint (the old recipe, no replay buffer) is refused.
@Test func oldPendulumCheckpointIsRefused() throws {
    let run = TrainingRun(problem: .pendulum, seed: 2, trainer: .surrogate)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-pend-v1-\(getpid()).json").path
    var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(run)) as! [String: Any]
    json["version"] = 1
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    #expect(throws: ModelFileError.self) { try TrainingRun.read(path: path, problem: .pendulum) }
    try? FileManager.default.removeItem(atPath: path)
}
