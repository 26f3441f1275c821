/// A linear RGB colour in single precision: one pixel of an `Image`.
@frozen
public struct LinearRGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var r: Float, g: Float, b: Float

    @inlinable @inline(__always)
    public init(_ r: Float, _ g: Float, _ b: Float) { self.r = r; self.g = g; self.b = b }
    /// A grey: the same value in all three channels.
    @inlinable @inline(__always)
    public init(gray v: Float) { self.init(v, v, v) }

    public static let black = LinearRGB(0, 0, 0)
    public static let white = LinearRGB(1, 1, 1)

    /// Channel 0 (r), 1 (g) or 2 (b).
    @inlinable @inline(__always)
    public subscript(channel: Int) -> Float {
        get { channel == 0 ? r : (channel == 1 ? g : b) }
        set { if channel == 0 { r = newValue } else if channel == 1 { g = newValue } else { b = newValue } }
    }

    /// Rec. 709 / sRGB luminance Y.
    @inlinable public var luminance: Float { 0.2126 * r + 0.7152 * g + 0.0722 * b }
    /// The mean of the three channels.
    @inlinable public var average: Float { (r + g + b) / 3 }

    @inlinable public static func + (a: LinearRGB, b: LinearRGB) -> LinearRGB { LinearRGB(a.r + b.r, a.g + b.g, a.b + b.b) }
    @inlinable public static func - (a: LinearRGB, b: LinearRGB) -> LinearRGB { LinearRGB(a.r - b.r, a.g - b.g, a.b - b.b) }
    @inlinable public static func * (a: LinearRGB, b: LinearRGB) -> LinearRGB { LinearRGB(a.r * b.r, a.g * b.g, a.b * b.b) }
    @inlinable public static func * (a: LinearRGB, s: Float) -> LinearRGB { LinearRGB(a.r * s, a.g * s, a.b * s) }
    @inlinable public static func * (s: Float, a: LinearRGB) -> LinearRGB { a * s }

    public var description: String { "(\(r), \(g), \(b))" }
}

/// An RGB image of linear radiance values in `Float`.
///
/// `pixels` holds `width * height * 3` values, interleaved RGB, row-major, the
/// top row first: channel `c` of pixel `(x, y)` is `pixels[(y * width + x) * 3 + c]`.
/// This is the layout of Mitsuba's `hdrfilm` output and of 8-bit PNG rows.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]

    /// An image filled with one colour (black by default).
    @inlinable
    public init(width: Int, height: Int, fill: LinearRGB = .black) {
        precondition(width >= 0 && height >= 0, "Image: negative size \(width)x\(height)")
        self.width = width
        self.height = height
        var p = [Float](repeating: 0, count: width * height * 3)
        if fill != .black {
            for i in 0..<(width * height) {
                p[3 * i] = fill.r; p[3 * i + 1] = fill.g; p[3 * i + 2] = fill.b
            }
        }
        self.pixels = p
    }

    /// An image over existing interleaved RGB values (`pixels.count == width * height * 3`).
    @inlinable
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "Image: \(pixels.count) values do not make a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image whose pixel `(x, y)` is `f(x, y)`.
    @inlinable
    public init(width: Int, height: Int, _ f: (_ x: Int, _ y: Int) -> LinearRGB) {
        self.init(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width { self[x, y] = f(x, y) }
        }
    }

    @inlinable public var pixelCount: Int { width * height }

    /// Pixel `(x, y)`, `(0, 0)` at the top left.
    @inlinable
    public subscript(x: Int, y: Int) -> LinearRGB {
        get {
            let i = (y * width + x) * 3
            return LinearRGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b
        }
    }

    /// Channel `channel` (0 r, 1 g, 2 b) of pixel `(x, y)`.
    @inlinable
    public subscript(x: Int, y: Int, channel: Int) -> Float {
        get { pixels[(y * width + x) * 3 + channel] }
        set { pixels[(y * width + x) * 3 + channel] = newValue }
    }

    /// The values of one channel (0 r, 1 g, 2 b), row-major.
    @inlinable
    public func channel(_ c: Int) -> [Float] {
        precondition((0..<3).contains(c), "Image.channel: no channel \(c)")
        return (0..<pixelCount).map { pixels[3 * $0 + c] }
    }

    /// Whether two images have the same width and height.
    @inlinable
    public func hasSameSize(as other: Image) -> Bool { width == other.width && height == other.height }
}

// MARK: - Statistics and element-wise arithmetic (for losses)

extension Image {
    /// The mean over every pixel and every channel (Mitsuba's `dr.mean(image, axis=None)`),
    /// accumulated in `Double`.
    @inlinable
    public var mean: Double {
        if pixels.isEmpty { return 0 }
        var s = 0.0
        for v in pixels { s += Double(v) }
        return s / Double(pixels.count)
    }

    /// The mean of each channel over all pixels, accumulated in `Double`.
    @inlinable
    public var channelMeans: (r: Double, g: Double, b: Double) {
        if pixelCount == 0 { return (0, 0, 0) }
        var s = (0.0, 0.0, 0.0)
        for i in 0..<pixelCount {
            s.0 += Double(pixels[3 * i]); s.1 += Double(pixels[3 * i + 1]); s.2 += Double(pixels[3 * i + 2])
        }
        let n = Double(pixelCount)
        return (s.0 / n, s.1 / n, s.2 / n)
    }

    /// The smallest and largest finite value over all channels (`nil` if there is none).
    public var finiteRange: ClosedRange<Float>? {
        var lo = Float.infinity, hi = -Float.infinity
        for v in pixels where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        return lo <= hi ? lo...hi : nil
    }

    /// `f` applied to every value.
    @inlinable
    public func map(_ f: (Float) -> Float) -> Image {
        Image(width: width, height: height, pixels: pixels.map(f))
    }

    /// `f` applied to corresponding values of two images of the same size.
    @inlinable
    public func zipMap(_ other: Image, _ f: (Float, Float) -> Float) -> Image {
        precondition(hasSameSize(as: other),
                     "Image.zipMap: \(width)x\(height) against \(other.width)x\(other.height)")
        var out = [Float](repeating: 0, count: pixels.count)
        for i in 0..<pixels.count { out[i] = f(pixels[i], other.pixels[i]) }
        return Image(width: width, height: height, pixels: out)
    }

    /// Each pixel multiplied channel by channel with `c`.
    @inlinable
    public func scaled(by c: LinearRGB) -> Image {
        var out = self
        for i in 0..<pixelCount {
            out.pixels[3 * i] *= c.r; out.pixels[3 * i + 1] *= c.g; out.pixels[3 * i + 2] *= c.b
        }
        return out
    }

    @inlinable public static func + (a: Image, b: Image) -> Image { a.zipMap(b, +) }
    @inlinable public static func - (a: Image, b: Image) -> Image { a.zipMap(b, -) }
    /// Element-wise product.
    @inlinable public static func * (a: Image, b: Image) -> Image { a.zipMap(b, *) }
    @inlinable public static func * (a: Image, s: Float) -> Image { a.map { $0 * s } }
    @inlinable public static func * (s: Float, a: Image) -> Image { a.map { $0 * s } }
    @inlinable public static func += (a: inout Image, b: Image) {
        precondition(a.hasSameSize(as: b), "Image +=: \(a.width)x\(a.height) against \(b.width)x\(b.height)")
        for i in 0..<a.pixels.count { a.pixels[i] += b.pixels[i] }
    }

    /// The mean of `(a − b)²` over all values (the L2 loss), in `Double`.
    @inlinable
    public func meanSquaredError(to reference: Image) -> Double {
        precondition(hasSameSize(as: reference), "Image.meanSquaredError: sizes differ")
        if pixels.isEmpty { return 0 }
        var s = 0.0
        for i in 0..<pixels.count { let d = Double(pixels[i]) - Double(reference.pixels[i]); s += d * d }
        return s / Double(pixels.count)
    }

    /// The mean of `|a − b|` over all values (the L1 loss), in `Double`.
    @inlinable
    public func meanAbsoluteError(to reference: Image) -> Double {
        precondition(hasSameSize(as: reference), "Image.meanAbsoluteError: sizes differ")
        if pixels.isEmpty { return 0 }
        var s = 0.0
        for i in 0..<pixels.count { s += abs(Double(pixels[i]) - Double(reference.pixels[i])) }
        return s / Double(pixels.count)
    }

    /// The mean and the maximum over all values of `|a − r| / max(|r|, floor)`: the metric
    /// golden-image tests use against Mitsuba references (floor 0.02 in DiffRay's tests).
    public func relativeError(to reference: Image, floor: Double = 0.02) -> (mean: Double, max: Double) {
        precondition(hasSameSize(as: reference), "Image.relativeError: sizes differ")
        if pixels.isEmpty { return (0, 0) }
        var s = 0.0, m = 0.0
        for i in 0..<pixels.count {
            let r = Double(reference.pixels[i])
            let e = abs(Double(pixels[i]) - r) / Swift.max(abs(r), floor)
            s += e; m = Swift.max(m, e)
        }
        return (s / Double(pixels.count), m)
    }
}

// MARK: - Finite values

/// Where an image holds a NaN or an infinity.
public struct NonFiniteValue: Equatable, Sendable, CustomStringConvertible {
    public let x: Int, y: Int, channel: Int
    public let value: Float
    public var description: String {
        "\(value) at pixel (\(x), \(y)) channel \("rgb".map(String.init)[channel])"
    }
}

extension Image {
    /// Whether every value is finite (no NaN, no infinity).
    @inlinable
    public var isFinite: Bool {
        for v in pixels where !v.isFinite { return false }
        return true
    }

    /// The first NaN or infinite value in row-major order, or `nil`.
    public var firstNonFiniteValue: NonFiniteValue? {
        for (i, v) in pixels.enumerated() where !v.isFinite {
            let p = i / 3
            return NonFiniteValue(x: p % width, y: p / width, channel: i % 3, value: v)
        }
        return nil
    }

    /// The number of NaN or infinite values.
    public var nonFiniteCount: Int { pixels.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } }

    /// Throws an `ImageIOError` naming `name` (a file or an image's role) and the first
    /// non-finite value, if there is one.
    public func checkFinite(_ name: String) throws {
        if let bad = firstNonFiniteValue {
            throw ImageIOError(path: name, reason: "\(nonFiniteCount) non-finite value(s), the first \(bad)")
        }
    }
}
