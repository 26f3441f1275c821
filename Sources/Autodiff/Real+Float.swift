#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain `Double`: the primal scalar. Elementary functions call libm directly.
extension Double: Real {
    @inlinable @inline(__always) public var primal: Double { self }
    @inlinable @inline(__always)
    public func lifted(value: Double, derivative: Double) -> Double { value }
    @inlinable @inline(__always)
    public static func lifted(_ a: Double, _ b: Double, value: Double, da: Double, db: Double) -> Double { value }

    @inlinable @inline(__always) public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    @inlinable @inline(__always) public static func cbrt(_ x: Double) -> Double { Glibc.cbrt(x) }
    @inlinable @inline(__always) public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable @inline(__always) public static func log(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable @inline(__always) public static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
    @inlinable @inline(__always) public static func sin(_ x: Double) -> Double { Glibc.sin(x) }
    @inlinable @inline(__always) public static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    @inlinable @inline(__always) public static func tan(_ x: Double) -> Double { Glibc.tan(x) }
    @inlinable @inline(__always) public static func asin(_ x: Double) -> Double { Glibc.asin(Swift.min(Swift.max(x, -1), 1)) }
    @inlinable @inline(__always) public static func acos(_ x: Double) -> Double { Glibc.acos(Swift.min(Swift.max(x, -1), 1)) }
    @inlinable @inline(__always) public static func atan(_ x: Double) -> Double { Glibc.atan(x) }
    @inlinable @inline(__always) public static func atan2(y: Double, x: Double) -> Double { Glibc.atan2(y, x) }
    @inlinable @inline(__always) public static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inlinable @inline(__always) public static func floor(_ x: Double) -> Double { x.rounded(.down) }
    @inlinable @inline(__always) public static func round(_ x: Double) -> Double { x.rounded() }
}

/// Plain `Float`, for storage-bound primal work.
extension Float: Real {
    @inlinable @inline(__always) public var primal: Double { Double(self) }
    @inlinable @inline(__always)
    public func lifted(value: Double, derivative: Double) -> Float { Float(value) }
    @inlinable @inline(__always)
    public static func lifted(_ a: Float, _ b: Float, value: Double, da: Double, db: Double) -> Float { Float(value) }

    @inlinable @inline(__always) public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
    @inlinable @inline(__always) public static func exp(_ x: Float) -> Float { Glibc.expf(x) }
    @inlinable @inline(__always) public static func log(_ x: Float) -> Float { Glibc.logf(x) }
    @inlinable @inline(__always) public static func sin(_ x: Float) -> Float { Glibc.sinf(x) }
    @inlinable @inline(__always) public static func cos(_ x: Float) -> Float { Glibc.cosf(x) }
    @inlinable @inline(__always) public static func floor(_ x: Float) -> Float { x.rounded(.down) }
    @inlinable @inline(__always) public static func round(_ x: Float) -> Float { x.rounded() }
}
