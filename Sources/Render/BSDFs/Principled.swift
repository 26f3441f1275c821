import Geometry
import SceneFile
#if canImport(Glibc)
import Glibc
#endif

/// Disney's principled BSDF (Burley 2012, 2015) as Mitsuba 3's `principled`
/// implements it. Lobes, with metallic m, spec_trans t, brdf = (1 − m)(1 − t),
/// bsdf = (1 − m) t, and h the half vector (of wi and η wo for refraction):
/// (values below are f · |cos θo|, as `eval` returns them)
/// - specular reflection, anisotropic GGX (αx = max(0.001, r²/a),
///   αy = max(0.001, r² a), a = √(1 − 0.9 anisotropic)): F D G / (4 |cos θi|) with
///   F = (1 − m)(1 − spec_tint) F_dielectric + m Schlick(base_color)
///     + (1 − m) spec_tint Schlick(tint · R0(η)) in front, bsdf · F_dielectric from inside;
/// - specular transmission (rough dielectric, `eta`), in radiance transport:
///   √base_color · bsdf · |(1 − F) D G (wi·h)(wo·h) / (cos θi (wi·h + η wo·h)²)|;
/// - clearcoat: GTR1 with α = lerp(0.1, 0.001, clearcoat_gloss), Schlick with
///   R0 = 0.04, GGX masking with α = 0.25, weight clearcoat / 4, times cos θo
///   (Mitsuba's normalisation, kept);
/// - diffuse with retro-reflection, Hanrahan–Krueger "fake subsurface"
///   blended in by `flatness`, and sheen (tinted towards the base colour by
///   `sheen_tint`), in front only.
/// Sampling picks a lobe with Mitsuba's probabilities (sampling rates,
/// Fresnel at the sampled visible normal) and reports the mixture's pdf.
///
/// ```xml
/// <bsdf type="principled">
///     <rgb name="base_color" value="0.8, 0.3, 0.2"/>
///     <float name="metallic" value="0.3"/>
///     <float name="roughness" value="0.4"/>
///     <float name="spec_trans" value="0.2"/>
///     <float name="clearcoat" value="0.5"/>
///     <float name="specular" value="0.5"/>     <!-- or eta, not both -->
/// </bsdf>
/// ```
///
/// Every parameter but `eta`/`specular` and the sampling rates takes a texture
/// (read as one number, except `base_color`). Parameters (as `mi.traverse`):
/// `base_color.value`, `roughness.value`, `anisotropic.value`, `metallic.value`,
/// `spec_trans.value`, `spec_tint.value`, `sheen.value`, `sheen_tint.value`,
/// `clearcoat.value`, `clearcoat_gloss.value`, `flatness.value` (or their
/// textures' keys), and `specular` or `eta`.
///
/// Mitsuba evaluates the sheen only where the diffuse lobe is active in its
/// scalar variants, wherever sheen is active in its vectorised ones; here
/// wherever sheen is active (the vectorised behaviour).
public struct Principled<T: Real>: BSDFModel {
    public var baseColor: Texture<T>
    public var roughness: Texture<T>
    public var anisotropic: Texture<T>
    public var metallic: Texture<T>
    public var specTrans: Texture<T>
    public var specTint: Texture<T>
    public var sheen: Texture<T>
    public var sheenTint: Texture<T>
    public var clearcoat: Texture<T>
    public var clearcoatGloss: Texture<T>
    public var flatness: Texture<T>
    /// Relative index of refraction (interior over exterior).
    public var eta: T
    /// `specular` when the scene gave it (then `eta` = 2 / (1 − √(0.08 specular)) − 1).
    public var specular: T?
    /// Whether `spec_trans` is given and not 0 (Mitsuba's flag, for `eta`'s adjustment).
    public var hasSpecTrans: Bool
    /// Whether `anisotropic` is a texture or a number other than 0: the lobes
    /// are then evaluated in the frame whose s follows ∂p/∂u.
    public var isAnisotropic: Bool
    public var specularSamplingRate: Double
    public var clearcoatSamplingRate: Double
    public var diffuseSamplingRate: Double

    @inlinable
    public init(baseColor: Texture<T>, roughness: Texture<T>, anisotropic: Texture<T>, metallic: Texture<T>,
                specTrans: Texture<T>, specTint: Texture<T>, sheen: Texture<T>, sheenTint: Texture<T>,
                clearcoat: Texture<T>, clearcoatGloss: Texture<T>, flatness: Texture<T>,
                eta: T?, specular: T?, hasSpecTrans: Bool,
                specularSamplingRate: Double = 1, clearcoatSamplingRate: Double = 1, diffuseSamplingRate: Double = 1) {
        self.baseColor = baseColor; self.roughness = roughness; self.anisotropic = anisotropic; self.metallic = metallic
        self.specTrans = specTrans; self.specTint = specTint; self.sheen = sheen; self.sheenTint = sheenTint
        self.clearcoat = clearcoat; self.clearcoatGloss = clearcoatGloss; self.flatness = flatness
        self.hasSpecTrans = hasSpecTrans
        isAnisotropic = !anisotropic.isConstantZero
        self.specularSamplingRate = specularSamplingRate; self.clearcoatSamplingRate = clearcoatSamplingRate
        self.diffuseSamplingRate = diffuseSamplingRate
        if let eta {
            self.specular = nil
            // η = 1 does not refract: Mitsuba moves it to 1.001 when there is transmission.
            self.eta = hasSpecTrans && eta.primal == 1 ? T(1.001) : eta
        } else {
            var s = specular ?? T(0.5)
            if hasSpecTrans && s.primal == 0 { s = T(1e-3) }
            self.specular = s
            self.eta = Principled.eta(specular: s)
        }
    }

    /// The GGX distribution of a principled roughness `r` (Burley's mapping):
    /// αx = max(0.001, r² / a), αy = max(0.001, r² a), a = √(1 − 0.9 anisotropic).
    @inlinable
    static func ggx(roughness r: T, anisotropic: T) -> Microfacet<T> {
        let r2 = r * r
        let aspect = sqrt(1 - T(0.9) * anisotropic)
        // Branch on primal values: the 0.001 floor of each roughness.
        let ax = r2 / aspect, ay = r2 * aspect
        return Microfacet(type: .ggx, alphaU: ax.primal < 0.001 ? T(0.001) : ax, alphaV: ay.primal < 0.001 ? T(0.001) : ay)
    }

    /// The index of refraction a `specular` value stands for: R0 = 0.08 specular.
    @inlinable
    public static func eta(specular s: T) -> T { 2 / (1 - sqrt(T(0.08) * s)) - 1 }

    /// The scalar weights at the hit.
    @usableFromInline
    struct Weights<U: Real> {
        @usableFromInline var roughness: U, metallic: U, specTrans: U, clearcoat: U
        @usableFromInline var brdf: U, bsdf: U
        @usableFromInline var distribution: Microfacet<U>
        @inlinable init(roughness: U, anisotropic: U, metallic: U, specTrans: U, clearcoat: U) {
            self.roughness = roughness; self.metallic = metallic; self.specTrans = specTrans; self.clearcoat = clearcoat
            brdf = (1 - metallic) * (1 - specTrans)
            bsdf = (1 - metallic) * specTrans
            distribution = Principled<U>.ggx(roughness: roughness, anisotropic: anisotropic)
        }
    }

    @inlinable
    func weights(_ si: SurfaceInteraction<T>) -> Weights<T> {
        Weights(roughness: roughness.evalScalar(si), anisotropic: anisotropic.evalScalar(si), metallic: metallic.evalScalar(si),
                specTrans: specTrans.evalScalar(si), clearcoat: clearcoat.evalScalar(si))
    }

    @inlinable
    func primalWeights(_ si: SurfaceInteraction<T>) -> Weights<Double> {
        let w = weights(si)
        return Weights(roughness: w.roughness.primal, anisotropic: anisotropic.evalScalar(si).primal, metallic: w.metallic.primal,
                       specTrans: w.specTrans.primal, clearcoat: w.clearcoat.primal)
    }

    /// With anisotropy, the interaction and `wo` in Mitsuba's shading frame
    /// (s along ∂p/∂u), where the anisotropic roughness is defined; else as given.
    @inlinable
    func aligned(_ si: SurfaceInteraction<T>, _ wo: Vector3<T>) -> (SurfaceInteraction<T>, Vector3<T>) {
        Principled.aligned(si, wo, anisotropic: isAnisotropic)
    }

    /// `aligned` for any BSDF whose anisotropy follows ∂p/∂u (principled, principledthin).
    @inlinable
    static func aligned(_ si: SurfaceInteraction<T>, _ wo: Vector3<T>, anisotropic: Bool) -> (SurfaceInteraction<T>, Vector3<T>) {
        anisotropic ? si.alignedToTangent(wo) : (si, wo)
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let (a, w) = aligned(si, wo)
        return evalAligned(a, wo: w)
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let (a, w) = aligned(si, wo)
        return pdfAligned(a, wo: w)
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let (a, _) = aligned(si, si.wi)
        guard var s = sampleAligned(a, u1: u1, u2: u2) else { return nil }
        if isAnisotropic { s.wo = si.toLocal(a.toWorld(s.wo)) }
        return s
    }

    @inlinable
    func evalAligned(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let wi = si.wi
        let cosI = wi.z, cosO = wo.z
        // Branch on primal values throughout: sides, lobes, masks.
        if cosI.primal == 0 || cosO.primal == 0 { return .zero }
        let w = weights(si)
        let reflect = (cosI * cosO).primal > 0
        let front = cosI.primal > 0
        let etaPath = front ? eta : 1 / eta
        var wh = wi + wo * (reflect ? 1 : etaPath)
        if wh.lengthSquared.primal == 0 { return .zero }
        wh = wh.normalized
        if wh.z.primal < 0 { wh = -wh }
        let cosIH = dot(wi, wh), cosOH = dot(wo, wh)
        let f = Fresnel.dielectric(cosThetaI: cosIH, eta: eta).r
        let side: T = front ? 1 : -1
        let compatibleReflection = (cosIH * side).primal > 0 && (cosOH * side).primal > 0
        let compatibleRefraction = (cosIH * side).primal > 0 && (cosOH * side).primal < 0
        let base = baseColor.eval(si)
        let d = w.distribution.eval(wh), g = w.distribution.G(wi, wo, wh)
        var value = RGB<T>.zero

        if reflect && compatibleReflection && f.primal > 0 {
            let fp: RGB<T>
            if front {
                let tint = specTint.evalScalar(si)
                let etaIT = cosIH.primal >= 0 ? eta : 1 / eta
                var schlick = Principled.schlick(base, cosI: cosIH, eta: eta) * w.metallic
                if tint.primal != 0 {
                    let r0 = Principled.tintColor(base) * ((etaIT - 1) / (etaIT + 1) * ((etaIT - 1) / (etaIT + 1)))
                    schlick += Principled.schlick(r0, cosI: cosIH, eta: eta) * ((1 - w.metallic) * tint)
                }
                fp = RGB(repeating: (1 - w.metallic) * (1 - tint) * f) + schlick
            } else {
                fp = RGB(repeating: w.bsdf * f)
            }
            value += fp * (d * g / (4 * abs(cosI)))
        }
        if !reflect && w.bsdf.primal > 0 && compatibleRefraction && f.primal < 1 {
            // Radiance transport: the η² of the refracted solid angle cancels.
            let denominator = cosIH + etaPath * cosOH
            let t = abs((1 - f) * d * g * cosIH * cosOH / (cosI * denominator * denominator))
            let root = RGB(Fresnel.safeSqrt(base.r), Fresnel.safeSqrt(base.g), Fresnel.safeSqrt(base.b))
            value += root * (w.bsdf * t)
        }
        if reflect && front && w.clearcoat.primal > 0 && compatibleReflection {
            let gloss = clearcoatGloss.evalScalar(si)
            let alpha = T(0.1) * (1 - gloss) + T(0.001) * gloss
            let fcc = Principled.schlick(RGB(repeating: T(0.04)), cosI: cosIH, eta: eta).r
            let gcc = Principled.smithGGX1(wi, wh, alpha: T(0.25)) * Principled.smithGGX1(wo, wh, alpha: T(0.25))
            value += RGB(repeating: w.clearcoat * T(0.25) * fcc * Principled.gtr1(wh, alpha: alpha) * gcc * abs(cosO))
        }
        if reflect && front {
            let fo = Principled.schlickWeight(abs(cosO)), fi = Principled.schlickWeight(abs(cosI))
            let cosD = dot(wh, wo)
            if w.brdf.primal > 0 {
                let fDiffuse = (1 - T(0.5) * fi) * (1 - T(0.5) * fo)
                let rr = 2 * w.roughness * cosD * cosD
                let fRetro = rr * (fo + fi + fo * fi * (rr - 1))
                var lobe = fDiffuse + fRetro
                let flat = flatness.evalScalar(si)
                if flat.primal != 0 {
                    let fss90 = rr / 2
                    let fss = ((1 - fo) + fss90 * fo) * ((1 - fi) + fss90 * fi)
                    let fSubsurface = T(1.25) * (fss * (1 / (abs(cosO) + abs(cosI)) - T(0.5)) + T(0.5))
                    lobe = lobe * (1 - flat) + fSubsurface * flat
                }
                value += base * (w.brdf * abs(cosO) * lobe / T.pi)
            }
            let sheenWeight = sheen.evalScalar(si)
            if sheenWeight.primal > 0 && (1 - w.metallic).primal > 0 {
                let tint = sheenTint.evalScalar(si)
                let colour = RGB(repeating: 1 - tint) + Principled.tintColor(base) * tint
                value += colour * (sheenWeight * (1 - w.metallic) * Principled.schlickWeight(abs(cosD)) * abs(cosO))
            }
        }
        return value
    }

    /// The lobe probabilities (diffuse, clearcoat, transmission, reflection)
    /// for a Fresnel reflectance `f` at the microfacet normal.
    @inlinable
    func lobeProbabilities(_ w: Weights<Double>, f: Double, front: Bool) -> (Double, Double, Double, Double) {
        let reflection = front ? specularSamplingRate * (1 - w.bsdf * (1 - f)) : f
        let transmission = hasSpecTrans ? (front ? specularSamplingRate * w.bsdf * (1 - f) : 1 - f) : 0
        let clearcoat = front ? 0.25 * w.clearcoat * clearcoatSamplingRate : 0
        let diffuse = front ? w.brdf * diffuseSamplingRate : 0
        let total = reflection + transmission + clearcoat + diffuse
        return (diffuse / total, clearcoat / total, transmission / total, reflection / total)
    }

    @inlinable
    func pdfAligned(_ si: SurfaceInteraction<T>, wo woT: Vector3<T>) -> Double {
        let wi = si.wi.primal, wo = woT.primal
        let cosI = wi.z, cosO = wo.z
        if cosI == 0 || cosO == 0 { return 0 }
        let w = primalWeights(si)
        let front = cosI > 0
        let etaValue = eta.primal
        let etaPath = front ? etaValue : 1 / etaValue
        let reflect = cosI * cosO > 0
        var wh = wi + wo * (reflect ? 1 : etaPath)
        if wh.lengthSquared == 0 { return 0 }
        wh = wh.normalized
        if wh.z < 0 { wh = -wh }
        let f = Fresnel.dielectric(cosThetaI: dot(wi, wh), eta: etaValue).r
        let (pDiffuse, pClearcoat, pTransmission, pReflection) = lobeProbabilities(w, f: f, front: front)
        let cosIH = dot(wi, wh), cosOH = dot(wo, wh)
        let dwhdwo = reflect ? Swift.abs(1 / (4 * cosOH))
                             : Swift.abs(etaPath * etaPath * cosOH / ((cosIH + etaPath * cosOH) * (cosIH + etaPath * cosOH)))
        let side = front ? 1.0 : -1.0
        let flipped = wi * side
        var pdf = 0.0
        if reflect {
            if cosIH * side > 0 && cosOH * side > 0 {
                pdf += pReflection * w.distribution.pdf(wi: flipped, m: wh) * dwhdwo
                if pClearcoat > 0 {
                    let gloss = clearcoatGloss.evalScalar(si).primal
                    let alpha = 0.1 * (1 - gloss) + 0.001 * gloss
                    pdf += pClearcoat * Principled<Double>.gtr1(wh, alpha: alpha) * Swift.max(wh.z, 0) * dwhdwo
                }
            }
            pdf += pDiffuse * Swift.max(cosO, 0) / Double.pi
        } else if pTransmission > 0 && cosIH * side > 0 && cosOH * side < 0 {
            pdf += pTransmission * w.distribution.pdf(wi: flipped, m: wh) * dwhdwo
        }
        return pdf
    }

    @inlinable
    func sampleAligned(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let wi = si.wi.primal
        let cosI = wi.z
        if cosI == 0 { return nil }
        let w = primalWeights(si)
        let front = cosI > 0
        if !front && !(w.bsdf > 0) { return nil }
        let etaValue = eta.primal
        let side = front ? 1.0 : -1.0
        let m = w.distribution.sample(wi: wi * side, u: u2).m
        let fr = Fresnel.dielectric(cosThetaI: dot(wi, m), eta: etaValue)
        let (pDiffuse, pClearcoat, pTransmission, _) = lobeProbabilities(w, f: fr.r, front: front)
        // Branch on the primal value: which lobe.
        var wo: Vec3
        var eta = 1.0
        if u1 < pDiffuse {
            wo = Warp.squareToCosineHemisphere(u2)
            if cosI * wo.z <= 0 { return nil }
        } else if u1 < pDiffuse + pClearcoat {
            let gloss = clearcoatGloss.evalScalar(si).primal
            let mc = Principled<Double>.sampleGTR1(alpha: 0.1 * (1 - gloss) + 0.001 * gloss, u: u2)
            wo = Fresnel.reflect(wi, mc)
            if !(cosI * wo.z > 0 && dot(wi, mc) * side > 0 && dot(wo, mc) * side > 0) { return nil }
        } else if u1 < pDiffuse + pClearcoat + pTransmission {
            wo = Fresnel.refract(wi, m, cosThetaT: fr.cosThetaT, etaTI: fr.etaTI)
            eta = fr.etaIT
            if !(cosI * wo.z < 0 && dot(wi, m) * side > 0 && dot(wo, m) * side < 0) { return nil }
        } else {
            wo = Fresnel.reflect(wi, m)
            if !(cosI * wo.z > 0 && dot(wi, m) * side > 0 && dot(wo, m) * side > 0) { return nil }
        }
        let woT = Vector3<T>(wo)
        let p = pdfAligned(si, wo: woT)
        if !(p > 0) || !p.isFinite { return nil }
        // Weight f cos θo / pdf with the pdf detached (∂weight = ∂f / pdf).
        return BSDFSample(wo: woT, pdf: p, weight: evalAligned(si, wo: woT) / T(p), eta: eta, isDelta: false)
    }

    // MARK: - Helpers (Mitsuba's principledhelpers)

    /// (1 − cos)⁵, the cosine clamped to [0, 1].
    @inlinable @inline(__always)
    static func schlickWeight(_ c: T) -> T {
        let m = (1 - c).clamped01
        return m * m * m * m * m
    }

    /// Schlick's Fresnel R0 + (1 − R0)(1 − cos)⁵, with the cosine of the
    /// refracted direction when the ray leaves the denser side.
    @inlinable
    static func schlick(_ r0: RGB<T>, cosI: T, eta: T) -> RGB<T> {
        let outside = cosI.primal >= 0
        let etaIT = outside ? eta : 1 / eta, etaTI = outside ? 1 / eta : eta
        let weight: T
        if etaIT.primal > 1 {
            weight = schlickWeight(abs(cosI))
        } else {
            weight = schlickWeight(Fresnel.safeSqrt(1 - etaTI * etaTI * (1 - cosI * cosI)))
        }
        return RGB(r0.r + (1 - r0.r) * weight, r0.g + (1 - r0.g) * weight, r0.b + (1 - r0.b) * weight)
    }

    /// The colour divided by its luminance (white for black).
    @inlinable
    static func tintColor(_ c: RGB<T>) -> RGB<T> {
        let l = c.luminance
        return l.primal > 0 ? c / l : .one
    }

    /// Burley's GTR1 distribution D(m) (the clearcoat's).
    @inlinable
    static func gtr1(_ m: Vector3<T>, alpha: T) -> T {
        let a2 = alpha * alpha, c2 = m.z * m.z
        let d = (a2 - 1) / (T.pi * log(a2) * (1 + (a2 - 1) * c2))
        return (d * m.z).primal > 1e-20 ? d : 0
    }

    /// Smith's GGX masking with roughness `alpha` (the clearcoat's).
    @inlinable
    static func smithGGX1(_ v: Vector3<T>, _ m: Vector3<T>, alpha: T) -> T {
        if (dot(v, m) * v.z).primal <= 0 { return 0 }
        if v.z.primal == 1 { return 1 }
        let c2 = v.z * v.z
        let tan2 = (1 - c2) / c2
        return 2 / (1 + sqrt(1 + alpha * alpha * tan2))
    }
}

extension Principled where T == Double {
    /// A GTR1 normal with density D(m) cos θm.
    @inlinable
    static func sampleGTR1(alpha: Double, u: (Double, Double)) -> Vec3 {
        let phi = 2 * Double.pi * u.0
        let a2 = alpha * alpha
        let cos2 = (1 - Glibc.pow(a2, 1 - u.1)) / (1 - a2)
        let sinTheta = Swift.max(0, 1 - cos2).squareRoot(), cosTheta = Swift.max(0, cos2).squareRoot()
        return Vec3(Glibc.cos(phi) * sinTheta, Glibc.sin(phi) * sinTheta, cosTheta)
    }
}

extension Principled {
    @inlinable public var needsTangents: Bool { isAnisotropic }
    @inlinable public var hasTransmission: Bool { hasSpecTrans }
    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { baseColor.eval(si) }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        func t(_ texture: Texture<T>, _ name: String) -> Texture<U> { texture.lifted(lifter, prefix: prefix + name + ".") }
        let etaU: U? = specular == nil ? lifter.scalar(prefix + "eta", eta.primal) : nil
        let specularU: U? = specular.map { lifter.scalar(prefix + "specular", $0.primal) }
        return .principled(Principled<U>(baseColor: t(baseColor, "base_color"), roughness: t(roughness, "roughness"),
                             anisotropic: t(anisotropic, "anisotropic"), metallic: t(metallic, "metallic"),
                             specTrans: t(specTrans, "spec_trans"), specTint: t(specTint, "spec_tint"),
                             sheen: t(sheen, "sheen"), sheenTint: t(sheenTint, "sheen_tint"),
                             clearcoat: t(clearcoat, "clearcoat"), clearcoatGloss: t(clearcoatGloss, "clearcoat_gloss"),
                             flatness: t(flatness, "flatness"), eta: etaU, specular: specularU, hasSpecTrans: hasSpecTrans,
                             specularSamplingRate: specularSamplingRate, clearcoatSamplingRate: clearcoatSamplingRate,
                             diffuseSamplingRate: diffuseSamplingRate))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        let textures: [(Texture<T>, String)] = [
            (clearcoat, "clearcoat"), (clearcoatGloss, "clearcoat_gloss"), (metallic, "metallic"), (roughness, "roughness"),
            (baseColor, "base_color"), (anisotropic, "anisotropic"), (specTint, "spec_tint"), (sheen, "sheen"),
            (sheenTint, "sheen_tint"), (specTrans, "spec_trans"), (flatness, "flatness")]
        let index = specular.map { ParameterInfo(key: prefix + "specular", values: [$0.primal]) }
            ?? ParameterInfo(key: prefix + "eta", values: [eta.primal])
        return [index] + textures.flatMap { $0.0.parameters(prefix: prefix + $0.1 + ".") }
    }
}

extension Texture {
    /// Whether the texture is the constant 0 (Mitsuba's lobe flags: a lobe is
    /// off when its weight is the number 0).
    @inlinable
    public var isConstantZero: Bool {
        if case .constant(let c) = self { return c.r.primal == 0 && c.g.primal == 0 && c.b.primal == 0 }
        return false
    }
}

extension SurfaceInteraction {
    /// The interaction and `wo` in Mitsuba's shading frame, whose s axis
    /// follows ∂p/∂u (`PerturbedFrame.tangentFrame`): where anisotropic
    /// roughness is defined (principled, principledthin, roughconductor).
    @inlinable
    public func alignedToTangent(_ wo: Vector3<T>) -> (SurfaceInteraction<T>, Vector3<T>) {
        let frame = PerturbedFrame.tangentFrame(self)
        var s = self
        s.shading = frame
        s.wi = frame.toLocal(toWorld(wi))
        return (s, frame.toLocal(toWorld(wo)))
    }
}

extension Principled where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        func weight(_ name: String) throws -> Texture<Double> { try Texture.property(name, of: object) }
        if object.has("eta") && object.has("specular") {
            throw SceneFileError("principled: give either 'eta' or 'specular', not both", at: object.location(of: "specular"))
        }
        let eta = object.float("eta"), specular = object.float("specular")
        if let eta, !(eta > 0 && eta.isFinite) {
            throw SceneFileError("principled: eta must be positive, got \(eta)", at: object.location(of: "eta"))
        }
        if let specular, !(specular >= 0 && specular < 12.5) {
            throw SceneFileError("principled: specular must be in [0, 12.5), got \(specular)", at: object.location(of: "specular"))
        }
        // Mitsuba's flags: a lobe is on when its property is given and is not the number 0.
        func given(_ name: String) -> Bool { object.texture(name) != nil || (object.has(name) && object.rgb(name) != Vec3.zero) }
        self.init(baseColor: try weight("base_color"), roughness: try weight("roughness"),
                  anisotropic: try weight("anisotropic"), metallic: try weight("metallic"),
                  specTrans: try weight("spec_trans"), specTint: try weight("spec_tint"),
                  sheen: try weight("sheen"), sheenTint: try weight("sheen_tint"),
                  clearcoat: try weight("clearcoat"), clearcoatGloss: try weight("clearcoat_gloss"),
                  flatness: try weight("flatness"), eta: eta, specular: specular, hasSpecTrans: given("spec_trans"),
                  specularSamplingRate: try object.defaulted("main_specular_sampling_rate", object.float),
                  clearcoatSamplingRate: try object.defaulted("clearcoat_sampling_rate", object.float),
                  diffuseSamplingRate: try object.defaulted("diffuse_reflectance_sampling_rate", object.float))
    }
}
