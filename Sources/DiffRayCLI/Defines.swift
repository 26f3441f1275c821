import Foundation
import ArgumentParser
import DiffRay

/// A progress bar on standard error, shown once a task has run for a second.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let start = DispatchTimeNow.seconds()
    var shown = false
    init(_ label: String) { self.label = label }

    /// Redrawn in place only on a terminal; a log gets nothing.
    let enabled = isatty(2) != 0

    func update(_ fraction: Double) {
        if !enabled { return }
        let elapsed = DispatchTimeNow.seconds() - start
        if elapsed < 1 && fraction < 1 { return }
        if fraction >= 1 && !shown { return }
        shown = true
        let width = 30
        let filled = Int(fraction * Double(width))
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardErrorWrite("\r\(label) [\(bar)] \(Int(fraction * 100))%  \(formatSeconds(elapsed)) elapsed, \(formatSeconds(eta)) left ")
        if fraction >= 1 { FileHandle.standardErrorWrite("\n") }
    }
}

/// The default of `--threads`: every core, or under mpirun (which sets
/// `OMPI_COMM_WORLD_LOCAL_SIZE`, the ranks on this machine) an equal share of them.
let defaultThreads: Int = {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
    return max(1, cores / max(local, 1))
}()

/// Lets a first SIGINT/SIGTERM wait for the next checkpoint (`Interruption`), in one
/// process. Under mpirun the signals act at once: mpirun stops the other ranks with
/// SIGTERM when one fails, and a rank blocked in a collective with the failed one
/// would never reach its checkpoint; the previous checkpoint stays for `--resume`.
func deferSignalsUntilCheckpoint() {
    if !Communicator.world.isDistributed { Interruption.deferUntilCheckpoint() }
}

enum DispatchTimeNow {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

func formatSeconds(_ s: Double) -> String {
    s < 60 ? String(format: "%.1fs", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
}

/// `--json`: the one flag every command that reports figures shares.
struct JSONOption: ParsableArguments {
    @Flag(help: "Print one JSON object as the last line of standard output.")
    var json = false

    /// Prints `result` as one line of JSON (keys in snake case, sorted) when `--json` was given.
    func print<T: Encodable>(_ result: T) throws {
        guard json else { return }
        Swift.print(try JSONLine.encode(result))
    }
}

/// The command line's JSON: one object a line, keys in snake case and sorted,
/// non-finite numbers as null.
enum JSONLine {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// A number that is written as null in JSON when it is not finite.
struct Finite: Encodable {
    var value: Double
    init(_ value: Double) { self.value = value }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if value.isFinite { try c.encode(value) } else { try c.encodeNil() }
    }
}

/// `--mpi-report`: the flag of every command whose work spreads over `mpirun`'s ranks.
struct ClusterOptions: ParsableArguments {
    @Flag(help: "At the end, every rank prints to standard error what it communicated (MPI calls, bytes sent and received) and its CPU time; without mpirun, rank 0 of 1.")
    var mpiReport = false
}

/// A command that takes `--mpi-report` (main.swift prints the report after the command ran).
protocol ClusterCommand {
    var cluster: ClusterOptions { get }
}

/// `--scenes`: the folder of scene templates (default: the ones built into diffray).
struct TemplateOption: ParsableArguments {
    @Option(help: ArgumentHelp("A folder holding the scene templates (cartpole.xml, pendulum.xml, trebuchet.xml) to use instead of the built-in ones.",
                               valueName: "dir"))
    var scenes: String?
}

/// A value written as null in JSON when absent (rather than leaving the key out).
struct Nullable<T: Encodable>: Encodable {
    var value: T?
    init(_ value: T?) { self.value = value }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

/// The scene and the parameters `grad` and `optimize` differentiate.
struct SceneParameterOptions: ParsableArguments {
    @Argument(help: "The scene file.")
    var scene: String

    @Option(name: .customLong("param"), help: "A parameter key (see `diffray params`); repeat for several.")
    var params: [String] = []

    @Option(name: .customLong("init"), help: ArgumentHelp("Start a parameter at a value: KEY=v1,v2,...", valueName: "KEY=v1,..."))
    var inits: [String] = []

    @Option(name: .customShort("D"), help: ArgumentHelp("Set a scene default: -D name=value.", valueName: "name=value"))
    var defines: [String] = []

    func validate() throws {
        if params.isEmpty { throw ValidationError("give at least one --param KEY (see `diffray params SCENE`)") }
    }

    /// The scene with the -D defaults, its --param keys checked.
    func load() throws -> Scene<Double> {
        let s = try Scene.load(path: scene, commandLineDefines: defines)
        try s.validate(keys: params)
        return s
    }
}
