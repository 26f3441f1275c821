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
        var data = try object.loadMesh()
        if data.triangleCount == 0 {
            throw SceneFileError("\(object.type) mesh has no triangles", at: object.location(of: "filename"))
        }
        let faceNormals = (object.boolean("face_normals") ?? false) || data.faceNormals
        let vertexCount = data.vertexCount
        var positions = [Vec3]()
        positions.reserveCapacity(vertexCount)
        for v in 0..<vertexCount {
            positions.append(toWorld.point(Vec3(data.positions[3 * v], data.positions[3 * v + 1], data.positions[3 * v + 2])))
        }
        data.positions = []  // the file's positions are not needed past here: freed before the normals are made
        var uvs: [(Double, Double)]? = nil
        if let t = data.uvs {
            var list = [(Double, Double)]()
            list.reserveCapacity(vertexCount)
            for v in 0..<vertexCount {
                let a: Double = t[2 * v], b: Double = t[2 * v + 1]
                list.append((a, b))
            }
            uvs = list
        }
        var normals: [Vec3]? = nil
        if !faceNormals {
            if let n = data.normals {
                var list = [Vec3]()
                list.reserveCapacity(vertexCount)
                for v in 0..<vertexCount {
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
        positions.withUnsafeBufferPointer { p in
            indices.withUnsafeBufferPointer { idx in
                sums.withUnsafeMutableBufferPointer { sums in
                    for t in 0..<idx.count / 3 {
                        let i0 = Int(idx[3 * t]), i1 = Int(idx[3 * t + 1]), i2 = Int(idx[3 * t + 2])
                        precondition(max(i0, i1, i2) < p.count, "vertex index out of range")
                        let v0 = p[i0], v1 = p[i1], v2 = p[i2]
                        let n = cross(v1 - v0, v2 - v0)
                        let lengthSquared = dot(n, n)
                        guard lengthSquared > 0 else { continue }
                        let unit = n / lengthSquared.squareRoot()
                        // The corner at `v` between its edges to `a` and `b`.
                        func corner(_ i: Int, _ v: Vec3, _ a: Vec3, _ b: Vec3) {
                            let ea = a - v, eb = b - v
                            let la = ea.length, lb = eb.length
                            guard la > 0, lb > 0 else { return }
                            sums[i] = sums[i] + unit * unitAngle(ea / la, eb / lb)
                        }
                        corner(i0, v0, v1, v2); corner(i1, v1, v2, v0); corner(i2, v2, v0, v1)
                    }
                }
            }
        }
        for i in sums.indices {
            let s = sums[i], length = s.length
            sums[i] = length != 0 ? s / length : Vec3(1, 0, 0)
        }
        return sums
    }

    /// The angle between two unit vectors, accurate for nearly (anti)parallel ones.
    static func unitAngle(_ a: Vec3, _ b: Vec3) -> Double {
        if dot(a, b) >= 0 { return 2 * asin(min((a - b).length / 2, 1)) }
        return Double.pi - 2 * asin(min((a + b).length / 2, 1))
    }
}
