import Testing
import Foundation
import Learning
import Control

/// The squashed Gaussian's density integrates to 1 over the action range
/// (a = scale·tanh(μ + σε), integrated in ε with da/dε by central differences).
@Test(arguments: [(0.3, 0.0), (-1.5, 2.0), (2.5, -1.0)])
func squashedGaussianDensityIntegratesToOne(mean: Double, rho: Double) {
    let scale = 2.0, h = 1e-3, step = 1e-3
    var total = 0.0
    for k in stride(from: -9.0, to: 9.0, by: step) {
        let p = SquashedGaussian(output: [mean, rho], noise: k, scale: scale)
        let slope = (SquashedGaussian(output: [mean, rho], noise: k + h, scale: scale).action
            - SquashedGaussian(output: [mean, rho], noise: k - h, scale: scale).action) / (2 * h)
        total += exp(p.logDensity) * slope * step
    }
    #expect(abs(total - 1) < 1e-3, "∫ π(a) da = \(total)")
}

/// ∂/∂(μ, ρ) of J(a) + α·log π for J(a) = c·a against central differences at fixed ε.
@Test func squashedGaussianPullbackMatchesFiniteDifferences() {
    let c = -0.7, alpha = 0.3, noise = 0.8, h = 1e-6
    let output = [0.4, -0.6]
    func objective(_ o: [Double]) -> Double {
        let p = SquashedGaussian(output: o, noise: noise, scale: 2)
        return c * p.action + alpha * p.logDensity
    }
    let d = SquashedGaussian(output: output, noise: noise, scale: 2).pullback(dAction: c, temperature: alpha)
    for i in 0..<2 {
        var plus = output, minus = output
        plus[i] += h; minus[i] -= h
        let fd = (objective(plus) - objective(minus)) / (2 * h)
        #expect(abs(fd - d[i]) < 1e-7 * max(1, abs(fd)), "output \(i): finite differences \(fd), pullback \(d[i])")
    }
}

/// A Gaussian actor trains and is written as a `gaussian` policy; its
/// evaluation acts with the mean, 2·tanh(μ); a deterministic file (no `policy`
/// key) loads as before, and a Gaussian network without the key is refused.
@Test func gaussianPolicyFileRoundTrips() throws {
    var settings = PendulumTask.oneStepSettings
    settings.replayWindows = 20; settings.replayDraws = 3
    settings.entropyTemperature = 0.05
    var run = TrainingRun(problem: .pendulum, seed: 3, trainer: .shac, settings: settings)
    try run.train(totalEpisodes: 1, report: { _ in }, checkpoint: { _ in })
    let net = try run.policyNetwork()
    #expect(net.outputSize == 2 && run.environmentSteps == 200)
    let observation = [0.6, 0.8, 1.5]
    let mu = net.predict(PendulumTask.policyInput(observation))[0]
    #expect(PendulumTask.action(net, observation: observation) == 2 * tanh(mu))

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-gaussian-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try net.save(to: dir + "/g.json", metadata: ModelMetadata.encode(StateModelMetadata(
        environment: .pendulum, seed: 3, episodes: 1, environmentSteps: 200, policy: .gaussian)))
    #expect(try ControlProblem.pendulum.loadStatePolicy(path: dir + "/g.json").parameters == net.parameters)
    try net.save(to: dir + "/bare.json", metadata: ModelMetadata.encode(StateModelMetadata(
        environment: .pendulum, seed: 3, episodes: 1, environmentSteps: 200)))
    #expect(throws: ModelFileError.self) { try ControlProblem.pendulum.loadStatePolicy(path: dir + "/bare.json") }
    // a deterministic policy: no key written, read as before
    var g = SeededGenerator(seed: 1)
    let plain = Network(layers: PendulumTask.layers, generator: &g)
    let metadata = ModelMetadata.encode(StateModelMetadata(environment: .pendulum, seed: 1, episodes: 1, environmentSteps: 200,
                                                           policy: .deterministic))
    #expect(metadata["policy"] == nil)
    try plain.save(to: dir + "/d.json", metadata: metadata)
    let read = try ControlProblem.pendulum.loadStatePolicy(path: dir + "/d.json")
    #expect(PendulumTask.action(read, observation: observation) == 2 * plain.predict(PendulumTask.policyInput(observation))[0])
}
