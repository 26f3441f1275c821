import Geometry
import SceneFile

/// Smooth plastic: a Fresnel-weighted specular coating over a diffuse base,
/// with the base's internal reflections (Mitsuba 3's `plastic`, `nonlinear`
/// false by default):
/// f_diffuse = ρ_d / (1 − F_dr) · (1 − F(θi)) (1 − F(θo)) / (η² π),
/// F_dr the diffuse Fresnel reflectance seen from inside (index 1/η). The
/// specular lobe is chosen with probability F(θi)·s / (F(θi)·s + (1 − F(θi))(1 − s)),
/// s = mean(specular) / (mean(diffuse) + mean(specular)).
///
/// ```xml
/// <bsdf type="plastic">
///     <rgb name="diffuse_reflectance" value="0.1, 0.27, 0.36"/>
///     <float name="int_ior" value="1.9"/>   <!-- default polypropylene, 1.49 -->
///     <boolean name="nonlinear" value="false"/>
/// </bsdf>
/// ```
///
/// Parameters: `eta`, `diffuse_reflectance.value`, and
/// `specular_reflectance.value` when the scene gives one.
public struct Plastic<T: Real>: BSDFModel {
    public var diffuseReflectance: Texture<T>
    public var specularReflectance: Texture<T>?
    /// Relative index of refraction, interior over exterior.
    public var eta: T
    /// Colour shift by multiple diffuse scattering inside the coating.
    public var nonlinear: Bool
    /// The probability weight of the specular lobe (from the textures' means).
    public var specularSamplingWeight: Double

    @inlinable
    public init(diffuseReflectance: Texture<T>, specularReflectance: Texture<T>? = nil, eta: T, nonlinear: Bool = false) {
        self.diffuseReflectance = diffuseReflectance; self.specularReflectance = specularReflectance
        self.eta = eta; self.nonlinear = nonlinear
        let d = diffuseReflectance.mean.average
        let s = specularReflectance?.mean.average ?? 1
        self.specularSamplingWeight = s / (d + s)
    }

    /// The probability of choosing the specular lobe, given F(θi).
    @inlinable @inline(__always)
    func specularProbability(_ fi: Double) -> Double {
        let ps = fi * specularSamplingWeight, pd = (1 - fi) * (1 - specularSamplingWeight)
        return ps / (ps + pd)
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let cosI = si.wi.z, cosO = wo.z
        // Branch on primal values: both directions above the surface.
        if cosI.primal <= 0 || cosO.primal <= 0 { return .zero }
        let fi = Fresnel.dielectric(cosThetaI: cosI, eta: eta).r
        let fo = Fresnel.dielectric(cosThetaI: cosO, eta: eta).r
        let fdrInt = Fresnel.diffuseReflectance(eta: 1 / eta)
        var diff = diffuseReflectance.eval(si)
        if nonlinear {
            diff = RGB(diff.r / (1 - diff.r * fdrInt), diff.g / (1 - diff.g * fdrInt), diff.b / (1 - diff.b * fdrInt))
        } else {
            diff = diff / (1 - fdrInt)
        }
        return diff * ((1 - fi) * (1 - fo) * cosO / (eta * eta * T.pi))
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let cosI = si.wi.z.primal, cosO = wo.z.primal
        if cosI <= 0 || cosO <= 0 { return 0 }
        let fi = Fresnel.dielectric(cosThetaI: cosI, eta: eta.primal).r
        return (1 - specularProbability(fi)) * cosO / Double.pi
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let cosI = si.wi.z
        if cosI.primal <= 0 { return nil }
        let fi = Fresnel.dielectric(cosThetaI: cosI, eta: eta).r
        let ps = specularProbability(fi.primal)
        // Branch on the primal value: which lobe.
        if u1 < ps {
            return BSDFSample(wo: Fresnel.reflect(si.wi), pdf: ps,
                              weight: specularReflectance.evalOrOne(si) * (fi / T(ps)), isDelta: true)
        }
        let d = Warp.squareToCosineHemisphere(u2)
        if d.z <= 0 { return nil }
        let wo = Vector3<T>(d)
        let p = (1 - ps) * d.z / Double.pi
        if !(p > 0) { return nil }
        return BSDFSample(wo: wo, pdf: p, weight: eval(si, wo: wo) / T(p), isDelta: false)
    }

    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { diffuseReflectance.eval(si) }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .plastic(Plastic<U>(diffuseReflectance: diffuseReflectance.lifted(lifter, prefix: prefix + "diffuse_reflectance."),
                   specularReflectance: specularReflectance?.lifted(lifter, prefix: prefix + "specular_reflectance."),
                   eta: lifter.scalar(prefix + "eta", eta.primal), nonlinear: nonlinear))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        [ParameterInfo(key: prefix + "eta", values: [eta.primal])]
            + diffuseReflectance.parameters(prefix: prefix + "diffuse_reflectance.")
            + (specularReflectance?.parameters(prefix: prefix + "specular_reflectance.") ?? [])
    }
}

extension Plastic where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        self.init(diffuseReflectance: try Texture.property("diffuse_reflectance", of: object),
                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                  eta: try BSDF.relativeIOR(object), nonlinear: try object.defaulted("nonlinear", object.boolean))
    }
}
