import Autodiff

/// What the acceleration structure can hit: triangles of meshes, the
/// analytic sphere, disk and cylinder, and voxels of signed-distance grids.
public enum PrimitiveKind: UInt8, Sendable { case triangle, sphere, disk, cylinder, sdfVoxel }

/// One primitive: its kind, the shape it belongs to and its index inside it
/// (a triangle's or an sdf voxel's index in its shape, or the index of an
/// analytic shape in the structure's list of its kind).
@frozen
public struct Primitive: Sendable {
    public var kind: PrimitiveKind
    public var shape: Int32
    public var index: Int32
    @inlinable public init(kind: PrimitiveKind, shape: Int32, index: Int32) {
        self.kind = kind; self.shape = shape; self.index = index
    }
}

/// A ray hit from traversal, in plain doubles: the distance, the triangle's
/// barycentrics (u, v) for p = (1−u−v) p0 + u p1 + v p2, and the primitive.
@frozen
public struct Hit: Sendable {
    public var t: Double
    public var u: Double, v: Double
    public var primitive: Int32
    @inlinable public init(t: Double, u: Double, v: Double, primitive: Int32) {
        self.t = t; self.u = u; self.v = v; self.primitive = primitive
    }
}

/// Triangle edges precomputed for Möller–Trumbore.
@frozen
public struct TriangleEdges: Sendable {
    public var p0: Vec3, e1: Vec3, e2: Vec3
    @inlinable public init(_ p0: Vec3, _ p1: Vec3, _ p2: Vec3) { self.p0 = p0; e1 = p1 - p0; e2 = p2 - p0 }

    /// Möller–Trumbore; returns (t, u, v) for t in (tMin, tMax).
    @inlinable @inline(__always)
    public func intersect(o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> (t: Double, u: Double, v: Double)? {
        let pv = cross(d, e2)
        let det = dot(e1, pv)
        if det == 0 { return nil }
        let inv = 1 / det
        let tv = o - p0
        let u = dot(tv, pv) * inv
        if u < 0 || u > 1 { return nil }
        let qv = cross(tv, e1)
        let v = dot(d, qv) * inv
        if v < 0 || u + v > 1 { return nil }
        let t = dot(e2, qv) * inv
        if t <= tMin || t >= tMax { return nil }
        return (t, u, v)
    }
}

/// Ray–triangle intersection generic over the scalar, for recomputing a hit
/// found by traversal so that t, u, v carry derivatives.
@inlinable @inline(__always)
public func intersectTriangle<T>(_ ray: Ray<T>, _ p0: Vector3<T>, _ p1: Vector3<T>, _ p2: Vector3<T>)
    -> (t: T, u: T, v: T) {
    let e1 = p1 - p0, e2 = p2 - p0
    let pv = cross(ray.d, e2)
    let inv = 1 / dot(e1, pv)
    let tv = ray.o - p0
    let u = dot(tv, pv) * inv
    let qv = cross(tv, e1)
    let v = dot(ray.d, qv) * inv
    let t = dot(e2, qv) * inv
    return (t, u, v)
}

/// The roots t₀ ≤ t₁ of |offset + t · direction|² = radius², generic over the
/// scalar; nil when there are none (or `direction` is zero). c computed as
/// |offset|² − r² loses precision far away, so the discriminant uses the
/// (offset − (b/a) direction) form (Hearn–Baker, as in Ray Tracing Gems ch. 7).
/// Branches on primal values.
@inlinable @inline(__always)
public func quadraticRoots<T>(offset oc: Vector3<T>, direction d: Vector3<T>, radius: T) -> (T, T)? {
    let a = d.lengthSquared
    if a.primal == 0 { return nil }
    let b = dot(oc, d)
    let l = oc - d * (b / a)
    let disc = radius * radius - l.lengthSquared
    if disc.primal < 0 { return nil }
    let sq = T.sqrt(a * disc)
    let q = b.primal > 0 ? -(b + sq) : -(b - sq)
    let c = oc.lengthSquared - radius * radius
    let t0 = c / q, t1 = q / a
    return t0.primal <= t1.primal ? (t0, t1) : (t1, t0)
}

/// Ray–sphere intersection (nearest root above tMin), generic over the scalar.
/// Branches on primal values.
@inlinable @inline(__always)
public func intersectSphere<T>(o: Vector3<T>, d: Vector3<T>, center: Vector3<T>, radius: T, tMin: Double, tMax: Double) -> T? {
    guard let (t0, t1) = quadraticRoots(offset: o - center, direction: d, radius: radius) else { return nil }
    if t0.primal > tMin && t0.primal < tMax { return t0 }
    if t1.primal > tMin && t1.primal < tMax { return t1 }
    return nil
}

/// Ray–disk intersection (Mitsuba's `disk`: the unit disk of the local z = 0
/// plane): the distance in (tMin, tMax) and the hit's local x and y as (u, v),
/// from which the disk's texture coordinates follow; `toLocal` maps world to local space.
@inlinable @inline(__always)
public func intersectDisk(o: Vec3, d: Vec3, toLocal: Transform, tMin: Double, tMax: Double) -> (t: Double, u: Double, v: Double)? {
    let lo = toLocal.point(o), ld = toLocal.vector(d)
    if ld.z == 0 { return nil }
    let t = -lo.z / ld.z
    if t <= tMin || t >= tMax { return nil }
    let x = lo.x + ld.x * t, y = lo.y + ld.y * t
    if x * x + y * y > 1 { return nil }
    return (t, x, y)
}

/// An open cylinder (a tube without caps), as Mitsuba's `cylinder`: the
/// points at distance `radius` from the axis segment from `base` to
/// `base + length · axis`. `x` and `y` complete `axis` to the shape's local
/// frame (rigid, world space): its texture coordinates are
/// (φ / 2π, z / length), φ measured from `x` towards `y`.
@frozen
public struct Cylinder: Sendable, Equatable {
    public var base: Vec3, axis: Vec3, x: Vec3, y: Vec3
    public var radius: Double, length: Double
    @inlinable public init(base: Vec3, axis: Vec3, x: Vec3, y: Vec3, radius: Double, length: Double) {
        self.base = base; self.axis = axis; self.x = x; self.y = y; self.radius = radius; self.length = length
    }

    /// Surface area 2π r l.
    @inlinable public var area: Double { 2 * Double.pi * radius * length }

    /// The exact bounds: the two end circles' boxes (per axis i the circle
    /// of unit axis a reaches r √(1 − aᵢ²) from its centre).
    public var bounds: Bounds3 {
        let e = Vec3((1 - axis.x * axis.x).squareRoot(), (1 - axis.y * axis.y).squareRoot(),
                     (1 - axis.z * axis.z).squareRoot()) * radius
        let top = base + axis * length
        return Bounds3(lower: base - e, upper: base + e).union(Bounds3(lower: top - e, upper: top + e))
    }
}

/// The two roots t₀ ≤ t₁ of a ray meeting the infinite cylinder of unit
/// `axis` through `base` with `radius`, generic over the scalar; nil when it
/// misses (or runs parallel to the axis). Branches on primal values.
@inlinable @inline(__always)
public func cylinderRoots<T>(o: Vector3<T>, d: Vector3<T>, base: Vector3<T>, axis: Vector3<T>, radius: T) -> (T, T)? {
    let oc = o - base
    // The sphere's equation for the ray and the offset projected onto the plane ⊥ axis.
    return quadraticRoots(offset: oc - axis * dot(oc, axis), direction: d - axis * dot(d, axis), radius: radius)
}

/// Ray–cylinder intersection (Mitsuba's `cylinder`): the nearest root in
/// (tMin, tMax) whose point lies between the end circles.
@inlinable @inline(__always)
public func intersectCylinder(o: Vec3, d: Vec3, _ c: Cylinder, tMin: Double, tMax: Double) -> Double? {
    guard let (t0, t1) = cylinderRoots(o: o, d: d, base: c.base, axis: c.axis, radius: c.radius) else { return nil }
    let z0 = dot(o - c.base, c.axis), dz = dot(d, c.axis)
    func along(_ t: Double) -> Bool {
        let z = z0 + t * dz
        return t > tMin && t < tMax && z >= 0 && z <= c.length
    }
    return along(t0) ? t0 : (along(t1) ? t1 : nil)
}
