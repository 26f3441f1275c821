import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// Mitsuba 3's two microfacet normal distributions.
public enum MicrofacetType: String, Sendable, CaseIterable {
    /// Beckmann (Gaussian slopes); Mitsuba's default.
    case beckmann
    /// GGX / Trowbridge–Reitz.
    case ggx
}

/// A microfacet distribution in the local shading frame (normal +Z), with
/// Smith's separable shadowing-masking, as Mitsuba 3's
/// `MicrofacetDistribution`: D(m), G1(v, m) (for Beckmann the rational
/// approximation of Walter et al. 2007, < 0.35% error), and sampling of
/// either the visible normals (Heitz and d'Eon 2014; GGX by Heitz 2018) or
/// D(m) cos θm.
public struct Microfacet<T: Real> {
    public var type: MicrofacetType
    public var alphaU: T
    public var alphaV: T
    /// Sample the distribution of visible normals (Mitsuba's `sample_visible`, default true).
    public var sampleVisible: Bool

    @inlinable
    public init(type: MicrofacetType, alphaU: T, alphaV: T, sampleVisible: Bool = true) {
        self.type = type; self.alphaU = alphaU; self.alphaV = alphaV; self.sampleVisible = sampleVisible
    }

    @inlinable
    public init(type: MicrofacetType, alpha: T, sampleVisible: Bool = true) {
        self.init(type: type, alphaU: alpha, alphaV: alpha, sampleVisible: sampleVisible)
    }

    /// The same distribution over plain doubles (for sampling).
    @inlinable
    public var primal: Microfacet<Double> {
        Microfacet<Double>(type: type, alphaU: alphaU.primal, alphaV: alphaV.primal, sampleVisible: sampleVisible)
    }

    /// The normal distribution D(m) (per unit solid angle of m; ∫ D cos θm dωm = 1).
    @inlinable
    public func eval(_ m: Vector3<T>) -> T {
        // Branch on primal values: only normals in the upper hemisphere.
        if m.z.primal <= 0 { return 0 }
        let cos2 = m.z * m.z
        let xu = m.x / alphaU, yv = m.y / alphaV
        let result: T
        switch type {
        case .beckmann:
            result = exp(-(xu * xu + yv * yv) / cos2) / (T.pi * alphaU * alphaV * cos2 * cos2)
        case .ggx:
            let s = xu * xu + yv * yv + cos2
            result = 1 / (T.pi * alphaU * alphaV * s * s)
        }
        return (result * m.z).primal > 1e-20 ? result : 0
    }

    /// Smith's masking function G1(v, m); zero when v sees the back of m.
    @inlinable
    public func smithG1(_ v: Vector3<T>, _ m: Vector3<T>) -> T {
        // Branch on primal values: back-facing microfacet, normal incidence.
        if (dot(v, m) * v.z).primal <= 0 { return 0 }
        let xu = alphaU * v.x, yv = alphaV * v.y
        let xyAlpha2 = xu * xu + yv * yv
        if xyAlpha2.primal == 0 { return 1 }
        let tanThetaAlpha2 = xyAlpha2 / (v.z * v.z)
        switch type {
        case .beckmann:
            let a = 1 / sqrt(tanThetaAlpha2)
            if a.primal >= 1.6 { return 1 }
            let a2 = a * a
            return (T(3.535) * a + T(2.181) * a2) / (1 + T(2.276) * a + T(2.577) * a2)
        case .ggx:
            return 2 / (1 + sqrt(1 + tanThetaAlpha2))
        }
    }

    /// Smith's separable shadowing-masking G(wi, wo, m) = G1(wi, m) G1(wo, m).
    @inlinable
    public func G(_ wi: Vector3<T>, _ wo: Vector3<T>, _ m: Vector3<T>) -> T {
        smithG1(wi, m) * smithG1(wo, m)
    }

    /// The density of `sample(wi:u:)` producing `m`, per unit solid angle of m
    /// (`wi` in the upper hemisphere), detached.
    @inlinable
    public func pdf(wi: Vector3<T>, m: Vector3<T>) -> Double {
        let d = eval(m).primal
        if sampleVisible {
            let cosI = wi.z.primal
            if cosI == 0 { return 0 }
            return d * smithG1(wi, m).primal * Swift.abs(dot(wi, m).primal) / cosI
        }
        return d * m.z.primal
    }
}

extension Microfacet where T == Double {
    /// Samples a microfacet normal for `wi` (in the upper hemisphere); returns
    /// the normal and its density `pdf(wi:m:)`.
    @inlinable
    public func sample(wi: Vec3, u: (Double, Double)) -> (m: Vec3, pdf: Double) {
        let m: Vec3
        if sampleVisible {
            switch type {
            case .ggx: m = Microfacet.sampleVisibleGGX(wi: wi, alphaU: alphaU, alphaV: alphaV, u: u)
            case .beckmann: m = Microfacet.sampleVisibleBeckmann(wi: wi, alphaU: alphaU, alphaV: alphaV, u: u)
            }
        } else {
            m = sampleDistribution(u)
        }
        return (m, pdf(wi: wi, m: m))
    }

    /// Samples m with density D(m) cos θm.
    @inlinable
    func sampleDistribution(_ u: (Double, Double)) -> Vec3 {
        var phi = 2 * Double.pi * u.1
        var alpha2 = alphaU * alphaU
        if alphaU != alphaV {
            // Anisotropic: the azimuth of the stretched ellipse.
            phi = Glibc.atan(alphaV / alphaU * Glibc.tan(Double.pi + 2 * Double.pi * u.1))
                + Double.pi * Glibc.floor(2 * u.1 + 0.5)
            let c = Glibc.cos(phi), s = Glibc.sin(phi)
            alpha2 = 1 / (c * c / (alphaU * alphaU) + s * s / (alphaV * alphaV))
        }
        let tan2: Double
        switch type {
        case .beckmann: tan2 = -alpha2 * Glibc.log(1 - u.0)
        case .ggx: tan2 = alpha2 * u.0 / (1 - u.0)
        }
        let cosTheta = 1 / (1 + tan2).squareRoot()
        let sinTheta = Swift.max(0, 1 - cosTheta * cosTheta).squareRoot()
        return Vec3(sinTheta * Glibc.cos(phi), sinTheta * Glibc.sin(phi), cosTheta)
    }

    /// Visible GGX normals: Heitz, "Sampling the GGX Distribution of Visible
    /// Normals" (JCGT 2018).
    @inlinable
    static func sampleVisibleGGX(wi: Vec3, alphaU: Double, alphaV: Double, u: (Double, Double)) -> Vec3 {
        let vh = Vec3(alphaU * wi.x, alphaV * wi.y, wi.z).normalized
        let lensq = vh.x * vh.x + vh.y * vh.y
        let t1v = lensq > 0 ? Vec3(-vh.y, vh.x, 0) * (1 / lensq.squareRoot()) : Vec3(1, 0, 0)
        let t2v = cross(vh, t1v)
        let r = u.0.squareRoot(), phi = 2 * Double.pi * u.1
        let t1 = r * Glibc.cos(phi)
        var t2 = r * Glibc.sin(phi)
        let s = 0.5 * (1 + vh.z)
        t2 = (1 - s) * Swift.max(0, 1 - t1 * t1).squareRoot() + s * t2
        let nh = t1v * t1 + t2v * t2 + vh * Swift.max(0, 1 - t1 * t1 - t2 * t2).squareRoot()
        return Vec3(alphaU * nh.x, alphaV * nh.y, Swift.max(1e-9, nh.z)).normalized
    }

    /// Visible Beckmann normals: the slope-space method of Heitz and d'Eon,
    /// "Importance Sampling Microfacet-Based BSDFs using the Distribution of
    /// Visible Normals" (EGSR 2014), with Jakob's Newton inversion of the
    /// slope CDF (as in Mitsuba and pbrt-v3).
    @inlinable
    static func sampleVisibleBeckmann(wi: Vec3, alphaU: Double, alphaV: Double, u: (Double, Double)) -> Vec3 {
        // Stretch to the unit-roughness configuration.
        let ws = Vec3(alphaU * wi.x, alphaV * wi.y, wi.z).normalized
        let cosTheta = ws.z
        let sinTheta = Swift.max(0, 1 - cosTheta * cosTheta).squareRoot()
        var cosPhi = 1.0, sinPhi = 0.0
        if sinTheta > 1e-12 {
            cosPhi = Swift.min(1, Swift.max(-1, ws.x / sinTheta))
            sinPhi = Swift.min(1, Swift.max(-1, ws.y / sinTheta))
        }
        var (sx, sy) = sampleBeckmannSlopes(cosThetaI: cosTheta, u: u)
        // Rotate by phi and unstretch.
        let rx = cosPhi * sx - sinPhi * sy
        sy = (sinPhi * sx + cosPhi * sy) * alphaV
        sx = rx * alphaU
        return Vec3(-sx, -sy, 1).normalized
    }

    /// Slopes of the visible unit-roughness Beckmann normals for a direction
    /// at polar angle acos(cosThetaI) in the x–z plane.
    @inlinable
    static func sampleBeckmannSlopes(cosThetaI: Double, u: (Double, Double)) -> (Double, Double) {
        if cosThetaI > 0.9999 {
            let r = (-Glibc.log(Swift.max(1e-300, 1 - u.0))).squareRoot()
            let phi = 2 * Double.pi * u.1
            return (r * Glibc.cos(phi), r * Glibc.sin(phi))
        }
        let invSqrtPi = 1 / Double.pi.squareRoot()
        let sinThetaI = Swift.max(0, 1 - cosThetaI * cosThetaI).squareRoot()
        let tanThetaI = sinThetaI / cosThetaI
        let cotThetaI = 1 / tanThetaI
        // Bracket [a, c] on b = erf(slope); the CDF of the x slope is
        // norm · (1 + b + tanθ/√π · exp(−erfinv(b)²)).
        var a = -1.0, c = Glibc.erf(cotThetaI)
        let sampleX = Swift.min(Swift.max(u.0, 1e-9), 1 - 1e-12)
        let thetaI = Glibc.acos(cosThetaI)
        let fit = 1 + thetaI * (-0.876 + thetaI * (0.4265 - 0.0594 * thetaI))
        var b = c - (1 + c) * Glibc.pow(1 - sampleX, fit)
        let norm = 1 / (1 + c + invSqrtPi * tanThetaI * Glibc.exp(-cotThetaI * cotThetaI))
        for _ in 0..<40 {
            if !(b >= a && b <= c) { b = 0.5 * (a + c) }
            let x = erfinv(b)
            let value = norm * (1 + b + invSqrtPi * tanThetaI * Glibc.exp(-x * x)) - sampleX
            if Swift.abs(value) < 1e-12 { break }
            let derivative = norm * (1 - x * tanThetaI)
            if value > 0 { c = b } else { a = b }
            b -= value / derivative
        }
        let slopeX = erfinv(Swift.min(Swift.max(b, -1 + 1e-15), 1 - 1e-15))
        let slopeY = erfinv(2 * Swift.min(Swift.max(u.1, 1e-12), 1 - 1e-12) - 1)
        return (slopeX, slopeY)
    }

    /// The inverse error function: Giles' approximation ("Approximating the
    /// erfinv function", 2010) refined by two Newton steps on libm's erf.
    @inlinable
    public static func erfinv(_ x: Double) -> Double {
        if x <= -1 { return -Double.infinity }
        if x >= 1 { return Double.infinity }
        var w = -Glibc.log((1 - x) * (1 + x))
        var p: Double
        if w < 5 {
            w -= 2.5
            p = 2.81022636e-08
            p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w
            p = -4.39150654e-06 + p * w; p = 0.00021858087 + p * w
            p = -0.00125372503 + p * w; p = -0.00417768164 + p * w
            p = 0.246640727 + p * w; p = 1.50140941 + p * w
        } else {
            w = w.squareRoot() - 3
            p = -0.000200214257
            p = 0.000100950558 + p * w; p = 0.00134934322 + p * w
            p = -0.00367342844 + p * w; p = 0.00573950773 + p * w
            p = -0.0076224613 + p * w; p = 0.00943887047 + p * w
            p = 1.00167406 + p * w; p = 2.83297682 + p * w
        }
        var y = p * x
        let k = 2 / Double.pi.squareRoot()
        for _ in 0..<2 {
            let d = k * Glibc.exp(-y * y)
            if d == 0 { break }
            y -= (Glibc.erf(y) - x) / d
        }
        return y
    }
}
