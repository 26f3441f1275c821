import ArgumentParser
import DiffRay
import Foundation

/// `diffray train cartpole [--pixels]`.
struct TrainCartPoleCommand: ParsableCommand, ClusterCommand {
    var cluster: ClusterOptions { options.cluster }

    static let configuration = CommandConfiguration(
        commandName: "cartpole",
        abstract: "Train a cart-pole controller from the state, or from rendered frames with --pixels (CartPolePixels).")

    @OptionGroup var options: TrainOptions<CartPolePixels>
    @OptionGroup var view: PixelViewOptions<CartPolePixels>

    @OptionGroup var trainer: StateTrainerOptions<CartPolePixels>

    // The recipe's options (`CartPolePixels.hyperparameters`), with --pixels only.
    @Option(help: "Frames the policy sees stacked, the current one and those before it (2...\(CartPolePixels.maxFrames)).")
    var frames = CartPolePixels.hyperparameters.frames
    @Option(help: "Columns of the window centred on the cart that the policy sees (0: the whole frame; default a quarter of --view-res).")
    var crop: Int?
    @Option(help: "Training episodes start with the cart anywhere in ± this many metres (0: Gym's starts; evaluation always uses Gym's).")
    var startSpread = CartPolePixels.hyperparameters.startSpread
    @Option(help: "With --trainer surrogate: weight of the LQR cost-to-go of the state at every BPTT window's end (0: none, plain truncated BPTT; default \(CartPolePixels.hyperparameters.costToGo)).")
    var costToGo: Double?
    @Option(help: "With --pixels: a training episode is a budget of this many simulated steps, the cart-pole restarting inside it (0: one episode of the environment, whatever its length; default \(CartPolePixels.hyperparameters.shacEpisodeSteps) with --trainer shac, 0 with surrogate).")
    var episodeSteps: Int?
    @Option(help: "With --pixels --trainer shac: weight c of a cost c·(x² + ẋ²) (x in m, ẋ in m/s) added to every step's loss (0: none; default \(CartPolePixels.hyperparameters.shacCartCost)).")
    var cartCost: Double?
    @Option(help: "Polyak averaging rate of the saved weights (0: save the last weights; default 0 with --trainer shac, \(CartPolePixels.hyperparameters.averageRate) with surrogate).")
    var average: Double?

    func validate() throws {
        if frames < 2 || frames > CartPolePixels.maxFrames {
            throw ValidationError("train --pixels: --frames must be in 2...\(CartPolePixels.maxFrames), got \(frames)")
        }
        if let crop, crop < 0 || crop > CartPolePixels.maxCrop(resolution: view.viewRes) {
            throw ValidationError("train --pixels: --crop must be in 0...\(CartPolePixels.maxCrop(resolution: view.viewRes)) (twice --view-res), got \(crop)")
        }
        if !(startSpread >= 0 && startSpread <= CartPoleDynamics.xThreshold) {
            throw ValidationError("train --pixels: --start-spread must be in 0...\(CartPoleDynamics.xThreshold) (metres; the track ends at ±\(CartPoleDynamics.xThreshold)), got \(startSpread)")
        }
        if let costToGo, !(costToGo >= 0 && costToGo <= 1000) { throw ValidationError("train --pixels: --cost-to-go must be in 0...1000, got \(costToGo)") }
        if options.pixels, costToGo != nil, pixelTrainer == .shac {
            throw ValidationError("train --pixels: --cost-to-go is the surrogate trainer's (add --trainer surrogate); the shac trainer learns its critic")
        }
        if let cartCost, !(cartCost >= 0 && cartCost <= 1000) { throw ValidationError("train --pixels: --cart-cost must be in 0...1000, got \(cartCost)") }
        if options.pixels, cartCost != nil, pixelTrainer != .shac {
            throw ValidationError("train --pixels: --cart-cost is the shac trainer's (add --trainer shac)")
        }
        if options.pixels, trainer.envs != nil || trainer.actorLr != nil || trainer.saturationPenalty != nil || trainer.outputInit != nil
            || trainer.restartEvery != nil {
            throw ValidationError("train --pixels: --envs, --actor-lr, --saturation-penalty, --output-init and --restart-every are for training from the state (the pixel actor's rate is --lr)")
        }
        if options.pixels, trainer.stateOnlyGiven {
            throw ValidationError("train --pixels: --critic-replay, --replay-draws, --average-actor, --select-* and --recipe are for training from the state")
        }
        if options.pixels, pixelTrainer != .shac, trainer.criticOptionsGiven {
            throw ValidationError("train --pixels: --horizon, --discount, --lambda, --critic-lr, --critic-passes, --critic-width and --action-noise set the learned critic (--trainer shac)")
        }
        if let episodeSteps, !(episodeSteps >= 0 && episodeSteps <= 100_000) {
            throw ValidationError("train --pixels: --episode-steps must be in 0...100000, got \(episodeSteps)")
        }
        if let average, !(average >= 0 && average <= 1) { throw ValidationError("train --pixels: --average must be in 0...1, got \(average)") }
    }

    /// The pixel trainer: `--trainer`, by default the learned critic (`--trainer surrogate`:
    /// the LQR cost-to-go, kept for comparison).
    var pixelTrainer: StateTrainer { trainer.trainer ?? .shac }

    func run() throws {
        guard options.pixels else { return try trainFromState(options, trainer: trainer) }
        let window = crop ?? CartPolePixels.crop(resolution: view.viewRes)
        let costToGo = pixelTrainer == .shac ? 0 : self.costToGo ?? CartPolePixels.hyperparameters.costToGo
        let average = self.average ?? (pixelTrainer == .shac ? CartPolePixels.hyperparameters.shacAverageRate : CartPolePixels.hyperparameters.averageRate)
        let scenes = try view.sceneRecord()
        let critic = pixelTrainer == .shac ? try trainer.settings(from: CartPolePixels.hyperparameters.shac) : nil
        var run = try options.pixelRun(critic: critic, PixelTrainingOptions(
            seed: UInt64(options.seed), resolution: view.viewRes, samples: view.viewSpp, frames: frames, averageRate: average,
            learningRate: view.lr ?? (pixelTrainer == .shac ? CartPolePixels.hyperparameters.shac.actorLearningRate : view.learningRate),
            scenes: scenes.folder, sceneHash: scenes.hash,
            // the learned critic's learning rates fall over the whole budget: `--resume` must keep it
            totalEpisodes: pixelTrainer == .shac ? options.episodes ?? CartPolePixels.defaults.episodes : nil,
            crop: window, startSpread: startSpread, costToGo: costToGo, trainer: pixelTrainer,
            episodeSteps: episodeSteps ?? (pixelTrainer == .shac ? CartPolePixels.hyperparameters.shacEpisodeSteps : 0),
            cartCost: pixelTrainer == .shac ? cartCost ?? CartPolePixels.hyperparameters.shacCartCost : 0))
        let observer = try PixelObservation(problem: .cartpole, directory: view.templates.scenes, resolution: view.viewRes, samples: view.viewSpp)
        print("episode  return  frames  seconds   (policy view \(observer.width)x\(observer.height), \(view.viewSpp) spp, \(frames) frames stacked, "
            + (window > 0 ? "\(window) columns around the cart" : "whole frames")
            + (pixelTrainer == .shac ? ", learned critic" + (run.options.cartCostWeight > 0 ? ", cart cost × \(run.options.cartCostWeight)" : "") : costToGo > 0 ? ", LQR cost-to-go × \(costToGo)" : ", no cost-to-go")
            + (startSpread > 0 ? ", training starts anywhere in ±\(startSpread) m)" : ", Gym's starts)"))
        let files = try options.committingOutputs(train: {
            try run.trainCartPole(observer: observer, totalEpisodes: options.episodes ?? CartPolePixels.defaults.episodes, report: { p, r in
                print(String(format: "%7d  %6.0f  %6d  %7.1f", p.episode, p.trainReturn, r.renderedFrames, r.seconds))
            }, checkpoint: { run in try options.checkpoint { try run.write(path: $0) } })
        }, save: {
            try options.savePixelPolicy(run, curve: [run.curve.map(\.trainReturn)], labels: ["training episode return"],
                                        xLabel: "training episodes", yLabel: "return")
        })
        print("cartpole from pixels: \(run.episodes) episodes, \(run.environmentSteps) environment steps, "
            + "\(run.renderedFrames) frames with gradients, " + String(format: "%.1f s", run.seconds) + " -> \(files)")
        try options.json.print(TrainResult(environment: .cartpole, pixels: true, episodes: run.episodes, envSteps: run.environmentSteps,
                                           frames: run.renderedFrames, seconds: run.seconds, model: options.model))
    }
}

extension CartPolePixels: EnvironmentCommand {
    static let unit = "episodes"
    static let evaluationEpisodes = 100
    static let rolloutEvery = 10

    /// With --pixels, also how the episodes ended and where the pole fell.
    static func evaluate(_ o: EvalOptions<Self>) throws {
        var (r, result) = try evaluateEpisodes(CartPoleTask.self, o) { $0.predict($1)[0] }
        if o.model.pixels {
            let endings = CartPoleEndings(finalStates: r.finalStates)
            print("  episodes ended: \(endings.poleFell) pole past 12°, \(endings.cartLeftTrack) cart off the track, \(endings.ranToLimit) ran to the step limit")
            if let median = endings.fallAbsXMedian, let maximum = endings.fallAbsXMax {
                print(String(format: "  pole fell with the cart %.2f m from the centre (median; max %.2f m); %d falls to the right (+x), %d to the left",
                             median, maximum, endings.fallsRight, endings.poleFell - endings.fallsRight))
            }
            result.poleFell = endings.poleFell; result.cartLeftTrack = endings.cartLeftTrack; result.fallsRight = endings.fallsRight
            result.fallAbsXMedian = Nullable(endings.fallAbsXMedian); result.fallAbsXMax = Nullable(endings.fallAbsXMax)
        }
        try o.json.print(result)
    }

    /// With --pixels, also DIR/states.csv: the state of every frame seen and the policy's output.
    static func rollout(_ o: RolloutOptions<Self>) throws {
        let r = try rolloutEpisode(CartPoleTask.self, o) { $0.predict($1)[0] }
        guard o.model.pixels else { return }
        // force = 10 N · sign(action)
        var csv = "step,x,x_dot,theta,theta_dot,action\n"
        for (i, (s, a)) in zip(r.states, r.actions).enumerated() {
            csv += "\(i)," + s.map { String($0) }.joined(separator: ",") + ",\(a)\n"
        }
        try AtomicFile.write(csv, to: o.path("states.csv"))
        print("-> \(o.path("states.csv"))")
    }
}
