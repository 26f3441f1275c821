import Geometry

/// A thin dielectric sheet (a window pane): light is reflected or passes
/// straight through without bending, the reflectance summing the
/// inter-reflections inside the sheet, R' = R + T²R / (1 − R²), as Mitsuba 3.
/// Both sides behave alike.
///
/// ```xml
/// <bsdf type="thindielectric">
///     <string name="int_ior" value="bk7"/>
///     <string name="ext_ior" value="air"/>
/// </bsdf>
/// ```
///
/// Parameters: `eta`, and `specular_reflectance.value`,
/// `specular_transmittance.value` when the scene gives them.
public struct ThinDielectric<T: Real>: SmoothDielectric {
    public var eta: T
    public var specularReflectance: Texture<T>?
    public var specularTransmittance: Texture<T>?

    @inlinable
    public init(eta: T, specularReflectance: Texture<T>? = nil, specularTransmittance: Texture<T>? = nil) {
        self.eta = eta; self.specularReflectance = specularReflectance; self.specularTransmittance = specularTransmittance
    }

    /// The reflectance of the sheet, inter-reflections included.
    @inlinable
    public func reflectance(cosThetaI: T) -> T {
        var r = Fresnel.dielectric(cosThetaI: cosThetaI.primal < 0 ? -cosThetaI : cosThetaI, eta: eta).r
        // Branch on the primal value: no inter-reflection series under total reflection.
        if r.primal < 1 {
            let t = 1 - r
            r = r + t * t * r / (1 - r * r)
        }
        return r
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let wi = si.wi
        if wi.z.primal == 0 { return nil }
        let r = reflectance(cosThetaI: wi.z)
        let rp = r.primal
        if u1 < rp {
            return BSDFSample(wo: Fresnel.reflect(wi), pdf: rp,
                              weight: specularReflectance.evalOrOne(si) * (r / T(rp)), eta: 1, isDelta: true)
        }
        let tp = 1 - rp
        if !(tp > 0) { return nil }
        return BSDFSample(wo: -wi, pdf: tp, weight: specularTransmittance.evalOrOne(si) * ((1 - r) / T(tp)),
                          eta: 1, isDelta: true)
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        let (eta, reflectance, transmittance) = liftedProperties(lifter, prefix: prefix)
        return .thinDielectric(ThinDielectric<U>(eta: eta, specularReflectance: reflectance, specularTransmittance: transmittance))
    }
}
