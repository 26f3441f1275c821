import ArgumentParser
import DiffRay
import Foundation

/// `diffray eval ENV --policy MODEL.json`: evaluates a trained controller.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a controller: mean and std of the return over episodes (trebuchet: miss over random targets).",
        subcommands: [EvalCartPoleCommand.self, EvalPendulumCommand.self, EvalTrebuchetCommand.self])
}

/// An environment's evaluation defaults, shown in its `eval` and `rollout` help.
protocol EvalDefaults {
    static var problem: ControlProblem { get }
    static var episodes: Int { get }
    static var unit: String { get }
}

/// The options every `eval ENV` shares.
struct EvalOptions<E: EvalDefaults>: ParsableArguments {
    @Option(help: "The model file written by `diffray train \(E.problem.rawValue)`.")
    var policy: String

    @Option(help: "Evaluation \(E.unit).")
    var episodes: Int = E.episodes

    @Option(help: "Seed of the start states (trebuchet: targets and winds).")
    var seed: Int = 12345

    @Flag(help: "Evaluate a pixel policy (written by `train \(E.problem.rawValue) --pixels`): each step is rendered and only the frames reach the policy.")
    var pixels = false

    @OptionGroup var templates: TemplateOption
    @OptionGroup var json: JSONOption

    func validate() throws {
        if episodes <= 0 || episodes > 10_000_000 { throw ValidationError("--episodes must be in 1...10000000, got \(episodes)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
    }
}

/// What `eval ENV --json` prints.
struct EvalResult: Encodable {
    var environment: ControlProblem
    var pixels: Bool?
    var episodes: Int
    var frames: Int?
    var meanReward: Double?
    var stdReward: Double?
    var seconds: Double
    /// Cart-pole from pixels: how the episodes ended.
    var poleFell: Int?
    var cartLeftTrack: Int?
    var fallAbsXMedian: Nullable<Double>?
    var fallAbsXMax: Nullable<Double>?
    var fallsRight: Int?
    /// Trebuchet.
    var meanAbsMissM: Double?
    var meanRelMiss: Double?
    var reachableFraction: Double?
    var meanRelMissReachable: Finite?
    var bestPossibleMeanRelMiss: Double?

    init(_ problem: ControlProblem, pixels: Bool, episodes: Int, seconds: Double) {
        environment = problem; self.pixels = pixels ? true : nil; self.episodes = episodes; self.seconds = seconds
    }
}

/// Evaluates a state policy of an episodic task and prints its returns.
func evalFromState<T: EpisodicTask, E: EvalDefaults>(_ task: T.Type, _ o: EvalOptions<E>) throws {
    let network = try Network.load(from: o.policy, expecting: T.layers)
    let start = Date()
    let r = try evaluate(policy: T.policy(network), task: task, episodes: o.episodes, seed: UInt64(o.seed))
    let seconds = Date().timeIntervalSince(start)
    print(T.problem.rawValue + String(format: ": %d episodes, mean return %.2f ± %.2f (min %.1f, max %.1f), %.2f s",
                                      o.episodes, r.mean, r.std, r.returns.min()!, r.returns.max()!, seconds))
    var result = EvalResult(T.problem, pixels: false, episodes: o.episodes, seconds: seconds)
    result.meanReward = r.mean; result.stdReward = r.std
    try o.json.print(result)
}

/// `diffray eval cartpole`.
struct EvalCartPoleCommand: ParsableCommand, EvalDefaults {
    static let configuration = CommandConfiguration(commandName: "cartpole", abstract: "Evaluate a cart-pole controller (Gym's start states).")
    static let problem = ControlProblem.cartpole
    static let episodes = 100
    static let unit = "episodes"

    @OptionGroup var options: EvalOptions<EvalCartPoleCommand>

    func run() throws {
        guard options.pixels else { return try evalFromState(CartPoleTask.self, options) }
        let (network, m) = try PixelModel.load(path: options.policy, problem: .cartpole)
        let observer = try PixelObservation(problem: .cartpole, directory: options.templates.scenes, resolution: m.resolution, samples: m.samples)
        let n = options.episodes
        let start = Date()
        let policy = RenderedFramePolicy(observer: observer, frames: m.frames, crop: m.cropWidth) { network.predict($0)[0] }
        let r = try evaluate(policy: policy, task: CartPoleTask.self, episodes: n, seed: UInt64(options.seed))
        let seconds = Date().timeIntervalSince(start)
        let frames = Int(r.returns.reduce(0, +))
        print(String(format: "cartpole from pixels (%dx%d, %d spp): %d episodes, mean return %.2f ± %.2f (min %.1f, max %.1f), %d frames, %.1f s",
                     observer.width, observer.height, m.samples, n, r.mean, r.std, r.returns.min()!, r.returns.max()!, frames, seconds))
        let endings = CartPoleEndings(finalStates: r.finalStates)
        print("  episodes ended: \(endings.poleFell) pole past 12°, \(endings.cartLeftTrack) cart off the track, \(endings.ranToLimit) ran to the step limit")
        if let median = endings.fallAbsXMedian, let maximum = endings.fallAbsXMax {
            print(String(format: "  pole fell with the cart %.2f m from the centre (median; max %.2f m); %d falls to the right (+x), %d to the left",
                         median, maximum, endings.fallsRight, endings.poleFell - endings.fallsRight))
        }
        var result = EvalResult(.cartpole, pixels: true, episodes: n, seconds: seconds)
        result.meanReward = r.mean; result.stdReward = r.std; result.frames = frames
        result.poleFell = endings.poleFell; result.cartLeftTrack = endings.cartLeftTrack; result.fallsRight = endings.fallsRight
        result.fallAbsXMedian = Nullable(endings.fallAbsXMedian); result.fallAbsXMax = Nullable(endings.fallAbsXMax)
        try options.json.print(result)
    }
}

/// `diffray eval pendulum`.
struct EvalPendulumCommand: ParsableCommand, EvalDefaults {
    static let configuration = CommandConfiguration(commandName: "pendulum", abstract: "Evaluate a pendulum swing-up controller (Gym's start states).")
    static let problem = ControlProblem.pendulum
    static let episodes = 100
    static let unit = "episodes"

    @OptionGroup var options: EvalOptions<EvalPendulumCommand>

    func run() throws {
        guard options.pixels else { return try evalFromState(PendulumTask.self, options) }
        let (network, m) = try PixelModel.load(path: options.policy, problem: .pendulum)
        let observer = try PixelObservation(problem: .pendulum, directory: options.templates.scenes, resolution: m.resolution, samples: m.samples)
        let n = options.episodes
        let start = Date()
        let policy = RenderedFramePolicy(observer: observer) { PendulumPixels.action(network, $0) }
        let r = try evaluate(policy: policy, task: PendulumTask.self, episodes: n, seed: UInt64(options.seed))
        let seconds = Date().timeIntervalSince(start)
        let frames = n * PendulumDynamics.maxSteps
        print(String(format: "pendulum from pixels (%dx%d, %d spp, every frame rendered): %d episodes, mean return %.2f ± %.2f (min %.1f, max %.1f), %d frames, %.1f s",
                     m.resolution, m.resolution, m.samples, n, r.mean, r.std, r.returns.min()!, r.returns.max()!, frames, seconds))
        var result = EvalResult(.pendulum, pixels: true, episodes: n, seconds: seconds)
        result.meanReward = r.mean; result.stdReward = r.std; result.frames = frames
        try options.json.print(result)
    }
}

/// `diffray eval trebuchet`.
struct EvalTrebuchetCommand: ParsableCommand, EvalDefaults {
    static let configuration = CommandConfiguration(commandName: "trebuchet", abstract: "Evaluate a trebuchet aimer: the miss over random targets and winds.")
    static let problem = ControlProblem.trebuchet
    static let episodes = 1000
    static let unit = "shots at random targets"

    @OptionGroup var options: EvalOptions<EvalTrebuchetCommand>

    func run() throws {
        let n = options.episodes, start = Date()
        let r: TrebuchetAimer.Evaluation
        var view = ""
        if options.pixels {
            let (network, m) = try PixelModel.load(path: options.policy, problem: .trebuchet)
            let pixelView = try TrebuchetPixels.View(directory: options.templates.scenes, resolution: m.resolution, samples: m.samples)
            r = try TrebuchetPixels.evaluate(network, view: pixelView, count: n, seed: UInt64(options.seed))
            view = " from pixels (\(m.resolution)x\(m.resolution), \(m.samples) spp)"
        } else {
            let network = try Network.load(from: options.policy, expecting: TrebuchetAimer.layers)
            r = TrebuchetAimer.evaluate(count: n, seed: UInt64(options.seed), reachability: true) { w, t in
                TrebuchetAimer.aim(network, wind: w, target: t)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "trebuchet%@: %d random targets%@, mean |miss| %.4f m, mean relative miss %.5f (%.3f%%), %.2f s",
                     view, n, options.pixels ? ", \(n) fresh frames" : "", r.meanAbsMiss, r.meanRelativeMiss, 100 * r.meanRelativeMiss, seconds))
        print(String(format: "  reachable (a hit within 0.01%% with angle in [%g°, %g°], weight in [%g, %g] lb): %.1f%% of targets; "
                     + "mean relative miss over them %.5f (%.3f%%); best possible over all targets %.5f (%.3f%%)",
                     TrebuchetAimer.angleRange.0, TrebuchetAimer.angleRange.1, TrebuchetAimer.weightRange.0, TrebuchetAimer.weightRange.1,
                     100 * r.reachableFraction, r.meanRelativeMissReachable, 100 * r.meanRelativeMissReachable,
                     r.bestPossibleMeanRelativeMiss, 100 * r.bestPossibleMeanRelativeMiss))
        var result = EvalResult(.trebuchet, pixels: options.pixels, episodes: n, seconds: seconds)
        if options.pixels { result.frames = n }
        result.meanAbsMissM = r.meanAbsMiss; result.meanRelMiss = r.meanRelativeMiss; result.reachableFraction = r.reachableFraction
        result.meanRelMissReachable = Finite(r.meanRelativeMissReachable); result.bestPossibleMeanRelMiss = r.bestPossibleMeanRelativeMiss
        try options.json.print(result)
    }
}
