import Foundation
import Geometry
import ImageIO
import Render
import TestSupport
import Testing

/// One BSDF evaluation Mitsuba 3 computed: the BSDF's XML, wi, wo, eval (times cos θo) and pdf.
typealias MitsubaEvalCase = (xml: String, wi: [Double], wo: [Double], value: [Double], pdf: Double)

/// Checks every case's eval and pdf against Mitsuba's within `relativeTolerance(xml)` (and
/// 1e-6 absolute); returns how many cases were checked.
func checkAgainstMitsubaEval(_ cases: [MitsubaEvalCase], relativeTolerance: (String) -> Double = { _ in 2e-4 },
                             sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    var cache: [String: BSDF<Double>] = [:]
    var checked = 0
    for c in cases {
        let bsdf = try cache[c.xml] ?? loadBSDF(c.xml)
        cache[c.xml] = bsdf
        let si = interaction(wi: Vec3(c.wi[0], c.wi[1], c.wi[2]))
        let wo = Vec3(c.wo[0], c.wo[1], c.wo[2])
        let f = bsdf.eval(si, wo: wo)
        let p = bsdf.pdf(si, wo: wo)
        let rel = relativeTolerance(c.xml)
        for k in 0..<3 {
            #expect(close(f[k], c.value[k], rel: rel, abs: 1e-6),
                    "eval[\(k)] = \(f[k]), Mitsuba \(c.value[k]) for \(c.xml) wi \(c.wi) wo \(c.wo)", sourceLocation: sourceLocation)
        }
        #expect(close(p, c.pdf, rel: rel, abs: 1e-6), "pdf = \(p), Mitsuba \(c.pdf) for \(c.xml) wi \(c.wi) wo \(c.wo)",
                sourceLocation: sourceLocation)
        checked += 1
    }
    return checked
}

/// Prints a render's agreement with its Mitsuba reference per channel and expects the mean
/// relative error ≤ `meanError` and the largest per pixel ≤ `maxError`.
func expectAgreement(_ cmp: ImageComparison, _ label: String, meanError: Double = referenceMeanThreshold, maxError: Double,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    let summary = (0..<3).map { k in
        String(format: "%.4f/%.3f (mean %.4f vs %.4f)", cmp.meanRelative[k], cmp.maxRelative[k], cmp.mean[k], cmp.referenceMean[k])
    }.joined(separator: ", ")
    print("\(label): mean/max relative error per channel \(summary)")
    for k in 0..<3 {
        #expect(cmp.meanRelative[k] <= meanError, "\(label) channel \(k): mean relative error; \(summary)", sourceLocation: sourceLocation)
        #expect(cmp.maxRelative[k] <= maxError, "\(label) channel \(k): max relative error; \(summary)", sourceLocation: sourceLocation)
    }
}

/// A render as the mean of `passes` independent sub-renders (seeds `seed`, `seed + 1`, ...) of
/// `spp / passes` samples each, with the variance of that mean per pixel and channel: the sub-renders'
/// sample variance over `passes`. What the z-test needs of DiffRay's side.
func renderWithVariance(_ scene: Scene<Double>, spp: Int, passes: Int = 32, seed: UInt64 = 7,
                        precision: RenderOptions.Precision = .preferred) -> (image: Image, variance: [Double]) {
    precondition(spp % passes == 0, "spp \(spp) is not a multiple of \(passes) passes")
    let n = scene.film.width * scene.film.height * 3
    var sum = [Double](repeating: 0, count: n), squares = [Double](repeating: 0, count: n)
    for k in 0..<passes {
        let pass = scene.render(RenderOptions(samplesPerPixel: spp / passes, seed: seed &+ UInt64(k), threads: 2, precision: precision)).0
        for i in 0..<n {
            let v = Double(pass.pixels[i])
            sum[i] += v
            squares[i] += v * v
        }
    }
    let m = Double(passes)
    let mean = sum.map { $0 / m }
    let variance = (0..<n).map { i in max(squares[i] - m * mean[i] * mean[i], 0) / (m - 1) / m }
    return (Image(width: scene.film.width, height: scene.film.height, pixels: mean.map { Float($0) }), variance)
}

/// Mitsuba's z-test (`ZTest`) of a render with its variance against a Mitsuba reference
/// `path` (the mean of its passes) and `path` with `-var` before `.exr` (the variance of that mean).
/// With `referenceSamples` (the reference's samples per pixel) the render's variance is not its own
/// estimate but the reference's per-sample variance (the variance of its mean times
/// `referenceSamples`) over `spp`, as Mitsuba's render test takes it from its reference.
func zTestAgainstReference(_ rendered: (image: Image, variance: [Double]), reference path: String, spp: Int,
                           referenceSamples: Int? = nil) throws -> ZTest {
    let reference = try Image.read(from: path)
    let variance = try Image.read(from: String(path.dropLast(4)) + "-var.exr")
    try #require(reference.hasSameSize(as: rendered.image) && variance.hasSameSize(as: rendered.image),
                 "\(path): reference \(reference.width)x\(reference.height), rendered \(rendered.image.width)x\(rendered.image.height)")
    let referenceVariances = variance.pixels.map(Double.init)
    let variances = referenceSamples.map { n in referenceVariances.map { $0 * Double(n) / Double(spp) } } ?? rendered.variance
    return ZTest(values: rendered.image.pixels.map(Double.init), variances: variances,
                 reference: reference.pixels.map(Double.init), referenceVariances: referenceVariances,
                 samplesPerPixel: spp)
}
