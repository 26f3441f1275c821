import Geometry
import SceneFile

/// A smooth conductor: a mirror whose reflectance is the complex Fresnel
/// term of index `eta + i k`, times `specular_reflectance`. With neither
/// `material` nor `eta`/`k` it is a perfect mirror (eta 0, k 1), as in
/// Mitsuba 3; `material` names one of `Fresnel.namedConductors` (Mitsuba's
/// RGB values for Au, Ag, Cu, Al, ...).
///
/// ```xml
/// <bsdf type="conductor">
///     <string name="material" value="Au"/>
///     <!-- or: <rgb name="eta" value="0.2, 0.92, 1.1"/> <rgb name="k" value="3.9, 2.45, 2.14"/> -->
///     <rgb name="specular_reflectance" value="1"/>
/// </bsdf>
/// ```
///
/// Parameters (`mi.traverse` keys): `eta.value`, `k.value`, `specular_reflectance.value`.
public struct Conductor<T: Real>: DeltaLobes {
    public var eta: RGB<T>
    public var k: RGB<T>
    public var specularReflectance: Texture<T>

    @inlinable
    public init(eta: RGB<T> = .zero, k: RGB<T> = .one, specularReflectance: Texture<T> = .constant(.one)) {
        self.eta = eta; self.k = k; self.specularReflectance = specularReflectance
    }

    /// The mirror direction with weight F(cos θi) · specular_reflectance.
    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        // Branch on the primal value: one-sided.
        if si.wi.z.primal <= 0 { return nil }
        let f = Fresnel.conductor(cosThetaI: si.wi.z, eta: eta, k: k) * specularReflectance.eval(si)
        return BSDFSample(wo: Fresnel.reflect(si.wi), pdf: 1, weight: f, isDelta: true)
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .conductor(Conductor<U>(eta: lifter.rgb(prefix + "eta.value", eta.primal), k: lifter.rgb(prefix + "k.value", k.primal),
                     specularReflectance: specularReflectance.lifted(lifter, prefix: prefix + "specular_reflectance.")))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        [ParameterInfo(key: prefix + "eta.value", values: [eta.r.primal, eta.g.primal, eta.b.primal]),
         ParameterInfo(key: prefix + "k.value", values: [k.r.primal, k.g.primal, k.b.primal])]
            + specularReflectance.parameters(prefix: prefix + "specular_reflectance.")
    }
}

extension Conductor where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        let (eta, k) = try BSDF.conductorIndex(object)
        self.init(eta: eta, k: k, specularReflectance: try Texture.property("specular_reflectance", of: object))
    }
}
