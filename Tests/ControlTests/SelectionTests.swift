import Testing
import Foundation
import Learning
import Control

/// A tiny selecting run: 2 episodes (400 steps), 3 candidates, each rolled out
/// from the same 2 Gym start states for 20 steps (120 steps).
func selectingSettings() -> SHACSettings {
    var s = PendulumTask.oneStepSettings
    s.replayWindows = 30; s.replayDraws = 3; s.actorAveraging = 0.75
    s.selectCandidates = 3; s.selectSteps = 120; s.selectLength = 20
    return s
}

/// The selection's rollouts count in `env_steps` within the budget, every
/// candidate runs from the same start states, and the policy written is the
/// candidate whose return over them is the highest: the returns checked against
/// the evaluation's own episodes (`Environment<PendulumDynamics>`, the task's
/// policy) from those starts.
@Test func selectionCountsItsStepsAndKeepsTheBestPairedReturn() throws {
    let settings = selectingSettings()
    var run = TrainingRun(problem: .pendulum, seed: 3, trainer: .shac, settings: settings)
    var points = 0
    try run.train(totalEpisodes: 2, report: { _ in points += 1 }, checkpoint: { _ in })
    let state = try #require(run.shac)
    #expect(points == 2 && run.episodes == 2 && run.environmentSteps == 400 && state.selectionSteps == 120)
    #expect(state.candidates.count == 3 && state.candidateReturns.count == 3 && state.selectionStarts.count == 2)
    // Gym's start distribution, not the training windows' wider one
    #expect(state.selectionStarts.allSatisfy { abs($0[0]) <= Double.pi && abs($0[1]) <= 1 })
    // the candidates are different policies (the span means of a moving actor)
    #expect(Set(state.candidates.map { $0.map(\.bitPattern) }).count == 3)
    var returns = [Double]()
    for weights in state.candidates {
        var net = try run.currentNetwork()
        net.parameters = weights
        var total = 0.0
        for start in state.selectionStarts {
            var env = Pendulum<Double>(state: start)
            for _ in 0..<20 { total += env.step(PendulumTask.action(net, observation: env.observation)) }
        }
        returns.append(total)
    }
    for (a, b) in zip(returns, state.candidateReturns) { #expect(abs(a - b) <= 1e-9 * max(1, abs(a)), "\(returns) against \(state.candidateReturns)") }
    let best = try #require(returns.indices.max { returns[$0] < returns[$1] })
    #expect(state.selectedCandidate == best)
    #expect(try run.policyNetwork().parameters == state.candidates[best])
    // the rollouts' 120 steps went into the critic's replay as windows of one step (the ring keeps its last 30)
    #expect(state.replay.count == 30 && state.averagedActor == nil)
}

/// Stopped at its first checkpoint (one candidate rolled out, the start states
/// drawn), written to JSON and read back, a selecting run ends where the whole
/// run ends: the same candidates, returns, choice and weights.
@Test func selectionSurvivesAResume() throws {
    let settings = selectingSettings()
    var whole = TrainingRun(problem: .pendulum, seed: 9, trainer: .shac, settings: settings)
    try whole.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
    var resumed = try pendulumRunStoppedAtItsFirstCheckpoint(seed: 9, settings: settings, episodes: 2)
    #expect(resumed.episodes == 1 && resumed.shac?.candidates.count == 1 && resumed.shac?.selectionStarts.count == 2)
    try resumed.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
    #expect(resumed.environmentSteps == 400 && resumed.shac == whole.shac && resumed.network.parameters == whole.network.parameters)
    #expect(try resumed.policyNetwork().parameters == whole.policyNetwork().parameters && whole.shac?.selectedCandidate != nil)
}

/// A checkpoint whose selection does not fit its settings is refused with a one-line reason.
@Test func selectionIsCheckedOnReading() throws {
    var run = TrainingRun(problem: .pendulum, seed: 1, trainer: .shac, settings: selectingSettings())
    try run.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
    #expect(try TrainingRun.decode(try CheckpointJSON.encoder().encode(run), path: "c.json", problem: .pendulum).shac == run.shac)
    run.shac!.candidateReturns.removeLast()
    let error = #expect(throws: ModelFileError.self) {
        try TrainingRun.decode(try CheckpointJSON.encoder().encode(run), path: "c.json", problem: .pendulum)
    }
    let text = "\(error.map { "\($0)" } ?? "")"
    #expect(text.contains("c.json") && text.contains("inconsistent selection") && !text.contains("\n"), "\(text)")
}

/// Settings that cannot hold the selection are refused with their reason; a run
/// without it writes none of its fields.
@Test func selectionSettingsAreChecked() throws {
    var s = selectingSettings()
    #expect(s.problem(maxSteps: 200) == nil && s.selectionProblem(budget: 400, maxSteps: 200) == nil)
    #expect(s.selectionProblem(budget: 120, maxSteps: 200)?.contains("leave 0 of the budget's 120 for training") == true)
    s.selectSteps = 100
    #expect(s.problem(maxSteps: 200)?.contains("a multiple of 60") == true)
    s.selectSteps = 120; s.actorAveraging = nil
    #expect(s.problem(maxSteps: 200)?.contains("averaged share") == true)
    var plain = TrainingRun(problem: .pendulum, seed: 1, trainer: .shac, settings: PendulumTask.oneStepSettings)
    try plain.train(totalEpisodes: 1, report: { _ in }, checkpoint: { _ in })
    let text = String(decoding: try CheckpointJSON.encoder().encode(plain), as: UTF8.self)
    #expect(!text.contains("candidate") && !text.contains("selection") && !text.contains("select"))
}
