import TestSupport
import Testing
import Geometry
import Render
import SceneFile
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers shared by the BSDF tests

/// Uniform numbers in [0, 1) from SplitMix64, seeded per test.
struct TestRNG {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 1) }
    mutating func next() -> Double { generator.unit() }
}

/// A surface interaction at the origin with the local frame = world frame
/// (∂p/∂u = x, ∂p/∂v = y).
func interaction<T: Real>(wi: Vector3<T>, uv: (T, T) = (0, 0)) -> SurfaceInteraction<T> {
    SurfaceInteraction(t: 1, p: .zero, ng: Vector3(0, 0, 1),
                       shading: Frame(s: Vector3(1, 0, 0), t: Vector3(0, 1, 0), n: Vector3(0, 0, 1)),
                       uv: uv, wi: wi, shape: 0, primitive: 0, dpdu: Vector3(1, 0, 0), dpdv: Vector3(0, 1, 0))
}

func unit(_ x: Double, _ y: Double, _ z: Double) -> Vec3 { Vec3(x, y, z).normalized }

/// Loads `<bsdf ... id="b">` through the scene-file reader and `BSDF.init(_:)`.
func loadBSDF(_ xml: String) throws -> BSDF<Double> {
    let scene = try SceneDescription(xml: "<scene version=\"3.0.0\">\(xml)</scene>", file: "test.xml")
    guard let object = scene.objectsByID["b"] else { throw TestFailure("no object b in \(xml)") }
    return try BSDF(object)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func close(_ a: Double, _ b: Double, rel: Double, abs absTol: Double) -> Bool {
    Swift.abs(a - b) <= absTol + rel * Swift.max(Swift.abs(a), Swift.abs(b))
}

/// The upper tail probability of the chi-square distribution with `k`
/// degrees of freedom, by the Wilson–Hilferty approximation (good for k ≥ 5).
func chiSquareTail(_ x: Double, dof k: Int) -> Double {
    let kd = Double(k)
    let z = (Glibc.pow(x / kd, 1.0 / 3.0) - (1 - 2 / (9 * kd))) / (2 / (9 * kd)).squareRoot()
    return 0.5 * Glibc.erfc(z / 2.0.squareRoot())
}

/// Midpoint quadrature over the sphere in `thetaBins` × `phiBins` cells of
/// equal solid angle (uniform in cos θ and φ), each cell subdivided
/// uniformly in θ (not cos θ, to resolve lobes near the poles; the two
/// polar cells 8 times finer in θ) and φ: calls `body(cell, direction, solid angle)`.
func sphereQuadrature(thetaBins: Int, phiBins: Int, sub: Int = 20, _ body: (Int, Vec3, Double) -> Void) {
    for i in 0..<thetaBins {
        let c0 = -1 + 2 * Double(i) / Double(thetaBins), c1 = -1 + 2 * Double(i + 1) / Double(thetaBins)
        let t0 = Glibc.acos(c1), t1 = Glibc.acos(c0)  // θ range of the cell
        let thetaSub = (i == 0 || i == thetaBins - 1) ? 8 * sub : sub
        let dt = (t1 - t0) / Double(thetaSub)
        for a in 0..<thetaSub {
            let theta = t0 + (Double(a) + 0.5) * dt
            let st = Glibc.sin(theta), ct = Glibc.cos(theta)
            for j in 0..<phiBins {
                for b in 0..<sub {
                    let dp = 2 * Double.pi / Double(phiBins * sub)
                    let phi = (Double(j * sub + b) + 0.5) * dp
                    body(i * phiBins + j, Vec3(st * Glibc.cos(phi), st * Glibc.sin(phi), ct), st * dt * dp)
                }
            }
        }
    }
}

/// Chi-square test of `bsdf.sample` against `bsdf.pdf` for one `wi` (the
/// approach of Mitsuba's and pbrt's tests): the sphere of directions in
/// `thetaBins` × `phiBins` cells of equal solid angle over (cos θ, φ);
/// expected counts by integrating the pdf on a fine midpoint grid; cells with
/// expected counts below 5 pooled. Delta samples are not binned. Returns the
/// p-value, the integral of the pdf and the fraction of non-delta samples.
func chiSquare(_ bsdf: BSDF<Double>, wi: Vec3, samples n: Int = 100_000, thetaBins: Int = 10, phiBins: Int = 20,
               seed: UInt64 = 1) -> (pValue: Double, pdfIntegral: Double, sampledFraction: Double, mismatches: Int) {
    let si = interaction(wi: wi)
    var observed = [Double](repeating: 0, count: thetaBins * phiBins)
    var rng = TestRNG(seed: seed)
    var mismatches = 0
    var binned = 0
    for _ in 0..<n {
        let u1 = rng.next(), u2 = (rng.next(), rng.next())
        guard let s = bsdf.sample(si, u1: u1, u2: u2), !s.isDelta else { continue }
        // The sample's pdf and weight agree with pdf() and eval() / pdf.
        let p = bsdf.pdf(si, wo: s.wo)
        let f = bsdf.eval(si, wo: s.wo)
        if !close(p, s.pdf, rel: 1e-6, abs: 1e-9) || !close(f.r / p, s.weight.r, rel: 1e-6, abs: 1e-9) { mismatches += 1 }
        let cosT = Swift.min(1, Swift.max(-1, s.wo.z))
        var phi = Glibc.atan2(s.wo.y, s.wo.x)
        if phi < 0 { phi += 2 * Double.pi }
        let i = Swift.min(thetaBins - 1, Int((cosT + 1) / 2 * Double(thetaBins)))
        let j = Swift.min(phiBins - 1, Int(phi / (2 * Double.pi) * Double(phiBins)))
        observed[i * phiBins + j] += 1
        binned += 1
    }
    // Expected counts: the pdf integrated over each cell.
    var expected = [Double](repeating: 0, count: thetaBins * phiBins)
    sphereQuadrature(thetaBins: thetaBins, phiBins: phiBins) { cell, wo, dw in
        expected[cell] += bsdf.pdf(si, wo: wo) * dw
    }
    let integral = expected.reduce(0, +)
    // Pool the cells with small expected counts.
    var chi2 = 0.0, cells = 0
    var pooledO = 0.0, pooledE = 0.0
    for k in 0..<expected.count {
        let e = expected[k] * Double(n)
        if e < 5 { pooledO += observed[k]; pooledE += e; continue }
        chi2 += (observed[k] - e) * (observed[k] - e) / e
        cells += 1
    }
    if pooledE >= 5 {
        chi2 += (pooledO - pooledE) * (pooledO - pooledE) / pooledE
        cells += 1
    } else if pooledO > 20 {
        // Many samples where the pdf says there should be almost none.
        return (0, integral, Double(binned) / Double(n), mismatches)
    }
    return (chiSquareTail(chi2, dof: Swift.max(1, cells - 1)), integral, Double(binned) / Double(n), mismatches)
}

// MARK: - Tests

@Suite struct BSDFTests {
    /// Non-delta BSDFs for the statistical tests.
    static let sampled: [String] = [
        #"<bsdf type="diffuse" id="b"/>"#,
        #"<bsdf type="roughconductor" id="b"><float name="alpha" value="0.2"/></bsdf>"#,
        #"<bsdf type="roughconductor" id="b"><float name="alpha" value="0.6"/></bsdf>"#,
        #"<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.2"/></bsdf>"#,
        #"<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.6"/></bsdf>"#,
        #"<bsdf type="roughconductor" id="b"><float name="alpha" value="0.3"/><boolean name="sample_visible" value="false"/></bsdf>"#,
        #"<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.3"/><boolean name="sample_visible" value="false"/></bsdf>"#,
        #"<bsdf type="roughdielectric" id="b"><float name="alpha" value="0.2"/></bsdf>"#,
        #"<bsdf type="roughdielectric" id="b"><float name="alpha" value="0.5"/></bsdf>"#,
        #"<bsdf type="roughdielectric" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.3"/></bsdf>"#,
        #"<bsdf type="roughdielectric" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.3"/><boolean name="sample_visible" value="false"/></bsdf>"#,
        #"<bsdf type="plastic" id="b"><rgb name="diffuse_reflectance" value="0.3, 0.5, 0.2"/></bsdf>"#,
        #"<bsdf type="twosided" id="b"><bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf></bsdf>"#,
    ]
    static let incidentDirections: [Vec3] = [unit(0, 0, 1), unit(0.5, 0.2, 0.8), unit(-0.9, 0.3, 0.35), unit(0.3, -0.1, -0.7)]

    @Test("sample() follows pdf(): chi-square, pdf integral, weight = eval / pdf", arguments: sampled)
    func chiSquareAgainstPDF(xml: String) throws {
        let bsdf = try loadBSDF(xml)
        for wi in BSDFTests.incidentDirections {
            let r = chiSquare(bsdf, wi: wi)
            // 13 BSDFs x 4 directions: a per-test level of 1e-4 keeps the
            // suite's false-alarm rate below 1%.
            #expect(r.pValue > 1e-4, "chi-square p = \(r.pValue) for \(xml) at wi \(wi)")
            #expect(r.pdfIntegral <= 1.002, "pdf integrates to \(r.pdfIntegral) for \(xml) at wi \(wi)")
            // The pdf accounts for every non-delta sample (no lost mass).
            #expect(Swift.abs(r.pdfIntegral - r.sampledFraction) < 0.01,
                    "pdf integral \(r.pdfIntegral) vs fraction sampled \(r.sampledFraction) for \(xml) at wi \(wi)")
            #expect(r.mismatches == 0, "\(r.mismatches) samples whose pdf/weight disagree with pdf()/eval() for \(xml)")
        }
    }

    @Test("eval and pdf match Mitsuba 3")
    func matchesMitsubaEval() throws {
        let checked = try checkAgainstMitsubaEval(MitsubaBSDFReference.evalCases)
        #expect(checked > 300)
    }

    @Test("delta lobes sample like Mitsuba 3 (direction, weight, pdf, eta)")
    func matchesMitsubaSample() throws {
        for c in MitsubaBSDFReference.sampleCases {
            let bsdf = try loadBSDF(c.xml)
            let si = interaction(wi: Vec3(c.wi[0], c.wi[1], c.wi[2]))
            let s = bsdf.sample(si, u1: c.u1, u2: (c.u2[0], c.u2[1]))
            if c.pdf == 0 {
                #expect(s == nil || s!.weight.maxComponent == 0, "expected no sample for \(c.xml) wi \(c.wi)")
                continue
            }
            guard let s else { Issue.record("no sample for \(c.xml) wi \(c.wi) u1 \(c.u1)"); continue }
            #expect(s.isDelta)
            for k in 0..<3 {
                #expect(close(s.wo[k], c.wo[k], rel: 1e-5, abs: 1e-5), "wo \(s.wo) vs \(c.wo) for \(c.xml) wi \(c.wi) u1 \(c.u1)")
                #expect(close(s.weight[k], c.weight[k], rel: 2e-4, abs: 1e-6), "weight \(s.weight) vs \(c.weight) for \(c.xml) wi \(c.wi) u1 \(c.u1)")
            }
            #expect(close(s.pdf, c.pdf, rel: 2e-4, abs: 1e-6), "pdf \(s.pdf) vs \(c.pdf) for \(c.xml) wi \(c.wi) u1 \(c.u1)")
            #expect(close(s.eta, c.eta, rel: 1e-5, abs: 1e-6), "eta \(s.eta) vs \(c.eta) for \(c.xml) wi \(c.wi) u1 \(c.u1)")
        }
    }

    @Test("reflection BSDFs are reciprocal: f(wi, wo) = f(wo, wi)")
    func reciprocity() throws {
        let xmls = [
            #"<bsdf type="diffuse" id="b"/>"#,
            #"<bsdf type="roughconductor" id="b"><float name="alpha" value="0.3"/><rgb name="eta" value="0.2, 0.9, 1.1"/><rgb name="k" value="3.9, 2.4, 2.1"/></bsdf>"#,
            #"<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.15"/></bsdf>"#,
            #"<bsdf type="plastic" id="b"><float name="int_ior" value="1.7"/></bsdf>"#,
            #"<bsdf type="twosided" id="b"><bsdf type="roughconductor"><float name="alpha" value="0.4"/></bsdf></bsdf>"#,
            #"<bsdf type="roughdielectric" id="b"><float name="alpha" value="0.3"/></bsdf>"#,
        ]
        var rng = TestRNG(seed: 7)
        for xml in xmls {
            let bsdf = try loadBSDF(xml)
            let twoSided = xml.contains("twosided")
            for _ in 0..<200 {
                var a = Warp.squareToCosineHemisphere((rng.next(), rng.next()))
                var b = Warp.squareToCosineHemisphere((rng.next(), rng.next()))
                if twoSided && rng.next() < 0.5 { a.z = -a.z; b.z = -b.z }
                if a.z * a.z < 1e-4 || b.z * b.z < 1e-4 { continue }
                let fab = bsdf.eval(interaction(wi: a), wo: b).r / Swift.abs(b.z)
                let fba = bsdf.eval(interaction(wi: b), wo: a).r / Swift.abs(a.z)
                #expect(close(fab, fba, rel: 1e-9, abs: 1e-12), "f(a,b) = \(fab), f(b,a) = \(fba) for \(xml)")
            }
        }
    }

    @Test("white furnace: sampled weights average to the albedo, which is at most 1")
    func energyConservation() throws {
        let cases: [String] = [
            #"<bsdf type="diffuse" id="b"><rgb name="reflectance" value="1"/></bsdf>"#,
            #"<bsdf type="roughconductor" id="b"><float name="alpha" value="0.1"/></bsdf>"#,
            #"<bsdf type="roughconductor" id="b"><float name="alpha" value="0.8"/></bsdf>"#,
            #"<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.5"/><boolean name="sample_visible" value="false"/></bsdf>"#,
            #"<bsdf type="roughdielectric" id="b"><float name="alpha" value="0.3"/></bsdf>"#,
            #"<bsdf type="roughdielectric" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.6"/></bsdf>"#,
            #"<bsdf type="dielectric" id="b"/>"#,
            #"<bsdf type="thindielectric" id="b"/>"#,
            #"<bsdf type="conductor" id="b"/>"#,
            #"<bsdf type="plastic" id="b"><rgb name="diffuse_reflectance" value="1"/></bsdf>"#,
            #"<bsdf type="twosided" id="b"><bsdf type="diffuse"><rgb name="reflectance" value="1"/></bsdf></bsdf>"#,
        ]
        let eta = 1.5046 / 1.000277
        for xml in cases {
            let bsdf = try loadBSDF(xml)
            for wi in [unit(0, 0, 1), unit(0.6, 0.2, 0.7), unit(-0.9, 0.1, 0.25), unit(0.3, 0.2, -0.8)] {
                if !bsdf.hasTransmission && !xml.contains("twosided") && wi.z < 0 { continue }
                let si = interaction(wi: wi)
                // Radiance transport scales refracted values by 1/η²; energy
                // (importance) is conserved without that factor.
                let etaAlong = wi.z > 0 ? eta : 1 / eta
                var rng = TestRNG(seed: 3)
                var sum = 0.0, sum2 = 0.0, delta = 0.0
                let n = 40_000
                for _ in 0..<n {
                    guard let s = bsdf.sample(si, u1: rng.next(), u2: (rng.next(), rng.next())) else { continue }
                    let transmitted = s.wo.z * wi.z < 0 && !xml.contains("thindielectric")
                    let w = s.weight.average * (transmitted ? s.eta * s.eta : 1)
                    sum += w; sum2 += w * w
                    if s.isDelta { delta += w }
                }
                let mean = sum / Double(n)
                let sigma = ((sum2 / Double(n) - mean * mean) / Double(n)).squareRoot()
                // The albedo by quadrature of eval (non-delta part) plus the delta lobes' share.
                var albedo = delta / Double(n)
                sphereQuadrature(thetaBins: 10, phiBins: 20, sub: 16) { _, wo, dw in
                    let transmitted = wo.z * wi.z < 0
                    albedo += bsdf.eval(si, wo: wo).average * (transmitted ? etaAlong * etaAlong : 1) * dw
                }
                #expect(albedo <= 1.01, "albedo \(albedo) > 1 for \(xml) at wi \(wi)")
                #expect(mean <= 1.01, "mean weight \(mean) > 1 for \(xml) at wi \(wi)")
                #expect(Swift.abs(mean - albedo) <= 5 * sigma + 0.01 * albedo + 1e-9,
                        "mean weight \(mean) ± \(sigma) vs albedo \(albedo) for \(xml) at wi \(wi)")
            }
        }
    }

    @Test("Fresnel: normal incidence, total internal reflection, conductor limits")
    func fresnelKnownValues() {
        for n in [1.2, 1.5, 2.4] {
            let r = Fresnel.dielectric(cosThetaI: 1.0, eta: n)
            #expect(Swift.abs(r.r - ((n - 1) / (n + 1)) * ((n - 1) / (n + 1))) < 1e-12)
            #expect(Swift.abs(r.cosThetaT + 1) < 1e-12)
            // From inside at normal incidence: the same reflectance.
            #expect(Swift.abs(Fresnel.dielectric(cosThetaI: -1.0, eta: n).r - r.r) < 1e-12)
        }
        // Beyond the critical angle from inside glass: total internal reflection.
        let critical = (1 - 1 / (1.5 * 1.5)).squareRoot()  // cos of the critical angle
        #expect(Fresnel.dielectric(cosThetaI: -(critical - 0.01), eta: 1.5).r == 1)
        #expect(Fresnel.dielectric(cosThetaI: -(critical + 0.01), eta: 1.5).r < 1)
        // Grazing incidence reflects everything; index-matched reflects nothing.
        #expect(Swift.abs(Fresnel.dielectric(cosThetaI: 1e-9, eta: 1.5).r - 1) < 1e-6)
        #expect(Fresnel.dielectric(cosThetaI: 0.3, eta: 1.0).r == 0)
        // Snell's law for the refracted cosine.
        let c = 0.6, n = 1.33
        let f = Fresnel.dielectric(cosThetaI: c, eta: n)
        #expect(Swift.abs((1 - f.cosThetaT * f.cosThetaT).squareRoot() * n - (1 - c * c).squareRoot()) < 1e-12)
        // Conductor: eta 0, k 1 is a perfect mirror; k 0 reduces to the dielectric formula.
        for cosI in [0.1, 0.5, 1.0] {
            #expect(Swift.abs(Fresnel.conductor(cosThetaI: cosI, eta: 0.0, k: 1.0) - 1) < 1e-12)
            #expect(Swift.abs(Fresnel.conductor(cosThetaI: cosI, eta: 1.5, k: 0.0) - Fresnel.dielectric(cosThetaI: cosI, eta: 1.5).r) < 1e-12)
        }
        // Normal incidence on a conductor: ((n−1)² + k²) / ((n+1)² + k²).
        let nc = 0.2, kc = 3.9
        #expect(Swift.abs(Fresnel.conductor(cosThetaI: 1.0, eta: nc, k: kc)
                          - ((nc - 1) * (nc - 1) + kc * kc) / ((nc + 1) * (nc + 1) + kc * kc)) < 1e-12)
        // The diffuse Fresnel reflectance fit against a numerical integral of 2 F cos sin.
        for eta in [1.0 / 1.5, 1.33, 1.5] {
            var integral = 0.0
            let m = 20_000
            for i in 0..<m {
                let c = (Double(i) + 0.5) / Double(m)
                integral += 2 * c * Fresnel.dielectric(cosThetaI: c, eta: eta).r / Double(m)
            }
            #expect(Swift.abs(Fresnel.diffuseReflectance(eta: eta) - integral) < 0.01 * integral + 2e-3,
                    "Fdr(\(eta)) fit \(Fresnel.diffuseReflectance(eta: eta)) vs integral \(integral)")
        }
    }

    @Test("smooth dielectric: the reflection probability equals the Fresnel reflectance")
    func dielectricReflectionProbability() throws {
        let bsdf = try loadBSDF(#"<bsdf type="dielectric" id="b"/>"#)
        for wi in [unit(0, 0, 1), unit(0.7, 0, 0.7), unit(0.95, 0.1, 0.2), unit(0.3, 0, -0.9), unit(0.7, 0, -0.7)] {
            let si = interaction(wi: wi)
            var rng = TestRNG(seed: 11)
            var reflected = 0
            let n = 50_000
            for _ in 0..<n {
                guard let s = bsdf.sample(si, u1: rng.next(), u2: (rng.next(), rng.next())) else { continue }
                if s.wo.z * wi.z > 0 {
                    reflected += 1
                    #expect(Swift.abs(s.wo.x + wi.x) < 1e-12 && Swift.abs(s.wo.z - wi.z) < 1e-12)
                } else {
                    // Snell's law: sin θo η_o = sin θi η_i.
                    let sinI = (1 - wi.z * wi.z).squareRoot(), sinO = (1 - s.wo.z * s.wo.z).squareRoot()
                    #expect(Swift.abs(sinO * s.eta - sinI) < 1e-9)
                }
            }
            let f = Fresnel.dielectric(cosThetaI: wi.z, eta: 1.5046 / 1.000277).r
            let p = Double(reflected) / Double(n)
            let sigma = (f * (1 - f) / Double(n)).squareRoot()
            #expect(Swift.abs(p - f) <= 5 * sigma + 1e-12, "reflected fraction \(p), Fresnel \(f) at wi \(wi)")
        }
    }

    @Test("parameter keys are Mitsuba's mi.traverse keys")
    func parameterKeys() throws {
        let cases: [(String, [String])] = [
            (#"<bsdf type="diffuse" id="b"/>"#, ["reflectance.value"]),
            (#"<bsdf type="conductor" id="b"/>"#, ["eta.value", "k.value", "specular_reflectance.value"]),
            (#"<bsdf type="roughconductor" id="b"/>"#, ["alpha.value", "eta.value", "k.value"]),
            (#"<bsdf type="roughconductor" id="b"><rgb name="specular_reflectance" value="0.5"/></bsdf>"#,
             ["alpha.value", "eta.value", "k.value", "specular_reflectance.value"]),
            (#"<bsdf type="dielectric" id="b"/>"#, ["eta"]),
            (#"<bsdf type="dielectric" id="b"><float name="specular_reflectance" value="0.9"/></bsdf>"#, ["eta", "specular_reflectance.value"]),
            (#"<bsdf type="thindielectric" id="b"/>"#, ["eta"]),
            (#"<bsdf type="roughdielectric" id="b"/>"#, ["alpha.value", "eta"]),
            (#"<bsdf type="plastic" id="b"/>"#, ["diffuse_reflectance.value", "eta"]),
            (#"<bsdf type="twosided" id="b"><bsdf type="diffuse"/></bsdf>"#, ["brdf_0.reflectance.value"]),
            (#"<bsdf type="twosided" id="b"><bsdf type="diffuse"/><bsdf type="conductor"/></bsdf>"#,
             ["brdf_0.reflectance.value", "brdf_1.eta.value", "brdf_1.k.value", "brdf_1.specular_reflectance.value"]),
            (#"<bsdf type="diffuse" id="b"><texture type="checkerboard" name="reflectance"/></bsdf>"#,
             ["reflectance.color0.value", "reflectance.color1.value"]),
        ]
        for (xml, keys) in cases {
            let bsdf = try loadBSDF(xml)
            let got = bsdf.parameters(prefix: "mat.").map(\.key).sorted()
            #expect(got == keys.map { "mat." + $0 }.sorted(), "keys of \(xml)")
        }
        // Values: Mitsuba's relative index for the default dielectric.
        let d = try loadBSDF(#"<bsdf type="dielectric" id="b"/>"#).parameters(prefix: "")
        #expect(Swift.abs(d[0].values[0] - 1.5046 / 1.000277) < 1e-12)
    }

    @Test("lifting: every key reaches the lifter; forward derivatives match finite differences")
    func liftedDerivatives() throws {
        let xmls = [
            #"<bsdf type="diffuse" id="b"><rgb name="reflectance" value="0.3, 0.4, 0.5"/></bsdf>"#,
            #"<bsdf type="roughconductor" id="b"><float name="alpha" value="0.3"/><rgb name="eta" value="0.2, 0.9, 1.1"/><rgb name="k" value="3.9, 2.4, 2.1"/></bsdf>"#,
            #"<bsdf type="roughdielectric" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.4"/></bsdf>"#,
            #"<bsdf type="plastic" id="b"><rgb name="diffuse_reflectance" value="0.3, 0.4, 0.5"/></bsdf>"#,
            #"<bsdf type="twosided" id="b"><bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf></bsdf>"#,
        ]
        let wi = unit(0.3, 0.2, 0.9)
        for xml in xmls {
            let bsdf = try loadBSDF(xml)
            for wo in [unit(-0.4, -0.1, 0.9), unit(0.2, 0.1, -0.9)] {
                for param in bsdf.parameters(prefix: "") {
                    // Dual number with one partial along the parameter's first component.
                    var seen = false
                    let lifter = Lifter<Dual2> { key, values in
                        if key == param.key { seen = true }
                        return values.enumerated().map { i, v in key == param.key && i == 0 ? Dual2(v, variable: 0) : Dual2(v) }
                    }
                    let lifted = bsdf.lifted(lifter, prefix: "")
                    #expect(seen, "lifter never saw \(param.key) for \(xml)")
                    let si = interaction(wi: Vector3<Dual2>(wi))
                    let f = lifted.eval(si, wo: Vector3<Dual2>(wo))
                    // Central difference on the plain BSDF.
                    let h = 1e-6
                    func perturbed(_ d: Double) -> Double {
                        let l = Lifter<Double> { key, values in
                            values.enumerated().map { i, v in key == param.key && i == 0 ? v + d : v }
                        }
                        return bsdf.lifted(l, prefix: "").eval(interaction(wi: wi), wo: wo).r
                    }
                    let fd = (perturbed(h) - perturbed(-h)) / (2 * h)
                    #expect(close(f.r.partial(0), fd, rel: 1e-4, abs: 1e-7),
                            "∂f/∂\(param.key) = \(f.r.partial(0)), finite difference \(fd) for \(xml) wo \(wo)")
                    #expect(close(f.r.primal, bsdf.eval(interaction(wi: wi), wo: wo).r, rel: 1e-12, abs: 0))
                }
            }
        }
    }

    @Test("named conductor materials use Mitsuba 3's RGB eta and k")
    func namedMaterials() throws {
        let wi = unit(0.3, 0.2, 0.9)
        let au = try loadBSDF(#"<bsdf type="conductor" id="b"><string name="material" value="Au"/></bsdf>"#)
        let s = try #require(au.sample(interaction(wi: wi), u1: 0.5, u2: (0.5, 0.5)))
        // Mitsuba 3.9.1 scalar_rgb: conductor, material Au, the same wi.
        let want = [0.9666067361831665, 0.8018901348114014, 0.32467490434646606]
        for k in 0..<3 { #expect(close(s.weight[k], want[k], rel: 1e-5, abs: 0), "Au weight \(s.weight) vs \(want)") }
        let al = try loadBSDF(#"<bsdf type="roughconductor" id="b"><string name="material" value="Al"/><float name="alpha" value="0.2"/></bsdf>"#)
        let f = al.eval(interaction(wi: wi), wo: unit(-0.3, -0.2, 0.9))
        let wantAl = [1.988566279411316, 1.9665837287902832, 1.9689794778823853]
        for k in 0..<3 { #expect(close(f[k], wantAl[k], rel: 2e-4, abs: 0), "Al eval \(f) vs \(wantAl)") }
        #expect(throws: (any Error).self) {
            try loadBSDF(#"<bsdf type="conductor" id="b"><string name="material" value="Au"/><rgb name="eta" value="1"/></bsdf>"#)
        }
    }

    @Test("scene errors are one line and name the place")
    func loadingErrors() throws {
        let bad = [
            (#"<bsdf type="roughconductor" id="b"><float name="alpha" value="0"/></bsdf>"#, "alpha"),
            (#"<bsdf type="roughconductor" id="b"><texture type="checkerboard" name="alpha"/></bsdf>"#, "alpha"),
            (#"<bsdf type="diffuse" id="b"><texture type="checkerboard" name="reflectance"><texture type="checkerboard" name="color0"/></texture></bsdf>"#, "color0"),
        ]
        for (xml, word) in bad {
            do {
                _ = try loadBSDF(xml)
                Issue.record("no error for \(xml)")
            } catch {
                let text = "\(error)"
                #expect(!text.contains("\n"))
                #expect(text.contains("test.xml:"), "error does not name the file: \(text)")
                #expect(text.contains(word), "error does not name \(word): \(text)")
            }
        }
    }
}
