import Testing
import Foundation
import Learning
import Control

/// The actor's gradient over a window (discounted losses, then the critic's
/// cost-to-go of the last state through the physics and the observation)
/// against central differences of the same objective in the weights.
/// With the saturation penalty κ·z² on the output's pre-activation too.
@Test(arguments: [0.0, 0.05])
func shacWindowGradientMatchesFiniteDifferences(penalty: Double) throws {
    var g = SeededGenerator(seed: 4)
    let actor = Network(layers: PendulumTask.layers, generator: &g)
    var settings = PendulumTask.hyperparameters.shac
    settings.horizon = 10
    settings.saturationPenalty = penalty > 0 ? penalty : nil
    var state = SHACState(PendulumTrainingDynamics.self, settings: settings, generator: &g)
    // a critic that is not flat: its cost-to-go gradient must reach the weights
    var critic = try state.learned.critic.network(path: "-")
    for i in critic.parameters.indices { critic.parameters[i] *= 3 }
    state.learned.critic = NetworkFile(network: critic); state.learned.targetCritic = state.learned.critic
    let trainer = try SHACTrainer<PendulumTrainingDynamics, PendulumSurrogate>(
        actor: actor, optimizer: Adam(learningRate: 0.01), actionScale: PendulumDynamics.maxTorque, state: state)
    // slow enough that the speed clip and the torque bound stay inactive (central differences see them)
    let start = [2.5, 0.3]
    let (_, gradient) = trainer.windowObjective(from: start)
    var checked = 0
    for i in stride(from: 0, to: actor.parameterCount, by: 97) {
        let h = 1e-6
        var plus = trainer, minus = trainer
        plus.actor.parameters[i] += h; minus.actor.parameters[i] -= h
        let fd = (plus.windowObjective(from: start).value - minus.windowObjective(from: start).value) / (2 * h)
        #expect(abs(fd - gradient[i]) <= 1e-5 * max(1, abs(fd)), "weight \(i): finite differences \(fd), BPTT \(gradient[i])")
        checked += 1
    }
    #expect(checked >= 10)
    #expect(gradient.contains { abs($0) > 1e-3 })
}

/// The default cart-pole recipe, a fixed budget of 10 episodes (5,000 steps,
/// every one counted), evaluated afterwards on episodes training never drew.
/// Its 250 windows of 20 steps give 250 actor steps, the last 125 averaged.
@Test func shacCartPoleMeetsTheBarWithinItsBudget() throws {
    var run = TrainingRun(problem: .cartpole, seed: 2)
    #expect(run.trainer == .shac)
    var points = 0
    try run.train(totalEpisodes: 10, report: { p in points += 1; #expect(p.evaluation.isNaN) }, checkpoint: { _ in })
    #expect(points == 10 && run.episodes == 10 && run.environmentSteps == 10 * CartPoleDynamics.maxSteps)
    // the policy written: the actor's mean over the budget's last half
    let net = try run.policyNetwork()
    #expect(run.shac?.averagedSteps == 125 && net.parameters != run.network.parameters)
    let r = try evaluate(policy: CartPoleTask.policy(net), task: CartPoleTask.self, episodes: 20, seed: 12345)
    #expect(r.mean >= 475, "mean return \(r.mean)")
}

/// Stopped after one episode, written to JSON and read back, a run ends where
/// the whole run ends: weights, critic (and its stored windows), parallel
/// environments, counters and the actor's averaged weights (averaged from the
/// first episode on, so that the checkpoint carries the average).
@Test(arguments: [false, true])
func shacTrainingResumesBitForBit(replay: Bool) throws {
    var settings = PendulumTask.oneStepSettings
    if replay { settings.replayWindows = 30; settings.replayDraws = 3 } else {
        settings.replayWindows = nil; settings.replayDraws = nil; settings.criticBatches = 1  // one step a window to fit
    }
    settings.actorAveraging = 0.75
    var whole = TrainingRun(problem: .pendulum, seed: 7, trainer: .shac, settings: settings)
    try whole.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
    #expect(whole.shac?.replay.count == (replay ? 30 : 0))
    // the same run stopped right after its first checkpoint, as a signal stops it
    var resumed = try pendulumRunStoppedAtItsFirstCheckpoint(seed: 7, settings: settings, episodes: 2)
    #expect(resumed.episodes == 1 && resumed.environmentSteps == 200)
    try resumed.train(totalEpisodes: 2, report: { _ in }, checkpoint: { _ in })
    #expect(resumed.environmentSteps == 400 && whole.environmentSteps == 400)
    #expect(resumed.shac == whole.shac && whole.shac?.averagedSteps == 300)
    #expect(resumed.network.parameters == whole.network.parameters)
    #expect(try resumed.policyNetwork().parameters == whole.shac?.averagedActor)
}

/// A pendulum run of `episodes` with `settings` stopped right after its first
/// checkpoint (as a signal stops it), written to JSON and read back.
func pendulumRunStoppedAtItsFirstCheckpoint(seed: UInt64, settings: SHACSettings, episodes: Int) throws -> TrainingRun {
    struct Stop: Error {}
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-stopped-\(seed)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    var first = TrainingRun(problem: .pendulum, seed: seed, trainer: .shac, settings: settings)
    #expect(throws: Stop.self) {
        try first.train(totalEpisodes: episodes, report: { _ in }, checkpoint: { run in try run.write(path: path); throw Stop() })
    }
    return try TrainingRun.read(path: path, problem: .pendulum)
}

/// The trained policy is the mean of the actor's weights after each step of the
/// budget's averaged last share, against a sum kept beside the trainer; without
/// averaging it is the actor's last weights.
@Test func shacPolicyIsTheActorsMeanOverTheLastShare() throws {
    var settings = PendulumTask.oneStepSettings
    settings.replayWindows = 20; settings.replayDraws = 4; settings.actorAveraging = 0.25
    var g = SeededGenerator(seed: 5)
    let state = SHACState(PendulumTrainingDynamics.self, settings: settings, generator: &g)
    var trainer = try SHACTrainer<PendulumTrainingDynamics, PendulumSurrogate>(
        actor: Network(layers: PendulumTask.layers, generator: &g), optimizer: Adam(learningRate: 0.01), actionScale: 2, state: state)
    let iterations = 40
    var sum = [Double](repeating: 0, count: trainer.actor.parameterCount), count = 0
    for i in 0..<iterations {
        _ = trainer.iterate(progress: Double(i) / Double(iterations), generator: &g)
        if i >= 30 { for k in sum.indices { sum[k] += trainer.actor.parameters[k] }; count += 1 }
        #expect((trainer.state.averagedActor == nil) == (i < 30))
    }
    let mean = try #require(trainer.state.averagedActor)
    #expect(count == 10 && trainer.state.averagedSteps == 10)
    let error = zip(mean, sum).map { abs($0 - $1 / Double(count)) }.max() ?? .nan
    #expect(error < 1e-12, "largest difference from the mean \(error)")
    // the average is not the last weights: the actor moved over those 10 steps
    #expect(zip(mean, trainer.actor.parameters).contains { abs($0 - $1) > 1e-6 })

    var run = TrainingRun(problem: .pendulum, seed: 2, trainer: .shac, settings: settings)
    try run.train(totalEpisodes: 1, report: { _ in }, checkpoint: { _ in })
    #expect(try run.policyNetwork().parameters == run.shac?.averagedActor && run.shac?.averagedSteps == 50)
    settings.actorAveraging = nil
    var last = TrainingRun(problem: .pendulum, seed: 2, trainer: .shac, settings: settings)
    try last.train(totalEpisodes: 1, report: { _ in }, checkpoint: { _ in })
    #expect(try last.policyNetwork().parameters == last.network.parameters && last.shac?.averagedActor == nil)
}

/// A checkpoint whose stored windows do not fit the pendulum is refused with a one-line reason.
@Test func shacReplayIsCheckedOnReading() throws {
    var settings = PendulumTask.oneStepSettings
    settings.replayWindows = 4; settings.replayDraws = 3
    var run = TrainingRun(problem: .pendulum, seed: 1, trainer: .shac, settings: settings)
    try run.train(totalEpisodes: 1, report: { _ in }, checkpoint: { _ in })
    #expect(try TrainingRun.decode(try CheckpointJSON.encoder().encode(run), path: "c.json", problem: .pendulum).shac == run.shac)
    run.shac!.replay[0].last = [1, 0]
    let error = #expect(throws: ModelFileError.self) {
        try TrainingRun.decode(try CheckpointJSON.encoder().encode(run), path: "c.json", problem: .pendulum)
    }
    let text = "\(error.map { "\($0)" } ?? "")"
    #expect(text.contains("c.json") && text.contains("inconsistent critic replay") && !text.contains("\n"), "\(text)")
}

/// Settings whose iteration does not divide an episode's steps are refused with a reason.
@Test func shacSettingsAreChecked() {
    var s = CartPoleTask.hyperparameters.shac
    #expect(s.problem(maxSteps: 500) == nil)
    s.horizon = 7
    #expect(s.problem(maxSteps: 500)?.contains("divide") == true)
    s.horizon = 10
    s.restartSteps = 501
    #expect(s.problem(maxSteps: 500)?.contains("restart") == true)
    s.restartSteps = 0
    #expect(s.problem(maxSteps: 500)?.contains("restart") == true)
    s.restartSteps = nil
    // each other setting is named with its range
    var noisy = s
    noisy.actionNoise = -0.1
    #expect(noisy.problem(maxSteps: 500) == "action noise must be ≥ 0, got -0.1")
    var batches = s
    batches.environments = 1; batches.horizon = 2; batches.criticBatches = 4
    #expect(batches.problem(maxSteps: 500)?.contains("4 mini-batches need 1...2 steps per iteration") == true)
    var penalty = s
    penalty.saturationPenalty = .nan
    #expect(penalty.problem(maxSteps: 500)?.hasPrefix("saturation penalty must be ≥ 0 and finite") == true)
}

/// A resumed run's settings that differ from the command's are named with both values.
@Test func shacSettingsMismatchNamesTheOption() {
    let s = CartPoleTask.hyperparameters.shac
    #expect(s.mismatch(s) == nil)
    var other = s
    other.discount = 0.99
    #expect(s.mismatch(other) == "--discount is 0.9 in the checkpoint, 0.99 in the command")
    other = s
    other.criticIterations = 32
    #expect(s.mismatch(other) == "--critic-passes is 16 in the checkpoint, 32 in the command")
    other = s
    other.lossScale = 1
    #expect(s.mismatch(other) == "the critic's settings differ between the checkpoint and the command")
}

/// Restarted every window, each environment's window starts from a fresh start
/// state and ends bootstrapped by the critic: after a window every environment
/// is at step 0 of a new episode, and each ended episode's return is reported
/// as a whole episode's (the window's mean reward times 200).
@Test func shacRestartsEachWindow() throws {
    // the pendulum's default restarts every window
    #expect(TrainingRun(problem: .pendulum, seed: 0).trainer == .shac
            && PendulumTask.hyperparameters.shac.restartSteps == PendulumTask.hyperparameters.shac.horizon)
    var settings = PendulumTask.hyperparameters.shac
    settings.environments = 2; settings.horizon = 10; settings.restartSteps = 10
    var g = SeededGenerator(seed: 3)
    let state = SHACState(PendulumTrainingDynamics.self, settings: settings, generator: &g)
    let starts = state.states
    var trainer = try SHACTrainer<PendulumTrainingDynamics, PendulumSurrogate>(
        actor: Network(layers: PendulumTask.layers, generator: &g), optimizer: Adam(learningRate: 0.01), actionScale: 2, state: state)
    // the first environment's window as the policy then acts (no noise), for its mean reward
    var x = starts[0], reward = 0.0
    for _ in 0..<10 {
        let a = 2 * trainer.actor.predict(PendulumTrainingDynamics.observation(x))[0]
        reward += PendulumDynamics.reward(x, action: a)
        x = PendulumTrainingDynamics.step(x, action: a)
    }
    let finished = trainer.iterate(progress: 0, generator: &g)
    #expect(finished.count == 2 && trainer.state.episodeSteps == [0, 0] && trainer.environmentSteps == 20)
    #expect(abs(finished[0] - reward * 20) < 1e-9 * abs(reward * 20))
    #expect(trainer.state.states != starts)
}
