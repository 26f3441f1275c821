import Geometry
import SceneFile

/// The thin-surface variant of Disney's principled BSDF (Burley 2015), as
/// Mitsuba 3's `principledthin`: a two-sided sheet with no interior (wi is
/// mirrored to the front, and wo with it). With spec_trans t and diff_trans
/// d (given in [0, 2], halved):
/// - specular reflection, GGX with the principled roughness mapping:
///   t · F D G / (4 cos θi), F the dielectric Fresnel of `eta` blended towards a
///   tinted Schlick term by `spec_tint`;
/// - specular transmission straight through (a microfacet reflection mirrored
///   to the back), roughness scaled by 0.65 η − 0.35:
///   t · base_color (1 − F) D G / (4 cos θi);
/// - diffuse reflection with retro-reflection, `flatness`'s fake subsurface
///   and sheen, weighted (1 − t)(1 − d); Lambertian transmission (1 − t) d.
///
/// ```xml
/// <bsdf type="principledthin">
///     <rgb name="base_color" value="0.7, 0.2, 0.3"/>
///     <float name="spec_trans" value="0.4"/>
///     <float name="diff_trans" value="0.6"/>
///     <float name="eta" value="1.5"/>
/// </bsdf>
/// ```
///
/// Every parameter but the sampling rates takes a texture. Parameters (as
/// `mi.traverse`): `base_color.value`, `roughness.value`, `anisotropic.value`,
/// `spec_trans.value`, `diff_trans.value`, `spec_tint.value`, `sheen.value`,
/// `sheen_tint.value`, `flatness.value`, `eta.value` (or their textures' keys).
public struct PrincipledThin<T: Real>: BSDFModel {
    public var baseColor: Texture<T>
    public var roughness: Texture<T>
    public var anisotropic: Texture<T>
    public var specTrans: Texture<T>
    public var diffTrans: Texture<T>
    public var specTint: Texture<T>
    public var sheen: Texture<T>
    public var sheenTint: Texture<T>
    public var flatness: Texture<T>
    /// The sheet's index of refraction.
    public var eta: Texture<T>
    public var specularReflectionSamplingRate: Double
    public var specularTransmissionSamplingRate: Double
    public var diffuseReflectionSamplingRate: Double
    public var diffuseTransmissionSamplingRate: Double
    /// Mitsuba's lobe flags: `spec_trans`, `diff_trans`, `anisotropic` given and not the number 0.
    public var hasSpecTrans: Bool
    public var hasDiffTrans: Bool
    public var isAnisotropic: Bool

    @inlinable
    public init(baseColor: Texture<T>, roughness: Texture<T>, anisotropic: Texture<T>, specTrans: Texture<T>, diffTrans: Texture<T>,
                specTint: Texture<T>, sheen: Texture<T>, sheenTint: Texture<T>, flatness: Texture<T>, eta: Texture<T>,
                specularReflectionSamplingRate: Double = 1, specularTransmissionSamplingRate: Double = 1,
                diffuseReflectionSamplingRate: Double = 1, diffuseTransmissionSamplingRate: Double = 1) {
        self.baseColor = baseColor; self.roughness = roughness; self.anisotropic = anisotropic; self.specTrans = specTrans
        self.diffTrans = diffTrans; self.specTint = specTint; self.sheen = sheen; self.sheenTint = sheenTint
        self.flatness = flatness; self.eta = eta
        self.specularReflectionSamplingRate = specularReflectionSamplingRate
        self.specularTransmissionSamplingRate = specularTransmissionSamplingRate
        self.diffuseReflectionSamplingRate = diffuseReflectionSamplingRate
        self.diffuseTransmissionSamplingRate = diffuseTransmissionSamplingRate
        hasSpecTrans = !specTrans.isConstantZero
        hasDiffTrans = !diffTrans.isConstantZero
        isAnisotropic = !anisotropic.isConstantZero
    }

    /// The lobe probabilities (specular reflection, specular transmission, diffuse reflection, diffuse transmission).
    @inlinable
    func lobeProbabilities(specTrans t: Double, diffTrans d: Double) -> (Double, Double, Double, Double) {
        let sr = hasSpecTrans ? t * specularReflectionSamplingRate / 2 : 0
        let st = hasSpecTrans ? t * specularTransmissionSamplingRate / 2 : 0
        let dr = diffuseReflectionSamplingRate * (1 - t) * (1 - d)
        let dt = hasDiffTrans ? diffuseTransmissionSamplingRate * (1 - t) * d : 0
        let total = sr + st + dr + dt
        return (sr / total, st / total, dr / total, dt / total)
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let (a, w) = Principled.aligned(si, wo, anisotropic: isAnisotropic)
        return evalAligned(a, wo: w)
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let (a, w) = Principled.aligned(si, wo, anisotropic: isAnisotropic)
        return pdfAligned(a, wo: w)
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let (a, _) = Principled.aligned(si, si.wi, anisotropic: isAnisotropic)
        guard var s = sampleAligned(a, u1: u1, u2: u2) else { return nil }
        if isAnisotropic { s.wo = si.toLocal(a.toWorld(s.wo)) }
        return s
    }

    @inlinable
    func evalAligned(_ si: SurfaceInteraction<T>, wo woGiven: Vector3<T>) -> RGB<T> {
        // Branch on primal values throughout: sides, lobes, masks.
        let c = si.wi.z
        if c.primal == 0 { return .zero }
        let side: T = c.primal > 0 ? 1 : -1
        let wi = si.wi * side, wo = woGiven * side
        let cosI = wi.z, cosO = wo.z
        if cosO.primal == 0 { return .zero }
        let reflect = cosO.primal > 0
        let t = specTrans.evalScalar(si), d = diffTrans.evalScalar(si) / 2
        let r = roughness.evalScalar(si), aniso = anisotropic.evalScalar(si)
        let base = baseColor.eval(si)
        let wr = Vector3(wo.x, wo.y, abs(wo.z))
        let wh = (wi + wr).normalized
        let cosIH = dot(wi, wh), cosOH = dot(wo, wh)
        var value = RGB<T>.zero
        if hasSpecTrans && t.primal > 0 {
            let etaT = eta.evalScalar(si)
            let f = Fresnel.dielectric(cosThetaI: cosIH, eta: etaT).r
            if reflect && cosIH.primal > 0 && cosOH.primal > 0 {
                let distribution = Principled.ggx(roughness: r, anisotropic: aniso)
                let tint = specTint.evalScalar(si)
                var fresnel = RGB(repeating: f)
                if tint.primal != 0 {
                    let r0 = (etaT - 1) / (etaT + 1)
                    let schlick = Principled.schlick(Principled.tintColor(base) * (r0 * r0), cosI: cosIH, eta: etaT)
                    fresnel = fresnel * (1 - tint) + schlick * tint
                }
                value += fresnel * (t * distribution.eval(wh) * distribution.G(wi, wo, wh) / (4 * cosI))
            }
            if !reflect && cosIH.primal > 0 && cosOH.primal < 0 {
                let distribution = Principled.ggx(roughness: (T(0.65) * etaT - T(0.35)) * r, anisotropic: aniso)
                value += base * (t * (1 - f) * distribution.eval(wh) * distribution.G(wi, wo, wh) / (4 * cosI))
            }
        }
        if reflect && t.primal < 1 && d.primal < 1 {
            let fo = Principled.schlickWeight(abs(cosO)), fi = Principled.schlickWeight(cosI)
            let fDiffuse = (1 - T(0.5) * fi) * (1 - T(0.5) * fo)
            let cosD = dot(wh, wo)
            let rr = 2 * r * cosD * cosD
            var lobe = fDiffuse + rr * (fo + fi + fo * fi * (rr - 1))
            let flat = flatness.evalScalar(si)
            if flat.primal != 0 {
                let fss90 = rr / 2
                let fss = ((1 - fo) + fss90 * fo) * ((1 - fi) + fss90 * fi)
                let fSubsurface = T(1.25) * (fss * (1 / (abs(cosO) + abs(cosI)) - T(0.5)) + T(0.5))
                lobe = lobe * (1 - flat) + fSubsurface * flat
            }
            value += base * ((1 - t) * cosO * (1 - d) * lobe / T.pi)
            let sheenWeight = sheen.evalScalar(si)
            if sheenWeight.primal != 0 {
                let tint = sheenTint.evalScalar(si)
                let colour = RGB(repeating: 1 - tint) + Principled.tintColor(base) * tint
                value += colour * (sheenWeight * (1 - t) * Principled.schlickWeight(abs(cosD)) * (1 - d) * abs(cosO))
            }
        }
        if hasDiffTrans && !reflect && t.primal < 1 && d.primal > 0 {
            value += base * ((1 - t) * d * abs(cosO) / T.pi)
        }
        return value
    }

    @inlinable
    func pdfAligned(_ si: SurfaceInteraction<T>, wo woGiven: Vector3<T>) -> Double {
        let c = si.wi.z.primal
        if c == 0 { return 0 }
        let side = c > 0 ? 1.0 : -1.0
        let wi = si.wi.primal * side, wo = woGiven.primal * side
        if wo.z == 0 { return 0 }
        let reflect = wo.z > 0
        let t = specTrans.evalScalar(si).primal, d = diffTrans.evalScalar(si).primal / 2
        let (pSR, pST, pDR, pDT) = lobeProbabilities(specTrans: t, diffTrans: d)
        var pdf = 0.0
        if hasSpecTrans {
            let r = roughness.evalScalar(si).primal, aniso = anisotropic.evalScalar(si).primal
            let wr = Vec3(wo.x, wo.y, Swift.abs(wo.z))
            let wh = (wi + wr).normalized
            let dwhdwo = Swift.abs(1 / (4 * dot(wr, wh)))
            if reflect && dot(wi, wh) > 0 && dot(wo, wh) > 0 {
                pdf += pSR * Principled<Double>.ggx(roughness: r, anisotropic: aniso).pdf(wi: wi, m: wh) * dwhdwo
            }
            if !reflect && dot(wi, wh) > 0 && dot(wo, wh) < 0 {
                let etaT = eta.evalScalar(si).primal
                let distribution = Principled<Double>.ggx(roughness: (0.65 * etaT - 0.35) * r, anisotropic: aniso)
                pdf += pST * distribution.pdf(wi: wi, m: wh) * dwhdwo
            }
        }
        pdf += reflect ? pDR * wo.z / Double.pi : pDT * -wo.z / Double.pi
        return pdf
    }

    @inlinable
    func sampleAligned(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let c = si.wi.z.primal
        if c == 0 { return nil }
        let side = c > 0 ? 1.0 : -1.0
        let wi = si.wi.primal * side
        let t = specTrans.evalScalar(si).primal, d = diffTrans.evalScalar(si).primal / 2
        let (pSR, pST, pDR, _) = lobeProbabilities(specTrans: t, diffTrans: d)
        // Branch on the primal value: which lobe.
        var wo: Vec3
        if u1 < pSR || u1 < pSR + pST {
            let r = roughness.evalScalar(si).primal, aniso = anisotropic.evalScalar(si).primal
            let transmit = u1 >= pSR
            let scale = transmit ? 0.65 * eta.evalScalar(si).primal - 0.35 : 1
            let m = Principled<Double>.ggx(roughness: scale * r, anisotropic: aniso).sample(wi: wi, u: u2).m
            wo = Fresnel.reflect(wi, m)
            if transmit {
                wo.z = -wo.z
                if !(wo.z < 0 && dot(wi, m) > 0 && dot(wo, m) < 0) { return nil }
            } else if !(wo.z > 0 && dot(wi, m) > 0 && dot(wo, m) > 0) {
                return nil
            }
        } else if u1 < pSR + pST + pDR {
            wo = Warp.squareToCosineHemisphere(u2)
        } else if hasDiffTrans {
            wo = Warp.squareToCosineHemisphere(u2) * -1
        } else {
            return nil
        }
        let woT = Vector3<T>(wo * side)
        let p = pdfAligned(si, wo: woT)
        if !(p > 0) || !p.isFinite { return nil }
        // Weight f cos θo / pdf with the pdf detached (∂weight = ∂f / pdf).
        return BSDFSample(wo: woT, pdf: p, weight: evalAligned(si, wo: woT) / T(p), isDelta: false)
    }

    @inlinable public var needsTangents: Bool { isAnisotropic }
    @inlinable public var hasTransmission: Bool { hasSpecTrans || hasDiffTrans }
    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { baseColor.eval(si) }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        func t(_ texture: Texture<T>, _ name: String) -> Texture<U> { texture.lifted(lifter, prefix: prefix + name + ".") }
        return .principledThin(PrincipledThin<U>(baseColor: t(baseColor, "base_color"), roughness: t(roughness, "roughness"),
                                 anisotropic: t(anisotropic, "anisotropic"), specTrans: t(specTrans, "spec_trans"),
                                 diffTrans: t(diffTrans, "diff_trans"), specTint: t(specTint, "spec_tint"), sheen: t(sheen, "sheen"),
                                 sheenTint: t(sheenTint, "sheen_tint"), flatness: t(flatness, "flatness"), eta: t(eta, "eta"),
                                 specularReflectionSamplingRate: specularReflectionSamplingRate,
                                 specularTransmissionSamplingRate: specularTransmissionSamplingRate,
                                 diffuseReflectionSamplingRate: diffuseReflectionSamplingRate,
                                 diffuseTransmissionSamplingRate: diffuseTransmissionSamplingRate))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        let textures: [(Texture<T>, String)] = [
            (eta, "eta"), (roughness, "roughness"), (diffTrans, "diff_trans"), (baseColor, "base_color"), (anisotropic, "anisotropic"),
            (specTint, "spec_tint"), (sheen, "sheen"), (sheenTint, "sheen_tint"), (specTrans, "spec_trans"), (flatness, "flatness")]
        return textures.flatMap { $0.0.parameters(prefix: prefix + $0.1 + ".") }
    }
}

extension PrincipledThin where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        func weight(_ name: String) throws -> Texture<Double> { try Texture.property(name, of: object) }
        func rate(_ name: String) throws -> Double { try object.defaulted(name, object.float) }
        self.init(baseColor: try weight("base_color"), roughness: try weight("roughness"),
                  anisotropic: try weight("anisotropic"), specTrans: try weight("spec_trans"), diffTrans: try weight("diff_trans"),
                  specTint: try weight("spec_tint"), sheen: try weight("sheen"), sheenTint: try weight("sheen_tint"),
                  flatness: try weight("flatness"), eta: try weight("eta"),
                  specularReflectionSamplingRate: try rate("specular_reflectance_sampling_rate"),
                  specularTransmissionSamplingRate: try rate("specular_transmittance_sampling_rate"),
                  diffuseReflectionSamplingRate: try rate("diffuse_reflectance_sampling_rate"),
                  diffuseTransmissionSamplingRate: try rate("diffuse_transmittance_sampling_rate"))
    }
}
