import Geometry

/// Linear RGB radiance, reflectance or weight, generic over the scalar.
@frozen
public struct RGB<T: Real> {
    public var r: T, g: T, b: T

    @inlinable @inline(__always) public init(_ r: T, _ g: T, _ b: T) { self.r = r; self.g = g; self.b = b }
    @inlinable @inline(__always) public init(repeating v: T) { self.init(v, v, v) }
    /// Lifts a plain colour to constants of `T`.
    @inlinable @inline(__always) public init(_ c: RGB<Double>) { self.init(T(c.r), T(c.g), T(c.b)) }

    @inlinable public static var zero: RGB { RGB(0, 0, 0) }
    @inlinable public static var one: RGB { RGB(1, 1, 1) }

    @inlinable @inline(__always) public var primal: RGB<Double> { RGB<Double>(r.primal, g.primal, b.primal) }
    @inlinable @inline(__always) public subscript(i: Int) -> T {
        get { i == 0 ? r : (i == 1 ? g : b) }
        set { if i == 0 { r = newValue } else if i == 1 { g = newValue } else { b = newValue } }
    }

    @inlinable @inline(__always) public static func + (a: RGB, b: RGB) -> RGB { RGB(a.r + b.r, a.g + b.g, a.b + b.b) }
    @inlinable @inline(__always) public static func - (a: RGB, b: RGB) -> RGB { RGB(a.r - b.r, a.g - b.g, a.b - b.b) }
    @inlinable @inline(__always) public static func * (a: RGB, b: RGB) -> RGB { RGB(a.r * b.r, a.g * b.g, a.b * b.b) }
    @inlinable @inline(__always) public static func * (a: RGB, s: T) -> RGB { RGB(a.r * s, a.g * s, a.b * s) }
    @inlinable @inline(__always) public static func * (s: T, a: RGB) -> RGB { RGB(a.r * s, a.g * s, a.b * s) }
    @inlinable @inline(__always) public static func / (a: RGB, s: T) -> RGB { let i = 1 / s; return RGB(a.r * i, a.g * i, a.b * i) }
    @inlinable @inline(__always) public static func += (a: inout RGB, b: RGB) { a = a + b }
    @inlinable @inline(__always) public static func *= (a: inout RGB, b: RGB) { a = a * b }
    @inlinable @inline(__always) public static func *= (a: inout RGB, s: T) { a = a * s }

    @inlinable @inline(__always) public var maxComponent: T { Swift.max(r, Swift.max(g, b)) }
    @inlinable @inline(__always) public var average: T { (r + g + b) * T(1.0 / 3.0) }
    /// Luminance with Rec. 709 / sRGB primaries.
    @inlinable @inline(__always) public var luminance: T { r * T(0.212671) + g * T(0.715160) + b * T(0.072169) }
    @inlinable @inline(__always) public var isBlack: Bool { r.primal == 0 && g.primal == 0 && b.primal == 0 }
}

extension RGB: Sendable where T: Sendable {}
extension RGB: CustomStringConvertible {
    public var description: String { "(\(r), \(g), \(b))" }
}
