#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sRGB transfer curve (IEC 61966-2-1), exact piecewise form, and display transforms.
public enum SRGB {
    /// sRGB-encoded value in [0, 1] → linear: `v / 12.92` up to 0.04045, else
    /// `((v + 0.055) / 1.055)^2.4`. Values outside [0, 1] are extended by the same formulas
    /// (odd symmetry below 0).
    @inlinable
    public static func toLinear(_ v: Double) -> Double {
        let a = abs(v)
        let l = a <= 0.04045 ? a / 12.92 : pow((a + 0.055) / 1.055, 2.4)
        return v < 0 ? -l : l
    }

    /// Linear → sRGB-encoded: `12.92 v` up to 0.0031308, else `1.055 v^(1/2.4) − 0.055`.
    @inlinable
    public static func fromLinear(_ v: Double) -> Double {
        let a = abs(v)
        let e = a <= 0.0031308 ? a * 12.92 : 1.055 * pow(a, 1 / 2.4) - 0.055
        return v < 0 ? -e : e
    }

    @inlinable public static func toLinear(_ v: Float) -> Float { Float(toLinear(Double(v))) }
    @inlinable public static func fromLinear(_ v: Float) -> Float { Float(fromLinear(Double(v))) }

    /// The linear value of each 8-bit sRGB code 0...255.
    public static let decodeTable: [Float] = (0..<256).map { Float(toLinear(Double($0) / 255)) }

    /// The 8-bit sRGB code of a linear value: clamped to [0, 1] (NaN → 0), encoded, rounded
    /// to nearest. `encode8(decodeTable[k]) == k` for every code `k`.
    @inlinable
    public static func encode8(_ linear: Float) -> UInt8 {
        let v = linear.isNaN ? 0 : Swift.min(Swift.max(Double(linear), 0), 1)
        return UInt8((fromLinear(v) * 255).rounded())
    }
}

/// How out-of-range linear values are brought into [0, 1] for an 8-bit display image.
public enum ToneMap: Sendable {
    /// Clamp each channel to [0, 1] (the default; what Mitsuba's PNG output does).
    case clamp
    /// Reinhard's `v / (1 + v)` per channel, then clamp: highlights compress instead of clipping.
    case reinhard
}

extension Image {
    /// The image multiplied by `2^stops` (photographic exposure).
    @inlinable
    public func exposed(stops: Double) -> Image {
        if stops == 0 { return self }
        let k = Float(pow(2.0, stops))
        return map { $0 * k }
    }

    /// Each value tone-mapped into [0, 1]; NaN becomes 0.
    public func toneMapped(_ toneMap: ToneMap = .clamp) -> Image {
        map { v in
            if v.isNaN { return 0 }
            let t: Float
            switch toneMap {
            case .clamp: t = v
            case .reinhard: t = v > 0 ? v / (1 + v) : 0
            }
            return Swift.min(Swift.max(t, 0), 1)
        }
    }

    /// Linear values encoded by the sRGB curve (display values; not clamped).
    public func linearToSRGB() -> Image { map { SRGB.fromLinear($0) } }
    /// sRGB-encoded values decoded to linear.
    public func srgbToLinear() -> Image { map { SRGB.toLinear($0) } }

    /// Interleaved 8-bit sRGB samples for display: `2^exposure` times the image,
    /// tone-mapped, then encoded by `SRGB.encode8`.
    public func srgb8(exposure: Double = 0, toneMap: ToneMap = .clamp) -> [UInt8] {
        let k = Float(pow(2.0, exposure))
        switch toneMap {
        case .clamp:
            return pixels.map { SRGB.encode8($0 * k) }
        case .reinhard:
            return pixels.map { v in
                let e = v * k
                return SRGB.encode8(e > 0 ? e / (1 + e) : 0)
            }
        }
    }
}
