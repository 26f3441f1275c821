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
