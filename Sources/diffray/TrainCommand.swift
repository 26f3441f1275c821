import ArgumentParser
import DiffRay
import Foundation

/// `diffray train ENV`: trains a controller by backpropagation through the environment's physics.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a controller through the differentiable physics (trebuchet | cartpole | pendulum).",
        discussion: """
        Prints the training curve, writes MODEL.json, a plot MODEL.png and a checkpoint \
        MODEL.checkpoint.json (for --resume). Cart-pole and pendulum stop at the first \
        episode after which 100 evaluation episodes meet the bar (475; −200) unless --keep-going. \
        For the trebuchet an episode is one simulated shot. With --pixels the checkpoint \
        is written after every episode (trebuchet: every 80,000 shots) and --resume also \
        needs the options the run started with (--seed, --view-res, --view-spp, --frames, \
        --average, --lr, --scenes; trebuchet: --episodes); --episodes counts the whole run.
        """)

    @Argument(help: "trebuchet, cartpole or pendulum.")
    var environment: String

    @Option(help: "Training episodes (trebuchet: shots). Default: trebuchet 1200000, cartpole 50, pendulum 400, pendulum --pixels 30 (one pendulum episode: 200 simulated steps).")
    var episodes: Int?

    @Option(help: "Seed of the weights, start states and targets.")
    var seed: Int = 0

    @Option(name: .shortAndLong, help: "The model file to write (default ENV.json).")
    var output: String?

    @Flag(help: "Continue from MODEL.checkpoint.json (bit for bit; with --pixels the other options must be those the run started with).")
    var resume = false

    @Flag(help: "Train all the episodes even after the bar is met.")
    var keepGoing = false

    @Flag(help: "Print one JSON object as the last line of standard output.")
    var json = false

    @Flag(help: "Train a pixel policy: the network sees only rendered frames; BPTT through physics, renderer and network.")
    var pixels = false

    @Option(help: "With --pixels: the width of the policy's view in pixels (cartpole: 3/8 as high; the others square).")
    var viewRes: Int = PixelPolicy.resolution

    @Option(help: "With --pixels: samples per pixel of the policy's view.")
    var viewSpp: Int = PixelPolicy.samples

    @Option(help: "With --pixels: the folder holding the scene templates.")
    var scenes: String = "scenes"

    @Option(help: "With --pixels: Adam's learning rate.")
    var lr: Double = PixelPolicy.learningRate

    @Option(help: "With --pixels (cartpole): frames the policy sees stacked, the current one and those before it (2...16).")
    var frames: Int = PixelPolicy.frames

    @Option(help: "With --pixels (cartpole): columns of the window centred on the cart that the policy sees (0: the whole frame; default a quarter of --view-res).")
    var crop: Int?

    @Option(help: "With --pixels (cartpole): training episodes start with the cart anywhere in ± this many metres (0: Gym's starts; evaluation always uses Gym's).")
    var startSpread: Double = PixelPolicy.startSpread

    @Option(help: "With --pixels (cartpole): weight of the LQR cost-to-go of the state at every BPTT window's end (0: none, plain truncated BPTT).")
    var costToGo: Double = PixelPolicy.costToGo

    @Option(help: "With --pixels (cartpole): Polyak averaging rate of the saved weights (0: save the last weights).")
    var average: Double = PixelPolicy.averageRate

    func validate() throws {
        if let episodes, episodes <= 0 || episodes > 100_000_000 { throw ValidationError("--episodes must be in 1...100000000, got \(episodes)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
        if let output, !output.lowercased().hasSuffix(".json") { throw ValidationError("-o expects a .json file, got '\(output)'") }
        if frames < 2 || frames > PixelPolicy.maxFrames {
            throw ValidationError("train --pixels: --frames must be in 2...\(PixelPolicy.maxFrames), got \(frames)")
        }
        if let crop, crop < 0 || crop > PixelPolicy.maxCrop(resolution: viewRes) {
            throw ValidationError("train --pixels: --crop must be in 0...\(PixelPolicy.maxCrop(resolution: viewRes)) (twice --view-res), got \(crop)")
        }
        if !(startSpread >= 0 && startSpread <= CartPoleDynamics.xThreshold) {
            throw ValidationError("train --pixels: --start-spread must be in 0...\(CartPoleDynamics.xThreshold) (metres; the track ends at ±\(CartPoleDynamics.xThreshold)), got \(startSpread)")
        }
        if !(costToGo >= 0 && costToGo <= 1000) { throw ValidationError("train --pixels: --cost-to-go must be in 0...1000, got \(costToGo)") }
        if !(average >= 0 && average <= 1) { throw ValidationError("train --pixels: --average must be in 0...1, got \(average)") }
    }

    func run() throws {
        let problem = try ControlProblem(name: environment)
        if pixels { return try runPixels(problem) }
        let model = output ?? "\(problem.rawValue).json"
        let stem = modelStem(model)
        let checkpointPath = stem + ".checkpoint.json"
        let plotPath = stem + ".png"
        let total = episodes ?? problem.defaultEpisodes
        var session = resume ? try TrainingRun.read(path: checkpointPath, problem: problem)
                             : TrainingRun(problem: problem, seed: UInt64(seed))
        let outputs = try OutputTransaction.begin([model, plotPath])
        Interruption.deferUntilCheckpoint()
        if resume { print("resuming \(checkpointPath) at episode \(session.episodes)") }
        let evalName = problem == .trebuchet ? "eval mean relative miss (200 targets)" : "eval mean return (100 episodes)"
        let trainName = problem == .trebuchet ? "batch loss" : "train return"
        print("episode  \(trainName)  \(evalName)")
        try session.train(totalEpisodes: total, stopWhenSolved: !keepGoing, report: { p in
            if problem == .trebuchet {
                print(String(format: "%7d  %.3e  %.5f", p.episode, p.trainReturn, p.evaluation))
            } else {
                print(String(format: "%7d  %8.1f  %8.2f", p.episode, p.trainReturn, p.evaluation))
            }
        }, checkpoint: { try $0.write(path: checkpointPath); try Interruption.checkpointWritten(checkpointPath) })
        Interruption.endDeferral()

        let network = try session.network.network(path: checkpointPath, expecting: problem.layers)
        try network.save(to: model, metadata: [
            "environment": problem.rawValue, "seed": String(session.seed), "episodes": String(session.episodes),
            "environment_steps": String(session.environmentSteps),
        ])
        let xs = session.curve.map { Double($0.episode) }
        let plot = Plot.lines(series: [session.curve.map(\.evaluation)] + (problem == .trebuchet ? [] : [session.curve.map(\.trainReturn)]),
                              labels: problem == .trebuchet ? ["eval mean relative miss"] : ["eval mean return", "training episode return"],
                              logY: problem == .trebuchet, x: xs, title: "diffray train \(problem.rawValue) (seed \(session.seed))",
                              xLabel: problem == .trebuchet ? "shots" : "training episodes",
                              yLabel: problem == .trebuchet ? "relative miss" : "return")
        try plot.writePNG(to: plotPath)
        try outputs.commit()
        let last = session.curve.last?.evaluation ?? .nan
        let solved = session.solvedAt.map(String.init) ?? "not reached"
        print("\(problem.rawValue): \(session.episodes) episodes, \(session.environmentSteps) environment steps, "
            + String(format: "%.2f s", session.seconds) + (problem == .trebuchet ? "" : ", bar met after: \(solved)")
            + " -> \(model), \(plotPath)")
        if json {
            let solvedJSON = session.solvedAt.map(String.init) ?? "null"
            print("{\"environment\": \"\(problem.rawValue)\", \"episodes\": \(session.episodes), \"env_steps\": \(session.environmentSteps), "
                + "\"seconds\": \(session.seconds), \"solved_at\": \(solvedJSON), \"final_evaluation\": \(last.isFinite ? String(last) : "null"), "
                + "\"model\": \(jsonString(model)), \"plot\": \(jsonString(plotPath))}")
        }
    }

    /// `--pixels`: BPTT around physics → renderer → pixels → network → action.
    func runPixels(_ problem: ControlProblem) throws {
        switch problem {
        case .cartpole: break
        case .pendulum: return try PendulumPixelCommands.train(self)
        case .trebuchet: return try TrebuchetPixelCommands.train(self)
        }
        guard viewRes >= 4 && viewRes <= 256, viewSpp >= 1 && viewSpp <= 1024 else {
            throw ValidationError("train --pixels: --view-res must be in 4...256 and --view-spp in 1...1024, got \(viewRes), \(viewSpp)")
        }
        let model = output ?? "\(problem.rawValue)-pixels.json"
        let stem = modelStem(model)
        let checkpointPath = PixelTrainingRun.checkpointPath(model: model)
        let total = episodes ?? 50
        let window = crop ?? PixelPolicy.crop(resolution: viewRes)
        let options = PixelTrainingOptions(
            seed: UInt64(seed), resolution: viewRes, samples: viewSpp, frames: frames, averageRate: average, learningRate: lr,
            scenes: scenes, sceneHash: try PixelTrainingOptions.sceneHash(problem: problem, directory: scenes), crop: window,
            startSpread: startSpread, costToGo: costToGo)
        var run = resume ? try PixelTrainingRun.read(path: checkpointPath, problem: problem, options: options)
                         : PixelTrainingRun(problem: problem, options: options)
        if resume { print("resuming \(checkpointPath) at episode \(run.episodes)") }
        let outputs = try OutputTransaction.begin([model, stem + ".png"])
        let observer = try PixelObservation(problem: problem, directory: scenes, resolution: viewRes, samples: viewSpp)
        print("episode  return  frames  seconds   (policy view \(observer.width)x\(observer.height), \(viewSpp) spp, \(frames) frames stacked, "
            + (window > 0 ? "\(window) columns around the cart" : "whole frames")
            + (costToGo > 0 ? ", cost-to-go × \(costToGo)" : ", no cost-to-go")
            + (startSpread > 0 ? ", training starts anywhere in ±\(startSpread) m)" : ", Gym's starts)"))
        Interruption.deferUntilCheckpoint()
        try run.trainCartPole(observer: observer, totalEpisodes: total, report: { p, r in
            print(String(format: "%7d  %6.0f  %6d  %7.1f", p.episode, p.trainReturn, r.renderedFrames, r.seconds))
        }, checkpoint: { try $0.write(path: checkpointPath); try Interruption.checkpointWritten(checkpointPath) })
        Interruption.endDeferral()
        let seconds = run.seconds
        try PixelPolicy.save(try run.policy(), to: model, problem: problem, resolution: viewRes, samples: viewSpp, frames: frames, crop: window, metadata: [
            "seed": String(seed), "episodes": String(run.episodes), "environment_steps": String(run.environmentSteps),
            "frames": String(run.renderedFrames), "average_rate": String(average), "start_spread": String(startSpread),
            "cost_to_go": String(costToGo),
        ])
        let returns = run.curve.map(\.trainReturn)
        let plot = Plot.lines(series: [returns], labels: ["training episode return"], logY: false,
                              x: run.curve.map { Double($0.episode) }, title: "diffray train \(problem.rawValue) --pixels (seed \(seed))",
                              xLabel: "training episodes", yLabel: "return")
        try plot.writePNG(to: stem + ".png")
        try outputs.commit()
        print("\(problem.rawValue) from pixels: \(run.episodes) episodes, \(run.environmentSteps) environment steps, "
            + "\(run.renderedFrames) frames with gradients, " + String(format: "%.1f s", seconds) + " -> \(model), \(stem).png, \(checkpointPath)")
        if json {
            print("{\"environment\": \"\(problem.rawValue)\", \"pixels\": true, \"episodes\": \(run.episodes), \"env_steps\": \(run.environmentSteps), "
                + "\"frames\": \(run.renderedFrames), \"seconds\": \(seconds), \"model\": \(jsonString(model))}")
        }
    }
}
