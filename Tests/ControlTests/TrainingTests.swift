import Testing
import Foundation
import Learning
import Control

@Test func cartPoleTrainingIsReproducibleWithASeed() {
    func train(_ seed: UInt64) -> (Network, Int) {
        var run = TrainingRun(problem: .cartpole, seed: seed)
        try! run.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
        return (try! run.network.network(path: "-"), run.environmentSteps)
    }
    let a = train(5), b = train(5), c = train(6)
    #expect(a.0 == b.0 && a.1 == b.1)
    #expect(a.0 != c.0)
}

@Test func pendulumSurrogateTrainingIsReproducibleAndResumable() throws {
    var whole = TrainingRun(problem: .pendulum, seed: 3, trainer: .surrogate)
    try whole.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
    // One episode, a checkpoint through JSON, then the second.
    var first = TrainingRun(problem: .pendulum, seed: 3, trainer: .surrogate)
    try first.train(totalEpisodes: 1, report: { _ in }, checkpoint: { _ in })
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-ckpt-\(getpid()).json").path
    try first.write(path: path)
    var resumed = try TrainingRun.read(path: path, problem: .pendulum)
    try resumed.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
    #expect(resumed.network.parameters == whole.network.parameters)
    #expect(resumed.environmentSteps == whole.environmentSteps && resumed.episodes == 2)
    #expect(throws: ModelFileError.self) { try TrainingRun.read(path: path, problem: .cartpole) }
}

@Test func trebuchetAimerLearnsAndIsReproducible() {
    var g = SeededGenerator(seed: 9)
    let untrained = TrebuchetAimer.makeNetwork(generator: &g)
    func train(steps: Int) -> TrebuchetAimer.Trainer {
        var t = TrebuchetAimer.Trainer(network: untrained, optimizer: Adam(learningRate: 3e-3), batchSize: 8, generator: g)
        for _ in 0..<steps { _ = t.step() }
        return t
    }
    let a = train(steps: 3), b = train(steps: 3)
    #expect(a.network == b.network && a.shots == 24)
    // Learned: over the same 50 targets (not the training shots), 60 steps of training miss by less than none.
    let before = TrebuchetAimer.evaluate(untrained, count: 50, seed: 3).meanRelativeMiss
    let after = TrebuchetAimer.evaluate(train(steps: 60).network, count: 50, seed: 3).meanRelativeMiss
    #expect(after < 0.5 * before, "mean relative miss \(before) untrained, \(after) after 60 steps")
}

@Test func directAimHitsTheTarget() {
    let r = TrebuchetAimer.directAim(wind: 3, target: 60)
    #expect(abs(r.distance - 60) <= 60 * 1e-4)
    #expect(abs(Trebuchet.shoot(wind: 3.0, angle: r.angle, weight: r.weight) - 60) <= 60 * 1e-4)
}

@Test func unknownEnvironmentIsAOneLineError() {
    #expect(throws: ControlError.self) { try ControlProblem(name: "acrobot") }
    #expect(throws: Never.self) { try ControlProblem(name: "CartPole") }
}
