import Foundation
import Geometry

/// Spectra given as wavelength:value pairs (or a spectrum file) turned into
/// linear sRGB the way Mitsuba 3's RGB variants (3.9) do it when they load a
/// scene: the values, scaled by 1 / ∫ȳ (`cieYNormalization`), are
/// interpolated linearly and integrated against the CIE 1931 2° colour
/// matching functions by a 1000-point Riemann sum over 360–830 nm (nothing
/// outside the given wavelengths) — weighted by the CIE D65 illuminant
/// (normalised to luminance 1) for everything but an emitter's own spectra —
/// then the XYZ result goes through the XYZ → linear Rec. 709 matrix. So a
/// flat reflectance of 0.5 is grey 0.5, and a flat emitted spectrum of 1 is
/// Illuminant E's (1.2, 0.95, 0.90). Reflectances are then clamped to
/// [0, 1]; emitted spectra and the unbounded `eta`, `k`, `int_ior`,
/// `ext_ior` only to ≥ 0.
public enum SpectrumConversion {
    /// Properties whose spectra are not clamped to 1 (Mitsuba's "unbounded" spectra).
    public static let unboundedNames: Set<String> = ["eta", "k", "int_ior", "ext_ior"]

    /// The linear sRGB of a flat emitted spectrum of 1 over the whole CIE
    /// range (Illuminant E): what Mitsuba's RGB variants make of an emitter's
    /// `<spectrum value="v"/>` (times v), where a reflectance's is grey v.
    public static let flatEmission = rgb(wavelengths: [cieMinimum, cieMaximum], values: [1, 1], emitted: true, bounded: false)

    /// The CIE curves' first and last wavelength (nm) and sample count (5 nm steps).
    public static let cieMinimum = 360.0, cieMaximum = 830.0
    public static let cieSampleCount = 95
    /// 1 / ∫ȳ(λ) dλ over the table: a unit spectrum has luminance 1.
    public static let cieYNormalization = 1.0 / 106.7502593994140625

    /// 1 / ∫ D65(λ) ȳ(λ) dλ: the D65 illuminant has luminance 1.
    public static let d65Normalization = 1.0 / 98.99741751876255

    /// The CIE D65 illuminant, relative power, 360–830 nm every 5 nm (100 at 560 nm).
    static let d65: [Double] = [
        46.6383, 49.3637, 52.0891, 51.0323, 49.9755, 52.3118, 54.6482, 68.7015, 82.7549, 87.1204,
        91.486, 92.4589, 93.4318, 90.057, 86.6823, 95.7736, 104.865, 110.936, 117.008, 117.41,
        117.812, 116.336, 114.861, 115.392, 115.923, 112.367, 108.811, 109.082, 109.354, 108.578,
        107.802, 106.296, 104.79, 106.239, 107.689, 106.047, 104.405, 104.225, 104.046, 102.023,
        100.0, 98.1671, 96.3342, 96.0611, 95.788, 92.2368, 88.6856, 89.3459, 90.0062, 89.8026,
        89.5991, 88.6489, 87.6987, 85.4936, 83.2886, 83.4939, 83.6992, 81.863, 80.0268, 80.1207,
        80.2146, 81.2462, 82.2778, 80.281, 78.2842, 74.0027, 69.7213, 70.6652, 71.6091, 72.979,
        74.349, 67.9765, 61.604, 65.7448, 69.8856, 72.4863, 75.087, 69.3398, 63.5927, 55.0054,
        46.4182, 56.6118, 66.8054, 65.0941, 63.3828, 63.8434, 64.304, 61.8779, 59.4519, 55.7054,
        51.959, 54.6998, 57.4406, 58.8765, 60.3125,
    ]

    /// x̄, ȳ, z̄ of the CIE 1931 2° standard observer, 360–830 nm every 5 nm.
    static let cieX: [Double] = [
        0.0001299, 0.0002321, 0.0004149, 0.0007416, 0.001368, 0.002236, 0.004243, 0.00765,
        0.01431, 0.02319, 0.04351, 0.07763, 0.13438, 0.21477, 0.2839, 0.3285,
        0.34828, 0.34806, 0.3362, 0.3187, 0.2908, 0.2511, 0.19536, 0.1421,
        0.09564, 0.05795001, 0.03201, 0.0147, 0.0049, 0.0024, 0.0093, 0.0291,
        0.06327, 0.1096, 0.1655, 0.2257499, 0.2904, 0.3597, 0.4334499, 0.5120501,
        0.5945, 0.6784, 0.7621, 0.8425, 0.9163, 0.9786, 1.0263, 1.0567,
        1.0622, 1.0456, 1.0026, 0.9384, 0.8544499, 0.7514, 0.6424, 0.5419,
        0.4479, 0.3608, 0.2835, 0.2187, 0.1649, 0.1212, 0.0874, 0.0636,
        0.04677, 0.0329, 0.0227, 0.01584, 0.01135916, 0.008110916, 0.005790346, 0.004109457,
        0.002899327, 0.00204919, 0.001439971, 0.0009999493, 0.0006900786, 0.0004760213, 0.0003323011, 0.0002348261,
        0.0001661505, 0.000117413, 8.307527e-05, 5.870652e-05, 4.150994e-05, 2.935326e-05, 2.067383e-05, 1.455977e-05,
        1.025398e-05, 7.221456e-06, 5.085868e-06, 3.581652e-06, 2.522525e-06, 1.776509e-06, 1.251141e-06,
    ]
    static let cieY: [Double] = [
        3.917e-06, 6.965e-06, 1.239e-05, 2.202e-05, 3.9e-05, 6.4e-05, 0.00012, 0.000217,
        0.000396, 0.00064, 0.00121, 0.00218, 0.004, 0.0073, 0.0116, 0.01684,
        0.023, 0.0298, 0.038, 0.048, 0.06, 0.0739, 0.09098, 0.1126,
        0.13902, 0.1693, 0.20802, 0.2586, 0.323, 0.4073, 0.503, 0.6082,
        0.71, 0.7932, 0.862, 0.9148501, 0.954, 0.9803, 0.9949501, 1.0,
        0.995, 0.9786, 0.952, 0.9154, 0.87, 0.8163, 0.757, 0.6949,
        0.631, 0.5668, 0.503, 0.4412, 0.381, 0.321, 0.265, 0.217,
        0.175, 0.1382, 0.107, 0.0816, 0.061, 0.04458, 0.032, 0.0232,
        0.017, 0.01192, 0.00821, 0.005723, 0.004102, 0.002929, 0.002091, 0.001484,
        0.001047, 0.00074, 0.00052, 0.0003611, 0.0002492, 0.0001719, 0.00012, 8.48e-05,
        6e-05, 4.24e-05, 3e-05, 2.12e-05, 1.499e-05, 1.06e-05, 7.4657e-06, 5.2578e-06,
        3.7029e-06, 2.6078e-06, 1.8366e-06, 1.2934e-06, 9.1093e-07, 6.4153e-07, 4.5181e-07,
    ]
    static let cieZ: [Double] = [
        0.0006061, 0.001086, 0.001946, 0.003486, 0.006450001, 0.01054999, 0.02005001, 0.03621,
        0.06785001, 0.1102, 0.2074, 0.3713, 0.6456, 1.0390501, 1.3856, 1.62296,
        1.74706, 1.7826, 1.77211, 1.7441, 1.6692, 1.5281, 1.28764, 1.0419,
        0.8129501, 0.6162, 0.46518, 0.3533, 0.272, 0.2123, 0.1582, 0.1117,
        0.07824999, 0.05725001, 0.04216, 0.02984, 0.0203, 0.0134, 0.008749999, 0.005749999,
        0.0039, 0.002749999, 0.0021, 0.0018, 0.001650001, 0.0014, 0.0011, 0.001,
        0.0008, 0.0006, 0.00034, 0.00024, 0.00019, 0.0001, 4.999999e-05, 3e-05,
        2e-05, 1e-05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ]

    /// The colour matching functions at a wavelength (nm), linearly
    /// interpolated; zero outside 360–830 nm.
    public static func cie1931(_ wavelength: Double) -> Vec3 {
        guard wavelength >= cieMinimum, wavelength <= cieMaximum else { return .zero }
        let t = (wavelength - cieMinimum) * Double(cieSampleCount - 1) / (cieMaximum - cieMinimum)
        let i0 = min(max(Int(t), 0), cieSampleCount - 2)
        let w1 = t - Double(i0), w0 = 1 - w1
        return Vec3(w0 * cieX[i0] + w1 * cieX[i0 + 1], w0 * cieY[i0] + w1 * cieY[i0 + 1], w0 * cieZ[i0] + w1 * cieZ[i0 + 1])
    }

    /// The D65 illuminant at a wavelength (nm), linearly interpolated and
    /// normalised to luminance 1; zero outside 360–830 nm.
    public static func illuminantD65(_ wavelength: Double) -> Double {
        guard wavelength >= cieMinimum, wavelength <= cieMaximum else { return 0 }
        let t = (wavelength - cieMinimum) * Double(cieSampleCount - 1) / (cieMaximum - cieMinimum)
        let i0 = min(max(Int(t), 0), cieSampleCount - 2)
        let w1 = t - Double(i0)
        return ((1 - w1) * d65[i0] + w1 * d65[i0 + 1]) * d65Normalization
    }

    /// XYZ to linear sRGB (Rec. 709 primaries, D65 white).
    public static func xyzToLinearSRGB(_ c: Vec3) -> Vec3 {
        Vec3(3.240479 * c.x - 1.537150 * c.y - 0.498535 * c.z,
                -0.969256 * c.x + 1.875991 * c.y + 0.041556 * c.z,
                0.055648 * c.x - 0.204043 * c.y + 1.057311 * c.z)
    }

    /// The linear sRGB of a piecewise-linear spectrum (wavelengths in nm,
    /// increasing, at least two). `emitted`: an emitter's own spectrum (no D65
    /// weighting). `bounded`: clamp to [0, 1], else only to ≥ 0.
    public static func rgb(wavelengths: [Double], values: [Double], emitted: Bool, bounded: Bool) -> Vec3 {
        precondition(wavelengths.count == values.count && wavelengths.count >= 2)
        let steps = 1000
        var xyz = Vec3.zero
        var index = 0
        for i in 0..<steps {
            let x = cieMinimum + Double(i) / Double(steps - 1) * (cieMaximum - cieMinimum)
            if x < wavelengths[0] || x > wavelengths[wavelengths.count - 1] { continue }
            // The last interval whose start is <= x.
            while index + 2 < wavelengths.count, wavelengths[index + 1] <= x { index += 1 }
            let x0 = wavelengths[index], x1 = wavelengths[index + 1]
            let y0 = values[index] * cieYNormalization, y1 = values[index + 1] * cieYNormalization
            let y = (x * y0 - x1 * y0 - x * y1 + x0 * y1) / (x0 - x1)
            xyz = xyz + cie1931(x) * (emitted ? y : y * illuminantD65(x))
        }
        xyz = xyz * ((cieMaximum - cieMinimum) / Double(steps))
        let c = xyzToLinearSRGB(xyz)
        if bounded {
            return Vec3(min(max(c.x, 0), 1), min(max(c.y, 0), 1), min(max(c.z, 0), 1))
        }
        return Vec3(max(c.x, 0), max(c.y, 0), max(c.z, 0))
    }

    /// Reads a spectrum file as Mitsuba does: one "wavelength value" pair a
    /// line, `#` comment lines and empty lines skipped.
    public static func readFile(_ path: String, display: String) throws -> (wavelengths: [Double], values: [Double]) {
        let bytes = try SceneReader.contents(of: path, display: display, limit: 16 << 20, at: nil)
        var wavelengths: [Double] = [], values: [Double] = []
        var lineNumber = 0
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty || text.hasPrefix("#") { continue }
            let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let at = SourceLocation(file: display, line: lineNumber, column: 0)
            guard tokens.count == 2, let w = Double(tokens[0]), let v = Double(tokens[1]), w.isFinite, v.isFinite else {
                throw SceneFileError("expected 'wavelength value' (two numbers), found '\(text)'", at: at)
            }
            guard w > (wavelengths.last ?? 0) else {
                throw SceneFileError("wavelengths must be positive and increasing (\(w) after \(wavelengths.last ?? 0))", at: at)
            }
            wavelengths.append(w)
            values.append(v)
        }
        guard wavelengths.count >= 2 else {
            throw SceneFileError("a spectrum file needs at least two 'wavelength value' lines", at: SourceLocation(file: display, line: 0, column: 0))
        }
        return (wavelengths, values)
    }
}
