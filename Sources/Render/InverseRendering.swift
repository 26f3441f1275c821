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
        let bytes = try AtomicFile.read(path)
        let c: OptimizationCheckpoint
        do { c = try JSONDecoder().decode(OptimizationCheckpoint.self, from: Data(bytes)) } catch {
            throw ParameterError("\(path): not a diffray optimisation checkpoint (\(error.localizedDescription))")
        }
        guard c.format == format, c.version == currentVersion else {
            throw ParameterError("\(path): checkpoint format \(c.format) v\(c.version), expected \(format) v\(currentVersion)")
        }
        return c
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
