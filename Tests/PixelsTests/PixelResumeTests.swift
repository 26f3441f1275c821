import Testing
import Foundation
import Autodiff
import Control
import Pixels
import ImageIO
import Learning

private let scenesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenes").path

/// Thrown by a checkpoint callback to stop a run right after a checkpoint was
/// written, as a kill at that moment would.
private struct Interrupted: Error {}

/// A fresh folder for one test's files.
private func scratchFolder() throws -> String {
    let path = NSTemporaryDirectory() + "/diffray-pixel-resume-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Everything that decides the rest of a run is the same, bit for bit.
private func expectSameState(_ a: PixelTrainingRun, _ b: PixelTrainingRun) {
    // compared as Bools, so that a failure names the part instead of printing thousands of numbers
    let weights = a.network.parameters == b.network.parameters, adam = a.optimizer == b.optimizer
    let average = a.averaged == b.averaged, generator = a.generator == b.generator, replay = a.replay == b.replay
    let curve = a.curve.map(\.episode) == b.curve.map(\.episode) && a.curve.map(\.trainReturn) == b.curve.map(\.trainReturn)
    #expect(weights, "weights differ")
    #expect(adam, "Adam's state differs")
    #expect(average, "the averaged weights differ")
    #expect(generator, "the generator differs")
    #expect(replay, "the replay buffer differs")
    let critic = a.critic == b.critic
    #expect(critic, "the critic differs")
    #expect(curve, "the curves differ")
    #expect(a.episodes == b.episodes && a.epochs == b.epochs && a.environmentSteps == b.environmentSteps
            && a.renderedFrames == b.renderedFrames)
}

/// Runs `train` to the end, and again interrupted after `stopAfter`
/// checkpoints, read back from the file and resumed; the two must agree.
private func checkResume(problem: ControlProblem, options: PixelTrainingOptions, critic: SHACSettings? = nil, stopAfter: Int,
                         train: (inout PixelTrainingRun, (PixelTrainingRun) throws -> Void) throws -> Void) throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var whole = PixelTrainingRun(problem: problem, options: options, critic: critic)
    try train(&whole) { _ in }

    let path = folder + "/m.checkpoint.json"
    var first = PixelTrainingRun(problem: problem, options: options, critic: critic)
    var written = 0
    #expect(throws: Interrupted.self) {
        try train(&first) { run in
            try run.write(path: path)
            written += 1
            if written == stopAfter { throw Interrupted() }
        }
    }
    var resumed = try PixelTrainingRun.read(path: path, problem: problem, options: options, critic: critic)
    #expect(resumed.episodes > 0 && resumed.episodes < whole.episodes, "interrupted at \(resumed.episodes) of \(whole.episodes)")
    try train(&resumed) { _ in }
    expectSameState(whole, resumed)
    let samePolicy = try whole.policy().parameters == resumed.policy().parameters
    #expect(samePolicy, "the saved policies differ")
    // no temporary file left next to the checkpoint
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["m.checkpoint.json"])
}

/// Whole frames from Gym's starts, and a window 4 columns wide around the cart
/// with training starts spread over ±1 m and the cost-to-go at every window's end.
@Test(arguments: [(0, 0.0, 0.0), (4, 1.0, 1.0)])
func cartPolePixelTrainingResumesBitForBit(crop: Int, startSpread: Double, costToGo: Double) throws {
    let options = PixelTrainingOptions(seed: 3, resolution: 8, samples: 1, frames: 3, averageRate: 0.3, learningRate: 0.01,
                                       scenes: scenesDirectory, sceneHash: try PixelTrainingOptions.sceneHash(problem: .cartpole, directory: scenesDirectory),
                                       crop: crop, startSpread: startSpread, costToGo: costToGo)
    let observer = try PixelObservation(problem: .cartpole, directory: scenesDirectory, resolution: 8, samples: 1, threads: 1)
    try checkResume(problem: .cartpole, options: options, stopAfter: 2) { run, checkpoint in
        try run.trainCartPole(observer: observer, totalEpisodes: 5, report: { _, _ in }, checkpoint: checkpoint)
    }
}

/// The learned critic's trainer: the critic, its target and optimiser and the
/// decayed learning rates come back from the checkpoint bit for bit; one Gym
/// episode a training episode, and budgets of 30 steps with action noise.
@Test(arguments: [0, 30])
func cartPolePixelCriticTrainingResumesBitForBit(episodeSteps: Int) throws {
    let options = PixelTrainingOptions(seed: 4, resolution: 8, samples: 1, frames: 3, averageRate: 0.3, learningRate: 0.01,
                                       scenes: scenesDirectory, sceneHash: try PixelTrainingOptions.sceneHash(problem: .cartpole, directory: scenesDirectory),
                                       crop: 4, trainer: .shac, episodeSteps: episodeSteps)
    var critic = CartPolePixels.hyperparameters.shac
    if episodeSteps > 0 { critic.actionNoise = 0.3 }
    let observer = try PixelObservation(problem: .cartpole, directory: scenesDirectory, resolution: 8, samples: 1, threads: 1)
    var fresh = PixelTrainingRun(problem: .cartpole, options: options, critic: critic)
    let untrained = fresh.critic
    try fresh.trainCartPole(observer: observer, totalEpisodes: 1, report: { _, _ in }, checkpoint: { _ in })
    #expect(untrained != nil && fresh.critic != nil && fresh.critic != untrained, "the critic was not fitted")
    if episodeSteps > 0 { #expect(fresh.environmentSteps == episodeSteps, "a budget of \(episodeSteps) steps took \(fresh.environmentSteps)") }
    try checkResume(problem: .cartpole, options: options, critic: critic, stopAfter: 2) { run, checkpoint in
        try run.trainCartPole(observer: observer, totalEpisodes: 5, report: { _, _ in }, checkpoint: checkpoint)
    }
}

/// A shac checkpoint without its critic, or resumed by a surrogate command, is refused with one line naming the file.
@Test func cartPolePixelCriticCheckpointIsChecked() throws {
    let options = PixelTrainingOptions(seed: 4, resolution: 8, samples: 1, frames: 3, learningRate: 0.01,
                                       scenes: "s", sceneHash: "0", trainer: .shac)
    var run = PixelTrainingRun(problem: .cartpole, options: options)
    let data = try CheckpointJSON.encoder().encode(run)
    #expect(try PixelTrainingRun.decode(data, path: "c.json", problem: .cartpole, options: options).critic == run.critic)
    var surrogate = options; surrogate.trainer = nil
    #expect(throws: ModelFileError.self) { try PixelTrainingRun.decode(data, path: "c.json", problem: .cartpole, options: surrogate) }
    run.critic = nil
    let broken = try CheckpointJSON.encoder().encode(run)
    let error = #expect(throws: ModelFileError.self) { try PixelTrainingRun.decode(broken, path: "c.json", problem: .cartpole, options: options) }
    #expect(error?.description.contains("c.json") == true && error?.description.contains("critic") == true)
}

/// A pendulum frame cache of random pictures (the trainer only looks frames up).
private func syntheticCache(resolution r: Int) -> PendulumFrameCache {
    var g = SeededGenerator(seed: 11)
    let count = 36, n = r * r
    return PendulumFrameCache(count: count, width: r, height: r,
                              channels: (0..<(count * n)).map { _ in Float(g.uniform(-0.5, 0.5)) },
                              derivatives: (0..<(count * n)).map { _ in Float(g.uniform(-1, 1)) },
                              background: (0..<n).map { _ in g.uniform(-0.5, 0.5) })
}

@Test func pendulumPixelTrainingResumesBitForBit() throws {
    let options = PixelTrainingOptions(seed: 5, resolution: 6, samples: 1, frames: 2, learningRate: 0.003,
                                       scenes: "synthetic", sceneHash: "0")
    let cache = syntheticCache(resolution: 6)
    try checkResume(problem: .pendulum, options: options, stopAfter: 2) { run, checkpoint in
        try run.trainPendulum(cache: cache, totalEpisodes: 4, report: { _, _ in }, checkpoint: checkpoint)
    }
}

/// The pendulum's learned critic from pixels: the critic and the decayed rates come
/// back from the checkpoint bit for bit, and both the critic and the policy moved.
@Test func pendulumPixelCriticTrainingResumesBitForBit() throws {
    let options = PixelTrainingOptions(seed: 6, resolution: 6, samples: 1, frames: 2, learningRate: 0.01,
                                       scenes: "synthetic", sceneHash: "0", totalEpisodes: 3, trainer: .shac)
    let cache = syntheticCache(resolution: 6)
    var fresh = PixelTrainingRun(problem: .pendulum, options: options)
    let untrained = fresh
    try fresh.trainPendulum(cache: cache, totalEpisodes: 1, report: { _, _ in }, checkpoint: { _ in })
    #expect(untrained.critic != nil && fresh.critic != untrained.critic, "the critic was not fitted")
    #expect(fresh.network.parameters != untrained.network.parameters && fresh.environmentSteps == 200)
    try checkResume(problem: .pendulum, options: options, stopAfter: 2) { run, checkpoint in
        try run.trainPendulum(cache: cache, totalEpisodes: 3, report: { _, _ in }, checkpoint: checkpoint)
    }
}

/// Random observations standing in for rendered frames (16 values: an 8-pixel-wide view).
private func syntheticTrebuchetExamples(_ count: Int, _ g: inout SeededGenerator) -> [TrebuchetPixels.Example] {
    (0..<count).map { _ in
        let (w, t) = TrebuchetAimer.sample(&g)
        return TrebuchetPixels.Example(wind: w, target: t, observation: (0..<16).map { _ in g.uniform(-0.5, 0.5) })
    }
}

@Test func trebuchetPixelTrainingResumesBitForBit() throws {
    var g = SeededGenerator(seed: 9)
    let data = syntheticTrebuchetExamples(48, &g), curveSet = syntheticTrebuchetExamples(8, &g)
    let options = PixelTrainingOptions(seed: 2, resolution: 8, samples: 1, frames: data.count, learningRate: 3e-3,
                                       scenes: "synthetic", sceneHash: "0", totalEpisodes: 48 * 8)
    try checkResume(problem: .trebuchet, options: options, stopAfter: 2) { run, checkpoint in
        try run.trainTrebuchet(data: data, curveSet: curveSet, batchSize: 16, evaluateEvery: 2, report: { _, _ in },
                               checkpoint: checkpoint)
    }
}

/// The held-out frames' shots of the training curve are simulated, so they are counted.
@Test func trebuchetPixelCurveShotsAreCounted() throws {
    var g = SeededGenerator(seed: 4)
    let data = syntheticTrebuchetExamples(32, &g), curveSet = syntheticTrebuchetExamples(8, &g)
    let options = PixelTrainingOptions(seed: 3, resolution: 8, samples: 1, frames: data.count, learningRate: 3e-3,
                                       scenes: "synthetic", sceneHash: "0", totalEpisodes: 32 * 6)
    var run = PixelTrainingRun(problem: .trebuchet, options: options)
    try run.trainTrebuchet(data: data, curveSet: curveSet, batchSize: 16, evaluateEvery: 2, report: { _, _ in },
                           checkpoint: { _ in })
    #expect(run.episodes == 32 * 6 && run.curve.count == 3)
    #expect(run.environmentSteps == run.episodes + run.curve.count * curveSet.count)
}

/// Each bad checkpoint is refused with one line naming the file and what was expected.
@Test func badPixelCheckpointsAreRefused() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let options = PixelTrainingOptions(seed: 1, resolution: 6, samples: 1, frames: 2, learningRate: 0.003,
                                       scenes: "synthetic", sceneHash: "0")
    let path = folder + "/p.checkpoint.json"
    var run = PixelTrainingRun(problem: .pendulum, options: options)
    // two episodes, never evaluated in training: their NaN evaluations survive the round trip
    try run.trainPendulum(cache: syntheticCache(resolution: 6), totalEpisodes: 2, report: { _, _ in }, checkpoint: { _ in })
    #expect(run.curve.count == 2 && run.curve.allSatisfy(\.evaluation.isNaN))
    try run.write(path: path)
    let back = try PixelTrainingRun.read(path: path, problem: .pendulum, options: options)
    #expect(back.curve.count == 2 && back.curve.allSatisfy(\.evaluation.isNaN) && back.curve.map(\.trainReturn) == run.curve.map(\.trainReturn))

    func refused(_ problem: ControlProblem, _ o: PixelTrainingOptions, at p: String = path, mentions: [String]) {
        do {
            _ = try PixelTrainingRun.read(path: p, problem: problem, options: o)
            Issue.record("accepted \(p) for \(problem) with \(o)")
        } catch {
            let message = "\(error)"
            #expect(!message.contains("\n"), "\(message)")
            #expect(message.hasPrefix(p + ":"), "\(message)")
            for m in mentions { #expect(message.contains(m), "'\(m)' not in: \(message)") }
        }
    }
    var o = options; o.learningRate = 0.01
    refused(.pendulum, o, mentions: ["--lr", "0.003", "0.01"])
    o = options; o.seed = 2
    refused(.pendulum, o, mentions: ["--seed"])
    o = options; o.resolution = 8
    refused(.pendulum, o, mentions: ["--view-res"])
    o = options; o.sceneHash = "1"
    refused(.pendulum, o, mentions: ["scene template"])
    o = options; o.rendererGradient = false
    refused(.pendulum, o, mentions: ["--open-loop"])
    o = options; o.crop = 16
    refused(.pendulum, o, mentions: ["--crop", "0 in the checkpoint", "16 in the command"])
    o = options; o.startSpread = 1
    refused(.pendulum, o, mentions: ["--start-spread"])
    o = options; o.costToGo = 1
    refused(.pendulum, o, mentions: ["--cost-to-go", "0.0 in the checkpoint", "1.0 in the command"])
    refused(.cartpole, options, mentions: ["pendulum", "cartpole"])
    refused(.pendulum, options, at: folder + "/missing.checkpoint.json", mentions: ["missing"])

    let text = try String(contentsOfFile: path, encoding: .utf8)
    try Data(text.prefix(text.count / 2).utf8).write(to: URL(fileURLWithPath: path))
    refused(.pendulum, options, mentions: ["diffray-pixel-training-checkpoint"])
    try Data(text.replacingOccurrences(of: "\"generator\"", with: "\"generatr\"").utf8).write(to: URL(fileURLWithPath: path))
    refused(.pendulum, options, mentions: ["generator"])
    try Data(text.replacingOccurrences(of: "\"diffray-pixel-training-checkpoint\"", with: "\"diffray-training-checkpoint\"").utf8)
        .write(to: URL(fileURLWithPath: path))
    refused(.pendulum, options, mentions: ["format diffray-training-checkpoint", "without --pixels"])
    // a state-based checkpoint at the same path
    try TrainingRun(problem: .pendulum, seed: 1).write(path: path)
    refused(.pendulum, options, mentions: ["format diffray-training-checkpoint version", "without --pixels"])
    // a replay buffer whose parts disagree is refused, not indexed out of range later
    var damaged = run
    damaged.replay?.states.removeLast()
    try damaged.write(path: path)
    refused(.pendulum, options, mentions: ["inconsistent replay buffer"])
    damaged = run
    damaged.replay?.cursor = PendulumReplay.capacity
    try damaged.write(path: path)
    refused(.pendulum, options, mentions: ["inconsistent replay buffer", "cursor"])
}

/// The trebuchet's training frames: a rendering stopped part way and resumed
/// from its file gives the frames of one uninterrupted rendering.
@Test func trebuchetDataSetRenderingResumes() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let view = try TrebuchetPixels.View(directory: scenesDirectory, resolution: 8, samples: 1, threads: 1)
    let whole = try TrebuchetPixels.renderDataSet(view: view, count: 5, seed: 4)
    let path = folder + "/t.frames.bin"
    let key = TrebuchetPixels.DataSetFile.key(view: view, count: 5, seed: 4, sceneHash: "h")
    #expect(throws: Interrupted.self) {
        _ = try TrebuchetPixels.renderDataSet(view: view, count: 5, seed: 4) { i, sofar in
            try TrebuchetPixels.DataSetFile.write(sofar, path: path, key: key)
            if i == 2 { throw Interrupted() }
        }
    }
    let partial = try #require(TrebuchetPixels.DataSetFile.read(path: path, key: key))
    #expect(partial.count == 2)
    #expect(TrebuchetPixels.DataSetFile.read(path: path, key: key + "x") == nil, "another key was accepted")
    let resumed = try TrebuchetPixels.renderDataSet(view: view, count: 5, seed: 4, existing: partial)
    #expect(resumed.map(\.observation) == whole.map(\.observation))
    #expect(resumed.map(\.wind) == whole.map(\.wind) && resumed.map(\.target) == whole.map(\.target))
}
