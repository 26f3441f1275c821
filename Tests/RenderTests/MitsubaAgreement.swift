import Foundation
import Geometry
import Render
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
