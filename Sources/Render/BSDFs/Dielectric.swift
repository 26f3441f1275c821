import Geometry
import SceneFile

/// A smooth dielectric interface (glass, water): reflection or refraction
/// chosen with the Fresnel reflectance as probability. Refracted radiance
/// is scaled by 1/η² (η the relative index along the path), as Mitsuba 3
/// does for radiance transport. Both sides are active: a path inside the
/// glass sees the inverted interface.
///
/// ```xml
/// <bsdf type="dielectric">
///     <string name="int_ior" value="bk7"/>   <!-- or a float; default 1.5046 -->
///     <string name="ext_ior" value="air"/>   <!-- default 1.000277 -->
/// </bsdf>
/// ```
///
/// Parameters: `eta` (int_ior / ext_ior), and `specular_reflectance.value`,
/// `specular_transmittance.value` when the scene gives them (as `mi.traverse`).
public struct Dielectric<T: Real>: SmoothDielectric {
    /// Relative index of refraction, interior over exterior.
    public var eta: T
    public var specularReflectance: Texture<T>?
    public var specularTransmittance: Texture<T>?

    @inlinable
    public init(eta: T, specularReflectance: Texture<T>? = nil, specularTransmittance: Texture<T>? = nil) {
        self.eta = eta; self.specularReflectance = specularReflectance; self.specularTransmittance = specularTransmittance
    }

    /// Reflection with probability F (weight specular_reflectance), else
    /// refraction (weight specular_transmittance / η²).
    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let wi = si.wi
        let (r, cosT, etaIT, etaTI) = Fresnel.dielectric(cosThetaI: wi.z, eta: eta)
        let rp = r.primal
        // Branch on primal values: the lobe chosen by the Fresnel reflectance.
        if u1 < rp {
            // Weight r / r with the pdf detached: 1, derivative ∂r / r.
            return BSDFSample(wo: Fresnel.reflect(wi), pdf: rp,
                              weight: specularReflectance.evalOrOne(si) * (r / T(rp)), eta: 1, isDelta: true)
        }
        let tp = 1 - rp
        if !(tp > 0) { return nil }
        let wo = Fresnel.refract(wi, cosThetaT: cosT, etaTI: etaTI)
        let w = (1 - r) / T(tp) * etaTI * etaTI
        return BSDFSample(wo: wo, pdf: tp, weight: specularTransmittance.evalOrOne(si) * w,
                          eta: etaIT.primal, isDelta: true)
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        let (eta, reflectance, transmittance) = liftedProperties(lifter, prefix: prefix)
        return .dielectric(Dielectric<U>(eta: eta, specularReflectance: reflectance, specularTransmittance: transmittance))
    }
}

/// `dielectric` and `thindielectric`: delta lobes with the same properties,
/// parameters and scene-file reader (`int_ior` / `ext_ior`, optional
/// `specular_reflectance` and `specular_transmittance`).
public protocol SmoothDielectric: DeltaLobes {
    /// Relative index of refraction, interior over exterior.
    var eta: T { get }
    var specularReflectance: Texture<T>? { get }
    var specularTransmittance: Texture<T>? { get }
    init(eta: T, specularReflectance: Texture<T>?, specularTransmittance: Texture<T>?)
}

extension SmoothDielectric {
    @inlinable public var hasTransmission: Bool { true }

    /// The properties over `U`, keys as in `parameters`.
    @inlinable
    public func liftedProperties<U: Real>(_ lifter: Lifter<U>, prefix: String) -> (U, Texture<U>?, Texture<U>?) {
        (lifter.scalar(prefix + "eta", eta.primal),
         specularReflectance?.lifted(lifter, prefix: prefix + "specular_reflectance."),
         specularTransmittance?.lifted(lifter, prefix: prefix + "specular_transmittance."))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        [ParameterInfo(key: prefix + "eta", values: [eta.primal])]
            + (specularReflectance?.parameters(prefix: prefix + "specular_reflectance.") ?? [])
            + (specularTransmittance?.parameters(prefix: prefix + "specular_transmittance.") ?? [])
    }
}

extension SmoothDielectric where T == Double {
    /// Reads a `<bsdf type="dielectric">` or `thindielectric`, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        self.init(eta: try BSDF.relativeIOR(object),
                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                  specularTransmittance: try Texture.optionalProperty("specular_transmittance", of: object))
    }
}
