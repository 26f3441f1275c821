/// A reverse-mode number: a primal value and the index of the operation that
/// produced it on the current thread's tape (`Tape.current`).
///
/// An index below zero means a constant: operations whose operands are all
/// constants are not recorded, so constant sub-expressions cost as much as
/// plain `Double` arithmetic. Make inputs with `Tape.current.variable(_:)`,
/// run the generic code, then call `backward` on the tape and read
/// `adjoint(of:)`; or use `gradient(at:of:)`.
///
/// An `Adjoint` belongs to the thread (and tape contents) it was made on:
/// don't send one to another thread or keep it across `Tape.reset()`.
/// Comparisons and equality look at the primal value only.
@frozen
public struct Adjoint: Real {
    /// The primal value.
    public var value: Double
    /// The index of this number's operation on the tape; −1 for a constant.
    public let index: Int32

    /// The number with primal `value` recorded at `index` on the current
    /// thread's tape (any negative index: a constant).
    @inlinable @inline(__always)
    public init(value: Double, index: Int32) {
        self.value = value
        self.index = index < 0 ? -1 : index
    }

    /// `index` is −1 or the index of a recorded operation.
    @inlinable @inline(__always)
    init(_ value: Double, recorded index: Int32) {
        self.value = value
        self.index = index
    }

    /// A constant (not recorded).
    @inlinable @inline(__always)
    public init(_ value: Double) {
        self.value = value
        self.index = -1
    }

    /// Whether this number is a constant (no derivative flows through it).
    @inlinable @inline(__always)
    public var isConstant: Bool { index < 0 }

    @inlinable @inline(__always)
    public var primal: Double { value }

    // MARK: Chain-rule primitives

    @inlinable @inline(__always)
    public func lifted(value: Double, derivative: Double) -> Adjoint {
        if index < 0 { return Adjoint(value, recorded: -1) }
        return Adjoint(value, recorded: Tape.record(index, derivative))
    }

    @inlinable @inline(__always)
    public static func lifted(_ a: Adjoint, _ b: Adjoint, value: Double, da: Double, db: Double) -> Adjoint {
        recorded(value, a.index, da, b.index, db)
    }

    /// The result `value` of a binary operation with operands at tape indices
    /// `a` and `b` and local partials `da` and `db`: nothing is recorded when
    /// both operands are constants, one partial when one is (these branches
    /// depend on the call site, not on the data, and predict well).
    @inlinable @inline(__always)
    static func recorded(_ value: Double, _ a: Int32, _ da: Double, _ b: Int32, _ db: Double) -> Adjoint {
        if a < 0 {
            if b < 0 { return Adjoint(value, recorded: -1) }
            return Adjoint(value, recorded: Tape.record(b, db))
        }
        if b < 0 { return Adjoint(value, recorded: Tape.record(a, da)) }
        return Adjoint(value, recorded: Tape.record(a, da, b, db))
    }

    // MARK: Arithmetic (specialised: no call through the generic primitives)

    @inlinable @inline(__always)
    public static func + (lhs: Adjoint, rhs: Adjoint) -> Adjoint {
        recorded(lhs.value + rhs.value, lhs.index, 1, rhs.index, 1)
    }

    @inlinable @inline(__always)
    public static func - (lhs: Adjoint, rhs: Adjoint) -> Adjoint {
        recorded(lhs.value - rhs.value, lhs.index, 1, rhs.index, -1)
    }

    @inlinable @inline(__always)
    public static func * (lhs: Adjoint, rhs: Adjoint) -> Adjoint {
        recorded(lhs.value * rhs.value, lhs.index, rhs.value, rhs.index, lhs.value)
    }

    @inlinable @inline(__always)
    public static func / (lhs: Adjoint, rhs: Adjoint) -> Adjoint {
        // q = a / b exactly as in Double, so the primal matches plain evaluation.
        let q = lhs.value / rhs.value
        let r = 1 / rhs.value
        return recorded(q, lhs.index, r, rhs.index, -q * r)
    }

    @inlinable @inline(__always)
    public static prefix func - (x: Adjoint) -> Adjoint {
        if x.index < 0 { return Adjoint(-x.value, recorded: -1) }
        return Adjoint(-x.value, recorded: Tape.record(x.index, -1))
    }

    @inlinable @inline(__always)
    public static func += (lhs: inout Adjoint, rhs: Adjoint) { lhs = lhs + rhs }
    @inlinable @inline(__always)
    public static func -= (lhs: inout Adjoint, rhs: Adjoint) { lhs = lhs - rhs }

    @inlinable @inline(__always)
    public static var zero: Adjoint { Adjoint(0, recorded: -1) }

    // MARK: Comparison on primal values

    @inlinable @inline(__always)
    public static func == (lhs: Adjoint, rhs: Adjoint) -> Bool { lhs.value == rhs.value }
    @inlinable @inline(__always)
    public static func < (lhs: Adjoint, rhs: Adjoint) -> Bool { lhs.value < rhs.value }
    @inlinable @inline(__always)
    public static func <= (lhs: Adjoint, rhs: Adjoint) -> Bool { lhs.value <= rhs.value }
    @inlinable @inline(__always)
    public static func > (lhs: Adjoint, rhs: Adjoint) -> Bool { lhs.value > rhs.value }
    @inlinable @inline(__always)
    public static func >= (lhs: Adjoint, rhs: Adjoint) -> Bool { lhs.value >= rhs.value }
}

extension Adjoint: CustomStringConvertible {
    public var description: String { index < 0 ? "\(value)" : "\(value) @\(index)" }
}
