import Foundation

/// Mitsuba's render-test criterion (its `test_renders.py`): a two-sided z-test per pixel and
/// channel of "the image and the reference converge to the same value", at significance 0.01
/// with the Šidák correction over the pixels, passing when at least 99.75 % of the tests accept.
///
/// Mitsuba compares an image of N samples per pixel with a converged reference and its per-sample
/// variance: z = |a − r| · √(N / σ²), σ² at least 1e-4. Here both sides are estimates with known
/// variances of their means (DiffRay's from independent sub-renders, the reference's from
/// independent passes of the reference renderer), so z = |a − r| / √(v_a + v_r), the sum at least
/// 1e-4 / N as Mitsuba's floor gives. The p-value is 2 (1 − Φ(z)) = erfc(z / √2); a test accepts
/// when p > α = 1 − (1 − 0.01)^(1 / pixels).
public struct ZTest: Sendable, CustomStringConvertible {
    /// Tests that accepted, of `tests` (pixels × channels).
    public var accepted: Int, tests: Int
    /// The Šidák-corrected significance level per test.
    public var alpha: Double
    /// The smallest p-value and its place (pixel index, channel).
    public var minimumP: Double, worst: (pixel: Int, channel: Int)
    /// The fraction of tests that must accept.
    public var requiredFraction: Double

    public var passes: Bool { Double(accepted) >= requiredFraction * Double(tests) }

    /// - Parameters:
    ///   - values, variances: the image's values and the variances of those values (estimates of a mean).
    ///   - reference, referenceVariances: the same for the reference.
    ///   - channels: values per pixel (3 for RGB); the Šidák correction counts pixels, as Mitsuba does.
    ///   - samplesPerPixel: the image's samples per pixel, for the variance floor 1e-4 / N.
    public init(values: [Double], variances: [Double], reference: [Double], referenceVariances: [Double],
                channels: Int = 3, samplesPerPixel: Int, significance: Double = 0.01,
                requiredFraction: Double = 0.9975) {
        precondition(values.count == reference.count && variances.count == values.count
                     && referenceVariances.count == values.count && values.count % channels == 0)
        let pixels = values.count / channels
        alpha = 1 - pow(1 - significance, 1 / Double(max(pixels, 1)))
        self.requiredFraction = requiredFraction
        tests = values.count
        accepted = 0
        minimumP = 1
        worst = (0, 0)
        let floor = 1e-4 / Double(max(samplesPerPixel, 1))
        for i in values.indices {
            let variance = max(variances[i] + referenceVariances[i], floor)
            let z = abs(values[i] - reference[i]) / variance.squareRoot()
            let p = erfc(z / 2.0.squareRoot())
            if p > alpha { accepted += 1 }
            if p < minimumP { minimumP = p; worst = (i / channels, i % channels) }
        }
    }

    public var description: String {
        String(format: "z-test: %d of %d accept (%.2f %%, need %.2f %%), min p-value %.3g at pixel %d channel %d, α %.3g",
               accepted, tests, 100 * Double(accepted) / Double(max(tests, 1)), 100 * requiredFraction, minimumP,
               worst.pixel, worst.channel, alpha)
    }
}
