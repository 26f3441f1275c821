import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// What the integrator computes per pixel (Mitsuba's `path`, `direct`, `aov`).
public enum IntegratorKind: Sendable, Equatable {
    /// Path tracing; also how `ptracer` (Mitsuba's light tracer) is rendered: the same image by another estimator.
    case path
    case direct
    /// Arbitrary output variables, each rendered as its own image.
    case aov([AOV])
}

/// One arbitrary output variable of the `aov` integrator.
public struct AOV: Sendable, Equatable {
    public enum Kind: String, Sendable { case depth, normal = "sh_normal", geometricNormal = "geo_normal", albedo, position, uv }
    public var name: String
    public var kind: Kind
    public init(name: String, kind: Kind) { self.name = name; self.kind = kind }
}

public struct IntegratorSettings: Sendable {
    public var kind: IntegratorKind
    /// Longest path in segments; −1 for unlimited (Mitsuba's `max_depth`).
    public var maxDepth: Int
    /// Depth at which Russian roulette starts (`rr_depth`).
    public var rrDepth: Int
    /// Whether directly visible emitters are hidden (`hide_emitters`).
    public var hideEmitters: Bool
    public init(kind: IntegratorKind = .path, maxDepth: Int = -1, rrDepth: Int = 5, hideEmitters: Bool = false) {
        self.kind = kind; self.maxDepth = maxDepth; self.rrDepth = rrDepth; self.hideEmitters = hideEmitters
    }
}

/// A shape the acceleration structure refuses; `shape` indexes `Scene.shapes`
/// (nil when the scene as a whole is too large).
public struct ShapeGeometryError: Error, Sendable, CustomStringConvertible {
    public let shape: Int?
    public let id: String?
    public let message: String
    public init(shape: Int?, id: String?, _ message: String) { self.shape = shape; self.id = id; self.message = message }
    public var description: String { message }
}

/// A scene ready to render, generic over the scalar: `Scene<Double>` renders,
/// `Scene<Dual…>` and `Scene<Adjoint>` differentiate. Traversal always runs on
/// the shared primal `accel` (the BVH or Embree, `Accelerator`).
public struct Scene<T: Real> {
    public var file: String
    public var camera: PerspectiveCamera<T>
    public var film: Film
    public var integrator: IntegratorSettings { didSet { uvNeeded = Scene.uvTable(bsdfs, integrator) } }
    public var sampleCount: Int
    public var seed: UInt64
    public var shapes: [Shape<T>]
    public var bsdfs: [BSDF<T>] { didSet { updateBSDFTables() } }
    public var emitters: [Emitter<T>] { didSet { updateEmitterTables() } }
    /// Plain-data views of `bsdfs` and `emitters` for the path tracer's hot
    /// loop, kept in step by `didSet` (`updateBSDFTables`, `updateEmitterTables`,
    /// which `init` calls too): reading one of these per vertex copies
    /// a few doubles, where copying a `BSDF` or `Emitter` enum out of its
    /// array went through generic value witnesses (a fifth of a path's time).
    /// The constant reflectance of each BSDF that is a `diffuse` with a constant colour, else nil.
    public private(set) var diffuseReflectance: [RGB<T>?] = []
    /// Each BSDF that is a `diffuse` with a texture (not a constant colour), else nil.
    public private(set) var texturedDiffuse: [Diffuse<T>?] = []
    /// Whether each BSDF reads ∂p/∂u (`BSDF.needsTangents`): hits on the others skip computing it.
    public private(set) var tangentsNeeded: [Bool] = []
    /// Whether each BSDF has only delta lobes (`BSDF.isDeltaOnly`): next-event estimation skips it.
    public private(set) var deltaOnly: [Bool] = []
    /// Whether a hit on a surface of each BSDF needs its texture coordinates: false for a
    /// constant-colour `diffuse` under any integrator but `aov` (an area light's
    /// texture is read where its shape is hit: `interaction(_:staticHit:)` asks the shape too).
    public private(set) var uvNeeded: [Bool] = []
    /// Each emitter that is a point light, else nil.
    public private(set) var pointLights: [PointLight<T>?] = []
    /// Each emitter that is an area light of constant radiance (no texture): its shape and radiance, else nil.
    public private(set) var constantAreaLights: [(shape: Int, radiance: RGB<T>)?] = []
    /// Whether some emitter is an area light.
    public private(set) var hasAreaEmitter = false
    /// Each emitter at infinity (constant, envmap) as plain data, an environment
    /// map borrowed from the emitter that owns it (`EnvironmentEmitter`), else nil.
    public private(set) var environmentEmitters: [EnvironmentEmitter<T>?] = []
    /// Indices of `emitters` at infinity (constant, envmap).
    public private(set) var environment: [Int] = []
    public var accel: Accelerator
    /// Animated instances, outside `accel` (`MovingGroup`); empty in scenes without motion.
    public var movingGroups: [MovingGroup] = []
    /// Per emitter, its animated `to_world` (point and spot lights); empty when no emitter moves.
    public var emitterMotions: [AnimatedTransform?] = []
    /// Whether anything moves: the sensor, a shape or a light (gradients refuse such scenes).
    public var isAnimated: Bool { camera.motion != nil || !movingGroups.isEmpty || !emitterMotions.isEmpty }
    /// Parameter-key prefixes, as Mitsuba's `mi.traverse` names objects:
    /// `red.` for a BSDF with an id, `light.bsdf.` for a nested one;
    /// `light.emitter.` for an area light, `sun.` for a top-level emitter.
    public var bsdfPrefixes: [String] = []
    public var emitterPrefixes: [String] = []
    /// The sensor's id (`sensor` when the file gives none).
    public var sensorID = "sensor"
    /// Scene bounding sphere radius, for ray offsets.
    public let extent: Double
    /// Seconds the loader spent building `accel`, wall clock and CPU (0 when not loaded from a file).
    public var acceleratorSeconds = 0.0
    public var acceleratorCPUSeconds = 0.0

    public init(file: String, camera: PerspectiveCamera<T>, film: Film, integrator: IntegratorSettings,
                sampleCount: Int, seed: UInt64, shapes: [Shape<T>], bsdfs: [BSDF<T>], emitters: [Emitter<T>], accel: Accelerator) {
        self.file = file; self.camera = camera; self.film = film; self.integrator = integrator
        self.sampleCount = sampleCount; self.seed = seed; self.shapes = shapes; self.bsdfs = bsdfs
        self.emitters = emitters; self.accel = accel
        let b = accel.bounds
        self.extent = b.isEmpty ? 1 : max(1, (b.upper - b.lower).length)
        updateBSDFTables()
        updateEmitterTables()
    }

    /// Recomputes the plain-data views of `bsdfs`.
    mutating func updateBSDFTables() {
        diffuseReflectance = Scene.diffuseTable(bsdfs)
        texturedDiffuse = Scene.texturedDiffuseTable(bsdfs)
        tangentsNeeded = bsdfs.map(\.needsTangents)
        deltaOnly = bsdfs.map(\.isDeltaOnly)
        uvNeeded = Scene.uvTable(bsdfs, integrator)
    }

    /// Recomputes the plain-data views of `emitters`.
    mutating func updateEmitterTables() {
        pointLights = emitters.map { e in if case .point(let l) = e { return l } else { return nil } }
        constantAreaLights = emitters.map { e in if case .area(let l) = e, l.texture == nil { return (l.shape, l.radiance) } else { return nil } }
        hasAreaEmitter = emitters.contains { e in if case .area = e { return true } else { return false } }
        environmentEmitters = emitters.map(\.environmentEmitter)
        environment = environmentEmitters.indices.filter { environmentEmitters[$0] != nil }
    }

    static func diffuseTable(_ bsdfs: [BSDF<T>]) -> [RGB<T>?] {
        bsdfs.map { b in
            if case .diffuse(let d) = b, case .constant(let c) = d.reflectance { return c }
            return nil
        }
    }

    static func texturedDiffuseTable(_ bsdfs: [BSDF<T>]) -> [Diffuse<T>?] {
        bsdfs.map { b in
            guard case .diffuse(let d) = b else { return nil }
            if case .constant = d.reflectance { return nil }
            return d
        }
    }

    /// `uvNeeded`: every BSDF but a constant-colour `diffuse` may read texture
    /// coordinates (a texture, a normal or bump map), and the `aov` integrator may output them.
    static func uvTable(_ bsdfs: [BSDF<T>], _ integrator: IntegratorSettings) -> [Bool] {
        if case .aov = integrator.kind { return bsdfs.map { _ in true } }
        return diffuseTable(bsdfs).map { $0 == nil }
    }

    /// Builds the acceleration structure of `kind` over shapes' primal geometry. Throws
    /// `ShapeGeometryError` naming the shape when the hierarchy refuses it
    /// (coordinates beyond `BVH.coordinateLimit`, too many primitives).
    public static func buildAccelerator(_ shapes: [Shape<Double>], kind: Accelerator.Kind = .preferred) throws -> Accelerator {
        var triangleCount = 0, vertexCount = 0
        for shape in shapes {
            if case .mesh(let m) = shape.geometry { triangleCount += m.triangleCount; vertexCount += m.positions.count }
        }
        guard triangleCount + shapes.count <= BVH.maximumPrimitiveCount, vertexCount <= Int(UInt32.max) else {
            throw ShapeGeometryError(shape: nil, id: nil, "the scene has \(triangleCount) triangles and \(vertexCount) vertices, "
                                     + "over the limits of \(BVH.maximumPrimitiveCount) primitives and \(UInt32.max) vertices")
        }
        // Per shape: its first primitive, kind, sphere or disk index, first
        // vertex and triangle indices. The hierarchy asks for primitives by
        // global index, so no per-primitive copy of the input is made.
        var spheres = [(center: Vec3, radius: Double)](), disks = [Transform](), cylinders = [Cylinder](), sdfGrids = [Int: SDFGrid]()
        var first = [Int](), kinds = [PrimitiveKind](), analytic = [Int32](), bases = [UInt32]()
        var indexArrays = [ContiguousArray<UInt32>]()
        // Traversal sees the primal pose: offsets and overridden vertices applied.
        // A plain mesh's positions are shared, not copied, when they come first.
        var vertices = ContiguousArray<Vec3>()
        var count = 0
        for shape in shapes {
            first.append(count)
            switch shape.geometry {
            case .mesh(let m):
                bases.append(UInt32(vertices.count))
                if shape.vertices == nil && shape.offset == nil {
                    if vertices.isEmpty { vertices = m.positions } else { vertices.append(contentsOf: m.positions) }
                } else {
                    if vertices.isEmpty { vertices.reserveCapacity(vertexCount) }
                    let view = m.view
                    for i in 0..<m.positions.count { vertices.append(Shape.vertex(view, i, shape.vertices, shape.offset)) }
                }
                kinds.append(.triangle); analytic.append(0); indexArrays.append(m.indices)
                count += m.triangleCount
            case .sphere:
                bases.append(0); kinds.append(.sphere); analytic.append(Int32(spheres.count)); indexArrays.append([])
                spheres.append((shape.placedCenter, shape.radius))
                count += 1
            case .disk(let t):
                bases.append(0); kinds.append(.disk); analytic.append(Int32(disks.count)); indexArrays.append([])
                disks.append(shape.offset.map { Transform($0) * t } ?? t)
                count += 1
            case .cylinder(let c):
                bases.append(0); kinds.append(.cylinder); analytic.append(Int32(cylinders.count)); indexArrays.append([])
                let (base, axis, x, y) = Shape.cylinderFrame(c, shape.offset)
                cylinders.append(Cylinder(base: base, axis: axis, x: x, y: y, radius: shape.radius, length: c.length))
                count += 1
            case .sdfGrid(let grid):
                // One primitive per voxel the surface crosses (it has no pose offset: no parameters).
                bases.append(0); kinds.append(.sdfVoxel); analytic.append(0); indexArrays.append([])
                sdfGrids[first.count - 1] = grid  // keyed by this shape's index
                count += grid.voxels.count
            }
        }
        first.append(count)
        // The shape of global primitive `k`: the last shape looked up, else a binary search.
        var last = 0
        func shapeOf(_ k: Int) -> Int {
            if first[last] <= k && k < first[last + 1] { return last }
            var lo = 0, hi = shapes.count - 1  // the last shape whose first primitive is ≤ k
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if first[mid] <= k { lo = mid } else { hi = mid - 1 }
            }
            last = lo
            return lo
        }
        do {
            return try Accelerator(kind: kind, count: count, primitive: { k in
                let s = shapeOf(k)
                let perShape = kinds[s] == .triangle || kinds[s] == .sdfVoxel
                return Primitive(kind: kinds[s], shape: Int32(s), index: perShape ? Int32(k - first[s]) : analytic[s])
            }, triangle: { k in
                let s = shapeOf(k), t = k - first[s], base = bases[s]
                return indexArrays[s].withUnsafeBufferPointer { idx in
                    TriangleIndices(base &+ idx[3 * t], base &+ idx[3 * t + 1], base &+ idx[3 * t + 2])
                }
            }, vertices: vertices, spheres: spheres, disks: disks, cylinders: cylinders, sdfGrids: sdfGrids, meshIndices: { k in
                let s = shapeOf(k)
                return kinds[s] == .triangle && first[s] == k ? (indexArrays[s], bases[s]) : nil
            })
        } catch let e as BVHError {
            guard let k = e.primitive else { throw ShapeGeometryError(shape: nil, id: nil, e.message) }
            let s = shapeOf(k)
            throw ShapeGeometryError(shape: s, id: shapes[s].id, "shape '\(shapes[s].id)': \(e.message)")
        }
    }

    /// CPU seconds the calling thread has used (the acceleration structure is built on one thread).
    public static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Offset distance for spawning rays off a surface along its normal. In
    /// doubles (and dual and adjoint numbers, whose primals are doubles)
    /// `Accelerator.rayOffsetScale` of the scene's size plus the point's largest
    /// coordinate; in single precision `Scene.singleRayEpsilon` of 1 plus the
    /// point's largest coordinate, as Mitsuba 3 offsets its rays.
    @inlinable @inline(__always)
    public func epsilon(_ p: Vec3) -> Double {
        let magnitude = max(abs(p.x), max(abs(p.y), abs(p.z)))
        if T.self == Float.self { return Scene.singleRayEpsilon * (1 + magnitude) }
        return accel.rayOffsetScale * (extent + magnitude)
    }

    /// A single-precision path's ray offset, relative to 1 plus the point's
    /// largest coordinate: 1500 · 2⁻²⁴ (Mitsuba 3's `math::RayEpsilon<float>`),
    /// about 1500 float ulps of the point, far above the few ulps by which a
    /// hit recomputed in `Float` (a triangle's barycentric interpolation, a
    /// sphere's or disk's root) strays from its surface.
    @inlinable public static var singleRayEpsilon: Double { 1500 * 0x1p-24 }

    /// The distance along a ray from `p` below which the accelerator's hits
    /// are ignored (`Accelerator.rayStartScale`; 0 for the BVH).
    @inlinable @inline(__always)
    public func rayStart(_ p: Vec3) -> Double { accel.rayStartScale * (extent + max(abs(p.x), max(abs(p.y), abs(p.z)))) }

    /// The closest surface along `ray` beyond the offset origin.
    @inlinable
    public func intersect(_ ray: Ray<T>) -> SurfaceInteraction<T>? {
        if !movingGroups.isEmpty { return intersectMoving(ray) }
        let r = ray.primal
        guard let hit = accel.intersect(o: r.o, d: r.d, tMin: tMin(r)) else { return nil }
        return interaction(ray, staticHit: hit)
    }

    /// Where `intersect` starts along `r`: Embree ignores a hit within `rayStart` of the
    /// origin, the surface the ray leaves (a distance along a direction that need not be
    /// unit length). The BVH takes no branch here beyond this test.
    @inlinable @inline(__always)
    func tMin(_ r: Ray<Double>) -> Double { accel.kind == .bvh ? 0 : rayStart(r.o) / r.d.length }

    /// The surface interaction of `hit`, the closest hit of `ray` in the static structure `accel`.
    /// The BVH tests triangles in doubles on the vertices `buildAccelerator` took from these
    /// shapes, so a `Scene<Double>`'s triangle hit keeps the traversal's distance and
    /// barycentrics (`exactHit`); texture coordinates are left out where nothing reads them
    /// (`uvNeeded`, and no area light on the shape).
    @inlinable @inline(__always)
    func interaction(_ ray: Ray<T>, staticHit hit: Hit) -> SurfaceInteraction<T> {
        let prim = accel.primitives.primitive(Int(hit.primitive))
        let exactHit = T.self == Double.self && accel.kind == .bvh
        // Borrow the shape in place: copying a generic `Shape` costs more than the hit itself.
        return shapes.withUnsafeBufferPointer {
            let shape = $0.baseAddress! + Int(prim.shape)
            let b = shape.pointee.bsdf
            var si = Shape.interaction(of: shape, ray: ray, hit: hit, triangle: Int(prim.index), shapeIndex: Int(prim.shape),
                                       tangents: tangentsNeeded[b], uv: uvNeeded[b] || shape.pointee.emitter != nil,
                                       exactHit: exactHit)
            si.time = ray.time
            return si
        }
    }

    /// A ray leaving `si` in world direction `d`, its origin pushed off the surface.
    @inlinable @inline(__always)
    public func spawn(_ si: SurfaceInteraction<T>, _ d: Vector3<T>) -> Ray<T> {
        let ng = si.ng.primal
        let side: Double = dot(ng, d.primal) >= 0 ? 1 : -1
        let off = ng * (epsilon(si.p.primal) * side)
        return Ray(o: si.p + Vector3<T>(off), d: d, time: si.time)
    }

    /// Whether the segment from `si` towards `d` over `distance` is blocked.
    /// The ray leaves from the origin pushed off the surface and, for a finite
    /// segment, aims from there at the segment's end (as Mitsuba's
    /// `spawn_ray_to`): the same direction from the pushed origin would meet the
    /// target's surface early when that surface is seen at a grazing angle, and
    /// report the light occluded by itself.
    @inlinable @inline(__always)
    public func occluded(_ si: SurfaceInteraction<T>, _ d: Vec3, distance: Double) -> Bool {
        let ng = si.ng.primal
        let p = si.p.primal
        let eps = epsilon(p)
        let side: Double = dot(ng, d) >= 0 ? 1 : -1
        let o = p + ng * (eps * side)
        // The BVH: from the offset origin, stopping 4 ε short. Embree: the same line, hits within
        // `rayStart` of either end ignored (single precision).
        let start = accel.kind == .bvh ? 0 : rayStart(p)
        guard distance.isFinite else {
            return accel.occluded(o: o, d: d, tMin: start, tMax: .infinity)
                || (!movingGroups.isEmpty && movingOccluded(o: o, d: d, tMin: start, tMax: .infinity, time: si.time))
        }
        let toTarget = p + d * distance - o
        let length = toTarget.length
        let dir = toTarget / length, tMax = length * (1 - 1e-9) - 4 * max(eps, start)
        return accel.occluded(o: o, d: dir, tMin: start, tMax: tMax)
            || (!movingGroups.isEmpty && movingOccluded(o: o, d: dir, tMin: start, tMax: tMax, time: si.time))
    }
}
