import Geometry
import SceneFile

/// Makes a one-sided BSDF two-sided: below the surface, `wi` and `wo` are
/// mirrored through the tangent plane (z negated) and the back BSDF (the
/// same one when only one is nested) is used, as Mitsuba 3's `twosided`.
///
/// ```xml
/// <bsdf type="twosided">
///     <bsdf type="diffuse"/>
/// </bsdf>
/// ```
///
/// Parameters: the nested BSDF's under `brdf_0.` (the back one's under `brdf_1.`).
public struct TwoSided<T: Real>: BSDFModel {
    public var front: BSDF<T>
    /// nil: the front BSDF on both sides.
    public var back: BSDF<T>?

    @inlinable
    public init(front: BSDF<T>, back: BSDF<T>? = nil) { self.front = front; self.back = back }

    @inlinable @inline(__always)
    static func flipped(_ si: SurfaceInteraction<T>) -> SurfaceInteraction<T> {
        var s = si
        s.wi.z = -s.wi.z
        return s
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        // Branch on the primal value: which side wi is on.
        let c = si.wi.z.primal
        if c > 0 { return front.eval(si, wo: wo) }
        if c < 0 { return (back ?? front).eval(TwoSided.flipped(si), wo: Vector3(wo.x, wo.y, -wo.z)) }
        return .zero
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let c = si.wi.z.primal
        if c > 0 { return front.pdf(si, wo: wo) }
        if c < 0 { return (back ?? front).pdf(TwoSided.flipped(si), wo: Vector3(wo.x, wo.y, -wo.z)) }
        return 0
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let c = si.wi.z.primal
        if c > 0 { return front.sample(si, u1: u1, u2: u2) }
        if c < 0 {
            guard var s = (back ?? front).sample(TwoSided.flipped(si), u1: u1, u2: u2) else { return nil }
            s.wo.z = -s.wo.z
            return s
        }
        return nil
    }

    @inlinable public var isDeltaOnly: Bool { front.isDeltaOnly && (back?.isDeltaOnly ?? true) }
    @inlinable public var needsTangents: Bool { front.needsTangents || (back?.needsTangents ?? false) }
    @inlinable public var hasTransmission: Bool { front.hasTransmission || (back?.hasTransmission ?? false) }
    @inlinable
    public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> {
        // Branch on the primal value: which side wi is on.
        if si.wi.z.primal >= 0 { return front.albedo(si) }
        return (back ?? front).albedo(TwoSided.flipped(si))
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .twoSided(TwoSided<U>(front: front.lifted(lifter, prefix: prefix + "brdf_0."),
                    back: back?.lifted(lifter, prefix: prefix + "brdf_1.")))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        front.parameters(prefix: prefix + "brdf_0.") + (back?.parameters(prefix: prefix + "brdf_1.") ?? [])
    }
}

extension TwoSided where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        let nested = object.children(.bsdf)
        guard nested.count == 1 || nested.count == 2 else {
            throw SceneFileError("twosided: expected one or two nested bsdfs, found \(nested.count)", at: object.location)
        }
        self.init(front: try BSDF(nested[0]), back: nested.count == 2 ? try BSDF(nested[1]) : nil)
    }
}
