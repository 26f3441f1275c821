import Testing
import Foundation
import Learning
import Control

/// A selection episode is an episode of Gym's pendulum: from the same start the
/// trainer's episode and `evaluate` give the same return over 200 steps.
@Test func selectionEpisodeIsAGymEpisode() throws {
    var g = SeededGenerator(seed: 3)
    let actor = Network(layers: PendulumTask.layers, generator: &g)
    let state = SHACState(PendulumTrainingDynamics.self, settings: PendulumTask.oneStepSettings, generator: &g)
    let trainer = try SHACTrainer<PendulumTrainingDynamics, PendulumSurrogate>(
        actor: actor, optimizer: Adam(learningRate: 0.01), actionScale: PendulumDynamics.maxTorque, state: state)
    var starts = SeededGenerator(seed: 99)
    let gym = try evaluate(policy: PendulumTask.policy(actor), task: PendulumTask.self, episodes: 1, seed: 99)
    let mine = trainer.episode(weights: actor.parameters, from: PendulumDynamics.startState(&starts))
    #expect(mine.steps == 200 && gym.steps == 200)
    #expect(abs(mine.total - gym.returns[0]) <= 1e-9 * abs(gym.returns[0]), "\(mine.total) against \(gym.returns[0])")
}

/// The candidates are the means of the actor's weights over the averaged share's
/// spans; the selection runs each from the same starts, counts every step and
/// chooses the highest total return.
@Test func selectionChoosesTheBestCandidateAndCountsItsSteps() throws {
    var settings = PendulumTask.oneStepSettings
    settings.replayWindows = 20; settings.replayDraws = 4; settings.actorAveraging = 0.5
    settings.selectionEpisodes = 4; settings.selectionCandidates = 2
    var g = SeededGenerator(seed: 5)
    let state = SHACState(PendulumTrainingDynamics.self, settings: settings, generator: &g)
    var trainer = try SHACTrainer<PendulumTrainingDynamics, PendulumSurrogate>(
        actor: Network(layers: PendulumTask.layers, generator: &g), optimizer: Adam(learningRate: 0.01), actionScale: 2, state: state)
    let iterations = 40
    var sums = [[Double]](repeating: [Double](repeating: 0, count: trainer.actor.parameterCount), count: 2)
    for i in 0..<iterations {
        _ = trainer.iterate(progress: Double(i) / Double(iterations), generator: &g)
        // steps 20–29 are the first span, 30–39 the second
        if i >= 20 { for k in sums[0].indices { sums[i / 10 - 2][k] += trainer.actor.parameters[k] } }
    }
    #expect(trainer.state.candidateSteps == [10, 10])
    for c in 0..<2 {
        let error = zip(trainer.state.candidates[c], sums[c]).map { abs($0 - $1 / 10) }.max() ?? .nan
        #expect(error < 1e-12, "candidate \(c): largest difference from the span's mean \(error)")
    }
    let steps = trainer.environmentSteps
    var draw = g
    let returns = trainer.select(start: PendulumDynamics.startState, generator: &g)
    #expect(trainer.environmentSteps == steps + 4 * 200 && returns.count == 4)
    // the same starts for both candidates, start by start
    for j in 0..<2 {
        let x = PendulumDynamics.startState(&draw)
        for c in 0..<2 { #expect(returns[2 * j + c] == trainer.episode(weights: trainer.state.candidates[c], from: x).total) }
    }
    let totals = [returns[0] + returns[2], returns[1] + returns[3]]
    #expect(totals[0] != totals[1])
    let best = totals[0] > totals[1] ? 0 : 1
    #expect(trainer.state.selected == best)
    #expect(trainer.state.policyWeights(trainer.actor.parameters) == trainer.state.candidates[best])
}

/// A run with selection trains the budget less the selection episodes, counts
/// every step of both, writes the chosen candidate, and resumes bit for bit.
@Test func selectionRunCountsItsBudgetAndResumes() throws {
    struct Stop: Error {}
    var settings = PendulumTask.oneStepSettings
    settings.replayWindows = 30; settings.replayDraws = 3; settings.actorAveraging = 0.5
    settings.selectionEpisodes = 2; settings.selectionCandidates = 2
    var whole = TrainingRun(problem: .pendulum, seed: 7, trainer: .shac, settings: settings)
    var points = 0
    try whole.train(totalEpisodes: 4, report: { _ in points += 1 }, checkpoint: { _ in })
    #expect(whole.episodes == 4 && whole.environmentSteps == 800 && whole.curve.count == 4 && points == 3)
    let shac = try #require(whole.shac)
    #expect(shac.candidateSteps == [100, 100] && shac.averagedSteps == 200)
    let chosen = try #require(shac.selected)
    #expect(try whole.policyNetwork().parameters == shac.candidates[chosen])
    // the same run stopped after its first checkpoint and resumed from the file
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-selection-\(getpid()).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    var first = TrainingRun(problem: .pendulum, seed: 7, trainer: .shac, settings: settings)
    #expect(throws: Stop.self) {
        try first.train(totalEpisodes: 4, report: { _ in }, checkpoint: { run in try run.write(path: path); throw Stop() })
    }
    var resumed = try TrainingRun.read(path: path, problem: .pendulum)
    try resumed.train(totalEpisodes: 4, report: { _ in }, checkpoint: { _ in })
    #expect(resumed.shac == whole.shac && resumed.curve == whole.curve && resumed.network.parameters == whole.network.parameters)
    // a checkpoint whose chosen candidate does not exist is refused
    var broken = whole
    broken.shac?.selected = 5
    let error = #expect(throws: ModelFileError.self) {
        try TrainingRun.decode(try CheckpointJSON.encoder().encode(broken), path: "c.json", problem: .pendulum)
    }
    #expect(error?.description.contains("inconsistent candidates") == true, "\(String(describing: error))")
}

/// Selection settings that cannot work are named with the range they must lie in.
@Test(arguments: [
    (4, 3, 0.25, "must be a positive multiple of the candidates"),
    (0, 3, 0.25, "3 candidates need selection episodes"),
    (4, 2, 0.0, "selection needs the actor's averaged share"),
    (-1, 2, 0.25, "selection episodes must be in 0...10000"),
    (4, 1, 0.25, "with at least 2 candidates"),
])
func selectionSettingsAreChecked(episodes: Int, candidates: Int, share: Double, message: String) {
    var settings = PendulumTask.oneStepSettings
    settings.selectionEpisodes = episodes; settings.selectionCandidates = candidates
    settings.actorAveraging = share > 0 ? share : nil
    let problem = settings.problem(maxSteps: PendulumDynamics.maxSteps)
    #expect(problem?.contains(message) == true, "\(String(describing: problem))")
}

/// The pendulum's named selecting recipe is the one-step recipe plus its selection, and valid.
@Test func pendulumSelectingSettingsAreValid() {
    let s = PendulumTask.selectingSettings
    #expect(s.problem(maxSteps: PendulumDynamics.maxSteps) == nil)
    #expect(s.selects && s.candidateCount == 2 && s.selectionEpisodes == 4 && s.actorAveraging == 0.5)
    var one = s
    one.actorAveraging = PendulumTask.oneStepSettings.actorAveraging; one.selectionEpisodes = nil; one.selectionCandidates = nil
    #expect(one == PendulumTask.oneStepSettings)
}
