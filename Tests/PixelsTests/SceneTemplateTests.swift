import Testing
import Foundation
import Control
import Pixels
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

/// The templates ship with the module (SwiftPM resources), so a program run
/// from any folder finds them; scenes/ENV.xml in the repository is the same text.
@Test(arguments: ControlProblem.allCases)
func builtInTemplatesAreTheRepositoryFiles(problem: ControlProblem) throws {
    let builtIn = try SceneTemplate(problem: problem)
    #expect(builtIn.path.hasPrefix(SceneTemplate.builtInDirectory))
    let shipped = FileManager.default.contents(atPath: builtIn.path)
    let repository = FileManager.default.contents(atPath: scenesDirectory + "/\(problem.rawValue).xml")
    #expect(shipped != nil && shipped == repository, "\(builtIn.path) differs from scenes/\(problem.rawValue).xml")
    #expect(try builtIn.textHash() == SceneTemplate(problem: problem, directory: scenesDirectory).textHash())
}

/// Every problem's pixel task names the parameters its template's moving shapes expose.
@Test(arguments: [ControlProblem.cartpole, .pendulum])
func poseKeysAreTheTemplatesParameters(problem: ControlProblem) throws {
    let scene = try SceneTemplate(problem: problem).scene(state: problem.pixelTask.sweep(0.3))
    try scene.validate(keys: problem.pixelTask.poseKeys)
    #expect(problem.pixelTask.pose(state: problem.pixelTask.sweep(0.3)).count == problem.pixelTask.poseKeys.count)
}
