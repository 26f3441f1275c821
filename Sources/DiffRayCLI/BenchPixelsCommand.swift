import ArgumentParser
import DiffRay
import Foundation

/// `diffray bench pixels`: frames per second of the pixel loop's "render the
/// state" step: primal frames, and frames with ∂image/∂state (forward mode,
/// boundary term included unless --interior-only).
struct BenchPixels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pixels",
        abstract: "Frames per second of rendering an environment state, and of rendering it with d image / d state.")

    @Option(help: "cartpole or pendulum.")
    var environment: String = "cartpole"

    @Option(help: "Frame width in pixels (cart-pole: 3/8 as high, others square).")
    var res: Int = 64

    @Option(help: "Samples per pixel.")
    var spp: Int = 4

    @Option(help: "Path depth (2: direct lighting).")
    var depth: Int = 2

    @Option(help: "Frames timed per mode.")
    var frames: Int = 20

    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Leave out the renderer's boundary (silhouette) term.")
    var interiorOnly = false

    @Option(help: "Seeds of the timed frames: 'frame' (every frame at the policies' frame seed, as training and evaluation render them), 'per-frame' (frame i at seed i), or 'both' (each timed in turn).")
    var seeds: String = "frame"

    @Flag(help: "Trace every sample: do not reuse the static part's paths (StaticPaths).")
    var noStaticPaths = false

    @OptionGroup var templates: TemplateOption
    @OptionGroup var json: JSONOption

    /// What `bench pixels --json` prints: the first seeding's `Timing` at the top
    /// level, and every seeding's in `timings`.
    struct Result: Encodable {
        var environment: ControlProblem
        var res, spp, depth, threads: Int
        var boundary: Bool
        var frames: Int
        /// Whether the static part's paths were kept (else `staticPathsNote` says why not).
        var staticPaths: Bool
        var staticPathsNote: String?
        var seeds: String
        var renderFps, renderGradientFps, renderCpuMs, renderGradientCpuMs: Double
        var renderRetracedShare, renderGradientRetracedShare: Double
        var timings: [Timing]
    }

    /// The timed frames of one seeding.
    struct Timing: Encodable {
        /// `frame` or `per-frame`.
        var seeds: String
        var renderFps, renderGradientFps, renderCpuMs, renderGradientCpuMs: Double
        /// The share of samples traced (not taken from the static part's paths), render-only and gradient frames.
        var renderRetracedShare, renderGradientRetracedShare: Double
    }

    @Option(help: "Also write every timed frame with its Jacobian to this file (raw little-endian float32: per frame the image, then one column per state variable), to compare renderer versions.")
    var dump: String?

    @Option(help: "Shift state variable I of every timed state by --shift-by (with --dump: frames for central finite differences at the same seeds).")
    var shiftIndex: Int?

    @Option(help: "The shift of --shift-index.")
    var shiftBy: Double = 0

    func validate() throws {
        if res < 4 || res > 1024 { throw ValidationError("bench pixels: --res must be in 4...1024, got \(res)") }
        if spp < 1 || spp > 4096 { throw ValidationError("bench pixels: --spp must be in 1...4096, got \(spp)") }
        if frames < 1 { throw ValidationError("bench pixels: --frames must be ≥ 1, got \(frames)") }
        if threads < 1 { throw ValidationError("bench pixels: --threads must be ≥ 1, got \(threads)") }
        if let i = shiftIndex, i < 0 || i > 3 { throw ValidationError("bench pixels: --shift-index must be in 0...3, got \(i)") }
        if !shiftBy.isFinite { throw ValidationError("bench pixels: --shift-by must be finite, got \(shiftBy)") }
        if !["frame", "per-frame", "both"].contains(seeds) {
            throw ValidationError("bench pixels: --seeds must be frame, per-frame or both, got '\(seeds)'")
        }
    }

    /// CPU time of the whole process (all threads), in seconds: on a shared
    /// machine a steadier measure of the work than the wall clock.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    func run() throws {
        let problem = try ControlProblem(name: environment)
        let observer = try PixelObservation(problem: problem, directory: templates.scenes, resolution: res, samples: spp, depth: depth,
                                            boundary: interiorOnly ? .interiorOnly : nil, threads: threads,
                                            reusingStaticPaths: !noStaticPaths)
        // States along a swing (`PixelTask.sweep`).
        let states: [[Double]] = (0..<frames).map { i in
            let u = Double(i) / Double(max(frames - 1, 1))
            var s = problem.pixelTask.sweep(u)
            if let k = shiftIndex, k < s.count { s[k] += shiftBy }
            return s
        }
        let seedings = seeds == "both" ? ["frame", "per-frame"] : [seeds]
        _ = try observer.renderWithJacobian(state: states[0], seed: seedings[0] == "frame" ? PixelObservation.frameSeed : 0)  // warm-up
        print("\(problem.rawValue) \(observer.width)x\(observer.height), \(spp) spp, depth \(depth), \(threads) threads, boundary \(interiorOnly ? "off" : "on"), "
              + "static paths \(observer.staticPaths == nil ? "off (\(observer.staticPathsNote ?? ""))" : "on"):")
        var dumped = [Float]()
        var timings = [Timing]()
        for seeding in seedings {
            let seed: (Int) -> UInt64 = { seeding == "frame" ? PixelObservation.frameSeed : UInt64($0) }
            observer.staticPaths?.resetCounts()
            var t0 = Date()
            var c0 = BenchPixels.cpuSeconds()
            for (i, s) in states.enumerated() { _ = try observer.render(state: s, seed: seed(i)) }
            let primal = Date().timeIntervalSince(t0)
            let cpuPrimal = BenchPixels.cpuSeconds() - c0
            let primalCounts = observer.staticPaths?.counts ?? (0, 0)
            observer.staticPaths?.resetCounts()
            t0 = Date()
            c0 = BenchPixels.cpuSeconds()
            for (i, s) in states.enumerated() {
                let frame = try observer.renderWithJacobian(state: s, seed: seed(i))
                if dump != nil { dumped += frame.image.pixels; for column in frame.jacobian { dumped += column } }
            }
            let withGradient = Date().timeIntervalSince(t0)
            let cpuGradient = BenchPixels.cpuSeconds() - c0
            let gradientCounts = observer.staticPaths?.counts ?? (0, 0)
            // Samples traced: all of every frame, less those taken from the static paths.
            let perFrame = Double(observer.width * observer.height * spp * frames)
            let timing = Timing(seeds: seeding, renderFps: Double(frames) / primal, renderGradientFps: Double(frames) / withGradient,
                                renderCpuMs: 1000 * cpuPrimal / Double(frames), renderGradientCpuMs: 1000 * cpuGradient / Double(frames),
                                renderRetracedShare: 1 - Double(primalCounts.0) / perFrame,
                                renderGradientRetracedShare: 1 - Double(gradientCounts.0) / perFrame)
            timings.append(timing)
            print("  seeds: \(seeding == "frame" ? "the frame seed (\(PixelObservation.frameSeed)) for every frame" : "seed i for frame i")")
            print(String(format: "  render only:           %8.1f frames/s (%.2f ms/frame; CPU %.2f ms/frame; %.1f %% of samples traced)",
                         timing.renderFps, 1000 / timing.renderFps, timing.renderCpuMs, 100 * timing.renderRetracedShare))
            let directions = problem.pixelTask.posedStateIndices.count
            print(String(format: "  render + d image/d state: %6.1f frames/s (%.2f ms/frame; CPU %.2f ms/frame; %.1f %% of samples traced; one forward pass along %d state direction",
                         timing.renderGradientFps, 1000 / timing.renderGradientFps, timing.renderGradientCpuMs,
                         100 * timing.renderGradientRetracedShare, directions) + (directions == 1 ? ")" : "s)"))
        }
        if let dump { try dumped.withUnsafeBytes { try AtomicFile.write($0, to: dump) } }
        try json.print(Result(environment: problem, res: res, spp: spp, depth: depth, threads: threads, boundary: !interiorOnly, frames: frames,
                              staticPaths: observer.staticPaths != nil, staticPathsNote: observer.staticPathsNote,
                              seeds: timings[0].seeds, renderFps: timings[0].renderFps, renderGradientFps: timings[0].renderGradientFps,
                              renderCpuMs: timings[0].renderCpuMs, renderGradientCpuMs: timings[0].renderGradientCpuMs,
                              renderRetracedShare: timings[0].renderRetracedShare,
                              renderGradientRetracedShare: timings[0].renderGradientRetracedShare, timings: timings))
    }
}
