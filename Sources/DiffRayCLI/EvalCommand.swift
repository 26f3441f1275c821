import ArgumentParser
import DiffRay
import Foundation

/// `diffray eval ENV --policy MODEL.json`: evaluates a trained controller.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a controller: mean and std of the return over episodes (trebuchet: miss over random targets).",
        subcommands: [EvalEnvironmentCommand<CartPolePixels>.self, EvalEnvironmentCommand<PendulumPixels>.self,
                      EvalEnvironmentCommand<TrebuchetPixels>.self])
}

/// The options of `eval ENV`.
struct EvalOptions<E: EnvironmentCommand>: ParsableArguments {
    @OptionGroup var model: PolicyOptions<E>

    @Option(help: "Evaluation \(E.unit).")
    var episodes: Int = E.evaluationEpisodes

    @OptionGroup var json: JSONOption

    func validate() throws {
        if episodes <= 0 || episodes > 10_000_000 { throw ValidationError("--episodes must be in 1...10000000, got \(episodes)") }
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
    var unreachableFraction: Double?
    var reachVerdictAccuracy: Double?

    init(_ problem: ControlProblem, pixels: Bool, episodes: Int, seconds: Double) {
        environment = problem; self.pixels = pixels ? true : nil; self.episodes = episodes; self.seconds = seconds
    }
}

/// Evaluates the policy of `o` on an episodic task, a state policy or a pixel
/// policy whose network input `act` turns into the action (every frame
/// rendered), and prints the returns; returns the statistics and the result
/// `--json` prints.
func evaluateEpisodes<T: EpisodicTask, E: EnvironmentCommand>(
    _ task: T.Type, _ o: EvalOptions<E>, act: @escaping (Network, [Double]) -> Double) throws -> (EpisodeStatistics, EvalResult) {
    let n = o.episodes, seed = UInt64(o.model.seed)
    let start = Date()
    let r: EpisodeStatistics
    var view = ""
    if o.model.pixels {
        let (network, m) = try o.model.pixelModel()
        let observer = try PixelObservation(problem: T.problem, directory: o.model.templates.scenes, resolution: m.resolution, samples: m.samples)
        let policy = RenderedFramePolicy(observer: observer, frames: m.frames, crop: m.cropWidth) { act(network, $0) }
        r = try evaluate(policy: policy, task: task, episodes: n, seed: seed, communicator: .world)
        view = " from pixels (\(observer.width)x\(observer.height), \(m.samples) spp, every frame rendered)"
    } else {
        r = try evaluate(policy: T.policy(try o.model.stateNetwork()), task: task, episodes: n, seed: seed,
                         communicator: .world)
    }
    let seconds = Date().timeIntervalSince(start)
    print(T.problem.rawValue + view + String(format: ": %d episodes, mean return %.2f ± %.2f (min %.1f, max %.1f), ",
                                             n, r.mean, r.std, r.returns.min()!, r.returns.max()!)
        + (o.model.pixels ? "\(r.steps) frames, " : "") + String(format: "%.2f s", seconds))
    var result = EvalResult(T.problem, pixels: o.model.pixels, episodes: n, seconds: seconds)
    result.meanReward = r.mean; result.stdReward = r.std
    if o.model.pixels { result.frames = r.steps }
    return (r, result)
}
