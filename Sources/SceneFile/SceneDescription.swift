import Foundation

/// A parsed, validated Mitsuba 3 scene: what to render, not yet how.
///
/// ```swift
/// let scene = try SceneDescription(path: "scenes/cornell.xml", defines: ["spp": "64"])
/// for shape in scene.shapes { ... shape.type, shape.toWorld, shape.child(.bsdf) ... }
/// ```
public struct SceneDescription: Sendable, Hashable {
    /// The `version` attribute of the root `<scene>`.
    public var version: String
    /// The scene file (or the name given for an in-memory scene).
    public var file: String
    /// The folder relative paths resolve against.
    public var directory: String
    /// Top-level objects in document order (includes merged in place).
    public var objects: [SceneObject]
    /// Every object that has an `id`, nested or not.
    public var objectsByID: [String: SceneObject]
    /// The integrator: the file's, or Mitsuba's default `path` if none.
    public var integrator: SceneObject
    /// Top-level sensors; Mitsuba's default perspective sensor if none.
    public var sensors: [SceneObject]
    /// Top-level shapes (with their nested bsdf / area emitter).
    public var shapes: [SceneObject]
    /// Top-level emitters (point, spot, directional, constant, envmap).
    public var emitters: [SceneObject]
    /// The parameter values after `-D` overrides and `<default>`s.
    public var parameters: [String: String]

    /// The `<default>`s the scene declares (name → value as written), includes merged.
    public var defaults: [String: String] = [:]
    /// The `-D` names the scene neither declares with `<default>` nor uses as `$name`
    /// (sorted); `checkDefines()` makes them an error.
    public var unknownDefines: [String] = []

    /// Refuses a `-D` name the scene neither declares nor uses (a misspelt name would
    /// otherwise be ignored), listing the scene's defaults.
    public func checkDefines() throws {
        guard let name = unknownDefines.first else { return }
        let listed = defaults.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        throw SceneFileError("\(file) has no parameter '\(name)' (its defaults: "
                             + (listed.isEmpty ? "none" : listed.joined(separator: ", ")) + ")",
                             at: SourceLocation(file: "-D \(name)", line: 0, column: 0))
    }

    /// The first sensor (there is always one).
    public var sensor: SceneObject { sensors[0] }

    /// Largest width × height accepted (2^28 = 16384²), checked at parse time.
    public static let maximumPixelCount = 1 << 28
    /// Largest width or height accepted.
    public static let maximumResolution = 1 << 17

    /// Reads and validates a scene file. `defines` are the command line's
    /// `-D name=value`, which override `<default>`s. File names (meshes,
    /// textures, includes) are looked up as Mitsuba's file resolver does: in
    /// the `<path>` folders (the latest first), the working directory, then
    /// the folder of this file.
    public init(path: String, defines: [String: String] = [:]) throws {
        self = try SceneReader.read(path: path, defines: defines)
    }

    /// Parses a scene held in memory. `file` names it in error messages;
    /// `directory` stands for the scene file's folder: relative file names
    /// are looked up in the `<path>` folders, the working directory, then it.
    public init(xml: String, file: String = "<string>", directory: String? = nil,
                defines: [String: String] = [:]) throws {
        let dir = directory ?? FileManager.default.currentDirectoryPath
        self = try SceneReader.read(xml: xml, file: file, directory: dir, defines: defines)
    }

    /// A property name as Mitsuba 3 upgrades it in scenes older than 2.0
    /// (`toWorld` → `to_world`, `intIOR` → `int_ior`).
    public static func upgradedName(_ name: String) -> String { SceneReader.snakeCase(name) }

    init(version: String, file: String, directory: String, objects: [SceneObject],
         objectsByID: [String: SceneObject], integrator: SceneObject, sensors: [SceneObject],
         shapes: [SceneObject], emitters: [SceneObject], parameters: [String: String]) {
        self.version = version
        self.file = file
        self.directory = directory
        self.objects = objects
        self.objectsByID = objectsByID
        self.integrator = integrator
        self.sensors = sensors
        self.shapes = shapes
        self.emitters = emitters
        self.parameters = parameters
    }
}
