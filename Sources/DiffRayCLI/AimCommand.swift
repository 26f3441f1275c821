import ArgumentParser
import DiffRay
import Foundation

/// `diffray aim --wind W --target D`: aims the trebuchet at one target.
struct AimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aim",
        abstract: "Aim the trebuchet: Gauss–Newton on the simulator's gradients, or a trained network with --policy.")

    @Option(parsing: .unconditional, help: "Wind speed (m/s, positive blows towards the target; negative values work as --wind -2).")
    var wind: Double

    @Option(parsing: .unconditional, help: "Target distance (m).")
    var target: Double

    @Option(help: "A trebuchet model written by `diffray train trebuchet`.")
    var policy: String?

    @OptionGroup var json: JSONOption

    /// What `aim --json` prints: the aim and its shot; whether the target can be
    /// hit at all (`TrebuchetAimer.reachability`) and, when not, the nearest
    /// reachable distance and the settings that reach it (the longest shot).
    struct Result: Encodable {
        var angle, weight, distance, target, seconds: Double
        var reachable: Bool
        var nearestDistance, nearestAngle, nearestWeight: Double?
    }

    func validate() throws {
        if !wind.isFinite || abs(wind) > 100 { throw ValidationError("--wind must be a finite speed within ±100 m/s, got \(wind)") }
        if !target.isFinite || target <= 0 || target > 1000 { throw ValidationError("--target must be a distance in (0, 1000] m, got \(target)") }
    }

    func run() throws {
        let angle: Double, weight: Double, seconds: Double, method: String
        if let policy {
            let network = try Network.load(from: policy, expecting: TrebuchetAimer.layers)
            // Time many calls: one inference is far below the clock's resolution.
            let n = 10_000
            var a = (angle: 0.0, weight: 0.0)
            let start = Date()
            for _ in 0..<n { a = TrebuchetAimer.aim(network, wind: wind, target: target) }
            seconds = Date().timeIntervalSince(start) / Double(n)
            (angle, weight) = a
            method = "network"
        } else {
            let start = Date()
            let r = TrebuchetAimer.directAim(wind: wind, target: target)
            seconds = Date().timeIntervalSince(start)
            (angle, weight) = (r.angle, r.weight)
            method = "Gauss–Newton, \(r.iterations) simulations"
        }
        let distance = Trebuchet.shoot(wind: wind, angle: angle, weight: weight)
        print(String(format: "angle %.3f°, counterweight %.3f lb -> %.4f m (target %.4f m, miss %.4f m); %@ in %.3g s",
                     angle, weight, distance, target, distance - target, method, seconds))
        let reach = TrebuchetAimer.reachability(wind: wind, target: target)
        var result = Result(angle: angle, weight: weight, distance: distance, target: target, seconds: seconds, reachable: reach.reachable)
        if !reach.reachable {
            print(String(format: "out of reach: no angle in [%g°, %g°] and counterweight in [%g, %g] lb reaches %.4f m at wind %g m/s; "
                         + "the nearest reachable distance is %.4f m (angle %.3f°, counterweight %.3f lb)",
                         TrebuchetAimer.angleRange.0, TrebuchetAimer.angleRange.1, TrebuchetAimer.weightRange.0, TrebuchetAimer.weightRange.1,
                         target, wind, reach.distance, reach.angle, reach.weight))
            result.nearestDistance = reach.distance; result.nearestAngle = reach.angle; result.nearestWeight = reach.weight
        }
        try json.print(result)
    }
}
