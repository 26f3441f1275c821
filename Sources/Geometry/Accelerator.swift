import Autodiff
#if canImport(Glibc)
import Glibc
#endif

/// The acceleration structure behind the renderer's hit search and shadow
/// rays: DiffRay's own 4-wide `BVH` (tests in single precision, primitives
/// in doubles) or an Embree 3 scene (`EmbreeScene`, single precision
/// throughout, as Mitsuba 3 on the CPU). Both answer the same two queries
/// over the same primitives; the renderer then recomputes the chosen hit in
/// its scalar (`Shape.interaction`), so the choice changes which primitive
/// a ray meets only where the two precisions disagree (grazing rays, rays
/// through a shared edge).
///
/// `Hit.primitive` indexes `primitives`: the BVH's leaf order, or the input
/// order for Embree.
public struct Accelerator: Sendable {
    /// Which structure answers the queries.
    public enum Kind: String, Sendable, CaseIterable, EnvironmentChoice {
        case bvh, embree

        /// The environment variable that overrides `preferred` and `preferredForRendering`.
        public static let environmentVariable = "DIFFRAY_ACCEL"

        /// The kind scenes are built with unless told otherwise: `DIFFRAY_ACCEL`
        /// (`bvh` or `embree`) when it names one, else the BVH: the reference,
        /// whose bits the pixel environments' frames and the gradient figures
        /// rest on (docs/design.md, "The intersection core").
        public static let preferred: Kind = (try? fromEnvironment()) ?? .bvh

        /// The kind `diffray render` builds with unless told otherwise:
        /// `DIFFRAY_ACCEL` when it names one, else Embree, measured faster
        /// (docs/results.md, "Speed against Mitsuba 3").
        public static let preferredForRendering: Kind = (try? fromEnvironment()) ?? .embree

        /// `DIFFRAY_ACCEL`'s kind; nil when unset or empty; throws naming the
        /// variable when it is set to something else.
        public static func fromEnvironment() throws -> Kind? {
            try fromEnvironment { BVHError(primitive: nil, $0) }
        }
    }

    public let kind: Kind
    /// Every primitive; `Hit.primitive` indexes this table.
    public let primitives: PrimitiveTable
    /// The exact (double-precision) bounds of every primitive.
    public let bounds: Bounds3
    /// The hierarchy when `kind` is `.bvh` (empty otherwise).
    public let bvh: BVH
    /// The Embree scene when `kind` is `.embree`.
    public let embree: EmbreeScene?
    /// `embree`'s queries, borrowed (`EmbreeScene.query`): the hot path takes no reference to the scene.
    @usableFromInline let embreeQuery: EmbreeScene.Query?

    /// How far a ray leaving a surface starts from it along the surface
    /// normal, relative to the scene's size plus the point's largest
    /// coordinate (`Scene.epsilon`): the same for both kinds, so that a ray
    /// runs along the same line whichever structure answers it (a shadow
    /// edge does not move with the choice).
    @inlinable public var rayOffsetScale: Double { 1e-7 }

    /// Embree tests in single precision, where the surface a ray leaves lies
    /// within a few float ulps of its origin (2⁻²⁴ ≈ 6e-8 relative): its
    /// queries ignore hits closer than this, relative to the scene's size plus
    /// the origin's largest coordinate, about 170 ulps (Mitsuba 3 offsets
    /// its rays by 1500 · 2⁻²⁴ of 1 + the largest coordinate); shadow rays
    /// also stop 4 of these short of their target. An offset along the ray,
    /// unlike one along the normal, does not move the ray's line. 0 for the
    /// BVH, whose double-precision tests need none beyond `rayOffsetScale`.
    @inlinable public var rayStartScale: Double { kind == .bvh ? 0 : 1e-5 }

    /// Builds the structure over `count` primitives, as `BVH.init(count:...)`
    /// takes them: `primitive(i)` is primitive `i` and, when it is a triangle,
    /// `triangle(i)` its vertex indices into `vertices` (world space);
    /// spheres, disks and cylinders are given in world space, signed-distance
    /// grids by the `Primitive.shape` of their voxels. `meshIndices(k)`, for
    /// the first primitive `k` of a shape's triangles, may give that shape's
    /// own index array (three local indices a triangle, its vertices starting
    /// at `base` in `vertices`), which Embree then reads in place instead of a
    /// copy. Throws
    /// `BVHError` for a primitive whose coordinates are not finite or exceed
    /// `BVH.coordinateLimit` (either kind: the same limits), an index out of
    /// range, too many primitives, or an Embree failure.
    public init(kind: Kind = .preferred, count: Int, primitive: (Int) -> Primitive, triangle: (Int) -> TriangleIndices,
                vertices: ContiguousArray<Vec3>, spheres: [(center: Vec3, radius: Double)], disks: [Transform],
                cylinders: [Cylinder] = [], sdfGrids: [Int: SDFGrid] = [:],
                meshIndices: (Int) -> (indices: ContiguousArray<UInt32>, base: UInt32)? = { _ in nil }) throws {
        self.kind = kind
        switch kind {
        case .bvh:
            bvh = try BVH(count: count, primitive: primitive, triangle: triangle, vertices: vertices, spheres: spheres,
                          disks: disks, cylinders: cylinders, sdfGrids: sdfGrids)
            primitives = PrimitiveTable(bvh.primitives)
            bounds = bvh.bounds
            embree = nil
            embreeQuery = nil
        case .embree:
            guard count <= BVH.maximumPrimitiveCount else {
                throw BVHError(primitive: nil, "\(count) primitives, over the limit of \(BVH.maximumPrimitiveCount)")
            }
            // The same checks (and exact bounds) as the BVH's build; only the
            // analytic primitives' boxes are kept (Embree bounds its triangles itself).
            var analyticBoxes = [BVH.FloatBox]()
            bounds = try BVH.checkedBoxes(count: count, primitive: primitive, triangle: triangle, vertices: vertices,
                                          spheres: spheres, disks: disks, cylinders: cylinders, sdfGrids: sdfGrids) { _, kind, box in
                if kind != .triangle { analyticBoxes.append(box) }
            }
            primitives = PrimitiveTable(runsOf: count, primitive)
            embree = try EmbreeScene(count: count, primitive: primitive, triangle: triangle, vertices: vertices,
                                     meshIndices: meshIndices, analytic: { k in
                let p = primitive(k)
                switch p.kind {
                case .sphere: return .sphere(center: spheres[Int(p.index)].center, radius: spheres[Int(p.index)].radius)
                case .disk: return .disk(toLocal: disks[Int(p.index)].inverse)
                case .cylinder: return .cylinder(cylinders[Int(p.index)])
                case .sdfVoxel: return .sdfVoxel(Unmanaged.passUnretained(sdfGrids[Int(p.shape)]!), Int(p.index))
                case .triangle: preconditionFailure("a triangle is not an analytic shape")
                }
            }, analyticBoxes: analyticBoxes, grids: Array(sdfGrids.values))
            embreeQuery = embree?.query
            bvh = try BVH(count: 0, primitive: { _ in preconditionFailure() }, triangle: { _ in preconditionFailure() },
                          vertices: [], spheres: [], disks: [])
        }
    }

    /// The closest hit along `o + t d` for t in (tMin, tMax) (`BVH.intersect`,
    /// `EmbreeScene.intersect`). A ray with a NaN meets nothing. In line, as
    /// `BVH.intersect` is: the traversal reads the hierarchy's arrays in place.
    @inlinable @inline(__always)
    public func intersect(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double = .infinity) -> Hit? {
        guard let embree = embreeQuery else { return bvh.intersect(o: o, d: d, tMin: tMin, tMax: tMax) }
        if BVH.hasNaN(o, d) { return nil }
        return embree.intersect(o: o, d: d, tMin: tMin, tMax: tMax)
    }

    /// Whether anything lies along `o + t d` for t in (tMin, tMax): shadow rays.
    @inlinable @inline(__always)
    public func occluded(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double) -> Bool {
        guard let embree = embreeQuery else { return bvh.occluded(o: o, d: d, tMin: tMin, tMax: tMax) }
        if BVH.hasNaN(o, d) { return false }
        return embree.occluded(o: o, d: d, tMin: tMin, tMax: tMax)
    }
}

/// A setting chosen by an environment variable that names one of the cases.
public protocol EnvironmentChoice: RawRepresentable, CaseIterable where RawValue == String {
    /// The variable's name.
    static var environmentVariable: String { get }
}

extension EnvironmentChoice {
    /// The case `environmentVariable` names; nil when it is unset or empty;
    /// otherwise throws `error` of a message naming the variable, the cases and
    /// the value given.
    public static func fromEnvironment(_ error: (String) -> Error) throws -> Self? {
        guard let raw = getenv(environmentVariable), raw.pointee != 0 else { return nil }
        let value = String(cString: raw)
        guard let choice = Self(rawValue: value) else {
            throw error("\(environmentVariable) must be one of \(allCases.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
        }
        return choice
    }
}
