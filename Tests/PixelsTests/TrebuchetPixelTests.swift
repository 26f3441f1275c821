import Testing
import Foundation
import Autodiff
import ImageIO
import Learning
import Control
import Pixels

/// The scenes/ folder of this package, found from this file's path.
private let scenes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenes").path

/// The brightness-weighted mean column of the pixels brighter than the sky in rows `rows`.
private func brightColumn(_ image: Image, rows: Range<Int>) -> Double {
    var s = 0.0, w = 0.0
    for y in rows { for x in 0..<image.width {
        let v = Double(image[x, y].average)
        if v > 0.9 { s += Double(x) * v; w += v }
    } }
    return w > 0 ? s / w : .nan
}

@Test func theFrameShowsTheTargetAndTheWind() throws {
    let view = try TrebuchetPixels.View(directory: scenes, resolution: 32, samples: 2, threads: 1)
    let a = try view.render(wind: 0, target: 40, seed: 1)
    let again = try view.render(wind: 0, target: 40, seed: 1)
    #expect(a == again)  // deterministic for a seed
    // 32 px span about 115 m: 3.6 m a pixel. The flag (lower half) moves with the target...
    let further = try view.render(wind: 0, target: 76, seed: 1)
    let flagShift = brightColumn(further, rows: 16..<30) - brightColumn(a, rows: 16..<30)
    #expect(abs(flagShift - 36 / 115 * 32) < 1.5)
    // ... and the wind needle (top rows) moves 3 m per m/s, the flag does not.
    let windy = try view.render(wind: 8, target: 40, seed: 1)
    let needleShift = brightColumn(windy, rows: 2..<9) - brightColumn(a, rows: 2..<9)
    #expect(abs(needleShift - 24 / 115 * 32) < 1.5)
    #expect(abs(brightColumn(windy, rows: 16..<30) - brightColumn(a, rows: 16..<30)) < 0.5)
    // The observation is the two bands' column profiles of the frame, nothing else;
    // the flag's column is the brightest of the lower band's profile.
    let o = TrebuchetPixels.observation(a)
    #expect(o.count == 2 * 32)
    let lower = Array(o[32...])
    #expect(abs(Double(lower.indices.max { lower[$0] < lower[$1] }!) - brightColumn(a, rows: 16..<30)) <= 1)
}

@Test func pixelAimerTrainsAndIsReproducible() throws {
    let view = try TrebuchetPixels.View(directory: scenes, resolution: 12, samples: 1, threads: 1)
    let data = try TrebuchetPixels.renderDataSet(view: view, count: 8, seed: 2)
    #expect(data.count == 8 && data[0].observation.count == 24)
    func run() -> TrebuchetPixels.Trainer {
        var g = SeededGenerator(seed: 1)
        var t = TrebuchetPixels.Trainer(network: TrebuchetPixels.makeNetwork(resolution: 12, generator: &g),
                                        optimizer: Adam(learningRate: 3e-3), generator: g)
        for _ in 0..<3 { _ = t.epoch(data, batchSize: 4) }
        return t
    }
    let a = run(), b = run()
    #expect(a.network == b.network && a.shots == 24)
}

@Test func pixelAimerFilesCarryTheirViewAndWrongFilesAreRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("treb-pixels-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var g = SeededGenerator(seed: 0)
    let net = Network(layers: TrebuchetPixels.layers(resolution: 16), generator: &g)
    let good = dir + "/good.json"
    func metadata(_ r: Int, _ s: Int) -> PixelModelMetadata {
        var m = PixelModelMetadata(environment: .trebuchet, resolution: r, samples: s)
        m.trebuchetVersion = TrebuchetPixels.modelVersion
        return m
    }
    try PixelModel.save(net, to: good, metadata: metadata(16, 3))
    let (back, m) = try PixelModel.load(path: good, problem: .trebuchet)
    #expect(back == net && m.resolution == 16 && m.samples == 3 && m == metadata(16, 3))
    // a state aimer is not a pixel aimer
    let state = dir + "/state.json"
    try TrebuchetAimer.makeNetwork(generator: &g).save(to: state, metadata: ["environment": "trebuchet"])
    #expect(throws: ModelFileError.self) { try PixelModel.load(path: state, problem: .trebuchet) }
    // a view that does not match the network's shape
    let lying = dir + "/lying.json"
    try PixelModel.save(net, to: lying, metadata: metadata(24, 3))
    #expect(throws: ModelFileError.self) { try PixelModel.load(path: lying, problem: .trebuchet) }
    // another environment's pixel policy, and a missing file
    let other = dir + "/other.json"
    try net.save(to: other, metadata: ["environment": "cartpole", "pixels": "true", "pixels_resolution": "16", "pixels_samples": "3"])
    #expect(throws: ModelFileError.self) { try PixelModel.load(path: other, problem: .trebuchet) }
    #expect(throws: ModelFileError.self) { try PixelModel.load(path: dir + "/missing.json", problem: .trebuchet) }
    do { _ = try PixelModel.load(path: state, problem: .trebuchet) } catch { #expect(!"\(error)".contains("\n")) }
}

@Test func compositeExamplesAreStitchedFrames() throws {
    let view = try TrebuchetPixels.View(directory: scenes, resolution: 16, samples: 2, threads: 1)
    let a = try view.render(wind: 6, target: 30, seed: 3), b = try view.render(wind: -4, target: 85, seed: 4)
    let ea = TrebuchetPixels.Example(wind: 6, target: 30, observation: TrebuchetPixels.observation(a))
    let eb = TrebuchetPixels.Example(wind: -4, target: 85, observation: TrebuchetPixels.observation(b))
    // the upper half of a's frame (the wind gauge) over the lower half of b's (the flag)
    let stitched = Image(width: 16, height: 16) { x, y in y < 8 ? a[x, y] : b[x, y] }
    let c = TrebuchetPixels.Example.composite(wind: ea, target: eb)
    #expect(c.wind == 6 && c.target == 85)
    let o = TrebuchetPixels.observation(stitched)
    #expect(zip(o, c.observation).allSatisfy { abs($0 - $1) < 1e-12 })
    // the halves really carry one quantity each: a's wind with b's target is not a's frame
    #expect(c.observation != ea.observation && c.observation != eb.observation)
}

@Test func linearReadingRecoversTargetAndWind() throws {
    let view = try TrebuchetPixels.View(directory: scenes, resolution: 24, samples: 4, threads: 1)
    let train = try TrebuchetPixels.renderDataSet(view: view, count: 150, seed: 5)
    let test = try TrebuchetPixels.renderDataSet(view: view, count: 40, seed: 6)
    let r = TrebuchetPixels.linearReading(train: train, test: test)
    // 24 px over ~115 m (4.8 m a pixel); a guess of the mean would be off by ~23 m and 5 m/s
    #expect(r.target < 8 && r.wind < 2.5, "\(r)")
}
