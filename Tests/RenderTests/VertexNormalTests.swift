import Foundation
import Geometry
import Render
import Testing

/// Smooth vertex normals of meshes without normals, weighted as Mitsuba weights them.
@Suite struct VertexNormalTests {
    @Test func normalsAreWeightedByTheAngleAtTheVertex() {
        // Two triangles meet at the origin: one in the z = 0 plane with a 90° corner
        // there (normal +z), one in the y = 0 plane with a 45° corner (normal +y).
        let positions = [Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(1, 0, 1)]
        let indices: [UInt32] = [0, 1, 2, 0, 3, 1]
        let n = Scene<Double>.vertexNormals(positions: positions, indices: indices)
        let expected = (Vec3(0, 0, 1) * (Double.pi / 2) + Vec3(0, 1, 0) * (Double.pi / 4)).normalized
        #expect((n[0] - expected).length < 1e-12, "\(n[0]) vs \(expected)")
        // Weighting by area instead would give equal weights (both triangles have area 1/2).
        #expect((n[0] - (Vec3(0, 0, 1) + Vec3(0, 1, 0)).normalized).length > 0.1)
        // A vertex of one triangle only takes that triangle's normal.
        #expect((n[2] - Vec3(0, 0, 1)).length < 1e-12)
    }

    @Test func degenerateTrianglesAddNothingAndLoneVerticesGetMitsubasFallback() {
        let positions = [Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(2, 0, 0), Vec3(5, 5, 5)]
        // The second triangle is a line (zero area).
        let n = Scene<Double>.vertexNormals(positions: positions, indices: [0, 1, 2, 0, 1, 3])
        #expect((n[0] - Vec3(0, 0, 1)).length < 1e-12)
        #expect(n[3] == Vec3(1, 0, 0))
        #expect(n[4] == Vec3(1, 0, 0))
    }

    @Test func aMeshWithoutNormalsIsShadedSmoothlyUnlessFaceNormalsIsSet() throws {
        let dir = NSTemporaryDirectory() + "/vertex-normals-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 0 1\nf 1 2 3\nf 1 4 2\n".write(toFile: dir + "/tent.obj", atomically: true, encoding: .utf8)
        func mesh(_ extra: String) throws -> TriangleMesh? {
            let scene = try Scene.load(path: try writeScene(dir, """
                <shape type="obj"><string name="filename" value="tent.obj"/>\(extra)</shape>
                """))
            if case .mesh(let m) = scene.shapes[0].geometry { return m }
            return nil
        }
        let smooth = try #require(try mesh(""))
        #expect(smooth.normals?.count == 4)
        let faceted = try #require(try mesh("<boolean name=\"face_normals\" value=\"true\"/>"))
        #expect(faceted.normals == nil)
    }

    func writeScene(_ dir: String, _ body: String) throws -> String {
        let path = dir + "/scene.xml"
        try "<scene version=\"3.0.0\">\n\(body)\n</scene>\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
