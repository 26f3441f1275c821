import Foundation
import ImageIO
import Learning

/// Parses `--init KEY=v1,v2,...` values.
public func parseParameterAssignment(_ text: String) throws -> (key: String, values: [Double]) {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
        throw ParameterError("--init expects KEY=v1,v2,..., got '\(text)'")
    }
    let key = String(text[..<eq])
    let parts = text[text.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false)
    var values = [Double]()
    for p in parts {
        guard let v = Double(p.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw ParameterError("--init \(key): '\(p)' is not a finite number")
        }
        values.append(v)
    }
    return (key, values)
}

/// Keeps parameters in their valid ranges after an optimisation step:
/// reflectances in [0, 1], emission, roughness, radius and scale positive,
/// field of view in (0°, 180°).
public func projectToValidRange(key: String, _ values: inout [Double]) {
    func clampAll(_ lo: Double, _ hi: Double) { for i in values.indices { values[i] = min(max(values[i], lo), hi) } }
    if key.hasSuffix("reflectance.value") || key.hasSuffix("transmittance.value") || key.hasSuffix("color0.value")
        || key.hasSuffix("color1.value") { clampAll(0, 1) }
    else if key.hasSuffix("radiance.value") || key.hasSuffix("intensity.value") || key.hasSuffix("irradiance.value")
        || key.hasSuffix(".scale") { clampAll(0, .infinity) }
    else if key.hasSuffix("alpha.value") { clampAll(1e-3, 1) }
    else if key.hasSuffix(".radius") { clampAll(1e-4, .infinity) }
    else if key.hasSuffix(".x_fov") { clampAll(0.1, 179.9) }
    else if key.hasSuffix(".eta") { clampAll(1.0001, 10) }
}

/// The state of an optimisation run, saved after every iteration so an
/// interrupted run resumes where it stopped (`diffray optimize --resume`).
public struct OptimizationCheckpoint: Codable {
    public static let format = "diffray-optimize-checkpoint"
    public static let currentVersion = 1
    public var format = OptimizationCheckpoint.format
    public var version = OptimizationCheckpoint.currentVersion
    /// What the run was started with, to refuse resuming a different run.
    public var scene: String
    public var target: String
    public var keys: [String]
    public var iteration: Int
    public var values: [String: [Double]]
    public var losses: [Double]
    public var skippedGradients: Int
    public var adam: Adam?
    public var sgd: SGD?
    public var seconds: Double

    public init(scene: String, target: String, keys: [String], iteration: Int, values: [String: [Double]], losses: [Double],
                skippedGradients: Int, adam: Adam?, sgd: SGD?, seconds: Double) {
        self.scene = scene; self.target = target; self.keys = keys; self.iteration = iteration; self.values = values
        self.losses = losses; self.skippedGradients = skippedGradients; self.adam = adam; self.sgd = sgd; self.seconds = seconds
    }

    public static func load(_ path: String) throws -> OptimizationCheckpoint {
        try decode(Data(try AtomicFile.read(path)), path: path)
    }

    /// Decodes a checkpoint's bytes; `path` names it in errors. See also `validate`.
    public static func decode(_ data: Data, path: String) throws -> OptimizationCheckpoint {
        let c = try JSONFile.decode(OptimizationCheckpoint.self, from: data, path: path,
                                    expected: "a \(format) JSON file")
        guard c.format == format, c.version == currentVersion else {
            throw ParameterError("\(path): checkpoint format \(CommandLineInput.escaped(c.format)) v\(c.version), expected \(format) v\(currentVersion)")
        }
        return c
    }

    /// Refuses, with one line naming the file, a checkpoint that another run wrote (scene,
    /// target, keys) or that cannot continue this one: an iteration outside
    /// 0...`iterations`, a value missing for a key or of another length than `sizes`
    /// (the scene's), extra values, a non-finite value, or optimiser state of another
    /// length. Values are projected to their valid range (a no-op for what a run wrote).
    public mutating func validate(path: String, scene: String, target: String, keys: [String], sizes: [String: Int],
                                  iterations: Int) throws {
        // Keys, scene and target come from the file: escaped, so that one stays one line.
        let e = CommandLineInput.escaped
        guard self.scene == scene, self.target == target, self.keys == keys else {
            throw ParameterError("\(path) belongs to another run (scene \(e(self.scene)), target \(e(self.target)), params \(e(self.keys.joined(separator: ","))))")
        }
        guard iteration >= 0, iteration <= iterations else {
            throw ParameterError("\(path): the checkpoint is at iteration \(iteration), expected 0...\(iterations) (--iters)")
        }
        for k in keys {
            guard let v = values[k] else { throw ParameterError("\(path): 'values' has no entry for \(e(k))") }
            let n = sizes[k] ?? v.count
            guard v.count == n else { throw ParameterError("\(path): 'values' of \(e(k)) has \(v.count) numbers, the scene's parameter has \(n)") }
            guard v.allSatisfy({ $0.isFinite }) else { throw ParameterError("\(path): 'values' of \(e(k)) is not finite") }
            var projected = v
            projectToValidRange(key: k, &projected)
            values[k] = projected
        }
        if let extra = values.keys.sorted().first(where: { !keys.contains($0) }) {
            throw ParameterError("\(path): 'values' has \(e(extra)), which is not one of the run's --param keys")
        }
        let total = keys.reduce(0) { $0 + (sizes[$1] ?? 0) }
        if let a = adam, a.m.count != a.v.count || !(a.m.isEmpty || a.m.count == total) || a.step < 0 {
            throw ParameterError("\(path): Adam's moments have \(a.m.count) and \(a.v.count) values, expected \(total) (or none)")
        }
        if let g = sgd, !(g.velocity.isEmpty || g.velocity.count == total) {
            throw ParameterError("\(path): SGD's velocity has \(g.velocity.count) values, expected \(total) (or none)")
        }
        guard skippedGradients >= 0, skippedGradients <= iteration, losses.count == iteration, seconds.isFinite, seconds >= 0 else {
            throw ParameterError("\(path): inconsistent checkpoint: \(losses.count) losses, \(skippedGradients) skipped gradients and \(seconds) s for \(iteration) iterations")
        }
    }

    public func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }
}

/// A target image for inverse rendering: read, size-checked, finite.
public func loadTarget(_ path: String, width: Int, height: Int) throws -> Image {
    let image = try Image.read(from: path)
    guard image.width == width, image.height == height else {
        throw ParameterError("\(path): target is \(image.width)x\(image.height), the scene renders \(width)x\(height)")
    }
    if let bad = image.firstNonFiniteValue {
        throw ParameterError("\(path): target has a non-finite value \(bad.value) at pixel (\(bad.x), \(bad.y))")
    }
    return image
}
