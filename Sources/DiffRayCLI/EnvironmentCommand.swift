import ArgumentParser
import DiffRay
import Foundation

/// What `eval ENV` and `rollout ENV` do for an environment: its evaluation and
/// its rollout, beside the recipe's defaults of its `PixelTask`. The three
/// pixel tasks conform, one file each (`CartPoleCommands.swift`, ...).
protocol EnvironmentCommand: PixelTask {
    /// What an episode is called (`episodes`, `shots`) and how many `eval` runs by default.
    static var unit: String { get }
    static var evaluationEpisodes: Int { get }
    /// `rollout` renders every this many states by default.
    static var rolloutEvery: Int { get }
    static func evaluate(_ o: EvalOptions<Self>) throws
    static func rollout(_ o: RolloutOptions<Self>) throws
}

/// `diffray eval ENV`.
struct EvalEnvironmentCommand<E: EnvironmentCommand>: ParsableCommand, ClusterCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: E.problem.rawValue,
                             abstract: "Evaluate a \(E.problem.rawValue) controller over \(E.unit) from the seed (with --pixels: from rendered frames).")
    }

    @OptionGroup var options: EvalOptions<E>
    var cluster: ClusterOptions { options.model.cluster }

    func run() throws { try E.evaluate(options) }
}

/// `diffray rollout ENV`.
struct RolloutEnvironmentCommand<E: EnvironmentCommand>: ParsableCommand, ClusterCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: E.problem.rawValue, abstract: "Render an episode of a \(E.problem.rawValue) controller.")
    }

    @OptionGroup var options: RolloutOptions<E>
    var cluster: ClusterOptions { options.model.cluster }

    func run() throws { try E.rollout(options) }
}

/// The options `eval ENV` and `rollout ENV` share: the model and where its episodes start.
struct PolicyOptions<E: EnvironmentCommand>: ParsableArguments {
    @Option(help: "The model file written by `diffray train \(E.problem.rawValue)`.")
    var policy: String

    @Option(help: "Seed of the start states (trebuchet: targets and winds).")
    var seed: Int = 12345

    @Flag(help: "A pixel policy (written by `train \(E.problem.rawValue) --pixels`): each step is rendered and only the frames reach the policy.")
    var pixels = false

    @OptionGroup var templates: TemplateOption
    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
    }

    /// A state policy's network.
    func stateNetwork() throws -> Network { try Network.load(from: policy, expecting: E.problem.layers) }
    /// A pixel policy's network and its view. A policy trained on other scene
    /// templates than these (the hash its file records) is run all the same, with
    /// a warning: its training figures hold for its own view.
    func pixelModel() throws -> (network: Network, metadata: PixelModelMetadata) {
        let model = try PixelModel.load(path: policy, problem: E.problem)
        if let trained = model.metadata.sceneHash {
            let given = try PixelTrainingOptions.sceneHash(problem: E.problem, directory: templates.scenes)
            if given != trained {
                FileHandle.errorWrite("warning: \(policy): trained on another \(E.problem.rawValue).xml (scene hash \(trained)) than "
                    + "\(templates.scenes.map { "the one in \($0)" } ?? "the built-in one") (\(given)); pass --scenes with the folder it was trained on\n")
            }
        }
        return model
    }
}
