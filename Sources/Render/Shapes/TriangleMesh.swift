import Geometry
import SceneFile

/// World-space triangle data of a mesh shape (`obj`, `ply`, and the
/// `rectangle` and `cube` that Mitsuba defines as meshes), shared by reference.
public final class TriangleMesh: @unchecked Sendable {
    public let positions: ContiguousArray<Vec3>
    public let normals: ContiguousArray<Vec3>?
    public let uvs: ContiguousArray<(Double, Double)>?
    public let indices: ContiguousArray<UInt32>
    /// Cumulative triangle areas, for sampling a point uniformly by area.
    public let areaCDF: ContiguousArray<Double>
    public let area: Double
    /// The mesh file's per-vertex and per-face attributes (`vertex_color`, ...),
    /// what `mesh_attribute` textures read; a face's values are repeated for each
    /// of its triangles.
    public let attributes: [MeshAttribute]

    public var triangleCount: Int { indices.count / 3 }

    public init(positions: [Vec3], normals: [Vec3]?, uvs: [(Double, Double)]?, indices: [UInt32],
                attributes: [MeshAttribute] = []) {
        self.attributes = attributes
        self.positions = ContiguousArray(positions)
        self.normals = normals.map { ContiguousArray($0) }
        self.uvs = uvs.map { ContiguousArray($0) }
        self.indices = ContiguousArray(indices)
        var cdf = ContiguousArray<Double>()
        cdf.reserveCapacity(indices.count / 3)
        var sum = 0.0
        for t in 0..<indices.count / 3 {
            let a = positions[Int(indices[3 * t])], b = positions[Int(indices[3 * t + 1])], c = positions[Int(indices[3 * t + 2])]
            sum += 0.5 * cross(b - a, c - a).length
            cdf.append(sum)
        }
        areaCDF = cdf
        area = sum
    }

    @inlinable @inline(__always)
    public func vertices(_ t: Int) -> (Vec3, Vec3, Vec3) { view.vertices(t) }

    /// The triangle whose CDF interval holds `u·area`, and `u` rescaled to [0, 1).
    @inlinable
    public func sampleTriangle(_ u: Double) -> (Int, Double) { view.sampleTriangle(u) }

    /// The mesh's arrays borrowed (`View`): valid while this mesh lives.
    @inlinable
    public var view: View {
        View(positions: positions.withUnsafeBufferPointer { $0 }, normals: normals?.withUnsafeBufferPointer { $0 },
             uvs: uvs?.withUnsafeBufferPointer { $0 }, indices: indices.withUnsafeBufferPointer { $0 },
             areaCDF: areaCDF.withUnsafeBufferPointer { $0 }, area: area, hasAttributes: !attributes.isEmpty,
             mesh: UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()))
    }

    /// A mesh's arrays as plain pointers, what per-ray code reads: copying one
    /// touches no reference count, where copying the `TriangleMesh` reference
    /// out of a shape retained and released it on every hit and light sample,
    /// and two threads doing so passed the count's cache line between cores.
    ///
    /// It borrows: it does not keep the mesh alive. The arrays are `let`s of
    /// the final class, never mutated, so their storage stays where it is for
    /// as long as the mesh lives. `Shape.meshView` is the only view kept (it
    /// sits beside the `geometry` that owns the mesh and is replaced with it),
    /// and `Scene` holds its shapes while it renders (docs/design.md,
    /// "Borrowed meshes").
    @frozen
    public struct View {
        public let positions: UnsafeBufferPointer<Vec3>
        public let normals: UnsafeBufferPointer<Vec3>?
        public let uvs: UnsafeBufferPointer<(Double, Double)>?
        public let indices: UnsafeBufferPointer<UInt32>
        public let areaCDF: UnsafeBufferPointer<Double>
        public let area: Double
        /// Whether the mesh has attributes (`TriangleMesh.attributes`), which the surface interaction then points to.
        public let hasAttributes: Bool
        /// The mesh itself, unretained (`SurfaceInteraction.meshPointer`).
        public let mesh: UnsafeRawPointer

        @inlinable
        init(positions: UnsafeBufferPointer<Vec3>, normals: UnsafeBufferPointer<Vec3>?,
             uvs: UnsafeBufferPointer<(Double, Double)>?, indices: UnsafeBufferPointer<UInt32>,
             areaCDF: UnsafeBufferPointer<Double>, area: Double, hasAttributes: Bool, mesh: UnsafeRawPointer) {
            self.positions = positions; self.normals = normals; self.uvs = uvs; self.indices = indices
            self.areaCDF = areaCDF; self.area = area; self.hasAttributes = hasAttributes; self.mesh = mesh
        }

        /// The three vertices of triangle `t`.
        @inlinable @inline(__always)
        public func vertices(_ t: Int) -> (Vec3, Vec3, Vec3) {
            (positions[Int(indices[3 * t])], positions[Int(indices[3 * t + 1])], positions[Int(indices[3 * t + 2])])
        }

        /// The triangle whose CDF interval holds `u·area`, and `u` rescaled to [0, 1).
        /// In line: called, it took a copy of the whole view per light sample.
        @inlinable @inline(__always)
        public func sampleTriangle(_ u: Double) -> (Int, Double) {
            let target = u * area
            let lo = areaCDF.cdfBin(target)
            let start = lo == 0 ? 0 : areaCDF[lo - 1]
            let width = areaCDF[lo] - start
            return (lo, width > 0 ? min(max((target - start) / width, 0), 0.99999999) : 0.5)
        }

        /// A point uniform by area for the sample `u`: its triangle and barycentrics (b1, b2).
        @inlinable @inline(__always)
        public func samplePosition(_ u: (Double, Double)) -> (triangle: Int, b1: Double, b2: Double) {
            let (tri, u0) = sampleTriangle(u.0)
            let (b1, b2) = Warp.squareToUniformTriangle((u0, u.1))
            return (tri, b1, b2)
        }
    }

    /// A mesh from its plain triangles transformed to world space.
    public static func transformed(positions: [Vec3], normals: [Vec3]?, uvs: [(Double, Double)]?, indices: [UInt32],
                                   by toWorld: Transform, flipWinding: Bool = false) -> TriangleMesh {
        let p = positions.map { toWorld.point($0) }
        let n = normals.map { $0.map { toWorld.normal($0).normalized } }
        var idx = indices
        if flipWinding {
            for t in 0..<idx.count / 3 { idx.swapAt(3 * t + 1, 3 * t + 2) }
        }
        return TriangleMesh(positions: p, normals: n, uvs: uvs, indices: idx)
    }

    /// Mitsuba's `rectangle`: [−1, 1]² in the z = 0 plane, normal +Z.
    public static func rectangle(_ toWorld: Transform) -> TriangleMesh {
        transformed(positions: [Vec3(-1, -1, 0), Vec3(1, -1, 0), Vec3(1, 1, 0), Vec3(-1, 1, 0)],
                    normals: nil, uvs: [(0, 0), (1, 0), (1, 1), (0, 1)], indices: [0, 1, 2, 2, 3, 0], by: toWorld,
                    flipWinding: toWorld.flipsHandedness)
    }

    /// Mitsuba's `cube`: [−1, 1]³ with outward faces, 24 vertices and 12 triangles.
    public static func cube(_ toWorld: Transform) -> TriangleMesh {
        var p = [Vec3](), uv = [(Double, Double)](), idx = [UInt32]()
        // Each face: normal axis, sign; corners in counter-clockwise order seen from outside.
        for axis in 0..<3 {
            for sign in [-1.0, 1.0] {
                let n = Vec3(axis == 0 ? sign : 0, axis == 1 ? sign : 0, axis == 2 ? sign : 0)
                let a = Vec3(axis == 1 ? 1 : 0, axis == 2 ? 1 : 0, axis == 0 ? 1 : 0) // tangent
                let b = cross(n, a)
                let base = UInt32(p.count)
                for (s, t) in [(-1.0, -1.0), (1, -1), (1, 1), (-1, 1)] {
                    p.append(n + a * s + b * t)
                    uv.append(((s + 1) / 2, (t + 1) / 2))
                }
                idx += [base, base + 1, base + 2, base + 2, base + 3, base]
            }
        }
        return transformed(positions: p, normals: nil, uvs: uv, indices: idx, by: toWorld,
                           flipWinding: toWorld.flipsHandedness)
    }
}

extension TriangleMesh {
    /// Attribute `name` at barycentrics (u, v) of triangle `t` (p = (1−u−v) p0 + u p1 + v p2):
    /// a vertex attribute interpolated, a face attribute constant. Its first three
    /// components as a colour (one component: grey), or nil if the mesh has no such attribute.
    @inlinable
    public func attribute<T: Real>(_ name: String, triangle t: Int, u: T, v: T) -> RGB<T>? {
        guard let a = attributes.first(where: { $0.name == name }) else { return nil }
        let d = a.dimension
        func component(_ base: Int, _ k: Int) -> Double { a.values[base + Swift.min(k, d - 1)] }
        if a.isPerFace {
            let b = t * d
            return RGB(T(component(b, 0)), T(component(b, d == 1 ? 0 : 1)), T(component(b, d == 1 ? 0 : 2)))
        }
        let b0 = Int(indices[3 * t]) * d, b1 = Int(indices[3 * t + 1]) * d, b2 = Int(indices[3 * t + 2]) * d
        let w = 1 - u - v
        func mix(_ k: Int) -> T { w * T(component(b0, k)) + u * T(component(b1, k)) + v * T(component(b2, k)) }
        return d == 1 ? RGB(repeating: mix(0)) : RGB(mix(0), mix(1), mix(2))
    }
}
