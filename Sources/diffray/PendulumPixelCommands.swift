import ArgumentParser
import DiffRay
import Foundation

/// `train|eval|rollout pendulum --pixels`.
enum PendulumPixelCommands {
    static func train(_ c: TrainCommand) throws { throw ValidationError("train --pixels: no pendulum pixel recipe yet") }
    static func eval(_ c: EvalCommand) throws { throw ValidationError("eval --pixels: no pendulum pixel policy yet") }
    static func rollout(_ c: RolloutCommand) throws { throw ValidationError("rollout --pixels: no pendulum pixel policy yet") }
}
