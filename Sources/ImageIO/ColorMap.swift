/// Colour maps for showing scalar images (gradients, errors, depth) as pictures.
///
/// The maps are defined by key colours in display (sRGB) space, interpolated linearly
/// there, and returned as *linear* colours, so an image written as an 8-bit sRGB PNG shows
/// exactly the map's colours. Non-finite inputs get `ColorMap.invalid` (pure green, which
/// neither map uses) so NaNs stand out.
public enum ColorMap {
    /// The colour of NaN and infinite values.
    public static let invalid = LinearRGB(0, 1, 0)

    /// Blue–white–red keys at t = −1, −0.5, −0.25, 0, 0.25, 0.5, 1 (the ColorBrewer RdBu
    /// scheme reversed, with pure white at 0).
    static let divergingKeys: [(t: Double, srgb: (Double, Double, Double))] = [
        (-1.0, (0.019608, 0.188235, 0.380392)),
        (-0.5, (0.262745, 0.576471, 0.764706)),
        (-0.25, (0.572549, 0.772549, 0.870588)),
        (0.0, (1.0, 1.0, 1.0)),
        (0.25, (0.956863, 0.647059, 0.509804)),
        (0.5, (0.839216, 0.376471, 0.301961)),
        (1.0, (0.403922, 0.0, 0.121569)),
    ]

    /// Viridis (perceptually uniform, dark blue → yellow) keys at t = 0, 1/8, ..., 1.
    static let sequentialKeys: [(t: Double, srgb: (Double, Double, Double))] = [
        (0.0, (0.267004, 0.004874, 0.329415)),
        (0.125, (0.282623, 0.140926, 0.457517)),
        (0.25, (0.253935, 0.265254, 0.529983)),
        (0.375, (0.206756, 0.371758, 0.553117)),
        (0.5, (0.163625, 0.471133, 0.558148)),
        (0.625, (0.127568, 0.566949, 0.550556)),
        (0.75, (0.134692, 0.658636, 0.517649)),
        (0.875, (0.266941, 0.748751, 0.440573)),
        (1.0, (0.993248, 0.906157, 0.143936)),
    ]

    static func interpolate(_ keys: [(t: Double, srgb: (Double, Double, Double))], _ t: Double) -> LinearRGB {
        if !t.isFinite { return invalid }
        let t = min(max(t, keys.first!.t), keys.last!.t)
        var k = 0
        while k + 2 < keys.count && t > keys[k + 1].t { k += 1 }
        let (t0, a) = keys[k], (t1, b) = keys[k + 1]
        let u = (t - t0) / (t1 - t0)
        func channel(_ x: Double, _ y: Double) -> Float { Float(SRGB.toLinear(x + (y - x) * u)) }
        return LinearRGB(channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }

    /// Diverging map: `t` in [−1, 1] (clamped) from blue through white (0) to red.
    public static func diverging(_ t: Double) -> LinearRGB { interpolate(divergingKeys, t) }

    /// Sequential map (viridis): `t` in [0, 1] (clamped).
    public static func sequential(_ t: Double) -> LinearRGB { interpolate(sequentialKeys, t) }

    /// A robust scale for signed data: the `quantile` (0.99 by default) of `|v|` over the
    /// finite values, so a few outliers do not wash the picture out. Falls back to the
    /// largest `|v|` when the quantile is 0, and to 1 when every value is 0 or non-finite.
    public static func robustMaxAbs(_ values: [Float], quantile: Double = 0.99) -> Float {
        let magnitudes = values.lazy.filter(\.isFinite).map(abs).sorted()
        guard let largest = magnitudes.last, largest > 0 else { return 1 }
        let q = min(max(quantile, 0), 1)
        let index = min(magnitudes.count - 1, Int((q * Double(magnitudes.count - 1)).rounded(.up)))
        let v = magnitudes[index]
        return v > 0 ? v : largest
    }
}

/// Which scalar of each pixel a colour-mapped picture shows.
public enum ScalarOfPixel: Sendable {
    /// One channel: 0 r, 1 g, 2 b.
    case channel(Int)
    /// The mean of the three channels (the default for gradient images).
    case average
    /// Rec. 709 luminance.
    case luminance

    func value(_ p: LinearRGB) -> Float {
        switch self {
        case .channel(let c): return p[c]
        case .average: return p.average
        case .luminance: return p.luminance
        }
    }
}

extension Image {
    /// One scalar per pixel, row-major.
    public func scalars(_ which: ScalarOfPixel = .average) -> [Float] {
        (0..<pixelCount).map { i in which.value(LinearRGB(pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2])) }
    }

    /// A signed image (a derivative image, a difference) in the diverging map: 0 is white,
    /// `+scale` full red, `−scale` full blue. `scale` defaults to
    /// `ColorMap.robustMaxAbs` (the 99th percentile of |v|), symmetric around 0.
    /// Returns the picture and the scale used (for a caption).
    public func divergingColorMapped(_ which: ScalarOfPixel = .average,
                                     scale: Float? = nil) -> (image: Image, scale: Float) {
        let values = scalars(which)
        let s = scale ?? ColorMap.robustMaxAbs(values)
        let inverse = s > 0 ? 1 / Double(s) : 0
        let out = Image(width: width, height: height) { x, y in
            ColorMap.diverging(Double(values[y * width + x]) * inverse)
        }
        return (out, s)
    }

    /// A non-negative image (depth, error, one channel) in the sequential map, `range` mapped
    /// to [0, 1]; by default from the smallest finite value to the 99th percentile.
    public func sequentialColorMapped(_ which: ScalarOfPixel = .luminance,
                                      range: ClosedRange<Float>? = nil) -> (image: Image, range: ClosedRange<Float>) {
        let values = scalars(which)
        let r: ClosedRange<Float>
        if let range {
            r = range
        } else {
            let finite = values.filter(\.isFinite)
            let lo = finite.min() ?? 0
            let shifted = finite.map { $0 - lo }
            let hi = lo + (shifted.allSatisfy { $0 == 0 } ? 1 : ColorMap.robustMaxAbs(shifted))
            r = lo...hi
        }
        let span = Double(r.upperBound - r.lowerBound)
        let out = Image(width: width, height: height) { x, y in
            let v = Double(values[y * width + x] - r.lowerBound)
            return ColorMap.sequential(span > 0 ? v / span : 0)
        }
        return (out, r)
    }
}
