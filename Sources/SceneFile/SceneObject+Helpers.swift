import Foundation

/// One output of the `aov` integrator: a channel name and what it holds.
public struct AOV: Sendable, Hashable {
    /// The channel name, e.g. "dd.y" or "nn".
    public var name: String
    /// One of `Schema.aovTypes`: depth, position, uv, geo_normal, sh_normal, albedo.
    public var type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }
}

extension SceneObject {
    /// Parses an `aovs` string such as "dd.y:depth,nn:sh_normal,albedo:albedo".
    public static func parseAOVs(_ text: String, at location: SourceLocation) throws -> [AOV] {
        var result: [AOV] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw SceneFileError("aovs entry '\(item)' is not name:type (e.g. \"dd.y:depth,nn:sh_normal\")", at: location)
            }
            guard Schema.aovTypes.contains(parts[1]) else {
                throw SceneFileError("unsupported AOV type '\(parts[1])' (supported: \(Schema.aovTypes.joined(separator: ", ")))",
                                     at: location)
            }
            guard !result.contains(where: { $0.name == parts[0] }) else {
                throw SceneFileError("AOV name '\(parts[0])' is used twice", at: location)
            }
            result.append(AOV(name: parts[0], type: parts[1]))
        }
        return result
    }

    /// The AOVs of an `aov` integrator (empty for other objects).
    public var aovs: [AOV] {
        guard category == .integrator, type == "aov", let s = string("aovs") else { return [] }
        return (try? SceneObject.parseAOVs(s, at: location(of: "aovs"))) ?? []
    }

    /// The horizontal field of view in degrees of a `perspective` sensor for
    /// a film of the given aspect (width / height), as Mitsuba's `parse_fov`:
    /// `fov` along `fov_axis` (x, y, diagonal, smaller, larger), or else
    /// `focal_length` (default "50mm") on the diagonal of a 36×24 mm frame.
    public func horizontalFOV(aspect: Double) -> Double {
        var fov: Double
        var axis: String
        if let f = float("fov") {
            fov = f
            axis = string("fov_axis") ?? "x"
            if axis == "smaller" { axis = aspect > 1 ? "y" : "x" }
            if axis == "larger" { axis = aspect > 1 ? "x" : "y" }
        } else {
            var text = string("focal_length") ?? "50mm"
            if text.hasSuffix("mm") { text.removeLast(2) }
            let millimetres = Double(text) ?? 50
            fov = 2 * atan((36.0 * 36.0 + 24.0 * 24.0).squareRoot() / (2 * millimetres)) * 180 / Double.pi
            axis = "diagonal"
        }
        let toRadians = Double.pi / 180
        switch axis {
        case "y":
            return 2 * atan(tan(0.5 * fov * toRadians) * aspect) / toRadians
        case "diagonal":
            let diagonal = 2 * tan(0.5 * fov * toRadians)
            let width = diagonal / (1 + 1 / (aspect * aspect)).squareRoot()
            return 2 * atan(width * 0.5) / toRadians
        default:
            return fov
        }
    }

    /// The film's (width, height) with defaults (for a `film` object).
    public var resolution: (width: Int, height: Int) {
        (integer("width") ?? 768, integer("height") ?? 576)
    }
}

extension SceneObject {
    /// Reads the mesh of an `obj`, `ply` or `serialized` shape (its
    /// `filename`, already resolved). For `obj`, `flip_tex_coords` (default
    /// true, as Mitsuba) replaces v by 1 − v; for `serialized`, `shape_index`
    /// picks the mesh. Errors name the mesh file and line or byte offset.
    public func loadMesh() throws -> MeshData {
        guard category == .shape, ["obj", "ply", "serialized"].contains(type) else {
            throw SceneFileError("<\(category) type=\"\(type)\"> is not a mesh (obj, ply or serialized)", at: location)
        }
        guard let path = string("filename") else {
            throw SceneFileError("<shape type=\"\(type)\"> has no filename", at: location)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw SceneFileError("file not found: \(path)", at: location(of: "filename"))
        }
        var mesh: MeshData
        switch type {
        case "obj": mesh = try MeshData.readOBJ(path: path)
        case "ply": mesh = try MeshData.readPLY(path: path)
        default: mesh = try MeshData.readSerialized(path: path, shapeIndex: integer("shape_index") ?? 0)
        }
        if boolean("flip_tex_coords") == true, var uvs = mesh.uvs {
            for i in stride(from: 1, to: uvs.count, by: 2) { uvs[i] = 1 - uvs[i] }
            mesh.uvs = uvs
        }
        return mesh
    }
}
