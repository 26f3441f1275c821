import Testing
import Foundation
import Learning
import Control

/// The ensemble's cost-to-go is its members' maximum or mean (one member: that
/// network's own estimate), and its observation gradient matches central
/// differences of that value.
@Test(arguments: CriticReduction.allCases)
func criticEnsembleValueAndGradient(reduction: CriticReduction) {
    var g = SeededGenerator(seed: 11)
    let members = (0..<3).map { _ in Network(layers: SHACState.criticLayers(inputs: 3, width: 16), generator: &g) }
    var settings = PendulumTask.oneStepSettings
    settings.criticCount = 3; settings.criticReduction = reduction
    let observation = [0.3, -0.8, 0.45]
    let values = members.map { $0.predict(observation)[0] }
    #expect(settings.ensembleValue([members[1]], observation) == values[1])
    let expected = reduction == .max ? values.max()! : values.reduce(0, +) / 3
    #expect(abs(settings.ensembleValue(members, observation) - expected) < 1e-15)
    // the members disagree here by more than central differences move them
    #expect(values.max()! - values.min()! > 1e-3, "\(values)")
    let gradient = settings.ensembleObservationGradient(members, observation)
    for i in observation.indices {
        let h = 1e-6
        var plus = observation, minus = observation
        plus[i] += h; minus[i] -= h
        let fd = (settings.ensembleValue(members, plus) - settings.ensembleValue(members, minus)) / (2 * h)
        #expect(abs(fd - gradient[i]) <= 1e-7 * max(1, abs(fd)), "input \(i): finite differences \(fd), analytic \(gradient[i])")
    }
}

/// Two critics start from different draws (the first and the episodes as one
/// critic's run draws them), are fitted after every window to the same targets
/// and end apart; a checkpoint missing a member is refused with a one-line reason.
@Test func criticEnsembleMembersAreFittedApart() throws {
    var settings = PendulumTask.oneStepSettings
    settings.replayWindows = 40; settings.replayDraws = 5
    var two = settings
    two.criticCount = 2
    var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
    let single = SHACState(PendulumTrainingDynamics.self, settings: settings, generator: &a)
    let pair = SHACState(PendulumTrainingDynamics.self, settings: two, generator: &b)
    #expect(pair.learned.critic == single.learned.critic && pair.states == single.states && pair.ensemble.count == 1)
    #expect(pair.ensemble[0].critic != pair.learned.critic)

    var run = TrainingRun(problem: .pendulum, seed: 3, trainer: .shac, settings: two)
    try run.train(totalEpisodes: 1, report: { _ in }, checkpoint: { _ in })
    let state = try #require(run.shac)
    let (first, second) = (try state.learned.networks().critic, try state.ensemble[0].networks().critic)
    #expect(first.parameters != second.parameters)
    #expect(state.ensemble[0].critic != pair.ensemble[0].critic && state.ensemble[0].optimizer.step == state.learned.optimizer.step)
    // both fitted to the same targets: they agree far better than at their draws
    let probes: [[Double]] = (0..<50).map { k in
        let angle = Double(k)
        return [cos(angle), sin(angle), Double(k % 17) / 8 - 1]
    }
    func spread(_ x: Network, _ y: Network) -> Double {
        probes.map { abs(x.predict($0)[0] - y.predict($0)[0]) }.reduce(0, +) / Double(probes.count)
    }
    let drawn = (try pair.learned.networks().critic, try pair.ensemble[0].networks().critic)
    #expect(spread(first, second) < 0.5 * spread(drawn.0, drawn.1), "fitted \(spread(first, second)), drawn \(spread(drawn.0, drawn.1))")

    run.shac!.ensemble = []
    let error = #expect(throws: ModelFileError.self) {
        try TrainingRun.decode(try CheckpointJSON.encoder().encode(run), path: "c.json", problem: .pendulum)
    }
    let text = "\(error.map { "\($0)" } ?? "")"
    #expect(text.contains("c.json") && text.contains("inconsistent critic ensemble") && !text.contains("\n"), "\(text)")
}
