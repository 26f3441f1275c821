import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// Mitsuba's `perspective` sensor: a pinhole camera looking down +Z in its
/// local frame, +Y up and +X to the left (Mitsuba's `look_at` convention), so
/// the image's x grows towards the camera's right.
///
/// ```xml
/// <sensor type="perspective">
///     <float name="fov" value="39.3077"/>
///     <string name="fov_axis" value="x"/>
///     <transform name="to_world"><lookat origin="0, 0, 4" target="0, 0, 0" up="0, 1, 0"/></transform>
///     <film type="hdrfilm"><integer name="width" value="256"/><integer name="height" value="256"/></film>
/// </sensor>
/// ```
public struct PerspectiveCamera<T: Real> {
    /// Camera-to-world rigid motion: rotation columns and origin, in `T` so the
    /// pose can be differentiated.
    public var toWorld: RigidFrame<T>
    /// Horizontal field of view, degrees (after resolving `fov_axis`).
    public var xFov: T
    public var width: Int, height: Int
    public var nearClip: Double, farClip: Double
    /// The loaded `to_world` (`<sensor>.to_world`) and the pose offset on top of
    /// it (`<sensor>.translate`, `<sensor>.rotate` about the camera's origin).
    public var baseToWorld: RigidFrame<T>
    public var translate: Vector3<T> = .zero
    public var rotate: Vector3<T> = .zero

    public init(toWorld: RigidFrame<T>, xFov: T, width: Int, height: Int, nearClip: Double, farClip: Double) {
        self.toWorld = toWorld; self.baseToWorld = toWorld; self.xFov = xFov; self.width = width; self.height = height
        self.nearClip = nearClip; self.farClip = farClip
    }

    /// The primary ray through film position (fx, fy) in pixels (0…width, 0…height, top row first).
    @inlinable @inline(__always)
    public func ray(filmX fx: Double, filmY fy: Double) -> Ray<T> {
        ray(filmX: fx, filmY: fy, tanHalfFov: tanHalfFov)
    }

    /// tan(xFov / 2), hoisted out of per-ray work by callers.
    @inlinable public var tanHalfFov: T { T.tan(xFov * T(Double.pi / 360)) }

    @inlinable @inline(__always)
    public func ray(filmX fx: Double, filmY fy: Double, tanHalfFov tanX: T) -> Ray<T> {
        let aspect = Double(width) / Double(height)
        let sx = 1 - 2 * fx / Double(width)      // +1 at the left edge: camera +X is left
        let sy = (1 - 2 * fy / Double(height)) / aspect
        let dLocal = Vector3<T>(tanX * T(sx), tanX * T(sy), 1)
        let d = toWorld.vector(dLocal).normalized
        return Ray(o: toWorld.origin, d: d)
    }
}

/// A rigid frame: orthonormal axes and an origin, in `T`. Used for camera
/// poses and the `translate`/`rotate` offsets of shapes.
public struct RigidFrame<T: Real> {
    public var x: Vector3<T>, y: Vector3<T>, z: Vector3<T>, origin: Vector3<T>
    public init(x: Vector3<T>, y: Vector3<T>, z: Vector3<T>, origin: Vector3<T>) {
        self.x = x; self.y = y; self.z = z; self.origin = origin
    }
    public static var identity: RigidFrame {
        RigidFrame(x: Vector3(1, 0, 0), y: Vector3(0, 1, 0), z: Vector3(0, 0, 1), origin: .zero)
    }
    @inlinable @inline(__always)
    public func vector(_ v: Vector3<T>) -> Vector3<T> { x * v.x + y * v.y + z * v.z }
    @inlinable @inline(__always)
    public func point(_ p: Vector3<T>) -> Vector3<T> { origin + vector(p) }

    /// The rigid motion `rotate` (axis-angle vector, radians) then `translate`
    /// about `pivot`: p ↦ R (p − pivot) + pivot + translate. Rodrigues' formula.
    @inlinable
    public static func offset(translate: Vector3<T>, rotate: Vector3<T>, pivot: Vec3) -> RigidFrame<T> {
        let theta2 = rotate.lengthSquared
        var r = RigidFrame.identity
        if theta2.primal > 0 {
            let theta = T.sqrt(theta2)
            let k = rotate / theta
            let c = T.cos(theta), s = T.sin(theta), oc = 1 - c
            func col(_ e: Vector3<T>) -> Vector3<T> { e * c + cross(k, e) * s + k * (dot(k, e) * oc) }
            r = RigidFrame(x: col(Vector3(1, 0, 0)), y: col(Vector3(0, 1, 0)), z: col(Vector3(0, 0, 1)), origin: .zero)
        } else {
            // First order about 0 keeps the derivative at zero rotation: R ≈ I + [k]×.
            func col(_ e: Vector3<T>) -> Vector3<T> { e + cross(rotate, e) }
            r = RigidFrame(x: col(Vector3(1, 0, 0)), y: col(Vector3(0, 1, 0)), z: col(Vector3(0, 0, 1)), origin: .zero)
        }
        let pv = Vector3<T>(pivot)
        r.origin = pv + translate - r.vector(pv)
        return r
    }

    /// `self ∘ other`.
    @inlinable
    public func compose(_ o: RigidFrame<T>) -> RigidFrame<T> {
        RigidFrame(x: vector(o.x), y: vector(o.y), z: vector(o.z), origin: point(o.origin))
    }
}
