import Foundation

/// The built `diffray` binary: `$DIFFRAY_BIN`, else next to the test bundle,
/// else the package's release or debug build folder. Nil when there is none;
/// tests that need it are then skipped, with `DiffRayBinary.missing` as the reason.
public enum DiffRayBinary {
    public static let path: String? = {
        let fm = FileManager.default
        var candidates = [String]()
        if let env = ProcessInfo.processInfo.environment["DIFFRAY_BIN"] { candidates.append(env) }
        let bundle = Bundle.main.bundleURL
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("diffray").path)
        candidates.append(bundle.appendingPathComponent("diffray").path)
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(argv0.deletingLastPathComponent().appendingPathComponent("diffray").path)
        for configuration in ["release", "debug"] {
            candidates.append(Repository.root.appendingPathComponent(".build/\(configuration)/diffray").path)
        }
        return candidates.first { fm.isExecutableFile(atPath: $0) }
    }()

    /// Whether the binary was found.
    public static var isAvailable: Bool { path != nil }

    /// Why tests that run the binary are skipped when it is not found.
    public static let missing = "no diffray binary: build it with `swift build -c release --product diffray` or set DIFFRAY_BIN"
}

/// The result of one run of a command.
public struct Run: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var seconds: Double
    public init(status: Int32, stdout: String, stderr: String, seconds: Double) {
        self.status = status; self.stdout = stdout; self.stderr = stderr; self.seconds = seconds
    }
}

/// Runs the `diffray` binary with `arguments` in `directory`.
public func diffray(_ arguments: [String], in directory: String) throws -> Run {
    guard let binary = DiffRayBinary.path else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "diffray"]) }
    return try launch(binary, arguments, in: directory)
}

/// Runs `executable` with `arguments` in `directory` to its end.
public func launch(_ executable: String, _ arguments: [String], in directory: String) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let start = Date()
    try process.run()
    // Read both pipes to the end before waiting, so a chatty process cannot block.
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
               stderr: String(decoding: errData, as: UTF8.self), seconds: Date().timeIntervalSince(start))
}

/// Polls `condition` every 10 ms for up to `seconds`; whether it became true.
public func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
