import Testing
import Foundation
import Environments
import ImageIO

/// The scenes/ folder of this package, found from this file's path.
private let scenesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenes").path

private func meanAbsoluteDifference(_ a: Image, _ b: Image) -> Double {
    var s = 0.0
    for y in 0..<a.height { for x in 0..<a.width {
        let p = a[x, y], q = b[x, y]
        s += Double(abs(p.r - q.r) + abs(p.g - q.g) + abs(p.b - q.b))
    } }
    return s / Double(3 * a.width * a.height)
}

@Test(arguments: [
    (ControlProblem.cartpole, [0.0, 0, 0, 0], [1.5, 0, 0.2, 0]),
    (ControlProblem.pendulum, [0.0, 0], [2.0, 0]),
    (ControlProblem.trebuchet, [0.0, 40, 0, -1], [-8.0, 90, 30, 20]),
])
func templatesLoadRenderAndFollowTheState(problem: ControlProblem, a: [Double], b: [Double]) throws {
    let t = try SceneTemplate(problem: problem, directory: scenesDirectory)
    let first = try t.render(state: a, resolution: 24, samples: 2, seed: 1, threads: 1)
    let again = try t.render(state: a, resolution: 24, samples: 2, seed: 1, threads: 1)
    let other = try t.render(state: b, resolution: 24, samples: 2, seed: 1, threads: 1)
    #expect(first.width == 24 && first.height == SceneTemplate.height(of: problem, width: 24))
    #expect(meanAbsoluteDifference(first, again) == 0)  // deterministic for a seed
    #expect(meanAbsoluteDifference(first, other) > 1e-3)  // the frame follows the state
}

@Test func missingTemplateIsAOneLineError() {
    #expect(throws: ControlError.self) { try SceneTemplate(problem: .pendulum, directory: "/nonexistent") }
}
