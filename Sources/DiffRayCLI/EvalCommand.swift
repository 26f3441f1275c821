import ArgumentParser
import DiffRay
import Foundation

/// `diffray eval ENV --policy MODEL.json`: evaluates a trained controller.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a controller: mean and std of the return over episodes (trebuchet: miss over random targets).")

    @Argument(help: "trebuchet, cartpole or pendulum.")
    var environment: String

    @Option(help: "The model file written by `diffray train`.")
    var policy: String

    @Option(help: "Evaluation episodes (trebuchet: shots at random targets; default 100, trebuchet 1000).")
    var episodes: Int?

    @Option(help: "Seed of the start states (trebuchet: targets and winds).")
    var seed: Int = 12345

    @Flag(help: "Print one JSON object as the last line of standard output.")
    var json = false

    @Flag(help: "Evaluate a pixel policy (written by `train --pixels`): each step is rendered and only the frames reach the policy.")
    var pixels = false

    @Option(help: "With --pixels: the folder holding the scene templates.")
    var scenes: String = "scenes"

    func validate() throws {
        if let episodes, episodes <= 0 || episodes > 10_000_000 { throw ValidationError("--episodes must be in 1...10000000, got \(episodes)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
    }

    func run() throws {
        let problem = try ControlProblem(name: environment)
        if pixels { return try runPixels(problem) }
        let network = try Network.load(from: policy, expecting: problem.layers)
        let start = Date()
        switch problem {
        case .trebuchet:
            let n = episodes ?? 1000
            let r = TrebuchetAimer.evaluate(count: n, seed: UInt64(seed), reachability: true) { w, t in
                TrebuchetAimer.aim(network, wind: w, target: t)
            }
            let seconds = Date().timeIntervalSince(start)
            print(String(format: "trebuchet: %d random targets, mean |miss| %.4f m, mean relative miss %.5f (%.3f%%), %.2f s",
                         n, r.meanAbsMiss, r.meanRelativeMiss, 100 * r.meanRelativeMiss, seconds))
            print(String(format: "  reachable (a hit within 0.01%% with angle in [%g°, %g°], weight in [%g, %g] lb): %.1f%% of targets; "
                         + "mean relative miss over them %.5f (%.3f%%); best possible over all targets %.5f (%.3f%%)",
                         TrebuchetAimer.angleRange.0, TrebuchetAimer.angleRange.1, TrebuchetAimer.weightRange.0, TrebuchetAimer.weightRange.1,
                         100 * r.reachableFraction, r.meanRelativeMissReachable, 100 * r.meanRelativeMissReachable,
                         r.bestPossibleMeanRelativeMiss, 100 * r.bestPossibleMeanRelativeMiss))
            if json {
                print("{\"environment\": \"trebuchet\", \"episodes\": \(n), \"mean_abs_miss_m\": \(r.meanAbsMiss), "
                    + "\"mean_rel_miss\": \(r.meanRelativeMiss), \"reachable_fraction\": \(r.reachableFraction), "
                    + "\"mean_rel_miss_reachable\": \(r.meanRelativeMissReachable.isFinite ? String(r.meanRelativeMissReachable) : "null"), "
                    + "\"best_possible_mean_rel_miss\": \(r.bestPossibleMeanRelativeMiss), \"seconds\": \(seconds)}")
            }
        case .cartpole, .pendulum:
            let n = episodes ?? 100
            let r = problem == .cartpole
                ? evaluate(CartPoleDynamics.self, episodes: n, seed: UInt64(seed)) { network.predict($0)[0] }
                : evaluate(PendulumDynamics.self, episodes: n, seed: UInt64(seed)) { PendulumTraining.action(network, $0) }
            let seconds = Date().timeIntervalSince(start)
            print(problem.rawValue + String(format: ": %d episodes, mean return %.2f ± %.2f (min %.1f, max %.1f), %.2f s",
                         n, r.mean, r.std, r.returns.min()!, r.returns.max()!, seconds))
            if json {
                print("{\"environment\": \"\(problem.rawValue)\", \"episodes\": \(n), \"mean_reward\": \(r.mean), "
                    + "\"std_reward\": \(r.std), \"seconds\": \(seconds)}")
            }
        }
    }

    func runPixels(_ problem: ControlProblem) throws {
        switch problem {
        case .cartpole: break
        case .pendulum: return try PendulumPixelCommands.eval(self)
        case .trebuchet: return try TrebuchetPixelCommands.eval(self)
        }
        let (network, res, spp, stacked, crop) = try PixelPolicy.load(path: policy, problem: problem)
        let observer = try PixelObservation(problem: problem, directory: scenes, resolution: res, samples: spp)
        let n = episodes ?? 100
        let start = Date()
        let r = try evaluatePixels(CartPoleDynamics.self, observer: observer, episodes: n, seed: UInt64(seed), frames: stacked, crop: crop) { network.predict($0)[0] }
        let seconds = Date().timeIntervalSince(start)
        let frames = Int(r.returns.reduce(0, +))
        print(problem.rawValue + String(format: " from pixels (%dx%d, %d spp): %d episodes, mean return %.2f ± %.2f (min %.1f, max %.1f), %d frames, %.1f s",
                                        observer.width, observer.height, spp, n, r.mean, r.std, r.returns.min()!, r.returns.max()!, frames, seconds))
        // How the episodes ended: what a user changes next depends on it
        let falls = r.finalStates.filter { abs($0[2]) > CartPoleDynamics.thetaThreshold }
        let fell = falls.count
        let left = r.finalStates.filter { abs($0[0]) > CartPoleDynamics.xThreshold && abs($0[2]) <= CartPoleDynamics.thetaThreshold }.count
        print("  episodes ended: \(fell) pole past 12°, \(left) cart off the track, \(n - fell - left) ran to the step limit")
        // Where the falls happen: how far the cart had gone from the centre (the policy
        // has seen the pole mostly near it) and to which side the pole fell (a bias).
        let fallX = falls.map { abs($0[0]) }.sorted(), rightward = falls.filter { $0[2] > 0 }.count
        let fallMedian = fallX.isEmpty ? nil : fallX[fallX.count / 2], fallMax = fallX.last
        if let fallMedian, let fallMax {
            print(String(format: "  pole fell with the cart %.2f m from the centre (median; max %.2f m); %d falls to the right (+x), %d to the left",
                         fallMedian, fallMax, rightward, fell - rightward))
        }
        if json {
            let median = fallMedian.map { "\($0)" } ?? "null", maximum = fallMax.map { "\($0)" } ?? "null"
            print("{\"environment\": \"\(problem.rawValue)\", \"pixels\": true, \"episodes\": \(n), \"mean_reward\": \(r.mean), "
                + "\"std_reward\": \(r.std), \"frames\": \(frames), \"pole_fell\": \(fell), \"cart_left_track\": \(left), "
                + "\"fall_abs_x_median\": \(median), \"fall_abs_x_max\": \(maximum), \"falls_right\": \(rightward), \"seconds\": \(seconds)}")
        }
    }
}
