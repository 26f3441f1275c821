import Testing
import Foundation
import Learning
import Control
import Pixels

/// The scenes folder of the package (tests run from the package root or elsewhere).
private func scenesDirectory() -> String {
    let here = URL(fileURLWithPath: #filePath)
    return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scenes").path
}

/// A small real frame cache: 16² pixels, 2 spp, 120 angles (3° apart).
private let smallCache: PendulumFrameCache = {
    let observer = try! PixelObservation(problem: .pendulum, directory: scenesDirectory(), resolution: 16, samples: 2)
    return try! PendulumFrameCache.render(observer: observer, count: 120, seed: PixelObservation.frameSeed)
}()

@Test func pendulumFrameCacheLooksUpTheNearestAngleAndRoundTrips() throws {
    let n = 4, count = 8
    let channels = (0..<(count * n)).map { Float($0) }, derivatives = channels.map { -$0 }
    let cache = PendulumFrameCache(count: count, width: 2, height: 2, channels: channels, derivatives: derivatives,
                                   background: [0.5, 0.25, 0, 1])
    for k in 0..<count {
        #expect(cache.index(cache.angle(k)) == k)
        #expect(cache.index(cache.angle(k) + 2 * Double.pi) == k)
        #expect(cache.index(cache.angle(k) + 0.3 * 2 * Double.pi / Double(count)) == k)
    }
    #expect(cache.index(Double.pi - 1e-9) == 0)  // wraps to −π
    #expect(Array(cache.channel(cache.angle(3))) == [12, 13, 14, 15])
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-pend-frames-\(getpid()).bin").path
    try cache.write(path: path, key: "k1")
    let back = try #require(PendulumFrameCache.read(path: path, key: "k1"))
    #expect(back.channels == cache.channels && back.derivatives == cache.derivatives && back.background == cache.background)
    #expect(PendulumFrameCache.read(path: path, key: "another view") == nil)
    // Damaged headers read as "no cache" (the frames are rendered again), without trapping.
    let body = Data(repeating: 0, count: 8 * (count * n + n))
    for sizes in ["9223372036854775807 2 2", "8 4611686018427387904 4", "8 2", "8 2 2 2", "8 -2 -2", "8 2 x"] {
        try (Data("diffray-pendulum-frames-1\nk1\n\(sizes)\n".utf8) + body).write(to: URL(fileURLWithPath: path))
        #expect(PendulumFrameCache.read(path: path, key: "k1") == nil, "sizes '\(sizes)' were accepted")
    }
    try (Data("diffray-pendulum-frames-1\nk1\n8 2 2\n".utf8) + body).write(to: URL(fileURLWithPath: path))
    #expect(PendulumFrameCache.read(path: path, key: "k1") != nil, "a well-formed file was refused")
    try? FileManager.default.removeItem(atPath: path)
}

/// The renderer's ∂channel/∂θ agrees with the change of the rendered frames
/// between neighbouring angles (central difference over ±3°).
@Test func pendulumFrameDerivativesMatchTheFrames() {
    let c = smallCache, n = c.pixels
    for k in [10, 35, 60, 95] {
        let step = 2 * Double.pi / Double(c.count)
        var dot = 0.0, nd = 0.0, nf = 0.0
        for i in 0..<n {
            let fd = Double(c.channels[((k + 1) % c.count) * n + i] - c.channels[(k - 1) * n + i]) / (2 * step)
            let d = Double(c.derivatives[k * n + i])
            dot += fd * d; nd += d * d; nf += fd * fd
        }
        // At 16² and 2 spp a ±3° turn moves the bob by about half a pixel: the
        // frames' difference is anti-aliasing-noisy, hence the loose bounds; a
        // wrong sign, axis or scale fails them.
        let correlation = dot / (nd * nf).squareRoot(), scale = dot / nd
        #expect(correlation > 0.45 && scale > 0.6 && scale < 1.6,
                "angle \(c.angle(k)): correlation \(correlation), least-squares scale \(scale) of d frame/d angle against the frames' difference")
    }
}

/// The pixel trainer's targets depend on the renderer's gradient (the loop is
/// closed), it counts two simulated steps per window, and it is reproducible.
@Test func pendulumPixelTrainerClosesTheLoopAndIsReproducible() {
    func run(renderer: Bool) -> PendulumPixelTrainer {
        var g = SeededGenerator(seed: 5)
        let net = Network(layers: PendulumPixels.layers(resolution: 16), generator: &g)
        var t = PendulumPixelTrainer(network: net, optimizer: Adam(learningRate: 0.003), cache: smallCache)
        t.useRendererGradient = renderer
        _ = t.collect(windows: 6, generator: &g)
        t.fit(updates: 3, batch: 8, generator: &g)
        _ = t.collect(windows: 6, generator: &g)
        return t
    }
    let a = run(renderer: true), b = run(renderer: true), open = run(renderer: false)
    #expect(a.network == b.network && a.replay == b.replay)
    #expect(a.environmentSteps == 24 && a.replay.count == 24)
    // same states, different targets for the first action of each window
    #expect(Array(a.replay.states.prefix(24)) == Array(open.replay.states.prefix(24)))
    let differing = zip(a.replay.targets.prefix(12), open.replay.targets.prefix(12)).filter { abs($0 - $1) > 1e-9 }.count
    #expect(differing > 0, "the renderer's gradient changed no target")
    #expect(a.replay.targets.allSatisfy { abs($0) <= PendulumNewtonTrainer.targetLimit })
}
