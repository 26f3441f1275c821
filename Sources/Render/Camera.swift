import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// The projection of a sensor (`<sensor type="...">`).
public enum SensorKind: String, Sendable {
    /// A pinhole (`perspective`).
    case perspective
    /// A thin lens with depth of field (`thinlens`): `apertureRadius`, `focusDistance`.
    case thinLens = "thinlens"
    /// Parallel rays along +Z (`orthographic`); `to_world`'s scale sets the view's size.
    case orthographic
}

/// Mitsuba's `perspective`, `thinlens` and `orthographic` sensors (see
/// `SensorKind`): a camera looking down +Z in its local frame, +Y up and +X
/// to the left (Mitsuba's `look_at` convention), so the image's x grows
/// towards the camera's right.
///
/// `thinlens` (Mitsuba's math: the film point's ray through the lens centre
/// meets the plane z = `focus_distance`; the ray leaves a point of the lens
/// disk of radius `aperture_radius`, sampled by the concentric map, towards
/// that focus point):
///
/// ```xml
/// <sensor type="thinlens">
///     <float name="fov" value="40"/>
///     <float name="aperture_radius" value="0.1"/>
///     <float name="focus_distance" value="4"/>
///     <transform name="to_world"><lookat origin="0, 0, 4" target="0, 0, 0" up="0, 1, 0"/></transform>
/// </sensor>
/// ```
///
/// The lens sample of a camera ray is a counter-based hash of its film
/// position's bits (the film position itself comes from the path's
/// sampler), so a path replays exactly and pinhole renders draw no more
/// numbers than before.
///
/// `orthographic`: rays along the camera's +Z from the points (x, y, 0) of
/// [−1, 1] × [−1/aspect, 1/aspect] mapped by `to_world` (scale it to size
/// the view), as Mitsuba:
///
/// ```xml
/// <sensor type="orthographic">
///     <transform name="to_world"><scale value="1.5"/><lookat origin="0, 1, 4" target="0, 1, 0" up="0, 1, 0"/></transform>
/// </sensor>
/// ```
///
/// Parameters beyond the pinhole's: `<sensor>.aperture_radius` and
/// `<sensor>.focus_distance` for `thinlens`.
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
    public var kind: SensorKind = .perspective
    /// Lens radius of a `thinlens` sensor, in scene units.
    public var apertureRadius: T = 0
    /// Distance of the plane in focus along the viewing axis, for `thinlens`.
    public var focusDistance: T = 1
    /// When rays are sent (`shutter_open`, `shutter_close`, rolling shutter).
    public var shutter = Shutter()
    /// The animated `to_world` (`<animation name="to_world">`), which then
    /// replaces `toWorld` at each ray's time; nil for a fixed sensor.
    public var motion: AnimatedTransform? = nil

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
        switch kind {
        case .perspective:
            let dLocal = Vector3<T>(tanX * T(sx), tanX * T(sy), 1)
            let d = toWorld.vector(dLocal).normalized
            return Ray(o: toWorld.origin, d: d)
        case .thinLens:
            let (lx, ly) = Warp.squareToUniformDiskConcentric(PerspectiveCamera.lensSample(fx, fy))
            let lens = Vector3<T>(apertureRadius * T(lx), apertureRadius * T(ly), 0)
            let focus = Vector3<T>(tanX * T(sx), tanX * T(sy), 1) * focusDistance
            let d = toWorld.vector(focus - lens).normalized
            return Ray(o: toWorld.point(lens), d: d)
        case .orthographic:
            let o = toWorld.point(Vector3<T>(T(sx), T(sy), 0))
            return Ray(o: o, d: toWorld.z.normalized)
        }
    }

    /// Two uniform numbers for the lens position of the camera ray through
    /// film position (fx, fy): a counter-based hash of the position's bits.
    @inlinable @inline(__always)
    public static func lensSample(_ fx: Double, _ fy: Double) -> (Double, Double) {
        var s = PathSampler(seed: fx.bitPattern, pixel: Int(truncatingIfNeeded: fy.bitPattern), index: 0x1E45)
        return s.next2D()
    }

    /// Whether rays leave one point (a pinhole): the edge-sampling boundary
    /// term's projection assumes so.
    @inlinable public var isPinhole: Bool { kind == .perspective }

    /// This camera's projection kind and lens over `U`, the lens parameters
    /// passed through `lifter` under `<sensor>.aperture_radius` and
    /// `<sensor>.focus_distance`.
    public func lens<U: Real>(_ lifter: Lifter<U>, sensorID sid: String) -> (SensorKind, U, U) {
        if kind == .thinLens {
            return (kind, lifter.scalar(sid + ".aperture_radius", apertureRadius.primal),
                    lifter.scalar(sid + ".focus_distance", focusDistance.primal))
        }
        return (kind, U(apertureRadius.primal), U(focusDistance.primal))
    }

    /// The lens parameters of a `thinlens` sensor (none for the others).
    public func lensParameters(sensorID sid: String) -> [ParameterInfo] {
        guard kind == .thinLens else { return [] }
        return [ParameterInfo(key: sid + ".aperture_radius", values: [apertureRadius.primal]),
                ParameterInfo(key: sid + ".focus_distance", values: [focusDistance.primal])]
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
