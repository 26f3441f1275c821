import Geometry
import SceneFile

/// A rough dielectric interface: the microfacet BSDF of Walter et al.,
/// "Microfacet Models for Refraction through Rough Surfaces" (EGSR 2007),
/// with Mitsuba 3's conventions: reflection F D G / (4 |cos θi|), refraction
/// |(1 − F) D G (wi·m)(wo·m) / (cos θi (wi·m + η wo·m)²)| (the radiance
/// form, which includes the 1/η² scaling), lobe chosen by F(wi·m) when
/// sampling, Beckmann (default) or GGX normals, visible-normal sampling.
///
/// ```xml
/// <bsdf type="roughdielectric">
///     <string name="distribution" value="beckmann"/>   <!-- or ggx -->
///     <float name="alpha" value="0.1"/>
///     <string name="int_ior" value="bk7"/>
///     <string name="ext_ior" value="air"/>
/// </bsdf>
/// ```
///
/// Parameters: `eta`, `alpha.value`, and `specular_reflectance.value`,
/// `specular_transmittance.value` when the scene gives them.
public struct RoughDielectric<T: Real>: BSDFModel {
    public var distribution: Microfacet<T>
    /// Relative index of refraction, interior over exterior.
    public var eta: T
    public var specularReflectance: Texture<T>?
    public var specularTransmittance: Texture<T>?

    @inlinable
    public init(distribution: Microfacet<T>, eta: T, specularReflectance: Texture<T>? = nil,
                specularTransmittance: Texture<T>? = nil) {
        self.distribution = distribution; self.eta = eta
        self.specularReflectance = specularReflectance; self.specularTransmittance = specularTransmittance
    }

    /// The generalised half vector of (wi, wo) in the upper hemisphere, the
    /// relative index η along wo, and whether the pair is a reflection.
    @inlinable @inline(__always)
    func halfVector(_ wi: Vector3<T>, _ wo: Vector3<T>) -> (m: Vector3<T>, etaRel: T, reflect: Bool) {
        // Branch on primal values: same side (reflection) or not.
        let reflect = (wi.z * wo.z).primal > 0
        let etaRel = wi.z.primal > 0 ? eta : 1 / eta
        var m = (wi + wo * (reflect ? T(1) : etaRel)).normalized
        if m.z.primal < 0 { m = -m }
        return (m, etaRel, reflect)
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let wi = si.wi
        let cosI = wi.z, cosO = wo.z
        if cosI.primal == 0 || cosO.primal == 0 { return .zero }
        let (m, etaRel, reflect) = halfVector(wi, wo)
        let dim = dot(wi, m), dom = dot(wo, m)
        // Branch on primal values: discard back-facing microfacets.
        if (dim * cosI).primal <= 0 || (dom * cosO).primal <= 0 { return .zero }
        let d = distribution.eval(m)
        if d.primal == 0 { return .zero }
        let f = Fresnel.dielectric(cosThetaI: dim, eta: eta).r
        let g = distribution.G(wi, wo, m)
        if reflect {
            let v = f * d * g / (4 * cosI.magnitude)
            return specularReflectance.evalOrOne(si) * v
        }
        let denom = dim + etaRel * dom
        let v = ((1 - f) * d * g * dim * dom / (cosI * denom * denom)).magnitude
        return specularTransmittance.evalOrOne(si) * v
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let wi = si.wi.primal, o = wo.primal
        let cosI = wi.z, cosO = o.z
        if cosI == 0 || cosO == 0 { return 0 }
        let reflect = cosI * cosO > 0
        let etaP = eta.primal
        let etaRel = cosI > 0 ? etaP : 1 / etaP
        var m = (wi + o * (reflect ? 1 : etaRel)).normalized
        if m.z < 0 { m = -m }
        let dim = dot(wi, m), dom = dot(o, m)
        if dim * cosI <= 0 || dom * cosO <= 0 { return 0 }
        let jacobian: Double
        if reflect {
            jacobian = 1 / (4 * dom)
        } else {
            let denom = dim + etaRel * dom
            jacobian = etaRel * etaRel * dom / (denom * denom)
        }
        let wiUp = cosI > 0 ? wi : -wi
        let pdfM = distribution.primal.pdf(wi: wiUp, m: m)
        let f = Fresnel.dielectric(cosThetaI: dim, eta: etaP).r
        return Swift.abs(pdfM * (reflect ? f : 1 - f) * jacobian)
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let wi = si.wi.primal
        let cosI = wi.z
        if cosI == 0 { return nil }
        let (m, pdfM) = distribution.primal.sample(wi: cosI > 0 ? wi : -wi, u: u2)
        if !(pdfM > 0) { return nil }
        let (f, cosT, etaIT, etaTI) = Fresnel.dielectric(cosThetaI: dot(wi, m), eta: eta.primal)
        let wo: Vec3
        let reflect = u1 < f
        if reflect {
            wo = Fresnel.reflect(wi, m)
            if wo.z * cosI <= 0 { return nil }
        } else {
            wo = Fresnel.refract(wi, m, cosThetaT: cosT, etaTI: etaTI)
            if wo.z * cosI >= 0 { return nil }
        }
        let woT = Vector3<T>(wo)
        let p = pdf(si, wo: woT)
        if !(p > 0) || !p.isFinite { return nil }
        // Weight f cos θo / pdf with the pdf detached (∂weight = ∂f / pdf).
        return BSDFSample(wo: woT, pdf: p, weight: eval(si, wo: woT) / T(p), eta: reflect ? 1 : etaIT, isDelta: false)
    }

    @inlinable public var hasTransmission: Bool { true }
    /// π · eval(wi, +Z), as Mitsuba's `eval_diffuse_reflectance` for rough lobes.
    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { eval(si, wo: Vector3(0, 0, 1)) * T.pi }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .roughDielectric(RoughDielectric<U>(distribution: distribution.lifted(lifter, prefix: prefix),
                           eta: lifter.scalar(prefix + "eta", eta.primal),
                           specularReflectance: specularReflectance?.lifted(lifter, prefix: prefix + "specular_reflectance."),
                           specularTransmittance: specularTransmittance?.lifted(lifter, prefix: prefix + "specular_transmittance.")))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        [ParameterInfo(key: prefix + "eta", values: [eta.primal])]
            + distribution.parameters(prefix: prefix)
            + (specularReflectance?.parameters(prefix: prefix + "specular_reflectance.") ?? [])
            + (specularTransmittance?.parameters(prefix: prefix + "specular_transmittance.") ?? [])
    }
}

extension RoughDielectric where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        self.init(distribution: try BSDF.microfacet(object), eta: try BSDF.relativeIOR(object),
                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                  specularTransmittance: try Texture.optionalProperty("specular_transmittance", of: object))
    }
}
