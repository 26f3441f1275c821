import ArgumentParser
import DiffRay
import Foundation

/// `diffray render SCENE.xml`: renders a Mitsuba 3 scene file to PNG and/or EXR.
struct RenderCommand: ParsableCommand, ClusterCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a Mitsuba 3 scene file to PNG (8-bit sRGB) and/or EXR (linear float).")

    @Argument(help: "The scene file (Mitsuba 3 XML).")
    var scene: String

    @Option(name: .customShort("D"), help: ArgumentHelp("Set a scene default: -D name=value.", valueName: "name=value"))
    var defines: [String] = []

    @Option(help: "Samples per pixel (default: the scene's sampler).")
    var spp: Int?

    @Option(help: "Seed of the random numbers.")
    var seed: Int = 0

    @Option(help: "Worker threads (default: all cores; under mpirun, the cores shared among the ranks on this machine).")
    var threads: Int = defaultThreads

    @Option(name: .shortAndLong, help: "Output PNG (8-bit sRGB).")
    var output: String?

    @Option(help: "Output EXR (linear, float32).")
    var hdr: String?

    @Option(help: "Exposure in stops for the PNG.")
    var exposure: Double = 0

    @Option(help: ArgumentHelp("Acceleration structure: bvh or embree (default: DIFFRAY_ACCEL, else embree).", valueName: "kind"))
    var accel: Accelerator.Kind = .preferredForRendering

    @Option(help: ArgumentHelp("Precision the paths are traced in: single or double (default: DIFFRAY_PRECISION, else double). "
                               + "AOV integrators render in double.", valueName: "precision"))
    var precision: RenderOptions.Precision = .preferred

    @OptionGroup var json: JSONOption
    @OptionGroup var cluster: ClusterOptions

    /// What `render --json` prints.
    struct Result: Encodable {
        var scene: String
        var seconds: Double
        /// CPU time of the render itself (all threads), in seconds: steadier than `seconds` on a shared machine.
        var cpuSeconds: Double
        var spp, width, height: Int
        /// `single` or `double` (AOV integrators always render in double).
        var precision: String
        var pathsPerSecond: Double
        var invalidSamples: Int
        /// Wall and CPU time of building the acceleration structure.
        var acceleratorSeconds, acceleratorCPUSeconds: Double
        var outputs: [String]
    }

    func validate() throws {
        if let spp, spp <= 0 || spp > 1 << 20 { throw ValidationError("--spp must be in 1...\(1 << 20), got \(spp)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0, got \(seed)") }
        if threads <= 0 || threads > 1024 { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
        if !exposure.isFinite { throw ValidationError("--exposure must be finite") }
        for path in [output, hdr].compactMap({ $0 }) {
            let lower = path.lowercased()
            if path == output && !lower.hasSuffix(".png") { throw ValidationError("-o expects a .png file, got '\(path)'") }
            if path == hdr && !lower.hasSuffix(".exr") { throw ValidationError("--hdr expects a .exr file, got '\(path)'") }
        }
    }

    func run() throws {
        let loaded = try Scene.load(path: scene, commandLineDefines: defines, accelerator: accel)
        let spp = self.spp ?? loaded.sampleCount
        let bar = ProgressBar("rendering")
        var png = output
        if png == nil && hdr == nil {
            png = ((scene as NSString).lastPathComponent as NSString).deletingPathExtension + ".png"
        }
        // Every output checked and reserved before rendering; all renamed into place at the end.
        let planned = loaded.aovs.isEmpty ? [png, hdr].compactMap { $0 }
            : loaded.aovs.flatMap { aov in [png, hdr].compactMap { $0.map { RenderCommand.aovPath($0, aov.name) } } }
        let transaction = try OutputTransaction.begin(planned)
        let options = RenderOptions(samplesPerPixel: spp, seed: UInt64(seed), threads: threads,
                                    progress: { bar.update($0) }, communicator: .world, precision: precision)
        let stats: RenderStatistics
        var outputs = [String]()
        let cpuStart = BenchPixels.cpuSeconds()
        var cpuSeconds = 0.0
        if loaded.aovs.isEmpty {
            let (image, s) = loaded.render(options)
            cpuSeconds = BenchPixels.cpuSeconds() - cpuStart
            stats = s
            if let png { try image.write(to: png, exposure: exposure) }
            if let hdr { try image.writeEXR(to: hdr) }
            outputs = [png, hdr].compactMap { $0 }
        } else {
            // The aov integrator: one image per AOV, named OUT-<aov>.png / .exr.
            let (images, s) = loaded.renderAOVs(options)
            cpuSeconds = BenchPixels.cpuSeconds() - cpuStart
            stats = s
            for (name, image) in images {
                if let png {
                    let path = RenderCommand.aovPath(png, name)
                    try image.write(to: path, exposure: exposure)
                    outputs.append(path)
                }
                if let hdr {
                    let path = RenderCommand.aovPath(hdr, name)
                    try image.writeEXR(to: path)
                    outputs.append(path)
                }
            }
        }
        try transaction.commit()
        if stats.invalidSamples > 0 {
            FileHandle.standardErrorWrite("warning: \(stats.invalidSamples) samples were NaN or infinite and were dropped\n")
        }
        let timing = String(format: "%.3f s (%.2f M paths/s)", stats.seconds, stats.pathsPerSecond / 1e6)
        print("\(scene): \(loaded.film.width)x\(loaded.film.height), \(spp) spp in \(timing) -> \(outputs.joined(separator: ", "))")
        try json.print(Result(scene: scene, seconds: stats.seconds, cpuSeconds: cpuSeconds, spp: spp, width: loaded.film.width, height: loaded.film.height,
                              precision: loaded.aovs.isEmpty ? precision.rawValue : RenderOptions.Precision.double.rawValue,
                              pathsPerSecond: stats.pathsPerSecond, invalidSamples: stats.invalidSamples,
                              acceleratorSeconds: loaded.acceleratorSeconds, acceleratorCPUSeconds: loaded.acceleratorCPUSeconds,
                              outputs: outputs))
    }

    /// `renders/out.png` with AOV `dd.y` → `renders/out-dd.y.png`.
    static func aovPath(_ path: String, _ aov: String) -> String {
        let ext = (path as NSString).pathExtension
        return (path as NSString).deletingPathExtension + "-" + aov + "." + ext
    }
}

extension Accelerator.Kind: ExpressibleByArgument {}
extension RenderOptions.Precision: ExpressibleByArgument {}
