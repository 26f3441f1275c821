import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// The geometry of a shape, in world space and plain doubles.
public enum ShapeGeometry: Sendable {
    case mesh(TriangleMesh)
    /// Mitsuba's `sphere` (center, radius after `to_world`); `axes` are its local
    /// x, y, z axes in world space (unit; to_world's rotation), in which its
    /// texture coordinates are measured. Boxed like the disk.
    indirect case sphere(center: Vec3, radius: Double, axes: Frame<Double>)
    /// Mitsuba's `disk`: the unit disk of the local z = 0 plane, normal +Z.
    /// Boxed: a transform is 256 bytes, and shapes are copied on hot paths.
    indirect case disk(toWorld: Transform)
    /// Mitsuba's `cylinder`: an open tube (no caps), normals outward. Boxed like the disk.
    indirect case cylinder(Cylinder)
    /// Mitsuba's `sdfgrid`: the zero set of a grid of signed distances, one
    /// primitive per voxel the surface crosses. No uv, no emission; its
    /// geometry has no parameters (as in Mitsuba, where they are not differentiable).
    case sdfGrid(SDFGrid)
}

/// A shape: geometry, material, optional area light, and the differentiable
/// pose offset (`<id>.translate`, `<id>.rotate`, zero at load) and sphere
/// parameters (`<id>.center`, `<id>.radius`; a cylinder's `<id>.radius`).
@frozen
public struct Shape<T: Real> {
    public var id: String
    public var geometry: ShapeGeometry { didSet { meshView = Shape.meshView(of: geometry) } }
    /// A mesh's arrays borrowed from the mesh `geometry` holds (nil for other
    /// shapes), what per-ray code reads instead of copying the mesh reference out
    /// of `geometry`: set with `geometry`, so it never outlives the mesh that
    /// this same value owns (`TriangleMesh.View`).
    public private(set) var meshView: TriangleMesh.View?
    /// Index into `Scene.bsdfs`.
    public var bsdf: Int
    /// Index into `Scene.emitters` of this shape's area light.
    public var emitter: Int?
    public var flipNormals: Bool
    /// Rigid pose offset applied on top of the loaded geometry (identity when
    /// its parameters are zero); `nil` when it is not being differentiated.
    public var offset: RigidFrame<T>?
    /// Differentiable sphere centre and radius (a cylinder's radius).
    public var center: Vector3<T>
    public var radius: T
    /// The point the `rotate` offset turns about (the shape's bounding-box centre).
    public var pivot: Vec3
    /// The pose parameters behind `offset`: world-space translation and
    /// axis-angle rotation (radians) about `pivot`, both zero at load.
    public var translate: Vector3<T> = .zero
    public var rotate: Vector3<T> = .zero
    /// World-space vertex positions in `T` when `<id>.vertex_positions` is
    /// differentiated (they replace the mesh's, which hold their primal values).
    public var vertices: ContiguousArray<Vector3<T>>? = nil

    public init(id: String, geometry: ShapeGeometry, bsdf: Int, emitter: Int?, flipNormals: Bool, pivot: Vec3) {
        self.id = id; self.geometry = geometry; self.bsdf = bsdf; self.emitter = emitter
        self.flipNormals = flipNormals; self.offset = nil; self.pivot = pivot
        meshView = Shape.meshView(of: geometry)
        switch geometry {
        case .sphere(let c, let r, _): center = Vector3(c); radius = T(r)
        case .cylinder(let c): center = .zero; radius = T(c.radius)
        case .mesh, .disk, .sdfGrid: center = .zero; radius = 0
        }
    }

    /// The root of the ray–sphere equation (a sphere at `centre` of `radius`), in `T`,
    /// whose primal is the traversal's hit distance `near` (the same root the traversal chose).
    @inlinable
    static func sphereRoot(_ ray: Ray<T>, centre: Vector3<T>, radius: T, near: Double) -> T {
        let oc = ray.o - centre
        let a = ray.d.lengthSquared, b = dot(oc, ray.d)
        let l = oc - ray.d * (b / a)
        let disc = radius * radius - l.lengthSquared
        let sq = T.sqrt(Swift.max(disc, 0) * a)
        let q = b.primal > 0 ? -(b + sq) : -(b - sq)
        let c = oc.lengthSquared - radius * radius
        let t0 = c / q, t1 = q / a
        return abs(t0.primal - near) <= abs(t1.primal - near) ? t0 : t1
    }

    /// `meshView` of a shape of `geometry`.
    static func meshView(of geometry: ShapeGeometry) -> TriangleMesh.View? {
        if case .mesh(let m) = geometry { return m.view } else { return nil }
    }

    /// Whether this is an `sdfgrid` (whose geometry has no parameters).
    public var isSDFGrid: Bool { if case .sdfGrid = geometry { return true } else { return false } }

    /// Surface area (primal), for area-light pdfs.
    public var area: Double { withUnsafePointer(to: self) { Shape.area(of: $0) } }

    /// `area` of a shape borrowed in place.
    @inlinable
    public static func area(of s: UnsafePointer<Shape<T>>) -> Double {
        if let m = s.pointee.meshView { return m.area }
        switch s.pointee.geometry {
        case .mesh: preconditionFailure("a mesh shape has a mesh view")
        case .sphere: return 4 * Double.pi * s.pointee.radius.primal * s.pointee.radius.primal
        case .disk(let t):
            let ax = t.vector(Vec3(1, 0, 0)), ay = t.vector(Vec3(0, 1, 0))
            return Double.pi * cross(ax, ay).length
        case .cylinder(let c): return 2 * Double.pi * s.pointee.radius.primal * c.length
        case .sdfGrid: return 0  // as Mitsuba: it cannot be sampled, nor emit
        }
    }

    /// A cylinder's base point, unit axis and local x and y axes with the pose offset applied, in `T`.
    @inlinable @inline(__always)
    static func cylinderFrame(_ c: Cylinder, _ offset: RigidFrame<T>?) -> (base: Vector3<T>, axis: Vector3<T>, x: Vector3<T>, y: Vector3<T>) {
        (placed(Vector3<T>(c.base), offset), turned(Vector3<T>(c.axis), offset), turned(Vector3<T>(c.x), offset),
         turned(Vector3<T>(c.y), offset))
    }

    @inlinable @inline(__always)
    func place(_ p: Vector3<T>) -> Vector3<T> { Shape.placed(p, offset) }
    /// A sphere's centre with the pose offset applied (`<id>.translate` moves a sphere too).
    @inlinable @inline(__always)
    public var placedCenter: Vector3<T> { place(center) }
    /// Vertex `i` of this mesh shape in world space and in `T` (read through `meshView`).
    @inlinable @inline(__always)
    func vertex(_ i: Int) -> Vector3<T> { Shape.vertex(meshView!, i, vertices, offset) }
    /// The three vertices of triangle `t` of this mesh shape.
    @inlinable @inline(__always)
    func triangleVertices(_ t: Int) -> (Vector3<T>, Vector3<T>, Vector3<T>) {
        Shape.triangleVertices(meshView!, t, vertices, offset)
    }
    @inlinable @inline(__always)
    func turn(_ v: Vector3<T>) -> Vector3<T> { Shape.turned(v, offset) }

    /// The surface interaction for a traversal hit, recomputed in `T` (split
    /// tracing: traversal in doubles, the chosen hit differentiable).
    @inlinable
    public func interaction(ray: Ray<T>, hit: Hit, triangle: Int, shapeIndex: Int) -> SurfaceInteraction<T> {
        withUnsafePointer(to: self) { Shape.interaction(of: $0, ray: ray, hit: hit, triangle: triangle, shapeIndex: shapeIndex) }
    }

    /// `place` with the offset passed in (the hot path reads fields, never a whole `Shape`).
    @inlinable @inline(__always)
    static func placed(_ p: Vector3<T>, _ offset: RigidFrame<T>?) -> Vector3<T> { offset.map { $0.point(p) } ?? p }
    @inlinable @inline(__always)
    static func turned(_ v: Vector3<T>, _ offset: RigidFrame<T>?) -> Vector3<T> { offset.map { $0.vector(v) } ?? v }
    /// `vertex` with the shape's differentiable `vertices` and pose `offset` passed in.
    @inlinable @inline(__always)
    static func vertex(_ m: TriangleMesh.View, _ i: Int, _ vertices: ContiguousArray<Vector3<T>>?,
                       _ offset: RigidFrame<T>?) -> Vector3<T> {
        if let v = vertices { return placed(v[i], offset) }
        return placed(Vector3<T>(m.positions[i]), offset)
    }
    /// `triangleVertices` with the shape's fields passed in.
    @inlinable @inline(__always)
    static func triangleVertices(_ m: TriangleMesh.View, _ t: Int, _ vertices: ContiguousArray<Vector3<T>>?,
                                 _ offset: RigidFrame<T>?) -> (Vector3<T>, Vector3<T>, Vector3<T>) {
        (vertex(m, Int(m.indices[3 * t]), vertices, offset), vertex(m, Int(m.indices[3 * t + 1]), vertices, offset),
         vertex(m, Int(m.indices[3 * t + 2]), vertices, offset))
    }

    /// A sphere's texture coordinates at point `p` on it, as Mitsuba: (φ / 2π, θ / π)
    /// in the sphere's own frame (to_world's rotation, then the pose offset's).
    @inlinable
    static func sphereUV(of s: UnsafePointer<Shape<T>>, point p: Vec3) -> (Double, Double) {
        guard case .sphere(_, _, let axes) = s.pointee.geometry else { return (0, 0) }
        let offset = s.pointee.offset
        let q = p - placed(s.pointee.center, offset).primal
        let local = Vec3(dot(q, turned(Vector3<T>(axes.s), offset).primal), dot(q, turned(Vector3<T>(axes.t), offset).primal),
                         dot(q, turned(Vector3<T>(axes.n), offset).primal))
        let phi = atan2(local.y, local.x)
        return ((phi < 0 ? phi + 2 * Double.pi : phi) / (2 * Double.pi), acos(min(max(local.z / s.pointee.radius.primal, -1), 1)) / Double.pi)
    }

    /// `interaction(ray:hit:triangle:shapeIndex:)` on a shape borrowed in
    /// place: it reads the fields it needs one by one. Copying a whole
    /// generic `Shape` per hit (strings, optionals, the geometry enum, through
    /// value witnesses) cost more than the hit itself. Same arithmetic.
    ///
    /// `uv: false` leaves the texture coordinates out (zero, or a triangle's
    /// barycentrics) on a surface where nothing reads them (`Scene.uvNeeded`).
    /// `exactHit` says that `hit` was found in doubles on exactly the vertices
    /// this shape gives (the BVH of the scene `Scene<Double>` renders, built
    /// from these shapes): for `T == Double` a triangle's distance and
    /// barycentrics are then the traversal's, which the recomputation would
    /// repeat operation for operation (`TriangleEdges.intersect`).
    @inlinable
    public static func interaction(of s: UnsafePointer<Shape<T>>, ray: Ray<T>, hit: Hit, triangle: Int,
                                   shapeIndex: Int, tangents: Bool = true, uv needsUV: Bool = true,
                                   exactHit: Bool = false) -> SurfaceInteraction<T> {
        var t: T, p: Vector3<T>, ng: Vector3<T>, ns: Vector3<T>, uv: (T, T)
        var dpdu = Vector3<T>.zero, dpdv = Vector3<T>.zero
        var onMesh: (mesh: UnsafeRawPointer, u: T, v: T)? = nil
        let offset = s.pointee.offset
        // A mesh through its borrowed view (`meshView`): no reference to the mesh is taken per hit.
        if let m = s.pointee.meshView {
            // Reverse mode with a constant ray on a mesh no key moves: every number below is a
            // constant, so it is computed in doubles (the same operations, so the same values)
            // rather than through `Adjoint`, which would test each operand for a tape index.
            if T.self == Adjoint.self, s.pointee.vertices == nil, offset == nil, isConstant(ray) {
                return constantMeshInteraction(m, ray: ray, hit: hit, triangle: triangle, shapeIndex: shapeIndex,
                                               flipNormals: s.pointee.flipNormals, tangents: tangents)
            }
            let traversed = T.self == Double.self && exactHit ? (T(hit.t), T(hit.u), T(hit.v)) : nil
            let hitOnMesh = meshHit(m, triangle: triangle, vertices: s.pointee.vertices, offset: offset, ray: ray, tangents: tangents,
                                    uv: needsUV, traversed: traversed)
            t = hitOnMesh.t; p = hitOnMesh.p; ng = hitOnMesh.ng; ns = hitOnMesh.ns; uv = hitOnMesh.uv
            dpdu = hitOnMesh.dpdu; dpdv = hitOnMesh.dpdv
            if m.hasAttributes { onMesh = (m.mesh, hitOnMesh.u, hitOnMesh.v) }
        } else {
            switch s.pointee.geometry {
            case .mesh: preconditionFailure("a mesh shape has a mesh view")
            case .sphere(_, _, let axes):
                let radius = s.pointee.radius
                let centre = placed(s.pointee.center, offset)
                t = sphereRoot(ray, centre: centre, radius: radius, near: hit.t)
                p = ray.at(t)
                ng = (p - centre) / radius
                ns = ng
                let sphereUV = needsUV ? Shape.sphereUV(of: s, point: p.primal) : (0, 0)
                uv = (T(sphereUV.0), T(sphereUV.1))
                if tangents {
                    // In the sphere's own frame, as its uv, then back to world space.
                    let ax = turned(Vector3<T>(axes.s), offset), ay = turned(Vector3<T>(axes.t), offset), az = turned(Vector3<T>(axes.n), offset)
                    let d = p - centre
                    let (lu, lv) = sphereTangents(Vector3(dot(d, ax), dot(d, ay), dot(d, az)))
                    dpdu = ax * lu.x + ay * lu.y + az * lu.z
                    dpdv = ax * lv.x + ay * lv.y + az * lv.z
                }
            case .disk(let toWorld):
                let c = placed(toWorld.point(Vector3<T>.zero), offset)
                let ax = turned(toWorld.vector(Vector3<T>(1, 0, 0)), offset), ay = turned(toWorld.vector(Vector3<T>(0, 1, 0)), offset)
                let n = cross(ax, ay)
                t = dot(c - ray.o, n) / dot(ray.d, n)
                p = ray.at(t)
                ng = n.normalized
                ns = ng
                // Polar texture coordinates, as Mitsuba's disk: (r, φ / 2π).
                let phi = atan2(hit.v, hit.u)
                uv = (T((hit.u * hit.u + hit.v * hit.v).squareRoot()), T((phi < 0 ? phi + 2 * Double.pi : phi) / (2 * Double.pi)))
                if tangents { (dpdu, dpdv) = diskTangents(ax, ay, hit.u, hit.v) }
            case .cylinder(let c):
                let (base, axis, x, y) = cylinderFrame(c, offset)
                let radius = s.pointee.radius
                // The root of the infinite cylinder whose primal is the traversal's (the end circles only select it).
                if let (t0, t1) = cylinderRoots(o: ray.o, d: ray.d, base: base, axis: axis, radius: radius) {
                    t = abs(t0.primal - hit.t) <= abs(t1.primal - hit.t) ? t0 : t1
                } else {
                    t = T(hit.t)
                }
                p = ray.at(t)
                let q = p - base
                let z = dot(q, axis)
                let radial = q - axis * z
                ng = radial / radius
                ns = ng
                // As Mitsuba: u = φ / 2π in the shape's local frame, v = z / length.
                let phi = T.atan2(y: dot(radial, y), x: dot(radial, x))
                uv = ((phi.primal < 0 ? phi + 2 * T.pi : phi) / (2 * T.pi), z / T(c.length))
            case .sdfGrid(let grid):
                // The point and normals from traversal's hit in doubles (the grid is
                // not differentiated); the distance is recomputed in T against the
                // tangent plane there, so that the point moves with the ray.
                let local = grid.toLocal.point(ray.primal.at(hit.t))
                let n = Vector3<T>(grid.toWorld.normal(grid.valueAndGradient(voxel: triangle, local: local).gradient).normalized)
                t = dot(Vector3<T>(grid.toWorld.point(local)) - ray.o, n) / dot(ray.d, n)
                p = ray.at(t)
                ng = n
                ns = grid.smoothNormals ? Vector3<T>(grid.toWorld.normal(grid.smoothNormal(local: local)).normalized) : n
                uv = (0, 0)
            }
        }
        return surfaceInteraction(t: t, p: p, ng: ng, ns: ns, uv: uv, dpdu: dpdu, dpdv: dpdv, ray: ray, hit: hit,
                                  triangle: triangle, shapeIndex: shapeIndex, flipNormals: s.pointee.flipNormals, onMesh: onMesh)
    }

    /// The interaction of a hit recomputed in `T`: normals flipped if the shape
    /// says so, the shading frame and the incoming direction in it, and the
    /// mesh and barycentrics when the mesh has attributes.
    @inlinable @inline(__always)
    static func surfaceInteraction(t: T, p: Vector3<T>, ng: Vector3<T>, ns: Vector3<T>, uv: (T, T), dpdu: Vector3<T>,
                                   dpdv: Vector3<T>, ray: Ray<T>, hit: Hit, triangle: Int, shapeIndex: Int, flipNormals: Bool,
                                   onMesh: (mesh: UnsafeRawPointer, u: T, v: T)?) -> SurfaceInteraction<T> {
        var ng = ng, ns = ns
        if flipNormals { ng = -ng; ns = -ns }
        let frame = Frame(normal: ns)
        var si = SurfaceInteraction(t: t, p: p, ng: ng, shading: frame, uv: uv, wi: frame.toLocal(-ray.d),
                                    shape: shapeIndex, primitive: Int(hit.primitive), dpdu: dpdu, dpdv: dpdv)
        if let onMesh { si.meshPointer = onMesh.mesh; si.triangle = triangle; si.barycentrics = (onMesh.u, onMesh.v) }
        return si
    }

    /// A ray–triangle hit recomputed in `T`: distance, point, geometric and
    /// shading normals, texture coordinates (the barycentrics unless `uv`),
    /// ∂p/∂u and ∂p/∂v (zero unless `tangents`) and the barycentrics (u, v).
    /// `traversed`, when given, is the distance and barycentrics traversal
    /// found with these very operations on these vertices (`exactHit` of
    /// `interaction(of:...)`), used instead of solving again.
    @inlinable @inline(__always)
    static func meshHit(_ m: TriangleMesh.View, triangle: Int, vertices: ContiguousArray<Vector3<T>>?, offset: RigidFrame<T>?,
                        ray: Ray<T>, tangents: Bool, uv needsUV: Bool = true, traversed: (T, T, T)? = nil)
        -> (t: T, p: Vector3<T>, ng: Vector3<T>, ns: Vector3<T>, uv: (T, T), dpdu: Vector3<T>, dpdv: Vector3<T>, u: T, v: T) {
        let i0 = Int(m.indices[3 * triangle]), i1 = Int(m.indices[3 * triangle + 1]), i2 = Int(m.indices[3 * triangle + 2])
        let (p0, p1, p2) = triangleVertices(m, triangle, vertices, offset)
        let (t, u, v) = traversed ?? intersectTriangle(ray, p0, p1, p2)
        let w = 1 - u - v
        let p = p0 * w + p1 * u + p2 * v
        let ng = cross(p1 - p0, p2 - p0).normalized
        let ns: Vector3<T>
        if let normals = m.normals {
            ns = turned(Vector3<T>(normals[i0]) * w + Vector3<T>(normals[i1]) * u + Vector3<T>(normals[i2]) * v, offset).normalized
        } else {
            ns = ng
        }
        let uv: (T, T)
        if needsUV, let uvs = m.uvs {
            uv = (w * T(uvs[i0].0) + u * T(uvs[i1].0) + v * T(uvs[i2].0),
                  w * T(uvs[i0].1) + u * T(uvs[i1].1) + v * T(uvs[i2].1))
        } else {
            uv = (u, v)
        }
        var dpdu = Vector3<T>.zero, dpdv = Vector3<T>.zero
        if tangents { (dpdu, dpdv) = meshTangents(m, i0, i1, i2, p0, p1, p2) }
        return (t, p, ng, ns, uv, dpdu, dpdv, u, v)
    }

    /// Whether `ray` (in reverse mode) depends on no tape variable.
    @inlinable @inline(__always)
    static func isConstant(_ ray: Ray<T>) -> Bool {
        (tapeIndices(ray.o) & tapeIndices(ray.d)) < 0
    }

    /// Whether `v` (in reverse mode) depends on no tape variable.
    @inlinable @inline(__always)
    static func isConstant(_ v: Vector3<T>) -> Bool {
        tapeIndices(v) < 0
    }

    /// The conjunction of `v`'s tape indices (`T` is `Adjoint`): every index is
    /// negative (a constant) exactly when their conjunction is.
    @inlinable @inline(__always)
    static func tapeIndices(_ v: Vector3<T>) -> Int32 {
        let a = unsafeBitCast(v, to: Vector3<Adjoint>.self)
        return a.x.index & a.y.index & a.z.index
    }

    /// `interaction(of:ray:hit:...)` on a mesh for a constant ray, computed in
    /// `Double` with the same operations and lifted to constants of `T`.
    @inlinable
    static func constantMeshInteraction(_ m: TriangleMesh.View, ray: Ray<T>, hit: Hit, triangle: Int, shapeIndex: Int,
                                        flipNormals: Bool, tangents: Bool) -> SurfaceInteraction<T> {
        let r = ray.primal
        let h = Shape<Double>.meshHit(m, triangle: triangle, vertices: nil, offset: nil, ray: r, tangents: tangents)
        let si = Shape<Double>.surfaceInteraction(t: h.t, p: h.p, ng: h.ng, ns: h.ns, uv: h.uv, dpdu: h.dpdu, dpdv: h.dpdv,
                                                  ray: r, hit: hit, triangle: triangle, shapeIndex: shapeIndex,
                                                  flipNormals: flipNormals, onMesh: m.hasAttributes ? (m.mesh, h.u, h.v) : nil)
        return SurfaceInteraction<T>(constant: si)
    }
}
