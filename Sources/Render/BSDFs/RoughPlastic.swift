import Foundation
import Geometry
import SceneFile
#if canImport(Glibc)
import Glibc
#endif

/// Rough plastic: a rough dielectric coating (microfacet reflection, Walter
/// et al. 2007) over a diffuse base, as Mitsuba 3's `roughplastic`:
/// f = F(wi·h) D(h) G(wi, wo) / (4 cos θi cos θo) · specular
///   + ρ_d / (1 − R_int) · T(θi) T(θo) / (η² π),
/// with T(θ) the coating's transmittance at incidence θ and R_int its
/// hemispherical reflectance from inside (ρ_d R_int instead of R_int with
/// `nonlinear`). T and R_int are integrated numerically over the visible
/// normals at load time (`RoughCoatingTables`), T on 64 values of cos θ,
/// linearly interpolated. The specular lobe is chosen with probability
/// (1 − T(θi))·s / ((1 − T(θi))·s + T(θi)(1 − s)),
/// s = mean(specular) / (mean(diffuse) + mean(specular)).
///
/// ```xml
/// <bsdf type="roughplastic">
///     <rgb name="diffuse_reflectance" value="0.1, 0.27, 0.36"/>
///     <string name="distribution" value="beckmann"/>   <!-- or ggx -->
///     <float name="alpha" value="0.1"/>
///     <float name="int_ior" value="1.49"/>              <!-- default polypropylene -->
///     <boolean name="nonlinear" value="false"/>
/// </bsdf>
/// ```
///
/// Parameters (as `mi.traverse`): `diffuse_reflectance.value`, `alpha`,
/// `eta`, and `specular_reflectance.value` when the scene gives one. The
/// tables are not differentiated (Mitsuba precomputes them from plain
/// values too); they are recomputed when `alpha` or `eta` change value.
public struct RoughPlastic<T: Real>: BSDFModel {
    public var diffuseReflectance: Texture<T>
    public var specularReflectance: Texture<T>?
    public var distribution: Microfacet<T>
    /// Relative index of refraction, interior over exterior.
    public var eta: T
    public var nonlinear: Bool
    public var specularSamplingWeight: Double
    public var tables: RoughCoatingTables

    @inlinable
    public init(diffuseReflectance: Texture<T>, specularReflectance: Texture<T>? = nil, distribution: Microfacet<T>,
                eta: T, nonlinear: Bool = false, tables: RoughCoatingTables? = nil) {
        self.diffuseReflectance = diffuseReflectance; self.specularReflectance = specularReflectance
        self.distribution = distribution; self.eta = eta; self.nonlinear = nonlinear
        let d = diffuseReflectance.mean.average
        let s = specularReflectance?.mean.average ?? 1
        self.specularSamplingWeight = s / (d + s)
        let p = distribution.primal
        if let tables, tables.matches(type: p.type, alpha: p.alphaU, eta: eta.primal) {
            self.tables = tables
        } else {
            self.tables = RoughCoatingTables(type: p.type, alpha: p.alphaU, eta: eta.primal)
        }
    }

    /// The probability of choosing the specular lobe, given T(θi).
    @inlinable @inline(__always)
    func specularProbability(_ ti: Double) -> Double {
        let ps = (1 - ti) * specularSamplingWeight, pd = ti * (1 - specularSamplingWeight)
        return ps / (ps + pd)
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        let wi = si.wi
        let cosI = wi.z, cosO = wo.z
        // Branch on primal values: both directions above the surface.
        if cosI.primal <= 0 || cosO.primal <= 0 { return .zero }
        let h = (wi + wo).normalized
        let d = distribution.eval(h)
        var value = RGB<T>.zero
        if d.primal != 0 {
            let f = Fresnel.dielectric(cosThetaI: dot(wi, h), eta: eta).r
            let g = distribution.G(wi, wo, h)
            value = specularReflectance.evalOrOne(si) * (f * d * g / (4 * cosI))
        }
        // Zero in value; the derivatives of alpha and eta, for the tables' first-order terms.
        let dAlpha = distribution.alphaU - T(tables.alpha), dEta = eta - T(tables.eta)
        let ti = tables.transmittance(cosI, dAlpha: dAlpha, dEta: dEta)
        let to = tables.transmittance(cosO, dAlpha: dAlpha, dEta: dEta)
        var diff = diffuseReflectance.eval(si)
        let rInt = tables.internalReflectance(dAlpha: dAlpha, dEta: dEta)
        if nonlinear {
            diff = RGB(diff.r / (1 - diff.r * rInt), diff.g / (1 - diff.g * rInt), diff.b / (1 - diff.b * rInt))
        } else {
            diff = diff / (1 - rInt)
        }
        return value + diff * (cosO * ti * to / (eta * eta * T.pi))
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        let wi = si.wi.primal, o = wo.primal
        if wi.z <= 0 || o.z <= 0 { return 0 }
        let ps = specularProbability(tables.transmittance(wi.z, dAlpha: 0.0, dEta: 0.0))
        let h = (wi + o).normalized
        let dwo = dot(o, h)
        let specular = dwo > 0 ? distribution.primal.pdf(wi: wi, m: h) / (4 * dwo) : 0
        return ps * specular + (1 - ps) * o.z / Double.pi
    }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        let wi = si.wi.primal
        if wi.z <= 0 { return nil }
        let ps = specularProbability(tables.transmittance(wi.z, dAlpha: 0.0, dEta: 0.0))
        // Branch on the primal value: which lobe.
        let wo: Vec3
        if u1 < ps {
            wo = Fresnel.reflect(wi, distribution.primal.sample(wi: wi, u: u2).m)
        } else {
            wo = Warp.squareToCosineHemisphere(u2)
        }
        if wo.z <= 0 { return nil }
        let woT = Vector3<T>(wo)
        let p = pdf(si, wo: woT)
        if !(p > 0) || !p.isFinite { return nil }
        // Weight f cos θo / pdf with the pdf detached (∂weight = ∂f / pdf).
        return BSDFSample(wo: woT, pdf: p, weight: eval(si, wo: woT) / T(p), isDelta: false)
    }

    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { diffuseReflectance.eval(si) }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        let p = distribution.primal
        let alpha = lifter.scalar(prefix + "alpha", p.alphaU)
        var tables = tables
        if lifter.differentiates(prefix + "alpha") || lifter.differentiates(prefix + "eta") { tables = tables.withDerivatives() }
        return .roughPlastic(RoughPlastic<U>(diffuseReflectance: diffuseReflectance.lifted(lifter, prefix: prefix + "diffuse_reflectance."),
                               specularReflectance: specularReflectance?.lifted(lifter, prefix: prefix + "specular_reflectance."),
                               distribution: Microfacet<U>(type: p.type, alpha: alpha, sampleVisible: p.sampleVisible),
                               eta: lifter.scalar(prefix + "eta", eta.primal), nonlinear: nonlinear, tables: tables))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        diffuseReflectance.parameters(prefix: prefix + "diffuse_reflectance.")
            + [ParameterInfo(key: prefix + "alpha", values: [distribution.alphaU.primal]),
               ParameterInfo(key: prefix + "eta", values: [eta.primal])]
            + (specularReflectance?.parameters(prefix: prefix + "specular_reflectance.") ?? [])
    }
}

/// The two precomputed integrals of a rough dielectric coating over a
/// diffuse base (`roughplastic`), as Mitsuba 3 computes them: the
/// transmittance T(μ) = ∫ (1 − F(wi·m)) G1(wt, m) over the visible normals m
/// of wi (μ = cos θi; wt the refracted direction), on 64 values
/// μ = max(10⁻⁶, k/63); and the internal hemispherical reflectance
/// R_int = 2 · mean over those μ of μ · ∫ F_{1/η}(wi·m) G1(wr, m), seen from
/// inside (relative index 1/η). Gauss–Legendre quadrature over the two
/// sampling numbers, 32² nodes for η > 1 and 128² otherwise, as Mitsuba.
///
/// Mitsuba does not differentiate the tables; here, when `alpha` or `eta`
/// is differentiated, `withDerivatives()` adds their derivatives (central
/// differences of the quadratures) and the lookups add the first-order
/// terms, so the diffuse lobe's dependence on roughness and index is in the
/// gradient too.
public struct RoughCoatingTables: Sendable {
    public static let resolution = 64
    public let type: MicrofacetType
    public let alpha: Double
    public let eta: Double
    public let transmittanceTable: [Double]
    public let internalReflectanceValue: Double
    /// ∂T/∂alpha, ∂T/∂eta per table entry and ∂R_int/∂alpha, ∂R_int/∂eta (nil: not computed).
    public private(set) var derivatives: Derivatives?
    public typealias Derivatives = (alpha: [Double], eta: [Double], rAlpha: Double, rEta: Double)
    /// Shared by every copy of these tables (the scene lifted per tile or
    /// thread): the derivatives are computed once, by the first that needs them.
    let derivativeCache = DerivativeCache()

    final class DerivativeCache: @unchecked Sendable {
        let lock = NSLock()
        var value: Derivatives?
    }

    public init(type: MicrofacetType, alpha: Double, eta: Double) {
        self.type = type; self.alpha = alpha; self.eta = eta
        let distribution = Microfacet<Double>(type: type, alpha: alpha, sampleVisible: true)
        let n = RoughCoatingTables.resolution
        let mus = (0..<n).map { Swift.max(1e-6, Double($0) / Double(n - 1)) }
        transmittanceTable = mus.map { mu in
            Swift.max(0, RoughCoatingTables.integrate(distribution, mu: mu, eta: eta, transmitted: true))
        }
        var sum = 0.0
        for mu in mus { sum += RoughCoatingTables.integrate(distribution, mu: mu, eta: 1 / eta, transmitted: false) * mu }
        internalReflectanceValue = 2 * sum / Double(n)
    }

    /// The tables with their derivatives with respect to alpha and eta
    /// (central differences, steps 10⁻³ of each value).
    public func withDerivatives() -> RoughCoatingTables {
        if derivatives != nil { return self }
        var result = self
        derivativeCache.lock.lock()
        defer { derivativeCache.lock.unlock() }
        if let cached = derivativeCache.value {
            result.derivatives = cached
            return result
        }
        let ha = 1e-3 * alpha, he = 1e-3 * eta
        let ap = RoughCoatingTables(type: type, alpha: alpha + ha, eta: eta), am = RoughCoatingTables(type: type, alpha: alpha - ha, eta: eta)
        let ep = RoughCoatingTables(type: type, alpha: alpha, eta: eta + he), em = RoughCoatingTables(type: type, alpha: alpha, eta: eta - he)
        result.derivatives = (alpha: zip(ap.transmittanceTable, am.transmittanceTable).map { ($0 - $1) / (2 * ha) },
                              eta: zip(ep.transmittanceTable, em.transmittanceTable).map { ($0 - $1) / (2 * he) },
                              rAlpha: (ap.internalReflectanceValue - am.internalReflectanceValue) / (2 * ha),
                              rEta: (ep.internalReflectanceValue - em.internalReflectanceValue) / (2 * he))
        derivativeCache.value = result.derivatives
        return result
    }

    /// R_int, plus the first-order terms in the (zero-valued) offsets of alpha and eta.
    @inlinable
    public func internalReflectance<T: Real>(dAlpha: T, dEta: T) -> T {
        guard let d = derivatives else { return T(internalReflectanceValue) }
        return T(internalReflectanceValue) + dAlpha * T(d.rAlpha) + dEta * T(d.rEta)
    }

    public func matches(type: MicrofacetType, alpha: Double, eta: Double) -> Bool {
        self.type == type && self.alpha == alpha && self.eta == eta
    }

    /// T at cos θ = `mu`, linearly interpolated (the weights carry the
    /// derivatives of `mu`; the table values are constants).
    @inlinable
    public func transmittance<T: Real>(_ mu: T, dAlpha: T, dEta: T) -> T {
        let n = RoughCoatingTables.resolution
        let x = mu * T(Double(n - 1))
        // Branch on the primal value: the table cell.
        let index = Swift.min(Swift.max(Int(x.primal.rounded(.down)), 0), n - 2)
        let w1 = x - T(Double(index))
        var t = T(transmittanceTable[index]) * (1 - w1) + T(transmittanceTable[index + 1]) * w1
        if let d = derivatives {
            t += dAlpha * (T(d.alpha[index]) * (1 - w1) + T(d.alpha[index + 1]) * w1)
            t += dEta * (T(d.eta[index]) * (1 - w1) + T(d.eta[index + 1]) * w1)
        }
        return t
    }

    /// ∫ over the visible normals of wi = (√(1 − μ²), 0, μ) of the energy
    /// reflected (or, with `transmitted`, refracted) by the microfacet and
    /// not masked on the way out.
    static func integrate(_ distribution: Microfacet<Double>, mu: Double, eta: Double, transmitted: Bool) -> Double {
        let wi = Vec3((1 - mu * mu).squareRoot(), 0, mu)
        let (nodes, weights) = gaussLegendre(eta > 1 ? 32 : 128)
        var total = 0.0
        for (i, x) in nodes.enumerated() {
            for (j, y) in nodes.enumerated() {
                let m = distribution.sample(wi: wi, u: (x * 0.5 + 0.5, y * 0.5 + 0.5)).m
                let fr = Fresnel.dielectric(cosThetaI: dot(wi, m), eta: eta)
                var value = 0.0
                if transmitted {
                    let wt = Fresnel.refract(wi, m, cosThetaT: fr.cosThetaT, etaTI: fr.etaTI)
                    if wt.z * wi.z < 0 { value = distribution.smithG1(wt, m) * (1 - fr.r) }
                } else {
                    let wr = Fresnel.reflect(wi, m)
                    if wr.z > 0 && wi.z > 0 { value = distribution.smithG1(wr, m) * fr.r }
                }
                total += value * weights[i] * weights[j]
            }
        }
        return total * 0.25
    }

    /// Nodes and weights of n-point Gauss–Legendre quadrature on [−1, 1]
    /// (Newton's method on the Legendre polynomial from Chebyshev guesses).
    static func gaussLegendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var x = Glibc.cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = x
                for k in 2...n {
                    let p2 = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1; p1 = p2
                }
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let step = p1 / derivative
                x -= step
                if Swift.abs(step) < 1e-15 { break }
            }
            nodes[i] = x
            weights[i] = 2 / ((1 - x * x) * derivative * derivative)
        }
        return (nodes, weights)
    }
}

extension RoughPlastic where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        let distribution = try BSDF.microfacet(object)
        guard distribution.sampleVisible else {
            throw SceneFileError("roughplastic: sample_visible false is not supported (its coating tables integrate over the visible normals)",
                                 at: object.location(of: "sample_visible"))
        }
        self.init(diffuseReflectance: try Texture.property("diffuse_reflectance", of: object),
                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                  distribution: distribution, eta: try BSDF.relativeIOR(object),
                  nonlinear: try object.defaulted("nonlinear", object.boolean))
    }
}
