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
        and renders every --every-th state from the environment's scene template \
        into DIR/frame-NNNN.png, plus DIR/contact-sheet.png (at most 24 frames, evenly spaced).
        """,
        subcommands: [RolloutCartPoleCommand.self, RolloutPendulumCommand.self, RolloutTrebuchetCommand.self])
}

/// An environment's rollout defaults.
protocol RolloutDefaults {
    static var problem: ControlProblem { get }
    static var every: Int { get }
    static var stepsName: String { get }
}

/// The options every `rollout ENV` shares.
struct RolloutOptions<E: RolloutDefaults>: ParsableArguments {
    @Option(help: "The model file written by `diffray train \(E.problem.rawValue)`.")
    var policy: String

    @Option(help: "The folder for the frames (created if missing).")
    var frames: String

    @Option(help: "\(E.stepsName) to run (default: all).")
    var steps: Int?

    @Option(help: "Render every K-th state.")
    var every: Int = E.every

    @Option(help: "Seed of the start state (trebuchet: target and wind).")
    var seed: Int = 12345

    @Option(help: "Frame width in pixels.")
    var res: Int = 128

    @Option(help: "Samples per pixel.")
    var spp: Int = 8

    @Flag(help: "Run a pixel policy (from `train --pixels`): also writes DIR/seen-NNNN.png (every frame the policy saw) and DIR/seen-contact-sheet.png.")
    var pixels = false

    @OptionGroup var templates: TemplateOption

    func validate() throws {
        if let steps, steps <= 0 || steps > 100_000 { throw ValidationError("--steps must be in 1...100000, got \(steps)") }
        if every <= 0 { throw ValidationError("--every must be ≥ 1, got \(every)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
        if res < 8 || res > 4096 { throw ValidationError("--res must be in 8...4096, got \(res)") }
        if spp < 1 || spp > 65536 { throw ValidationError("--spp must be in 1...65536, got \(spp)") }
    }

    func path(_ name: String) -> String { Rollout.path(frames, name) }

    /// Creates the folder.
    func prepare() throws { try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true) }

    /// Renders every --every-th of `count` states (`render(i)`) and the last into
    /// DIR/frame-NNNN.png and their contact sheet; returns the images.
    func renderFrames(count: Int, render: (Int) throws -> Image) throws -> [Image] {
        let images = try Rollout.renderFrames(count: count, every: every, directory: frames, render: render)
        try Rollout.contactSheet(images).write(to: path("contact-sheet.png"))
        return images
    }
}

/// A state policy's episode rendered from the template; a pixel policy's also
/// with every frame it saw (DIR/seen-NNNN.png).
func rolloutEpisode<T: EpisodicTask, E: RolloutDefaults>(_ task: T.Type, _ o: RolloutOptions<E>,
                                                         pixelAction: ((Network, [Double]) -> Double)? = nil) throws -> EpisodeRecord {
    try o.prepare()
    let template = try SceneTemplate(problem: T.problem, directory: o.templates.scenes)
    let start = Date()
    let record: EpisodeRecord
    if let pixelAction {
        let (network, m) = try PixelModel.load(path: o.policy, problem: T.problem)
        let observer = try PixelObservation(problem: T.problem, directory: o.templates.scenes, resolution: m.resolution, samples: m.samples)
        var seen = [Image]()
        let policy = RenderedFramePolicy(observer: observer, frames: m.frames, crop: m.cropWidth, act: { pixelAction(network, $0) }) { _, step, _, image in
            seen.append(image)
            try image.write(to: o.path(String(format: "seen-%04d.png", step)))
        }
        record = try DiffRay.record(policy: policy, task: task, seed: UInt64(o.seed), maxSteps: o.steps ?? T.Physics.maxSteps)
        try Rollout.contactSheet(seen, scale: Swift.max(1, 128 / m.resolution)).write(to: o.path("seen-contact-sheet.png"))
        // the frames seen show the states before each step
        let big = try o.renderFrames(count: record.steps) {
            try template.render(state: record.states[$0], resolution: o.res, samples: o.spp, seed: UInt64($0))
        }
        print(String(format: "%@ from pixels: %d steps, return %.1f; %d frames seen (%dx%d, %d spp), %d rendered at %dx%d, %d spp, in %.1f s",
                     T.problem.rawValue, record.steps, record.reward, seen.count, observer.width, observer.height, m.samples, big.count,
                     o.res, SceneTemplate.height(of: T.problem, width: o.res), o.spp, Date().timeIntervalSince(start)))
        print("-> \(o.frames)/seen-NNNN.png, \(o.path("seen-contact-sheet.png")), \(o.frames)/frame-NNNN.png, \(o.path("contact-sheet.png"))")
    } else {
        let network = try Network.load(from: o.policy, expecting: T.layers)
        record = try DiffRay.record(policy: T.policy(network), task: task, seed: UInt64(o.seed), maxSteps: o.steps ?? T.Physics.maxSteps)
        print(String(format: "%@: %d steps, return %.1f", T.problem.rawValue, record.steps, record.reward))
        let images = try o.renderFrames(count: record.states.count) {
            try template.render(state: record.states[$0], resolution: o.res, samples: o.spp, seed: UInt64($0))
        }
        print(String(format: "%d frames (%dx%d, %d spp) in %.2f s", images.count, images.first?.width ?? o.res, images.first?.height ?? o.res,
                     o.spp, Date().timeIntervalSince(start)) + " -> \(o.frames)/frame-NNNN.png, \(o.path("contact-sheet.png"))")
    }
    return record
}

/// `diffray rollout cartpole`.
struct RolloutCartPoleCommand: ParsableCommand, RolloutDefaults {
    static let configuration = CommandConfiguration(
        commandName: "cartpole", abstract: "Render a cart-pole episode; with --pixels also DIR/states.csv (the state of every frame seen and the policy's output).")
    static let problem = ControlProblem.cartpole
    static let every = 10
    static let stepsName = "Environment steps"

    @OptionGroup var options: RolloutOptions<RolloutCartPoleCommand>

    func run() throws {
        let r = try rolloutEpisode(CartPoleTask.self, options, pixelAction: options.pixels ? { $0.predict($1)[0] } : nil)
        guard options.pixels else { return }
        // The states the frames show and the policy's output at each (force = 10 N · sign(action)).
        var csv = "step,x,x_dot,theta,theta_dot,action\n"
        for (i, (s, a)) in zip(r.states, r.actions).enumerated() {
            csv += "\(i)," + s.map { String($0) }.joined(separator: ",") + ",\(a)\n"
        }
        try AtomicFile.write(csv, to: options.path("states.csv"))
        print("-> \(options.path("states.csv"))")
    }
}

/// `diffray rollout pendulum`.
struct RolloutPendulumCommand: ParsableCommand, RolloutDefaults {
    static let configuration = CommandConfiguration(commandName: "pendulum", abstract: "Render a pendulum episode.")
    static let problem = ControlProblem.pendulum
    static let every = 5
    static let stepsName = "Environment steps"

    @OptionGroup var options: RolloutOptions<RolloutPendulumCommand>

    func run() throws {
        _ = try rolloutEpisode(PendulumTask.self, options, pixelAction: options.pixels ? PendulumPixels.action : nil)
    }
}

/// `diffray rollout trebuchet`: one shot's flight (with --pixels: twelve shots
/// at random situations, DIR/seen-NN.png the frame each aim saw, and the first
/// shot's flight).
struct RolloutTrebuchetCommand: ParsableCommand, RolloutDefaults {
    static let configuration = CommandConfiguration(commandName: "trebuchet", abstract: "Render a trebuchet shot's flight.")
    static let problem = ControlProblem.trebuchet
    static let every = 6
    static let stepsName = "Simulation steps of the shot"

    @OptionGroup var options: RolloutOptions<RolloutTrebuchetCommand>

    func run() throws {
        let o = options
        try o.prepare()
        let start = Date()
        let (wind, target, angle, weight): (Double, Double, Double, Double)
        let render: (_ x: Double, _ y: Double, _ index: Int) throws -> Image
        var seenView = ""
        if o.pixels {
            let (network, m) = try PixelModel.load(path: o.policy, problem: .trebuchet)
            let view = try TrebuchetPixels.View(directory: o.templates.scenes, resolution: m.resolution, samples: m.samples)
            let shots = try TrebuchetPixels.shots(network, view: view, count: 12, seed: UInt64(o.seed))
            for (k, s) in shots.enumerated() {
                try s.image.write(to: o.path(String(format: "seen-%02d.png", k)))
                print(String(format: "shot %2d: wind %6.2f m/s, target %6.2f m (read from seen-%02d.png) -> angle %6.2f°, weight %6.1f lb -> %7.2f m (miss %+.2f m, %.2f%%)",
                             k, s.wind, s.target, k, s.angle, s.weight, s.distance, s.distance - s.target, 100 * Swift.abs(s.distance - s.target) / s.target))
            }
            let seen = shots.map { $0.image.resized(width: $0.image.width * Swift.max(1, 128 / $0.image.width),
                                                    height: $0.image.height * Swift.max(1, 128 / $0.image.height), filter: .nearest) }
            try Image.contactSheet(seen, columns: 6).write(to: o.path("seen-contact-sheet.png"))
            seenView = "\(m.resolution)x\(m.resolution), \(m.samples) spp"
            (wind, target, angle, weight) = (shots[0].wind, shots[0].target, shots[0].angle, shots[0].weight)
            render = { x, y, i in try view.render(wind: wind, target: target, seed: UInt64(i), ball: (x, y + Trebuchet.pivotHeight), resolution: o.res, samples: o.spp) }
        } else {
            let network = try Network.load(from: o.policy, expecting: TrebuchetAimer.layers)
            var g = SeededGenerator(seed: UInt64(o.seed))
            (wind, target) = TrebuchetAimer.sample(&g)
            (angle, weight) = TrebuchetAimer.aim(network, wind: wind, target: target)
            let template = try SceneTemplate(problem: .trebuchet, directory: o.templates.scenes)
            render = { x, y, i in try template.render(state: [wind, target, x, y], resolution: o.res, samples: o.spp, seed: UInt64(i)) }
        }
        let shot = Trebuchet.flight(wind: wind, angle: angle, weight: weight)
        let flight = o.steps.map { Array(shot.path.prefix($0)) } ?? shot.path
        let images: [Image]
        if o.pixels {
            images = try o.renderFrames(count: flight.count) { try render(flight[$0].x, flight[$0].y, $0) }
            print(String(format: "trebuchet from pixels: 12 shots seen at %@; shot 0's flight in %d frames at %dx%d, %d spp; %.1f s",
                         seenView, images.count, o.res, o.res, o.spp, Date().timeIntervalSince(start)))
            print("-> \(o.frames)/seen-NN.png, \(o.path("seen-contact-sheet.png")), \(o.frames)/frame-NNNN.png, \(o.path("contact-sheet.png"))")
        } else {
            // the first frame shows the ball before the shot (hidden below the ground)
            images = try o.renderFrames(count: flight.count + 1) { i in
                i == 0 ? try render(0, -1, 0) : try render(flight[i - 1].x, flight[i - 1].y + Trebuchet.pivotHeight, i)
            }
            print(String(format: "trebuchet: wind %.2f m/s, target %.2f m, angle %.2f°, weight %.1f lb -> %.2f m (miss %.2f m)",
                         wind, target, angle, weight, shot.distance, shot.distance - target))
            print(String(format: "%d frames (%dx%d, %d spp) in %.2f s", images.count, images.first?.width ?? o.res, images.first?.height ?? o.res,
                         o.spp, Date().timeIntervalSince(start)) + " -> \(o.frames)/frame-NNNN.png, \(o.path("contact-sheet.png"))")
        }
    }
}
