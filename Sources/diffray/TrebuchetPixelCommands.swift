import ArgumentParser
import DiffRay
import Foundation

/// `train|eval|rollout trebuchet --pixels`.
enum TrebuchetPixelCommands {
    static func train(_ c: TrainCommand) throws { throw ValidationError("train --pixels: no trebuchet pixel recipe yet") }
    static func eval(_ c: EvalCommand) throws { throw ValidationError("eval --pixels: no trebuchet pixel policy yet") }
    static func rollout(_ c: RolloutCommand) throws { throw ValidationError("rollout --pixels: no trebuchet pixel policy yet") }
}
