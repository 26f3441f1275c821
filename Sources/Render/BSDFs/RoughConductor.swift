import Geometry
import SceneFile

/// A rough conductor: the Cook–Torrance microfacet BRDF of Walter et al.
/// (2007) with Mitsuba 3's conventions, f = F(wi·m) D(m) G(wi, wo) / (4 cos θi cos θo),
/// m the half vector, Smith shadowing, Beckmann (default) or GGX normals,
/// visible-normal sampling by default.
///
/// ```xml
/// <bsdf type="roughconductor">
///     <string name="distribution" value="beckmann"/>   <!-- or ggx -->
///     <float name="alpha" value="0.1"/>
///     <string name="material" value="Al"/>             <!-- or eta/k, or neither: a perfect conductor -->
///     <rgb name="specular_reflectance" value="1"/>
///     <boolean name="sample_visible" value="true"/>
/// </bsdf>
/// ```
///
/// Anisotropic roughness (`alpha_u` along ∂p/∂u, `alpha_v` across it, both
/// given instead of `alpha`) is defined in Mitsuba's shading frame, whose s
/// axis follows ∂p/∂u (`SurfaceInteraction.alignedToTangent`).
///
/// Parameters: `alpha.value` (or `alpha_u.value`, `alpha_v.value` when
/// anisotropic), `eta.value`, `k.value`, and `specular_reflectance.value`
/// when the scene gives one (as `mi.traverse`).
public struct RoughConductor<T: Real>: BSDFModel {
    public var distribution: Microfacet<T>
    public var eta: RGB<T>
    public var k: RGB<T>
    /// nil: 1 (and no parameter key, as Mitsuba when the property is absent).
    public var specularReflectance: Texture<T>?
    /// Whether the roughness was given as `alpha_u` and `alpha_v`: the lobe is
    /// then evaluated in the frame that follows ∂p/∂u, under those keys.
    public var isAnisotropic: Bool

    @inlinable
    public init(distribution: Microfacet<T>, eta: RGB<T> = .zero, k: RGB<T> = .one,
                specularReflectance: Texture<T>? = nil, isAnisotropic: Bool = false) {
        self.distribution = distribution; self.eta = eta; self.k = k; self.specularReflectance = specularReflectance
        self.isAnisotropic = isAnisotropic
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        guard isAnisotropic else { return evalAligned(si, wo: wo) }
        let (a, w) = si.alignedToTangent(wo)
        return evalAligned(a, wo: w)
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        guard isAnisotropic else { return pdfAligned(si, wo: wo) }
        let (a, w) = si.alignedToTangent(wo)
        return pdfAligned(a, wo: w)
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        guard isAnisotropic else { return sampleAligned(si, u2: u2) }
        let (a, _) = si.alignedToTangent(si.wi)
        guard var s = sampleAligned(a, u2: u2) else { return nil }
        s.wo = si.toLocal(a.toWorld(s.wo))
        return s
    }

    @inlinable
    func evalAligned(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let wi = si.wi
        // Branch on primal values: both directions above the surface.
        if wi.z.primal <= 0 || wo.z.primal <= 0 { return .zero }
        let m = (wi + wo).normalized
        let d = distribution.eval(m)
        if d.primal == 0 { return .zero }
        let g = distribution.G(wi, wo, m)
        let f = Fresnel.conductor(cosThetaI: dot(wi, m), eta: eta, k: k)
        return f * specularReflectance.evalOrOne(si) * (d * g / (4 * wi.z))
    }

    @inlinable
    func pdfAligned(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let wi = si.wi
        if wi.z.primal <= 0 || wo.z.primal <= 0 { return 0 }
        let m = (wi + wo).normalized
        let dwo = dot(wo, m).primal
        if dwo <= 0 { return 0 }
        return distribution.pdf(wi: wi, m: m) / (4 * dwo)
    }

    @inlinable
    func sampleAligned(_ si: SurfaceInteraction<T>, u2: (Double, Double)) -> BSDFSample<T>? {
        let wi = si.wi.primal
        if wi.z <= 0 { return nil }
        let (m, pdfM) = distribution.primal.sample(wi: wi, u: u2)
        if !(pdfM > 0) { return nil }
        let wo = Fresnel.reflect(wi, m)
        if wo.z <= 0 { return nil }
        let woT = Vector3<T>(wo)
        let p = pdfAligned(si, wo: woT)
        if !(p > 0) || !p.isFinite { return nil }
        // Weight f cos θo / pdf with the pdf detached (∂weight = ∂f / pdf).
        return BSDFSample(wo: woT, pdf: p, weight: evalAligned(si, wo: woT) / T(p), isDelta: false)
    }

    @inlinable public var needsTangents: Bool { isAnisotropic }
    /// π · eval(wi, +Z), as Mitsuba's `eval_diffuse_reflectance` for rough lobes.
    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { eval(si, wo: Vector3(0, 0, 1)) * T.pi }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .roughConductor(RoughConductor<U>(distribution: distribution.lifted(lifter, prefix: prefix, anisotropic: isAnisotropic),
                          eta: lifter.rgb(prefix + "eta.value", eta.primal), k: lifter.rgb(prefix + "k.value", k.primal),
                          specularReflectance: specularReflectance?.lifted(lifter, prefix: prefix + "specular_reflectance."),
                          isAnisotropic: isAnisotropic))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        distribution.parameters(prefix: prefix, anisotropic: isAnisotropic)
            + [ParameterInfo(key: prefix + "eta.value", values: [eta.r.primal, eta.g.primal, eta.b.primal]),
               ParameterInfo(key: prefix + "k.value", values: [k.r.primal, k.g.primal, k.b.primal])]
            + (specularReflectance?.parameters(prefix: prefix + "specular_reflectance.") ?? [])
    }
}

extension Microfacet {
    /// The distribution over `U` with its roughness lifted under `alpha.value`
    /// (`alpha_u.value` and `alpha_v.value` when anisotropic: given so, or
    /// with two different roughnesses).
    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String, anisotropic: Bool = false) -> Microfacet<U> {
        if alphaU.primal == alphaV.primal && !anisotropic {
            let a = lifter.scalar(prefix + "alpha.value", alphaU.primal)
            return Microfacet<U>(type: type, alpha: a, sampleVisible: sampleVisible)
        }
        return Microfacet<U>(type: type, alphaU: lifter.scalar(prefix + "alpha_u.value", alphaU.primal),
                             alphaV: lifter.scalar(prefix + "alpha_v.value", alphaV.primal), sampleVisible: sampleVisible)
    }

    public func parameters(prefix: String, anisotropic: Bool = false) -> [ParameterInfo] {
        if alphaU.primal == alphaV.primal && !anisotropic { return [ParameterInfo(key: prefix + "alpha.value", values: [alphaU.primal])] }
        return [ParameterInfo(key: prefix + "alpha_u.value", values: [alphaU.primal]),
                ParameterInfo(key: prefix + "alpha_v.value", values: [alphaV.primal])]
    }
}

extension RoughConductor where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        let (eta, k) = try BSDF.conductorIndex(object)
        let anisotropic = object.has("alpha_u") || object.has("alpha_v")
        self.init(distribution: try BSDF.microfacet(object, anisotropic: anisotropic), eta: eta, k: k,
                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                  isAnisotropic: anisotropic)
    }
}
