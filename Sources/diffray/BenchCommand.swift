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
        subcommands: [BenchAD.self])
}

/// `diffray bench ad`: the cost of forward (8 partials) and reverse mode
/// relative to plain Double on the fixed ray–sphere shading kernel
/// (`ADBenchmark`). Each run times the three modes back to back; the
/// medians over the runs are reported.
struct BenchAD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ad",
        abstract: "Time a generic ray–sphere shading kernel as primal, forward mode (8 partials) and reverse mode.")

    @Flag(help: "Print one JSON object as the last line of standard output.")
    var json = false

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

    func run() throws {
        let kernel = ADBenchmark(rays: rays)

        // Check first: the three modes agree, so the timings compare like with like.
        let primalValue = kernel.primal()
        let f = kernel.forward(), r = kernel.reverse()
        var maxDifference = 0.0
        for i in 0..<ADBenchmark.parameterCount {
            let scale = Swift.max(Swift.abs(f.gradient[i]), Swift.abs(r.gradient[i]), 1e-300)
            maxDifference = Swift.max(maxDifference, Swift.abs(f.gradient[i] - r.gradient[i]) / scale)
        }
        guard f.value == primalValue, r.value == primalValue, maxDifference < 1e-9 else {
            throw ValidationError("bench ad: forward and reverse mode disagree (value \(primalValue) / \(f.value) / \(r.value), gradient relative difference \(maxDifference))")
        }

        // Enough passes a timing that the primal takes about 20 ms.
        var one = Self.time(1) { kernel.primal() }.seconds
        one = Swift.min(one, Self.time(3) { kernel.primal() }.seconds)
        let repeats = Swift.max(1, Int(0.02 / Swift.max(one, 1e-9)))

        var primal: [Double] = [], forward: [Double] = [], reverse: [Double] = []
        var sink = 0.0
        for _ in 0..<runs {
            let p = Self.time(repeats) { kernel.primal() }
            let f = Self.time(repeats) { kernel.forward().gradient[0] }
            let r = Self.time(repeats) { kernel.reverse().gradient[0] }
            primal.append(p.seconds)
            forward.append(f.seconds)
            reverse.append(r.seconds)
            sink += p.sink + f.sink + r.sink
        }
        let tp = Self.median(primal), tf = Self.median(forward), tr = Self.median(reverse)
        let us = { (s: Double) in String(format6: s * 1e6) }
        print("diffray bench ad: \(kernel.rayCount) rays, \(ADBenchmark.parameterCount) parameters, median of \(runs) runs × \(repeats) passes")
        print("  primal (Double)         \(us(tp)) µs a pass   1.00×")
        print("  forward (Dual8)         \(us(tf)) µs a pass   \(String(format6: tf / tp))×")
        print("  reverse (Adjoint/tape)  \(us(tr)) µs a pass   \(String(format6: tr / tp))×")
        print("  gradient: forward vs reverse max relative difference \(maxDifference)")
        if sink.isNaN { print("") }  // keeps the timed work observable
        if json {
            print("{\"primal_seconds\": \(tp), \"forward_seconds\": \(tf), \"reverse_seconds\": \(tr), "
                + "\"forward_ratio\": \(tf / tp), \"reverse_ratio\": \(tr / tp), \"rays\": \(kernel.rayCount), "
                + "\"parameters\": \(ADBenchmark.parameterCount), \"runs\": \(runs), \"passes_per_run\": \(repeats), "
                + "\"gradient_max_relative_difference\": \(maxDifference)}")
        }
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
