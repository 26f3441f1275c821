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

/// A scene ready to render, generic over the scalar: `Scene<Double>` renders,
/// `Scene<Dual…>` and `Scene<Adjoint>` differentiate. Traversal always runs on
/// the shared plain-double `accel`.
public struct Scene<T: Real> {
    public var file: String
    public var camera: PerspectiveCamera<T>
    public var film: Film
    public var integrator: IntegratorSettings
    public var sampleCount: Int
    public var seed: UInt64
    public var shapes: [Shape<T>]
    public var bsdfs: [BSDF<T>] { didSet { diffuseReflectance = Scene.diffuseTable(bsdfs) } }
    public var emitters: [Emitter<T>] {
        didSet { (pointLights, hasAreaEmitter) = Scene.emitterTables(emitters) }
    }
    /// Plain-data views of `bsdfs` and `emitters` for the path tracer's hot
    /// loop, kept in step by `didSet`: reading one of these per vertex copies
    /// a few doubles, where copying a `BSDF` or `Emitter` enum out of its
    /// array went through generic value witnesses (a fifth of a path's time).
    /// The constant reflectance of each BSDF that is a `diffuse` with a constant colour, else nil.
    public private(set) var diffuseReflectance: [RGB<T>?] = []
    /// Each emitter that is a point light, else nil.
    public private(set) var pointLights: [PointLight<T>?] = []
    /// Whether some emitter is an area light.
    public private(set) var hasAreaEmitter = false
    /// Indices of `emitters` at infinity (constant, envmap).
    public var environment: [Int]
    public var accel: BVH
    /// Parameter-key prefixes, as Mitsuba's `mi.traverse` names objects:
    /// `red.` for a BSDF with an id, `light.bsdf.` for a nested one;
    /// `light.emitter.` for an area light, `sun.` for a top-level emitter.
    public var bsdfPrefixes: [String] = []
    public var emitterPrefixes: [String] = []
    /// The sensor's id (`sensor` when the file gives none).
    public var sensorID = "sensor"
    /// Scene bounding sphere radius, for ray offsets.
    public let extent: Double

    public init(file: String, camera: PerspectiveCamera<T>, film: Film, integrator: IntegratorSettings,
                sampleCount: Int, seed: UInt64, shapes: [Shape<T>], bsdfs: [BSDF<T>], emitters: [Emitter<T>], accel: BVH) {
        self.file = file; self.camera = camera; self.film = film; self.integrator = integrator
        self.sampleCount = sampleCount; self.seed = seed; self.shapes = shapes; self.bsdfs = bsdfs
        self.emitters = emitters; self.accel = accel
        self.diffuseReflectance = Scene.diffuseTable(bsdfs)
        (self.pointLights, self.hasAreaEmitter) = Scene.emitterTables(emitters)
        self.environment = emitters.indices.filter { emitters[$0].isEnvironment }
        let b = accel.bounds
        self.extent = b.isEmpty ? 1 : max(1, (b.upper - b.lower).length)
    }

    static func diffuseTable(_ bsdfs: [BSDF<T>]) -> [RGB<T>?] {
        bsdfs.map { b in
            if case .diffuse(let d) = b, case .constant(let c) = d.reflectance { return c }
            return nil
        }
    }

    static func emitterTables(_ emitters: [Emitter<T>]) -> ([PointLight<T>?], Bool) {
        (emitters.map { e in if case .point(let l) = e { return l } else { return nil } },
         emitters.contains { e in if case .area = e { return true } else { return false } })
    }

    /// Builds the acceleration structure over shapes' primal geometry.
    public static func buildAccelerator(_ shapes: [Shape<Double>]) -> BVH {
        var prims = [Primitive](), spheres = [(center: Vec3, radius: Double)](), disks = [Transform]()
        for (s, shape) in shapes.enumerated() {
            switch shape.geometry {
            case .mesh(let m):
                for t in 0..<m.triangleCount { prims.append(Primitive(kind: .triangle, shape: Int32(s), index: Int32(t))) }
            case .sphere:
                prims.append(Primitive(kind: .sphere, shape: Int32(s), index: Int32(spheres.count)))
                spheres.append((shape.placedCenter, shape.radius))
            case .disk(let t):
                prims.append(Primitive(kind: .disk, shape: Int32(s), index: Int32(disks.count)))
                disks.append(shape.offset.map { Transform($0) * t } ?? t)
            }
        }
        // Traversal sees the primal pose: offsets and overridden vertices applied.
        return BVH(primitives: prims, triangleVertices: { p in
            let shape = shapes[Int(p.shape)]
            guard case .mesh(let m) = shape.geometry else { return (.zero, .zero, .zero) }
            return shape.triangleVertices(m, Int(p.index))
        }, spheres: spheres, disks: disks)
    }

    /// Offset distance for spawning rays off a surface.
    @inlinable @inline(__always)
    public func epsilon(_ p: Vec3) -> Double { 1e-7 * (extent + max(abs(p.x), max(abs(p.y), abs(p.z)))) }

    /// The closest surface along `ray` beyond the offset origin.
    @inlinable
    public func intersect(_ ray: Ray<T>) -> SurfaceInteraction<T>? {
        let r = ray.primal
        guard let hit = accel.intersect(o: r.o, d: r.d) else { return nil }
        let prim = accel.primitives[Int(hit.primitive)]
        // Borrow the shape in place: copying a generic `Shape` costs more than the hit itself.
        return shapes.withUnsafeBufferPointer {
            Shape.interaction(of: $0.baseAddress! + Int(prim.shape), ray: ray, hit: hit, triangle: Int(prim.index),
                              shapeIndex: Int(prim.shape))
        }
    }

    /// A ray leaving `si` in world direction `d`, its origin pushed off the surface.
    @inlinable @inline(__always)
    public func spawn(_ si: SurfaceInteraction<T>, _ d: Vector3<T>) -> Ray<T> {
        let ng = si.ng.primal
        let side: Double = dot(ng, d.primal) >= 0 ? 1 : -1
        let off = ng * (epsilon(si.p.primal) * side)
        return Ray(o: si.p + Vector3<T>(off), d: d)
    }

    /// Whether the segment from `si` towards `d` over `distance` is blocked.
    @inlinable @inline(__always)
    public func occluded(_ si: SurfaceInteraction<T>, _ d: Vec3, distance: Double) -> Bool {
        let ng = si.ng.primal
        let p = si.p.primal
        let eps = epsilon(p)
        let side: Double = dot(ng, d) >= 0 ? 1 : -1
        let o = p + ng * (eps * side)
        let tMax = distance.isFinite ? distance * (1 - 1e-9) - 4 * eps : .infinity
        return accel.occluded(o: o, d: d, tMax: tMax)
    }
}
