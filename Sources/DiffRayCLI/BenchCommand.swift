import ArgumentParser
import DiffRay
#if canImport(Glibc)
import Glibc
#endif

/// `diffray bench`: timed benchmarks (not tests), one subcommand each.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time fixed kernels and print the figures the README quotes.",
        subcommands: [BenchAD.self, BenchPixels.self, BenchInference.self])
}

/// `diffray bench ad`: the cost of forward (8 partials) and reverse mode
/// relative to plain Double on the fixed ray–sphere shading kernels
/// (`ADBenchmark`): `full` (everything in T; its ratios are the headline
/// `forward_ratio`/`reverse_ratio`) and `scene` (16 spheres traced as the
/// renderer does, `scene_*`). Each run times the three modes back to back;
/// the medians over the runs are reported.
struct BenchAD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ad",
        abstract: "Time a generic ray–sphere shading kernel as primal, forward mode (8 partials) and reverse mode.")

    @OptionGroup var json: JSONOption

    /// What `bench ad --json` prints: the full kernel's seconds a pass and ratios, the scene kernel's.
    struct Result: Encodable {
        var primalSeconds, forwardSeconds, reverseSeconds, forwardRatio, reverseRatio: Double
        var scenePrimalSeconds, sceneForwardRatio, sceneReverseRatio: Double
        var rays, parameters, runs: Int
        var gradientMaxRelativeDifference: Double
    }

    @Option(help: "Rays a pass (rounded to a square grid).")
    var rays = 4096

    @Option(help: "Timed runs; the median is reported.")
    var runs = 11

    func validate() throws {
        guard rays >= 1 else { throw ValidationError("bench ad: --rays expects a positive integer, got \(rays)") }
        guard runs >= 1 else { throw ValidationError("bench ad: --runs expects a positive integer, got \(runs)") }
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)  // CPU time: steady on a shared machine
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Seconds a call of `body`, timed over `repeats` calls.
    static func time(_ repeats: Int, _ body: () -> Double) -> (seconds: Double, sink: Double) {
        var sink = 0.0
        let t0 = now()
        for _ in 0..<repeats { sink += body() }
        return ((now() - t0) / Double(repeats), sink)
    }

    /// Median seconds a pass of the three modes of one kernel, and the
    /// largest relative difference between the forward and reverse gradients.
    struct Timing {
        var primal, forward, reverse, gradientDifference: Double
        var repeats: Int
    }

    func measure(_ bench: ADBenchmark, _ kernel: ADBenchmark.Kernel) throws -> Timing {
        // Check first: the three modes agree, so the timings compare like with like.
        let primalValue = bench.primal(kernel)
        let f = bench.forward(kernel), r = bench.reverse(kernel)
        var maxDifference = 0.0
        for i in 0..<ADBenchmark.parameterCount {
            let scale = Swift.max(Swift.abs(f.gradient[i]), Swift.abs(r.gradient[i]), 1e-300)
            maxDifference = Swift.max(maxDifference, Swift.abs(f.gradient[i] - r.gradient[i]) / scale)
        }
        guard f.value == primalValue, r.value == primalValue, maxDifference < 1e-9 else {
            throw ValidationError("bench ad: \(kernel) kernel: forward and reverse mode disagree (value \(primalValue) / \(f.value) / \(r.value), gradient relative difference \(maxDifference))")
        }

        // Enough passes a timing that the primal takes about 20 ms.
        let one = Swift.min(Self.time(1) { bench.primal(kernel) }.seconds, Self.time(3) { bench.primal(kernel) }.seconds)
        let repeats = Swift.max(1, Int(0.02 / Swift.max(one, 1e-9)))

        var primal: [Double] = [], forward: [Double] = [], reverse: [Double] = []
        var sink = 0.0
        for _ in 0..<runs {
            let p = Self.time(repeats) { bench.primal(kernel) }
            let f = Self.time(repeats) { bench.forward(kernel).gradient[0] }
            let r = Self.time(repeats) { bench.reverse(kernel).gradient[0] }
            primal.append(p.seconds)
            forward.append(f.seconds)
            reverse.append(r.seconds)
            sink += p.sink + f.sink + r.sink
        }
        if sink.isNaN { print("") }  // keeps the timed work observable
        return Timing(primal: Self.median(primal), forward: Self.median(forward), reverse: Self.median(reverse),
                      gradientDifference: maxDifference, repeats: repeats)
    }

    func run() throws {
        let bench = ADBenchmark(rays: rays)
        let full = try measure(bench, .full)
        let scene = try measure(bench, .scene)
        let us = { (s: Double) in String(format6: s * 1e6) }
        print("diffray bench ad: \(bench.rayCount) rays, \(ADBenchmark.parameterCount) parameters, median of \(runs) runs (thread CPU time)")
        for (name, t) in [("full kernel: intersection + shading all in T", full),
                          ("scene kernel: 16 spheres, split tracing (traversal and shadow ray in Double, hit shading in T)", scene)] {
            print("\(name), \(t.repeats) passes a run")
            print("  primal (Double)         \(us(t.primal)) µs a pass   1.000×")
            print("  forward (Dual8)         \(us(t.forward)) µs a pass   \(String(format6: t.forward / t.primal))×")
            print("  reverse (Adjoint/tape)  \(us(t.reverse)) µs a pass   \(String(format6: t.reverse / t.primal))×")
            print("  gradient: forward vs reverse max relative difference \(t.gradientDifference)")
        }
        try json.print(Result(primalSeconds: full.primal, forwardSeconds: full.forward, reverseSeconds: full.reverse,
                              forwardRatio: full.forward / full.primal, reverseRatio: full.reverse / full.primal,
                              scenePrimalSeconds: scene.primal, sceneForwardRatio: scene.forward / scene.primal,
                              sceneReverseRatio: scene.reverse / scene.primal, rays: bench.rayCount,
                              parameters: ADBenchmark.parameterCount, runs: runs,
                              gradientMaxRelativeDifference: Swift.max(full.gradientDifference, scene.gradientDifference)))
    }
}

extension String {
    /// `x` with 3 decimals (no Foundation formatting needed).
    init(format6 x: Double) {
        let scaled = (x * 1000).rounded()
        let whole = Int(scaled / 1000)
        let frac = Int(Swift.abs(scaled).truncatingRemainder(dividingBy: 1000))
        let fracText = String(frac)
        self = "\(x < 0 && whole == 0 ? "-" : "")\(whole).\(String(repeating: "0", count: 3 - fracText.count))\(fracText)"
    }
}
