import Foundation
import Geometry
import SceneFile

extension Scene where T == Double {
    /// The world-space triangles of an `obj`, `ply` or `serialized` shape.
    /// As Mitsuba: a mesh without normals (or whose file normals are dropped
    /// by `face_normals`) gets smooth vertex normals computed from its
    /// world-space triangles, unless `face_normals` is true (or a serialized
    /// file sets its face-normals flag), in which case it is shaded flat.
    static func meshGeometry(of object: SceneObject, toWorld: Transform) throws -> TriangleMesh {
        let data = try object.loadMesh()
        if data.triangleCount == 0 {
            throw SceneFileError("\(object.type) mesh has no triangles", at: object.location(of: "filename"))
        }
        let faceNormals = (object.boolean("face_normals") ?? false) || data.faceNormals
        var positions = [Vec3]()
        positions.reserveCapacity(data.vertexCount)
        for v in 0..<data.vertexCount {
            positions.append(toWorld.point(Vec3(data.positions[3 * v], data.positions[3 * v + 1], data.positions[3 * v + 2])))
        }
        var uvs: [(Double, Double)]? = nil
        if let t = data.uvs {
            var list = [(Double, Double)]()
            list.reserveCapacity(data.vertexCount)
            for v in 0..<data.vertexCount {
                let a: Double = t[2 * v], b: Double = t[2 * v + 1]
                list.append((a, b))
            }
            uvs = list
        }
        var normals: [Vec3]? = nil
        if !faceNormals {
            if let n = data.normals {
                var list = [Vec3]()
                list.reserveCapacity(data.vertexCount)
                for v in 0..<data.vertexCount {
                    let x: Double = n[3 * v], y: Double = n[3 * v + 1], z: Double = n[3 * v + 2]
                    list.append(toWorld.normal(Vec3(x, y, z)).normalized)
                }
                normals = list
            } else {
                normals = vertexNormals(positions: positions, indices: data.indices)
            }
        }
        return TriangleMesh(positions: positions, normals: normals, uvs: uvs, indices: data.indices, attributes: data.attributes)
    }

    /// Smooth vertex normals as Mitsuba's `recompute_vertex_normals`: the sum
    /// over the triangles at a vertex of their unit normal times the triangle's
    /// angle at that vertex (Thürmer and Wüthrich, "Computing Vertex Normals
    /// from Polygonal Facets", JGT 1998), normalised. Degenerate triangles add
    /// nothing; a vertex with no valid triangle gets (1, 0, 0), as in Mitsuba.
    public static func vertexNormals(positions: [Vec3], indices: [UInt32]) -> [Vec3] {
        var sums = [Vec3](repeating: Vec3.zero, count: positions.count)
        for t in 0..<indices.count / 3 {
            let i = [Int(indices[3 * t]), Int(indices[3 * t + 1]), Int(indices[3 * t + 2])]
            let v = [positions[i[0]], positions[i[1]], positions[i[2]]]
            let n = cross(v[1] - v[0], v[2] - v[0])
            let lengthSquared = dot(n, n)
            guard lengthSquared > 0 else { continue }
            let unit = n / lengthSquared.squareRoot()
            for k in 0..<3 {
                let a = v[(k + 1) % 3] - v[k], b = v[(k + 2) % 3] - v[k]
                let la = a.length, lb = b.length
                guard la > 0, lb > 0 else { continue }
                let angle = unitAngle(a / la, b / lb)
                sums[i[k]] = sums[i[k]] + unit * angle
            }
        }
        return sums.map { s in
            let length = s.length
            return length != 0 ? s / length : Vec3(1, 0, 0)
        }
    }

    /// The angle between two unit vectors, accurate for nearly (anti)parallel ones.
    static func unitAngle(_ a: Vec3, _ b: Vec3) -> Double {
        if dot(a, b) >= 0 { return 2 * asin(min((a - b).length / 2, 1)) }
        return Double.pi - 2 * asin(min((a + b).length / 2, 1))
    }
}
