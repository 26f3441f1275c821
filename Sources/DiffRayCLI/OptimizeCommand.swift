import ArgumentParser
import DiffRay
import Foundation

enum OptimizerKind: String, ExpressibleByArgument, CaseIterable { case adam, sgd }

/// `diffray optimize SCENE.xml --target IMG --param KEY...`: inverse rendering
/// by gradient descent on an image loss, with checkpoints to resume from.
struct OptimizeCommand: ParsableCommand, ClusterCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Recover scene parameters from a target image by gradient descent through the renderer.")

    @OptionGroup var input: SceneParameterOptions
    @Option(help: "The target image (EXR or PNG, the scene's resolution).") var target: String
    @Option(help: "Iterations.") var iters: Int = 50
    @Option(help: "Learning rate.") var lr: Double = 0.05
    @Option(help: "Factor the learning rate decays to by the last iteration (exponentially; 1 = constant).")
    var lrDecay: Double = 0.1
    @Option(help: "Samples per pixel of each iteration's renders.") var spp: Int = 16
    @Option(help: "adam or sgd.") var optimizer: OptimizerKind = .adam
    @Option(help: "l2, l1 or relative-l2.") var loss: String = "l2"
    @Option(help: "Levels of a 2× downsampled loss pyramid (1 = full resolution only).") var pyramid: Int = 1
    @Option(help: "Seed; iteration i renders with seeds derived from it.") var seed: Int = 0
    @Option(help: "Worker threads (default: all cores; under mpirun, the cores shared among the ranks on this machine).")
    var threads: Int = defaultThreads
    @Option(help: "Output folder: iterates, loss plot, parameters, checkpoint, recovered scene.") var outDir: String = "optimize-out"
    @Flag(help: "Continue from OUT-DIR/checkpoint.json.") var resume = false
    @OptionGroup var json: JSONOption
    @OptionGroup var cluster: ClusterOptions

    /// What `optimize --json` prints: the recovered parameters and the run's figures.
    struct Result: Encodable {
        var params: [String: [Double]]
        var loss: Double
        var iterations: Int
        var secondsPerIteration: Double
        var skippedGradients: Int
        var outDir: String
    }

    func validate() throws {
        if iters <= 0 || iters > 1_000_000 { throw ValidationError("--iters must be in 1...1000000, got \(iters)") }
        if !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if !(lrDecay > 0 && lrDecay <= 1) { throw ValidationError("--lr-decay must be in (0, 1], got \(lrDecay)") }
        if spp <= 0 || spp > 1 << 16 { throw ValidationError("--spp must be in 1...65536, got \(spp)") }
        if pyramid < 1 || pyramid > 8 { throw ValidationError("--pyramid must be in 1...8") }
        if seed < 0 { throw ValidationError("--seed must be ≥ 0") }
        if threads <= 0 || threads > 1024 { throw ValidationError("--threads must be in 1...1024") }
        guard let l = ImageLoss(rawValue: loss), l.needsTarget else {
            throw ValidationError("--loss must be l2, l1 or relative-l2, got '\(loss)'")
        }
    }

    func run() throws {
        let base = try input.load()
        let targetImage = try loadTarget(target, width: base.film.width, height: base.film.height)
        let lossKind = ImageLoss(rawValue: loss)!
        let all = Dictionary(uniqueKeysWithValues: base.parameters().map { ($0.key, $0.values) })
        var values = [String: [Double]]()
        for k in input.params { values[k] = all[k]! }
        for text in input.inits {
            let (k, v) = try parseParameterAssignment(text)
            guard let old = all[k] else { try base.validate(keys: [k]); continue }
            guard v.count == old.count else {
                throw ValidationError("--init \(k) needs \(old.count) values, got \(v.count)")
            }
            values[k] = v
        }
        try OutputTransaction.createFolder(outDir, option: "--out-dir")
        let checkpointPath = outDir + "/checkpoint.json"
        let reports = try OutputTransaction.begin(["loss.png", "params.json", "final.png", "scene.xml"].map { outDir + "/" + $0 })
        var adam = Adam(learningRate: lr), sgd = SGD(learningRate: lr)
        var losses = [Double](), skipped = 0, first = 0, previousSeconds = 0.0
        if resume {
            var c = try OptimizationCheckpoint.load(checkpointPath)
            try c.validate(path: checkpointPath, scene: input.scene, target: target, keys: input.params,
                           sizes: all.mapValues(\.count), iterations: iters)
            values = c.values; losses = c.losses; skipped = c.skippedGradients; first = c.iteration
            previousSeconds = c.seconds
            if let a = c.adam { adam = a }
            if let s = c.sgd { sgd = s }
            print("resuming at iteration \(first) of \(iters)")
        }
        let start = Date()
        deferSignalsUntilCheckpoint()
        for iteration in first..<iters {
            let current = try base.updated(values)
            let primalOptions = RenderOptions(samplesPerPixel: spp, seed: UInt64(seed) &* 1_000_003 &+ UInt64(2 * iteration), threads: threads, communicator: .world)
            let (image, _) = current.render(primalOptions)
            let (value, adjoint) = lossKind.evaluatePyramid(image, target: targetImage, levels: pyramid)
            losses.append(value)
            // The replay uses other random numbers than the primal: the two
            // estimates are independent, so the L2 gradient is unbiased.
            let replay = RenderOptions(samplesPerPixel: spp, seed: primalOptions.seed &+ 1, threads: threads, communicator: .world)
            let gradient = try current.renderReverse(keys: input.params, imageAdjoint: adjoint, replay,
                                                     boundary: .balanced(samplesPerPixel: spp))
            if gradient.allSatisfy({ $0.isFinite }) {
                var flat = input.params.flatMap { values[$0]! }
                let rate = lr * pow(lrDecay, Double(iteration) / Double(max(iters - 1, 1)))
                adam.learningRate = rate
                sgd.learningRate = rate
                switch optimizer {
                case .adam: adam.update(&flat, gradient: gradient)
                case .sgd: sgd.update(&flat, gradient: gradient)
                }
                var offset = 0
                for k in input.params {
                    let n = values[k]!.count
                    var v = Array(flat[offset..<offset + n])
                    projectToValidRange(key: k, &v)
                    values[k] = v
                    offset += n
                }
            } else {
                skipped += 1
            }
            try image.write(to: String(format: "%@/iter-%04d.png", outDir as NSString, iteration))
            let elapsed = previousSeconds + Date().timeIntervalSince(start)
            try OptimizationCheckpoint(scene: input.scene, target: target, keys: input.params, iteration: iteration + 1, values: values,
                                       losses: losses, skippedGradients: skipped,
                                       adam: optimizer == .adam ? adam : nil, sgd: optimizer == .sgd ? sgd : nil,
                                       seconds: elapsed).save(checkpointPath)
            try Interruption.checkpointWritten(checkpointPath)
            let shown = input.params.map { k in "\(k)=[" + values[k]!.prefix(4).map { String(format: "%.4f", $0) }.joined(separator: ",") + "]" }
            FileHandle.standardErrorWrite(String(format: "iter %4d  loss %.6g  ", iteration, value) + shown.joined(separator: " ") + "\n")
        }
        Interruption.endDeferral()
        let total = previousSeconds + Date().timeIntervalSince(start)
        let perIteration = total / Double(max(iters, 1))
        // Reports: loss curve, parameters, the final render.
        if !losses.isEmpty {
            try Plot.lines(series: [losses], labels: [loss], logY: losses.allSatisfy { $0 > 0 }, title: "loss",
                           xLabel: "iteration", yLabel: "loss").write(to: outDir + "/loss.png")
        }
        let recovered = Dictionary(uniqueKeysWithValues: input.params.map { ($0, values[$0]!) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(String(decoding: try encoder.encode(recovered), as: UTF8.self) + "\n", to: outDir + "/params.json")
        let final = try base.updated(values)
        try final.render(RenderOptions(samplesPerPixel: max(spp, 64), seed: UInt64(seed), threads: threads, communicator: .world)).0
            .write(to: outDir + "/final.png")
        try writeRecoveredScene(values, scene: final)
        try reports.commit()
        for k in input.params { print("\(k) = [\(values[k]!.map { String(format: "%.6g", $0) }.joined(separator: ", "))]") }
        print(String(format: "%d iterations, final loss %.6g, %.3f s per iteration, %d gradients skipped as non-finite",
                     iters, losses.last ?? .nan, perIteration, skipped))
        try json.print(Result(params: recovered, loss: losses.last ?? 0, iterations: iters, secondsPerIteration: perIteration,
                              skippedGradients: skipped, outDir: outDir))
    }

    /// Writes OUT-DIR/scene.xml: the scene with the recovered values.
    func writeRecoveredScene(_ values: [String: [Double]], scene loaded: Scene<Double>) throws {
        let text = try String(contentsOfFile: input.scene, encoding: .utf8)
        var pivots = [String: Vec3]()
        for s in loaded.shapes { pivots[s.id] = Vec3(s.pivot.x, s.pivot.y, s.pivot.z) }
        let o = loaded.camera.baseToWorld.origin
        pivots[loaded.sensorID] = Vec3(o.x, o.y, o.z)
        let (xml, unwritten) = try SceneRewriter.rewrite(text, file: input.scene, values: values, pivots: pivots)
        try AtomicFile.write(xml, to: outDir + "/scene.xml")
        if !unwritten.isEmpty {
            FileHandle.standardErrorWrite("note: \(unwritten.joined(separator: ", ")) cannot be written into the scene XML; see params.json\n")
        }
    }
}
