import ArgumentParser
import DiffRay
import Foundation

/// `diffray bench inference`: the time of one forward pass of a dense network
/// (`Network.predict`, plain `Double`s), median over repeated batches.
struct BenchInference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Time one forward pass of a dense network (default: the seed's 2→16→64→16→2 sigmoid aimer, 2,210 parameters).")

    @Option(help: "Layer sizes, comma-separated.") var sizes = "2,16,64,16,2"
    @Option(help: "Forward passes per timed batch.") var calls = 100_000
    @Option(help: "Timed batches (the median is printed).") var repeats = 7

    @OptionGroup var json: JSONOption

    /// What `bench inference --json` prints.
    struct Result: Encodable { var sizes: String; var parameters: Int; var seconds: Double }

    func run() throws {
        let parsed = sizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parsed.count >= 2, parsed.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 4096 }) else {
            throw ValidationError("bench inference: --sizes expects at least two layer sizes in 1...4096 separated by commas, got '\(sizes)'")
        }
        guard calls >= 1 && calls <= 100_000_000, repeats >= 1 && repeats <= 1000 else {
            throw ValidationError("bench inference: --calls must be in 1...100000000 and --repeats in 1...1000, got \(calls), \(repeats)")
        }
        var g = SeededGenerator(seed: 1)
        let net = Network.mlp(parsed.map { $0! }, hidden: .sigmoid, generator: &g)
        var x = (0..<net.inputSize).map { _ in g.uniform(-1, 1) }
        var sink = 0.0
        var times = [Double]()
        for _ in 0..<repeats {
            let start = Date()
            for i in 0..<calls {
                x[0] = Double(i & 1023) * 1e-3
                sink += net.predict(x)[0]
            }
            times.append(Date().timeIntervalSince(start) / Double(calls))
        }
        let median = times.sorted()[times.count / 2]
        print("network \(sizes): " + String(format: "%d parameters, %.3f µs per forward pass (median of %d batches of %d; checksum %.3g)",
                     net.parameterCount, median * 1e6, repeats, calls, sink))
        try json.print(Result(sizes: sizes, parameters: net.parameterCount, seconds: median))
    }
}
