import Geometry
import SceneFile

/// An opacity mask over a nested BSDF, as Mitsuba 3's `mask`: with
/// probability α (the `opacity` texture, clamped to [0, 1]) the nested BSDF
/// scatters, otherwise the path passes straight through (a null lobe:
/// wo = −wi, a delta). f = α · f_nested.
///
/// ```xml
/// <bsdf type="mask">
///     <texture type="bitmap" name="opacity"><string name="filename" value="leaf-mask.png"/></texture>
///     <bsdf type="diffuse"/>
/// </bsdf>
/// ```
///
/// The opacity is one number: a grey value, or the luminance of a colour.
/// Unlike Mitsuba, whose `sample` returns the nested pdf without the factor
/// α (while its `pdf` includes it), both report α · pdf_nested here, so the
/// multiple-importance weights of emitter and BSDF samples add up to one
/// for fractional opacities; with opacities of 0 and 1 (cut-outs) the two
/// agree exactly.
///
/// Parameters: `opacity.value` (or the texture's), and the nested BSDF's under `nested_bsdf.`.
public struct Mask<T: Real>: BSDFModel {
    public var opacity: Texture<T>
    public var nested: BSDF<T>

    @inlinable
    public init(opacity: Texture<T>, nested: BSDF<T>) { self.opacity = opacity; self.nested = nested }

    /// α at the hit, clamped to [0, 1] (on its primal value).
    @inlinable @inline(__always)
    func alpha(_ si: SurfaceInteraction<T>) -> T { opacity.evalScalar(si).clamped01 }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        nested.eval(si, wo: wo) * alpha(si)
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        nested.pdf(si, wo: wo) * alpha(si).primal
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let a = alpha(si), ap = a.primal
        // Branch on the primal value: nested lobe or pass-through. Each
        // weight is value / detached probability, so ∂weight = ∂α · (...) / probability.
        if u1 < ap {
            guard var s = nested.sample(si, u1: u1 / ap, u2: u2) else { return nil }
            s.weight = s.weight * (a / T(ap))
            s.pdf *= ap
            return s
        }
        return BSDFSample(wo: -si.wi, pdf: 1 - ap, weight: RGB(repeating: (1 - a) / T(1 - ap)), isDelta: true)
    }

    @inlinable public var isDeltaOnly: Bool { nested.isDeltaOnly }
    @inlinable public var needsTangents: Bool { nested.needsTangents }
    @inlinable public var hasTransmission: Bool { true }
    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { nested.albedo(si) }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .mask(Mask<U>(opacity: opacity.lifted(lifter, prefix: prefix + "opacity."),
                nested: nested.lifted(lifter, prefix: prefix + "nested_bsdf.")))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        opacity.parameters(prefix: prefix + "opacity.") + nested.parameters(prefix: prefix + "nested_bsdf.")
    }
}

extension Mask where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        self.init(opacity: try Texture.property("opacity", of: object), nested: try BSDF.nestedBSDF(object))
    }
}
