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

    @OptionGroup var templates: TemplateOption
    @OptionGroup var json: JSONOption

    /// What `bench pixels --json` prints.
    struct Result: Encodable {
        var environment: ControlProblem
        var res, spp, depth, threads: Int
        var boundary: Bool
        var frames: Int
        var renderFps, renderGradientFps, renderCpuMs, renderGradientCpuMs: Double
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
                                            boundary: interiorOnly ? .interiorOnly : nil, threads: threads)
        // States along a swing (`PixelTask.sweep`).
        let states: [[Double]] = (0..<frames).map { i in
            let u = Double(i) / Double(max(frames - 1, 1))
            var s = problem.pixelTask.sweep(u)
            if let k = shiftIndex, k < s.count { s[k] += shiftBy }
            return s
        }
        _ = try observer.renderWithJacobian(state: states[0], seed: 0)  // warm-up
        var t0 = Date()
        var c0 = BenchPixels.cpuSeconds()
        for (i, s) in states.enumerated() { _ = try observer.render(state: s, seed: UInt64(i)) }
        let primal = Date().timeIntervalSince(t0)
        let cpuPrimal = BenchPixels.cpuSeconds() - c0
        var dumped = [Float]()
        t0 = Date()
        c0 = BenchPixels.cpuSeconds()
        for (i, s) in states.enumerated() {
            let frame = try observer.renderWithJacobian(state: s, seed: UInt64(i))
            if dump != nil { dumped += frame.image.pixels; for column in frame.jacobian { dumped += column } }
        }
        let withGradient = Date().timeIntervalSince(t0)
        let cpuGradient = BenchPixels.cpuSeconds() - c0
        if let dump { try dumped.withUnsafeBytes { try AtomicFile.write($0, to: dump) } }
        let fpsPrimal = Double(frames) / primal, fpsGradient = Double(frames) / withGradient
        print("\(problem.rawValue) \(observer.width)x\(observer.height), \(spp) spp, depth \(depth), \(threads) threads, boundary \(interiorOnly ? "off" : "on"):")
        print(String(format: "  render only:           %8.1f frames/s (%.2f ms/frame; CPU %.2f ms/frame)", fpsPrimal, 1000 / fpsPrimal,
                     1000 * cpuPrimal / Double(frames)))
        let directions = problem.pixelTask.posedStateIndices.count
        print(String(format: "  render + d image/d state: %6.1f frames/s (%.2f ms/frame; CPU %.2f ms/frame; one forward pass along %d state direction",
                     fpsGradient, 1000 / fpsGradient, 1000 * cpuGradient / Double(frames), directions) + (directions == 1 ? ")" : "s)"))
        try json.print(Result(environment: problem, res: res, spp: spp, depth: depth, threads: threads, boundary: !interiorOnly, frames: frames,
                              renderFps: fpsPrimal, renderGradientFps: fpsGradient, renderCpuMs: 1000 * cpuPrimal / Double(frames),
                              renderGradientCpuMs: 1000 * cpuGradient / Double(frames)))
    }
}
