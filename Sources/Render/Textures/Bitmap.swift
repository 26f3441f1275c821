import Geometry

/// How a bitmap texture filters between texels (`filter_type`).
public enum BitmapFilter: String, Sendable { case bilinear, nearest }
/// How a bitmap texture wraps coordinates outside [0, 1] (`wrap_mode`).
public enum BitmapWrapMode: String, Sendable { case `repeat`, mirror, clamp }

/// An RGB image texture, as Mitsuba 3's `bitmap`: texel (i, j) (column i,
/// row j from the top) is centred at uv = ((i + ½) / width, (j + ½) / height);
/// bilinear filtering interpolates between the four nearest centres, nearest
/// filtering takes texel (⌊u · width⌋, ⌊v · height⌋); out-of-range indices
/// wrap by `wrap_mode`.
///
/// ```xml
/// <texture type="bitmap" name="reflectance">
///     <string name="filename" value="wood.png"/>
///     <string name="filter_type" value="bilinear"/>   <!-- or nearest -->
///     <string name="wrap_mode" value="repeat"/>       <!-- or mirror, clamp -->
///     <boolean name="raw" value="false"/>             <!-- true: no sRGB decoding of 8-bit PNGs -->
/// </texture>
/// ```
public struct Bitmap<T: Real> {
    public var width: Int
    public var height: Int
    /// Linear RGB values, interleaved, row-major, top row first
    /// (`data[(y * width + x) * 3 + c]`); Mitsuba's `data` tensor (H, W, 3).
    public var data: [T]
    public var filter: BitmapFilter
    public var wrapMode: BitmapWrapMode
    public var toUV: UVTransform
    /// The mean colour of the image.
    public var mean: RGB<Double>

    @inlinable
    public init(width: Int, height: Int, data: [T], filter: BitmapFilter = .bilinear,
                wrapMode: BitmapWrapMode = .repeat, toUV: UVTransform = .identity) {
        precondition(width > 0 && height > 0 && data.count == width * height * 3,
                     "Bitmap: \(data.count) values do not make a \(width)x\(height) RGB image")
        self.width = width; self.height = height; self.data = data
        self.filter = filter; self.wrapMode = wrapMode; self.toUV = toUV
        var s = (0.0, 0.0, 0.0)
        for p in 0..<(width * height) {
            s.0 += data[3 * p].primal; s.1 += data[3 * p + 1].primal; s.2 += data[3 * p + 2].primal
        }
        let n = Double(width * height)
        self.mean = RGB(s.0 / n, s.1 / n, s.2 / n)
    }

    /// The index `i` wrapped into [0, n).
    @inlinable @inline(__always)
    func wrap(_ i: Int, _ n: Int) -> Int {
        switch wrapMode {
        case .clamp:
            return Swift.min(Swift.max(i, 0), n - 1)
        case .repeat:
            let r = i % n
            return r < 0 ? r + n : r
        case .mirror:
            var r = i % (2 * n)
            if r < 0 { r += 2 * n }
            return r >= n ? 2 * n - 1 - r : r
        }
    }

    @inlinable @inline(__always)
    func texel(_ x: Int, _ y: Int) -> RGB<T> {
        let i = (wrap(y, height) * width + wrap(x, width)) * 3
        return RGB(data[i], data[i + 1], data[i + 2])
    }

    @inlinable
    public func eval(_ uv: (T, T)) -> RGB<T> {
        let (u, v) = toUV.apply(uv)
        switch filter {
        case .nearest:
            // Branch on primal values: the texel index.
            let x = (u.primal * Double(width)).rounded(.down), y = (v.primal * Double(height)).rounded(.down)
            guard let ix = Int(exactly: x), let iy = Int(exactly: y) else { return .zero }
            return texel(ix, iy)
        case .bilinear:
            let px = u * T(Double(width)) - T(0.5), py = v * T(Double(height)) - T(0.5)
            let fx = px.primal.rounded(.down), fy = py.primal.rounded(.down)
            guard let x0 = Int(exactly: fx), let y0 = Int(exactly: fy) else { return .zero }
            // The fractional parts keep their derivatives with respect to uv.
            let tx = px - T(fx), ty = py - T(fy)
            let c00 = texel(x0, y0), c10 = texel(x0 + 1, y0)
            let c01 = texel(x0, y0 + 1), c11 = texel(x0 + 1, y0 + 1)
            let top = c00 * (1 - tx) + c10 * tx
            let bottom = c01 * (1 - tx) + c11 * tx
            return top * (1 - ty) + bottom * ty
        }
    }

    /// The same bitmap over `U`; every value passes through the lifter under
    /// `prefix + "data"`.
    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> Bitmap<U> {
        let lifted = lifter.lift(prefix + "data", data.map { $0.primal })
        return Bitmap<U>(width: width, height: height, data: lifted, filter: filter, wrapMode: wrapMode, toUV: toUV)
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        [ParameterInfo(key: prefix + "data", values: data.map { $0.primal })]
    }
}
