#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real number that DiffRay's generic code runs on: `Double` and `Float` for
/// plain evaluation, `Dual` for forward mode and `Adjoint` for reverse mode.
///
/// Every elementary function is built on two chain-rule primitives,
/// `lifted(value:derivative:)` for unary and `lifted(_:_:value:da:db:)` for
/// binary operations, so a new scalar type only has to implement those two
/// and the four arithmetic operators. Plain floating-point types override the
/// elementary functions with direct libm calls.
///
/// Comparisons look at primal values only: a branch taken on a dual or adjoint
/// number is the branch its primal takes, and its derivative is that branch's.
public protocol Real: SignedNumeric, Comparable, ExpressibleByFloatLiteral
where Magnitude == Self {
    /// Lifts a plain constant (zero derivative).
    init(_ value: Double)
    /// The primal value.
    var primal: Double { get }

    /// Unary chain rule: a number with primal `value` whose derivative is
    /// `derivative` times the derivative of `self`.
    func lifted(value: Double, derivative: Double) -> Self
    /// Binary chain rule: primal `value`, derivative `da`·∂a + `db`·∂b.
    static func lifted(_ a: Self, _ b: Self, value: Double, da: Double, db: Double) -> Self

    static func / (lhs: Self, rhs: Self) -> Self

    static func sqrt(_ x: Self) -> Self
    static func cbrt(_ x: Self) -> Self
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func tan(_ x: Self) -> Self
    static func asin(_ x: Self) -> Self
    static func acos(_ x: Self) -> Self
    static func atan(_ x: Self) -> Self
    static func atan2(y: Self, x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func floor(_ x: Self) -> Self
    static func round(_ x: Self) -> Self

    // Fused expressions: one operation on the tape in reverse mode (`Adjoint`),
    // the same arithmetic as their defaults elsewhere.

    /// `ax * bx + ay * by + az * bz`, summed left to right.
    static func dot3(_ ax: Self, _ ay: Self, _ az: Self, _ bx: Self, _ by: Self, _ bz: Self) -> Self
    /// `x * x + y * y + z * z`, summed left to right.
    static func lengthSquared3(_ x: Self, _ y: Self, _ z: Self) -> Self
    /// `(x, y, z) * (1 / sqrt(x * x + y * y + z * z))`; the vector itself if
    /// its squared length is not positive (a branch on the primal value).
    static func normalized3(_ x: Self, _ y: Self, _ z: Self) -> (Self, Self, Self)
    /// `a * b + c`, rounded twice as written (not a fused multiply-add).
    static func mulAdd(_ a: Self, _ b: Self, _ c: Self) -> Self
}

// MARK: - Defaults through the chain-rule primitives

extension Real {
    @inlinable @inline(__always)
    public init?<Source: BinaryInteger>(exactly source: Source) { self.init(Double(source)) }
    @inlinable @inline(__always)
    public init(integerLiteral value: Int) { self.init(Double(value)) }
    @inlinable @inline(__always)
    public init(floatLiteral value: Double) { self.init(value) }
    @inlinable @inline(__always)
    public init(_ value: Int) { self.init(Double(value)) }

    @inlinable @inline(__always)
    public var magnitude: Self { primal < 0 ? -self : self }
    @inlinable @inline(__always)
    public static var pi: Self { Self(Double.pi) }
    @inlinable @inline(__always)
    public var isFinite: Bool { primal.isFinite }
    @inlinable @inline(__always)
    public static func *= (lhs: inout Self, rhs: Self) { lhs = lhs * rhs }
    @inlinable @inline(__always)
    public static func /= (lhs: inout Self, rhs: Self) { lhs = lhs / rhs }

    /// √x; the derivative at 0 is taken as 0 rather than ∞ (finite at the edge).
    @inlinable
    public static func sqrt(_ x: Self) -> Self {
        let r = x.primal > 0 ? Glibc.sqrt(x.primal) : 0
        return x.lifted(value: r, derivative: r > 0 ? 0.5 / r : 0)
    }
    @inlinable
    public static func cbrt(_ x: Self) -> Self {
        let r = Glibc.cbrt(x.primal)
        return x.lifted(value: r, derivative: r != 0 ? 1 / (3 * r * r) : 0)
    }
    @inlinable
    public static func exp(_ x: Self) -> Self {
        let e = Glibc.exp(x.primal)
        return x.lifted(value: e, derivative: e)
    }
    /// log x; for x ≤ 0 the value is −∞/NaN as in libm, the derivative is 0.
    @inlinable
    public static func log(_ x: Self) -> Self {
        x.lifted(value: Glibc.log(x.primal), derivative: x.primal > 0 ? 1 / x.primal : 0)
    }
    @inlinable
    public static func pow(_ x: Self, _ y: Self) -> Self {
        let a = x.primal, b = y.primal
        let v = Glibc.pow(a, b)
        let da = a != 0 ? b * Glibc.pow(a, b - 1) : (b == 1 ? 1 : 0)
        let db = a > 0 ? v * Glibc.log(a) : 0
        return lifted(x, y, value: v, da: da, db: db)
    }
    @inlinable
    public static func sin(_ x: Self) -> Self {
        x.lifted(value: Glibc.sin(x.primal), derivative: Glibc.cos(x.primal))
    }
    @inlinable
    public static func cos(_ x: Self) -> Self {
        x.lifted(value: Glibc.cos(x.primal), derivative: -Glibc.sin(x.primal))
    }
    @inlinable
    public static func tan(_ x: Self) -> Self {
        let t = Glibc.tan(x.primal)
        return x.lifted(value: t, derivative: 1 + t * t)
    }
    /// asin, with the argument clamped to [−1, 1] and a finite derivative at ±1.
    @inlinable
    public static func asin(_ x: Self) -> Self {
        let a = Swift.min(Swift.max(x.primal, -1), 1)
        return x.lifted(value: Glibc.asin(a), derivative: 1 / Swift.max(Glibc.sqrt(1 - a * a), 1e-12))
    }
    /// acos, with the argument clamped to [−1, 1] and a finite derivative at ±1.
    @inlinable
    public static func acos(_ x: Self) -> Self {
        let a = Swift.min(Swift.max(x.primal, -1), 1)
        return x.lifted(value: Glibc.acos(a), derivative: -1 / Swift.max(Glibc.sqrt(1 - a * a), 1e-12))
    }
    @inlinable
    public static func atan(_ x: Self) -> Self {
        let a = x.primal
        return x.lifted(value: Glibc.atan(a), derivative: 1 / (1 + a * a))
    }
    /// atan2(y, x); the derivative at the origin is taken as 0.
    @inlinable
    public static func atan2(y: Self, x: Self) -> Self {
        let a = y.primal, b = x.primal
        let r2 = a * a + b * b
        let s = r2 > 0 ? 1 / r2 : 0
        return lifted(y, x, value: Glibc.atan2(a, b), da: b * s, db: -a * s)
    }
    @inlinable
    public static func tanh(_ x: Self) -> Self {
        let t = Glibc.tanh(x.primal)
        return x.lifted(value: t, derivative: 1 - t * t)
    }
    /// floor, with zero derivative.
    @inlinable
    public static func floor(_ x: Self) -> Self { Self(Glibc.floor(x.primal)) }
    /// round (half away from zero), with zero derivative.
    @inlinable
    public static func round(_ x: Self) -> Self { Self(Glibc.round(x.primal)) }

    @inlinable @inline(__always)
    public static func dot3(_ ax: Self, _ ay: Self, _ az: Self, _ bx: Self, _ by: Self, _ bz: Self) -> Self {
        ax * bx + ay * by + az * bz
    }
    @inlinable @inline(__always)
    public static func lengthSquared3(_ x: Self, _ y: Self, _ z: Self) -> Self { x * x + y * y + z * z }
    @inlinable @inline(__always)
    public static func normalized3(_ x: Self, _ y: Self, _ z: Self) -> (Self, Self, Self) {
        let l2 = x * x + y * y + z * z
        if l2.primal <= 0 { return (x, y, z) }  // branch on the primal value
        let r = 1 / sqrt(l2)
        return (x * r, y * r, z * r)
    }
    @inlinable @inline(__always)
    public static func mulAdd(_ a: Self, _ b: Self, _ c: Self) -> Self { a * b + c }
}
