/// A triangle mesh as read from an OBJ, PLY or serialized file: flat arrays, indices
/// checked against the vertex count.
public struct MeshData: Sendable, Hashable {
    /// x, y, z per vertex.
    public var positions: [Double]
    /// x, y, z per vertex, if the file has normals.
    public var normals: [Double]?
    /// u, v per vertex, if the file has texture coordinates.
    public var uvs: [Double]?
    /// Three vertex indices per triangle (polygons are fan-triangulated).
    public var indices: [UInt32]
    /// The file asks for face normals (a serialized mesh's flag 0x10), as
    /// `face_normals="true"` does.
    public var faceNormals = false
    /// Extra per-vertex and per-face attributes (PLY files), named as Mitsuba names them.
    public var attributes: [MeshAttribute] = []

    public init(positions: [Double], normals: [Double]? = nil, uvs: [Double]? = nil, indices: [UInt32]) {
        self.positions = positions
        self.normals = normals
        self.uvs = uvs
        self.indices = indices
    }

    public var vertexCount: Int { positions.count / 3 }
    public var triangleCount: Int { indices.count / 3 }

    /// Largest number of vertices, faces or indices accepted from a file
    /// (refused before allocating).
    public static let maximumElementCount = 1 << 28
}

/// A per-vertex or per-face attribute of a mesh file, as Mitsuba groups a PLY
/// file's extra properties: `red green blue` (or `r g b`) become `vertex_color`
/// or `face_color`; properties `{prefix}_{x|y|z}`, `{prefix}_{r|g|b}` (named
/// `{prefix}_color`), `{prefix}_{0|1|2}` or `{prefix}_{1|2|3}` next to each other
/// become `vertex_{prefix}` / `face_{prefix}` with 1 to 3 components.
/// Integer properties keep their values, as Mitsuba 3.9's PLY loader keeps
/// them (it warns that colours are expected in [0, 1]): an 8-bit colour of a
/// PLY file is 0–255, not a reflectance.
public struct MeshAttribute: Sendable, Hashable {
    /// `vertex_color`, `face_color`, `vertex_{prefix}`, ...
    public var name: String
    /// Components per vertex or face (1 to 4; a colour's alpha is the fourth).
    public var dimension: Int
    /// `dimension` values per vertex (`vertex_*`) or per face, in file order.
    public var values: [Double]
    public init(name: String, dimension: Int, values: [Double]) {
        self.name = name; self.dimension = dimension; self.values = values
    }
    /// Whether the attribute is per face (else per vertex).
    public var isPerFace: Bool { name.hasPrefix("face_") }
}
