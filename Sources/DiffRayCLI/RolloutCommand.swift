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
        subcommands: [RolloutEnvironmentCommand<CartPolePixels>.self, RolloutEnvironmentCommand<PendulumPixels>.self,
                      RolloutEnvironmentCommand<TrebuchetPixels>.self])
}

/// The options of `rollout ENV`.
struct RolloutOptions<E: EnvironmentCommand>: ParsableArguments {
    @OptionGroup var model: PolicyOptions<E>

    @Option(help: "The folder for the frames (created if missing).")
    var frames: String

    @Option(help: "Steps to run (default: a whole episode; trebuchet: simulation steps of the shot).")
    var steps: Int?

    @Option(help: "Render every K-th state.")
    var every: Int = E.rolloutEvery

    @Option(help: "Frame width in pixels.")
    var res: Int = 128

    @Option(help: "Samples per pixel.")
    var spp: Int = 8

    func validate() throws {
        if let steps, steps <= 0 || steps > 100_000 { throw ValidationError("--steps must be in 1...100000, got \(steps)") }
        if every <= 0 { throw ValidationError("--every must be ≥ 1, got \(every)") }
        if res < 8 || res > 4096 { throw ValidationError("--res must be in 8...4096, got \(res)") }
        if spp < 1 || spp > 65536 { throw ValidationError("--spp must be in 1...65536, got \(spp)") }
    }

    func path(_ name: String) -> String { Rollout.path(frames, name) }

    /// Creates the folder (once the model has been read: a bad model leaves nothing behind).
    func prepare() throws { try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true) }

    /// Renders every --every-th of `count` states (`render(i)`) and the last into
    /// DIR/frame-NNNN.png and their contact sheet; returns the images.
    func renderFrames(count: Int, render: (Int) throws -> Image) throws -> [Image] {
        let images = try Rollout.renderFrames(count: count, every: every, directory: frames, communicator: .world, render: render)
        try Rollout.contactSheet(images).write(to: path("contact-sheet.png"))
        return images
    }
}

/// A state policy's episode rendered from the template; a pixel policy's also
/// with every frame it saw (DIR/seen-NNNN.png).
func rolloutEpisode<T: EpisodicTask, E: EnvironmentCommand>(_ task: T.Type, _ o: RolloutOptions<E>,
                                                            act pixelAction: @escaping (Network, [Double]) -> Double) throws -> EpisodeRecord {
    let template = try SceneTemplate(problem: T.problem, directory: o.model.templates.scenes)
    let start = Date()
    let record: EpisodeRecord
    if o.model.pixels {
        let (network, m) = try o.model.pixelModel()
        let observer = try PixelObservation(problem: T.problem, directory: o.model.templates.scenes, resolution: m.resolution, samples: m.samples)
        try o.prepare()
        var seen = [Image]()
        let policy = RenderedFramePolicy(observer: observer, frames: m.frames, crop: m.cropWidth, act: { pixelAction(network, $0) }) { _, step, _, image in
            seen.append(image)
            try image.write(to: o.path(String(format: "seen-%04d.png", step)))
        }
        record = try DiffRay.record(policy: policy, task: task, seed: UInt64(o.model.seed), maxSteps: o.steps ?? T.Physics.maxSteps)
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
        record = try DiffRay.record(policy: T.policy(try o.model.stateNetwork()), task: task, seed: UInt64(o.model.seed),
                                    maxSteps: o.steps ?? T.Physics.maxSteps)
        try o.prepare()
        print(String(format: "%@: %d steps, return %.1f", T.problem.rawValue, record.steps, record.reward))
        let images = try o.renderFrames(count: record.states.count) {
            try template.render(state: record.states[$0], resolution: o.res, samples: o.spp, seed: UInt64($0))
        }
        print(String(format: "%d frames (%dx%d, %d spp) in %.2f s", images.count, images.first?.width ?? o.res, images.first?.height ?? o.res,
                     o.spp, Date().timeIntervalSince(start)) + " -> \(o.frames)/frame-NNNN.png, \(o.path("contact-sheet.png"))")
    }
    return record
}

