import Geometry
import SceneFile

/// A blend of two BSDFs, as Mitsuba 3's `blendbsdf`:
/// f = (1 − w) f₀ + w f₁, w the `weight` texture clamped to [0, 1]. Sampling
/// picks BSDF 1 with probability w (reusing the lobe number, rescaled),
/// then samples it. A delta lobe keeps the picked BSDF's weight; a
/// non-delta direction is weighted by the blend's f / pdf with the pdf of
/// the whole blend, (1 − w) pdf₀ + w pdf₁. (Mitsuba returns the picked
/// BSDF's own weight and pdf there, which has the same mean but makes its
/// multiple-importance weights with emitter samples not sum to one when
/// the two BSDFs' pdfs differ.)
///
/// ```xml
/// <bsdf type="blendbsdf">
///     <float name="weight" value="0.3"/>
///     <bsdf type="diffuse"/>
///     <bsdf type="roughconductor"/>
/// </bsdf>
/// ```
///
/// The weight is one number: a grey value, or the luminance of a colour.
/// Parameters: `weight.value` (or the texture's), the BSDFs' under `bsdf_0.` and `bsdf_1.`.
public struct BlendBSDF<T: Real>: BSDFModel {
    public var weight: Texture<T>
    public var first: BSDF<T>
    public var second: BSDF<T>

    @inlinable
    public init(weight: Texture<T>, first: BSDF<T>, second: BSDF<T>) {
        self.weight = weight; self.first = first; self.second = second
    }

    @inlinable @inline(__always)
    func w(_ si: SurfaceInteraction<T>) -> T { weight.evalScalar(si).clamped01 }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let w = w(si)
        return first.eval(si, wo: wo) * (1 - w) + second.eval(si, wo: wo) * w
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let w = w(si).primal
        return first.pdf(si, wo: wo) * (1 - w) + second.pdf(si, wo: wo) * w
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let wT = w(si), wp = wT.primal
        // Branch on the primal value: which BSDF.
        let pickSecond = wp > 0 && u1 <= wp
        let picked = pickSecond ? second.sample(si, u1: u1 / wp, u2: u2)
                                : first.sample(si, u1: (u1 - wp) / (1 - wp), u2: u2)
        guard var s = picked else { return nil }
        if s.isDelta {
            let probability = pickSecond ? wp : 1 - wp
            s.weight = s.weight * ((pickSecond ? wT : 1 - wT) / T(probability))
            s.pdf *= probability
            return s
        }
        let p = pdf(si, wo: s.wo)
        if !(p > 0) || !p.isFinite { return nil }
        s.weight = eval(si, wo: s.wo) / T(p)
        s.pdf = p
        return s
    }

    @inlinable public var isDeltaOnly: Bool { first.isDeltaOnly && second.isDeltaOnly }
    @inlinable public var needsTangents: Bool { first.needsTangents || second.needsTangents }
    @inlinable public var hasTransmission: Bool { first.hasTransmission || second.hasTransmission }
    @inlinable
    public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> {
        let w = w(si)
        return first.albedo(si) * (1 - w) + second.albedo(si) * w
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .blend(BlendBSDF<U>(weight: weight.lifted(lifter, prefix: prefix + "weight."),
                     first: first.lifted(lifter, prefix: prefix + "bsdf_0."),
                     second: second.lifted(lifter, prefix: prefix + "bsdf_1.")))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        weight.parameters(prefix: prefix + "weight.") + first.parameters(prefix: prefix + "bsdf_0.")
            + second.parameters(prefix: prefix + "bsdf_1.")
    }
}

extension BlendBSDF where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        let nested = object.children(.bsdf)
        guard nested.count == 2 else {
            throw SceneFileError("blendbsdf: expected two nested bsdfs, found \(nested.count)", at: object.location)
        }
        self.init(weight: try Texture.property("weight", of: object), first: try BSDF(nested[0]), second: try BSDF(nested[1]))
    }
}
