import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// Mitsuba 3's `projector`: a point light at the origin of `to_world` that
/// projects the `irradiance` image along its local +Z through a pinhole with
/// the field of view of a `perspective` sensor of the image's aspect ratio
/// (`fov`, `fov_axis`, or `focal_length`). A point at local (x, y, z), z > 0,
/// sees image position uv = (½ − ½ x / (z t), ½ − ½ a y / (z t)), t = tan(fov_x / 2),
/// a = width / height (local +X shows the image's left, as the sensor), and
/// receives irradiance π · scale · E(uv) at z = 1: the radiant intensity
/// towards it is π · scale · E(uv) · d³ / z³ (d its distance). Outside the
/// image, nothing.
///
/// ```xml
/// <emitter type="projector">
///     <transform name="to_world"><lookat origin="0, 3, 1" target="0, 0, 0"/></transform>
///     <texture type="bitmap" name="irradiance"><string name="filename" value="slide.png"/></texture>
///     <float name="fov" value="40"/>
///     <float name="scale" value="2"/>
/// </emitter>
/// ```
///
/// Parameters: the image's under `irradiance.` (`irradiance.data`, or
/// `irradiance.value` for a constant) and `scale`.
public struct Projector<T: Real> {
    public var toWorld: RigidFrame<T>
    public var irradiance: Texture<T>
    public var scale: T
    /// tan(fov_x / 2).
    public var tanHalfFov: Double
    /// The image's width over its height.
    public var aspect: Double

    public init(toWorld: RigidFrame<T>, irradiance: Texture<T>, scale: T, xFovDegrees: Double, aspect: Double) {
        self.toWorld = toWorld; self.irradiance = irradiance; self.scale = scale
        self.tanHalfFov = Glibc.tan(xFovDegrees * .pi / 360); self.aspect = aspect
    }

    @usableFromInline
    init(toWorld: RigidFrame<T>, irradiance: Texture<T>, scale: T, tanHalfFov: Double, aspect: Double) {
        self.toWorld = toWorld; self.irradiance = irradiance; self.scale = scale
        self.tanHalfFov = tanHalfFov; self.aspect = aspect
    }

    /// The radiant intensity (W/sr) towards world point `p`.
    @inlinable
    public func radiantIntensity(towards p: Vector3<T>) -> RGB<T> {
        let d = p - toWorld.origin
        // The local coordinates (to_world's axes are orthogonal; a scale is divided out).
        let x = dot(d, toWorld.x) / toWorld.x.lengthSquared, y = dot(d, toWorld.y) / toWorld.y.lengthSquared
        let z = dot(d, toWorld.z) / toWorld.z.lengthSquared
        // Branch on primal values: in front of the projector and inside the image.
        if z.primal <= 0 { return .zero }
        let t = T(tanHalfFov)
        let u = T(0.5) - T(0.5) * x / (z * t), v = T(0.5) - T(0.5 * aspect) * y / (z * t)
        if u.primal < 0 || u.primal > 1 || v.primal < 0 || v.primal > 1 { return .zero }
        let dist = T.sqrt(d.lengthSquared)
        let zWorld = dot(d, toWorld.z.normalized)
        return irradiance.eval((u, v)) * (T.pi * scale * dist * dist * dist / (zWorld * zWorld * zWorld))
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> Projector<U> {
        Projector<U>(toWorld: toWorld.constant(U.self), irradiance: irradiance.lifted(lifter, prefix: prefix + "irradiance."),
                     scale: lifter.scalar(prefix + "scale", scale.primal), tanHalfFov: tanHalfFov, aspect: aspect)
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        irradiance.parameters(prefix: prefix + "irradiance.") + [ParameterInfo(key: prefix + "scale", values: [scale.primal])]
    }
}
