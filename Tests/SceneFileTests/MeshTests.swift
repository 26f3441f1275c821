import Foundation
import SceneFile
import TestSupport
import Testing

/// The same unit quad (two triangles), with normals and uvs, in each format.
private let quadPositions: [Double] = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0]
private let quadNormals: [Double] = [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
private let quadUVs: [Double] = [0, 0, 1, 0, 1, 1, 0, 1]
private let quadIndices: [UInt32] = [0, 1, 2, 0, 2, 3]

private let quadOBJ = """
    # a quad
    mtllib quad.mtl
    o quad
    v 0 0 0
    v 1 0 0
    v 1 1 0
    v 0 1 0
    vt 0 0
    vt 1 0
    vt 1 1
    vt 0 1
    vn 0 0 1
    g group
    s off
    usemtl white
    f 1/1/1 2/2/1 3/3/1 4/4/1
    """

private let quadPLYHeader = """
    ply
    format ascii 1.0
    comment made by hand
    element vertex 4
    property float x
    property float y
    property float z
    property float nx
    property float ny
    property float nz
    property uchar red
    property float u
    property float v
    element edge 1
    property int vertex1
    property int vertex2
    element face 1
    property uchar flags
    property list uchar int vertex_indices
    end_header

    """

private let quadPLYASCII = quadPLYHeader + """
    0 0 0 0 0 1 255 0 0
    1 0 0 0 0 1 255 1 0
    1 1 0 0 0 1 255 1 1
    0 1 0 0 0 1 255 0 1
    0 1
    7 4 0 1 2 3

    """

/// The same quad as binary little-endian PLY (face counts as int, indices uint).
private func quadPLYBinary(truncateBy: Int = 0) -> [UInt8] {
    let header = quadPLYHeader
        .replacingOccurrences(of: "format ascii 1.0", with: "format binary_little_endian 1.0")
        .replacingOccurrences(of: "property float x", with: "property double x")
        .replacingOccurrences(of: "property list uchar int", with: "property list int uint")
    var bytes = Array(header.utf8)
    func f32(_ v: Double) { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { bytes += $0 } }
    func f64(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    func i32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    for i in 0..<4 {
        f64(quadPositions[3 * i]); f32(quadPositions[3 * i + 1]); f32(quadPositions[3 * i + 2])
        for k in 0..<3 { f32(quadNormals[3 * i + k]) }
        bytes.append(255)
        f32(quadUVs[2 * i]); f32(quadUVs[2 * i + 1])
    }
    i32(0); i32(1) // edge
    bytes.append(7) // flags
    i32(4); for k: Int32 in 0..<4 { i32(k) }
    return Array(bytes.dropLast(truncateBy))
}

@Suite struct MeshTests {
    @Test func objRoundTrip() throws {
        let mesh = try MeshData(obj: Array(quadOBJ.utf8), file: "quad.obj")
        #expect(mesh.positions == quadPositions)
        #expect(mesh.normals == quadNormals)
        #expect(mesh.uvs == quadUVs)
        #expect(mesh.indices == quadIndices)
    }

    @Test func objCornerFormsAndNegativeIndices() throws {
        let text = """
            v 0 0 0
            v 1 0 0
            v 1 1 0
            v 0 1 0
            f -4 -3 -2
            f 1 3 4
            vn 0 0 1
            f 1//1 2//1 3//1
            vt 0.5 0.5
            f 1/1 2/1 3/1
            """
        let mesh = try MeshData(obj: Array(text.utf8), file: "m.obj")
        #expect(mesh.triangleCount == 4)
        #expect(mesh.normals == nil && mesh.uvs == nil) // not every corner has one
        #expect(mesh.indices.allSatisfy { Int($0) < mesh.vertexCount })
        // Corner (1) and (1//1) are distinct output vertices; (1) is shared by faces 1 and 2.
        #expect(mesh.vertexCount == 4 + 3 + 3)
    }

    @Test func plyASCIIAndBinaryMatchTheOBJ() throws {
        let ascii = try MeshData(ply: Array(quadPLYASCII.utf8), file: "quad.ply")
        let binary = try MeshData(ply: quadPLYBinary(), file: "quad.ply")
        let obj = try MeshData(obj: Array(quadOBJ.utf8), file: "quad.obj")
        for mesh in [ascii, binary] {
            #expect(mesh.positions == obj.positions)
            #expect(mesh.normals == obj.normals)
            #expect(mesh.uvs == obj.uvs)
            #expect(mesh.indices == obj.indices)
        }
    }

    @Test func loadMeshFromSceneFlipsOBJTexCoords() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        try dir.write("quad.obj", quadOBJ)
        try dir.write("quad.ply", bytes: quadPLYBinary())
        let s = try parse("""
            <shape type="obj"><string name="filename" value="quad.obj"/><boolean name="face_normals" value="true"/></shape>
            <shape type="ply"><string name="filename" value="quad.ply"/></shape>
            """, directory: dir.path)
        let obj = try s.shapes[0].loadMesh()
        let ply = try s.shapes[1].loadMesh()
        #expect(s.shapes[0].boolean("face_normals") == true)
        #expect(obj.positions == ply.positions && obj.indices == ply.indices)
        #expect(obj.uvs == [0, 1, 1, 1, 1, 0, 0, 0]) // flip_tex_coords: v -> 1 - v
        #expect(ply.uvs == quadUVs)
    }

    @Test func badOBJ() {
        expectError(["m.obj:2", "OBJ vertex needs 3 coordinates"]) {
            _ = try MeshData(obj: Array("v 0 0 0\nv 1 0".utf8), file: "m.obj")
        }
        expectError(["m.obj:4", "vertex index 4 is out of range (3 defined so far)"]) {
            _ = try MeshData(obj: Array("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n".utf8), file: "m.obj")
        }
        expectError(["m.obj:4", "not a valid vertex index"]) {
            _ = try MeshData(obj: Array("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n".utf8), file: "m.obj")
        }
        expectError(["m.obj:4", "OBJ face needs at least 3 vertices"]) {
            _ = try MeshData(obj: Array("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2".utf8), file: "m.obj")
        }
        expectError(["m.obj:1", "NaN or infinite"]) { _ = try MeshData(obj: Array("v nan 0 0\n".utf8), file: "m.obj") }
        expectError(["m.obj:1", "unknown OBJ statement"]) { _ = try MeshData(obj: [0x7F, 0x45, 0x4C, 0x46, 0x0A], file: "m.obj") }
        expectError(["m.obj:3", "no faces"]) { _ = try MeshData(obj: Array("v 0 0 0\nv 1 0 0\nv 0 1 0".utf8), file: "m.obj") }
    }

    @Test func badPLY() {
        // Truncated ASCII: the last face line is cut.
        let cut = quadPLYASCII.replacingOccurrences(of: "7 4 0 1 2 3\n", with: "7 4 0 1")
        expectError(["quad.ply:", "PLY line ends early"]) { _ = try MeshData(ply: Array(cut.utf8), file: "quad.ply") }
        // Missing records entirely.
        let missing = quadPLYHeader + "0 0 0 0 0 1 255 0 0\n"
        expectError(["quad.ply:", "truncated"]) { _ = try MeshData(ply: Array(missing.utf8), file: "quad.ply") }
        // Truncated binary: byte offset.
        for cut in [1, 5, 20] {
            expectError(["quad.ply: byte", "truncated"]) { _ = try MeshData(ply: quadPLYBinary(truncateBy: cut), file: "quad.ply") }
        }
        // Index out of range.
        let badIndex = quadPLYASCII.replacingOccurrences(of: "7 4 0 1 2 3", with: "7 4 0 1 2 9")
        expectError(["quad.ply:26", "vertex index 9 is out of range (4 vertices)"]) {
            _ = try MeshData(ply: Array(badIndex.utf8), file: "quad.ply")
        }
        // A huge count is refused before allocating anything.
        let huge = quadPLYHeader.replacingOccurrences(of: "element vertex 4", with: "element vertex 200000000")
        expectError(["truncated", "declares at least"]) { _ = try MeshData(ply: Array(huge.utf8), file: "quad.ply") }
        let hugest = quadPLYHeader.replacingOccurrences(of: "element vertex 4", with: "element vertex 9000000000000")
        expectError(["quad.ply:4", "over the limit"]) { _ = try MeshData(ply: Array(hugest.utf8), file: "quad.ply") }
        expectError(["quad.ply:1", "not a PLY file"]) { _ = try MeshData(ply: Array("solid stl\n".utf8), file: "quad.ply") }
        expectError(["quad.ply:2", "unknown PLY format"]) {
            _ = try MeshData(ply: Array("ply\nformat binary_middle_endian 1.0\nend_header\n".utf8), file: "quad.ply")
        }
        expectError(["PLY header ends before 'end_header'"]) { _ = try MeshData(ply: Array("ply\nformat ascii 1.0\n".utf8), file: "quad.ply") }
        let nanPLY = quadPLYASCII.replacingOccurrences(of: "1 1 0 0 0 1 255 1 1", with: "1 nan 0 0 0 1 255 1 1")
        expectError(["quad.ply:23", "NaN or infinite"]) { _ = try MeshData(ply: Array(nanPLY.utf8), file: "quad.ply") }
    }

    @Test func truncatedMeshThroughTheScene() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        try dir.write("bad.ply", bytes: quadPLYBinary(truncateBy: 3))
        let s = try parse("<shape type=\"ply\"><string name=\"filename\" value=\"bad.ply\"/></shape>", directory: dir.path)
        expectError(["bad.ply: byte", "truncated"]) { _ = try s.shapes[0].loadMesh() }
    }
}
