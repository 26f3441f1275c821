import ArgumentParser
import DiffRay
import Foundation

/// `diffray grad SCENE.xml --param KEY...`: the gradient of an image loss
/// with respect to scene parameters, by forward or reverse mode.
struct GradCommand: ParsableCommand, ClusterCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Differentiate a loss of the rendered image with respect to scene parameters.")

    @OptionGroup var input: SceneParameterOptions
    @Option(help: "forward (dual numbers, one image per component) or reverse (path replay).") var mode: ADMode = .reverse
    @Option(help: "mean (Mitsuba's dr.mean over pixels and channels), l2, l1 or relative-l2 (need --target).")
    var loss: String = "mean"
    @Option(help: "Target image (EXR or PNG) for l2, l1, relative-l2.") var target: String?
    @Option(help: "Samples per pixel (default: the scene's sampler).") var spp: Int?
    @Option(help: "Seed of the random numbers (the same for the primal and the replay).") var seed: Int = 0
    @Option(help: "Worker threads (default: all cores; under mpirun, the cores shared among the ranks on this machine).")
    var threads: Int = defaultThreads
    @Option(help: "Forward mode: folder for the derivative images (EXR and a diverging-colour PNG per component).")
    var outDir: String?
    @OptionGroup var json: JSONOption
    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "Leave out the visibility (edge-sampling) term: the interior derivative only.") var noBoundary = false
    @Flag(help: "Visibility term at the first surface only: leave out shadows and silhouettes seen after a bounce (an ablation).")
    var firstVertexOnly = false
    @Flag(inversion: .prefixedNo,
          help: "Attach the path replay's first vertex to a rigidly moving sphere or cylinder (the film point moves with it); --no-attach-first-vertex holds the camera ray fixed.")
    var attachFirstVertex = true
    @Flag(inversion: .prefixedNo,
          help: "Take an attached path's film term relative to a radiance fitted per shape (a control variate, in both modes); --no-attached-variate leaves it out.")
    var attachedVariate = true
    @Option(help: ArgumentHelp("Edge samples per pixel for camera silhouettes and for shadows (default: spp / 32 each, at least 1).",
                               valueName: "primary,secondary"))
    var edgeSamples: String?
    @Option(help: "Share of the shadow samples at the first surface drawn from the area lights' side (0...1; default 0.5, at most 0.35 above --edge-tree-above; 0: the film side only).")
    var edgeFromLights: Double = BoundaryOptions.standard.fromLightsShare
    @Flag(help: "Spread the first surface's film-point shadow samples evenly over the pixels and keep the lights' side's share, rather than gathering half of them where moving spheres, disks and cylinders cast shadows under area lights.")
    var evenFilmPoints = false
    @Option(help: ArgumentHelp("Edge samples of delta lights' shadows, of edges at deeper path vertices and of delta lights' shadows seen after a bounce, each per secondary edge sample (default: grad's balance).",
                               valueName: "delta,deeper,delta-beyond"))
    var edgeBudget: String?
    @Option(help: ArgumentHelp("Only these kinds of edge samples, each with the samples it has in the whole term (an ablation; \(BoundaryParts.named.map(\.name).joined(separator: ", ")); default all).",
                               valueName: "kind,..."))
    var edgeParts: String?
    @Option(help: "Meshes' edges above which the shadow samples choose an edge by walking an edge tree rather than by weighing every edge (default 4096; 0: always the tree).")
    var edgeTreeAbove: Int = BoundaryOptions.standard.maxFlatSecondaryEdges

    /// What `grad --json` prints: the loss and d loss / d each parameter's components.
    struct Result: Encodable {
        var loss: Double
        var gradients: [String: [Double]]
        var seconds: Double
        /// CPU time of the same work (all threads), in seconds: steadier than `seconds` on a shared machine.
        var cpuSeconds: Double
        var mode: String
        var spp: Int
    }

    func validate() throws {
        if edgeTreeAbove < 0 { throw ValidationError("--edge-tree-above must be ≥ 0, got \(edgeTreeAbove)") }
        if let spp, spp <= 0 || spp > 1 << 20 { throw ValidationError("--spp must be in 1...\(1 << 20), got \(spp)") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0") }
        if threads <= 0 || threads > 1024 { throw ValidationError("--threads must be in 1...1024") }
        if !(edgeFromLights >= 0 && edgeFromLights <= 1) {
            throw ValidationError("--edge-from-lights must be in 0...1, got \(edgeFromLights)")
        }
        guard let l = ImageLoss(rawValue: loss) else {
            throw ValidationError("--loss must be one of \(ImageLoss.allCases.map(\.rawValue).joined(separator: ", ")), got '\(loss)'")
        }
        if l.needsTarget && target == nil { throw ValidationError("--loss \(loss) needs --target IMG") }
        _ = try budget()
        _ = try parts()
    }

    /// `--edge-budget` as three factors ≥ 0, or nil.
    func budget() throws -> (delta: Double, deeper: Double, beyond: Double)? {
        guard let edgeBudget else { return nil }
        let v = edgeBudget.split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 3, let a = v[0], let b = v[1], let c = v[2], a >= 0, b >= 0, c >= 0, a.isFinite, b.isFinite, c.isFinite else {
            throw ValidationError("--edge-budget expects three numbers ≥ 0 (delta,deeper,delta-beyond), got '\(edgeBudget)'")
        }
        return (a, b, c)
    }

    /// `--edge-parts` as a set of kinds, or nil.
    func parts() throws -> BoundaryParts? {
        guard let edgeParts else { return nil }
        var parts = BoundaryParts()
        for name in edgeParts.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let part = BoundaryParts.named.first(where: { $0.name == trimmed })?.part else {
                throw ValidationError("--edge-parts expects kinds among \(BoundaryParts.named.map(\.name).joined(separator: ", ")), got '\(trimmed)'")
            }
            parts.insert(part)
        }
        return parts
    }

    func run() throws {
        var s = try input.load()
        var initial = [String: [Double]]()
        for text in input.inits { let (k, v) = try parseParameterAssignment(text); initial[k] = v }
        if !initial.isEmpty { s = try s.updated(initial) }
        let lossKind = ImageLoss(rawValue: loss)!
        var boundary = BoundaryOptions.balanced(samplesPerPixel: spp ?? s.sampleCount)
        if noBoundary { boundary = .interiorOnly }
        if firstVertexOnly { boundary.beyondFirstVertex = false }
        boundary.attachesFirstVertex = attachFirstVertex
        boundary.subtractsAttachedVariate = attachedVariate
        boundary.fromLightsShare = edgeFromLights
        boundary.gathersInPenumbrae = !evenFilmPoints
        boundary.maxFlatSecondaryEdges = edgeTreeAbove
        if let b = try budget() {
            boundary.deltaShadowFactor = b.delta
            boundary.deeperFactor = b.deeper
            boundary.deltaBeyondFactor = b.beyond
        }
        if let p = try parts() { boundary.parts = p }
        if let edgeSamples {
            let v = edgeSamples.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == 2, let p = v[0], let q = v[1], p >= 0, q >= 0 else {
                throw ValidationError("--edge-samples expects two numbers ≥ 0 (primary,secondary), got '\(edgeSamples)'")
            }
            boundary.primarySamplesPerPixel = p
            boundary.secondarySamplesPerPixel = q
        }
        let targetImage = try target.map { try loadTarget($0, width: s.film.width, height: s.film.height) }
        let options = RenderOptions(samplesPerPixel: spp ?? s.sampleCount, seed: UInt64(seed), threads: threads, communicator: .world)
        let start = Date(), cpuStart = BenchPixels.cpuSeconds()
        let comps = try s.components(of: input.params)
        var gradient = [Double](repeating: 0, count: comps.count)
        var lossValue = 0.0
        switch mode {
        case .forward:
            let (image, derivatives) = try s.renderForward(keys: input.params, options, boundary: boundary)
            let (value, adjoint) = lossKind.evaluate(image, target: targetImage)
            lossValue = value
            for (i, d) in derivatives.enumerated() {
                var g = 0.0
                for p in 0..<adjoint.count { g += adjoint[p] * Double(d.image.pixels[p]) }
                gradient[i] = g
                if let outDir {
                    try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
                    let name = d.component.name.replacingOccurrences(of: "/", with: "_")
                    try d.image.writeEXR(to: "\(outDir)/d_\(name).exr")
                    try d.image.divergingColorMapped().image.write(to: "\(outDir)/d_\(name).png")
                }
            }
        case .reverse:
            if let adjoint = lossKind.imageIndependentAdjoint(count: s.film.width * s.film.height * 3) {
                // The mean's adjoint does not depend on the image: one pass renders it and differentiates.
                let (image, g) = try s.renderReverseWithImage(keys: input.params, imageAdjoint: adjoint, options, boundary: boundary)
                lossValue = lossKind.evaluate(image, target: targetImage).value
                gradient = g
                break
            }
            let (image, _) = s.render(options)
            let (value, adjoint) = lossKind.evaluate(image, target: targetImage)
            lossValue = value
            gradient = try s.renderReverse(keys: input.params, imageAdjoint: adjoint, options,
                                           boundary: boundary)
        }
        let seconds = Date().timeIntervalSince(start), cpuSeconds = BenchPixels.cpuSeconds() - cpuStart
        print(String(format: "loss (%@) = %.8g", loss as NSString, lossValue))
        var grouped = [(String, [Double])]()
        for k in input.params {
            grouped.append((k, comps.indices.filter { comps[$0].key == k }.map { gradient[$0] }))
        }
        for (k, g) in grouped { print("d loss / d \(k) = [\(g.map { String(format: "%.6g", $0) }.joined(separator: ", "))]") }
        print(String(format: "%.3f s (%@ mode, %d spp)", seconds, mode.rawValue as NSString, options.samplesPerPixel))
        try json.print(Result(loss: lossValue, gradients: Dictionary(grouped, uniquingKeysWith: { a, _ in a }), seconds: seconds,
                              cpuSeconds: cpuSeconds, mode: mode.rawValue, spp: options.samplesPerPixel))
    }
}

/// `grad --mode`.
enum ADMode: String, ExpressibleByArgument, CaseIterable { case forward, reverse }
