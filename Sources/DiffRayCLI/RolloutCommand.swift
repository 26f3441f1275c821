import ArgumentParser
import DiffRay
import Foundation

/// `diffray rollout ENV --policy MODEL.json --frames DIR`: renders an episode of a trained controller.
struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Render an episode of a trained controller with the path tracer: a PNG sequence and a contact sheet.",
        discussion: """
        Runs one episode (start state from --seed; trebuchet: one shot at a random target and wind) \
        and renders every --every-th state from the environment's template scenes/ENV.xml \
        into DIR/frame-NNNN.png, plus DIR/contact-sheet.png (at most 24 frames, evenly spaced).
        """)

    @Argument(help: "trebuchet, cartpole or pendulum.")
    var environment: String

    @Option(help: "The model file written by `diffray train`.")
    var policy: String

    @Option(help: "The folder for the frames (created if missing).")
    var frames: String

    @Option(help: "Environment steps to run (default: a whole episode; trebuchet: simulation steps of the shot).")
    var steps: Int?

    @Option(help: "Render every K-th state (default: cartpole 10, pendulum 5, trebuchet 6).")
    var every: Int?

    @Option(help: "Seed of the start state (trebuchet: target and wind).")
    var seed: Int = 12345

    @Option(help: "Frame size in pixels (square).")
    var res: Int = 128

    @Option(help: "Samples per pixel.")
    var spp: Int = 8

    @Option(help: "The folder holding the scene templates.")
    var scenes: String = "scenes"

    @Flag(help: "Run a pixel policy (from `train --pixels`): writes DIR/seen-NNNN.png (every frame the policy saw), the larger --res/--spp render DIR/frame-NNNN.png of every --every-th state, and a contact sheet of each; cartpole also DIR/states.csv (the state of every frame and the policy's output).")
    var pixels = false

    func validate() throws {
        if let steps, steps <= 0 || steps > 100_000 { throw ValidationError("--steps must be in 1...100000, got \(steps)") }
        if let every, every <= 0 { throw ValidationError("--every must be ≥ 1, got \(every)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
        if res < 8 || res > 4096 { throw ValidationError("--res must be in 8...4096, got \(res)") }
        if spp < 1 || spp > 65536 { throw ValidationError("--spp must be in 1...65536, got \(spp)") }
    }

    func run() throws {
        let problem = try ControlProblem(name: environment)
        if pixels { return try runPixels(problem) }
        let network = try Network.load(from: policy, expecting: problem.layers)
        let template = try SceneTemplate(problem: problem, directory: scenes)
        var g = SeededGenerator(seed: UInt64(seed))
        var states = [[Double]]()
        var summary: String
        switch problem {
        case .cartpole:
            var env = CartPole<Double>(generator: &g)
            var total = 0.0
            states.append(env.state)
            while !env.isDone && env.steps < (steps ?? Int.max) {
                total += env.step(network.predict(env.observation)[0]); states.append(env.state)
            }
            summary = String(format: "cartpole: %d steps, return %.1f", env.steps, total)
        case .pendulum:
            var env = Pendulum<Double>(generator: &g)
            var total = 0.0
            states.append(env.state)
            while !env.isDone && env.steps < (steps ?? Int.max) {
                total += env.step(PendulumTraining.action(network, env.observation)); states.append(env.state)
            }
            summary = String(format: "pendulum: %d steps, return %.1f", env.steps, total)
        case .trebuchet:
            let (wind, target) = TrebuchetAimer.sample(&g)
            let (angle, weight) = TrebuchetAimer.aim(network, wind: wind, target: target)
            var path = [(Double, Double)]()
            let shot = Trebuchet.simulate(wind: wind, angle: angle, weight: weight) { _, _, x, y in path.append((x, y)) }
            if let steps { path = Array(path.prefix(steps)) }
            states = [[wind, target, 0, -1]] + path.map { [wind, target, $0.0, $0.1 + Trebuchet.pivotHeight] }
            summary = String(format: "trebuchet: wind %.2f m/s, target %.2f m, angle %.2f°, weight %.1f lb -> %.2f m (miss %.2f m)",
                             wind, target, angle, weight, shot.distance, shot.distance - target)
        }
        let stride = every ?? [.cartpole: 10, .pendulum: 5, .trebuchet: 6][problem]!
        var picked = Swift.stride(from: 0, to: states.count, by: stride).map { $0 }
        if picked.last != states.count - 1 { picked.append(states.count - 1) }
        try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true)
        let start = Date()
        var images = [Image]()
        for (k, i) in picked.enumerated() {
            let image = try template.render(state: states[i], resolution: res, samples: spp, seed: UInt64(i))
            try image.write(to: (frames as NSString).appendingPathComponent(String(format: "frame-%04d.png", k)))
            images.append(image)
        }
        let sheetCount = Swift.min(24, images.count)
        let sheetImages = (0..<sheetCount).map { images[$0 * (images.count - 1) / Swift.max(sheetCount - 1, 1)] }
        let sheetPath = (frames as NSString).appendingPathComponent("contact-sheet.png")
        try Image.contactSheet(sheetImages, columns: 6).write(to: sheetPath)
        print(summary)
        print(String(format: "%d frames (%dx%d, %d spp) in %.2f s", images.count, images.first?.width ?? res, images.first?.height ?? res, spp, Date().timeIntervalSince(start))
            + " -> \(frames)/frame-NNNN.png, \(sheetPath)")
    }

    func runPixels(_ problem: ControlProblem) throws {
        switch problem {
        case .cartpole: break
        case .pendulum: return try PendulumPixelCommands.rollout(self)
        case .trebuchet: return try TrebuchetPixelCommands.rollout(self)
        }
        let (network, viewRes, viewSpp, stacked, crop) = try PixelPolicy.load(path: policy, problem: problem)
        let observer = try PixelObservation(problem: problem, directory: scenes, resolution: viewRes, samples: viewSpp)
        let template = try SceneTemplate(problem: problem, directory: scenes)
        try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true)
        var states = [[Double]](), seen = [Image](), actions = [Double]()
        let start = Date()
        let r = try evaluatePixels(CartPoleDynamics.self, observer: observer, episodes: 1, seed: UInt64(seed),
                                   maxSteps: steps ?? CartPoleDynamics.maxSteps, frames: stacked, crop: crop,
                                   policy: { let a = network.predict($0)[0]; actions.append(a); return a }) { _, step, state, image in
            states.append(state); seen.append(image)
            try image.write(to: (frames as NSString).appendingPathComponent(String(format: "seen-%04d.png", step)))
        }
        // The states the frames show and the policy's output at each (force = 10 N · sign(action)).
        let csvPath = (frames as NSString).appendingPathComponent("states.csv")
        var csv = "step,x,x_dot,theta,theta_dot,action\n"
        for (i, (s, a)) in zip(states, actions).enumerated() {   // one action per frame seen
            csv += "\(i)," + s.map { String($0) }.joined(separator: ",") + ",\(a)\n"
        }
        try AtomicFile.write(csv, to: csvPath)
        let stride = every ?? 10
        var picked = Swift.stride(from: 0, to: states.count, by: stride).map { $0 }
        if picked.last != states.count - 1 { picked.append(states.count - 1) }
        var big = [Image]()
        for (k, i) in picked.enumerated() {
            let image = try template.render(state: states[i], resolution: res, samples: spp, seed: UInt64(i))
            try image.write(to: (frames as NSString).appendingPathComponent(String(format: "frame-%04d.png", k)))
            big.append(image)
        }
        func sheet(_ images: [Image], scale: Int) -> Image {
            let count = Swift.min(24, images.count)
            let chosen = (0..<count).map { images[$0 * (images.count - 1) / Swift.max(count - 1, 1)] }
            return Image.contactSheet(chosen.map { scale > 1 ? $0.resized(width: $0.width * scale, height: $0.height * scale, filter: .nearest) : $0 }, columns: 6)
        }
        let seenSheet = (frames as NSString).appendingPathComponent("seen-contact-sheet.png")
        let bigSheet = (frames as NSString).appendingPathComponent("contact-sheet.png")
        try sheet(seen, scale: Swift.max(1, 128 / viewRes)).write(to: seenSheet)
        try sheet(big, scale: 1).write(to: bigSheet)
        print(String(format: "cartpole from pixels: %d steps, return %.1f; %d frames seen (%dx%d, %d spp), %d rendered at %dx%d, %d spp, in %.1f s",
                     states.count, r.mean, seen.count, observer.width, observer.height, viewSpp, big.count, res, SceneTemplate.height(of: problem, width: res), spp, Date().timeIntervalSince(start)))
        print("-> \(frames)/seen-NNNN.png, \(seenSheet), \(frames)/frame-NNNN.png, \(bigSheet), \(csvPath)")
    }
}
