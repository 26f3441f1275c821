#if canImport(Glibc)
import Glibc
#endif

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
        // A square (x * x) records one operand with partial 2x: the same
        // adjoint as two operands with partial x, in one slot fewer.
        if lhs.index == rhs.index && lhs.index >= 0 {
            return Adjoint(lhs.value * rhs.value, recorded: Tape.record(lhs.index, 2 * lhs.value))
        }
        return recorded(lhs.value * rhs.value, lhs.index, rhs.value, rhs.index, lhs.value)
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

    // MARK: Fused expressions (one operation each; primal values as `Double` computes them)

    @inlinable @inline(__always)
    public static func dot3(_ ax: Adjoint, _ ay: Adjoint, _ az: Adjoint,
                            _ bx: Adjoint, _ by: Adjoint, _ bz: Adjoint) -> Adjoint {
        let v = ax.value * bx.value + ay.value * by.value + az.value * bz.value
        if (ax.index & ay.index & az.index & bx.index & by.index & bz.index) < 0 { return Adjoint(v, recorded: -1) }
        return Adjoint(v, recorded: Tape.record(operands: 6) { s, k in
            var k = s.operand(at: k, ax.index, bx.value)
            k = s.operand(at: k, ay.index, by.value)
            k = s.operand(at: k, az.index, bz.value)
            k = s.operand(at: k, bx.index, ax.value)
            k = s.operand(at: k, by.index, ay.value)
            return s.operand(at: k, bz.index, az.value)
        })
    }

    @inlinable @inline(__always)
    public static func lengthSquared3(_ x: Adjoint, _ y: Adjoint, _ z: Adjoint) -> Adjoint {
        let v = x.value * x.value + y.value * y.value + z.value * z.value
        if (x.index & y.index & z.index) < 0 { return Adjoint(v, recorded: -1) }
        return Adjoint(v, recorded: Tape.record(operands: 3) { s, k in
            s.operand(at: s.operand(at: s.operand(at: k, x.index, 2 * x.value), y.index, 2 * y.value), z.index, 2 * z.value)
        })
    }

    /// The unit vector, each component one operation with partials
    /// ∂nᵢ/∂vⱼ = (δᵢⱼ − nᵢnⱼ) / |v|.
    @inlinable @inline(__always)
    public static func normalized3(_ x: Adjoint, _ y: Adjoint, _ z: Adjoint) -> (Adjoint, Adjoint, Adjoint) {
        let l2 = x.value * x.value + y.value * y.value + z.value * z.value
        if l2 <= 0 { return (x, y, z) }  // branch on the primal value
        let r = 1 / (l2 > 0 ? Glibc.sqrt(l2) : 0)  // as `Real.sqrt`: NaN gives 1 / 0
        let nx = x.value * r, ny = y.value * r, nz = z.value * r
        if (x.index & y.index & z.index) < 0 {
            return (Adjoint(nx, recorded: -1), Adjoint(ny, recorded: -1), Adjoint(nz, recorded: -1))
        }
        let xy = -r * nx * ny, xz = -r * nx * nz, yz = -r * ny * nz
        let ix = Tape.record(operands: 3) { s, k in
            s.operand(at: s.operand(at: s.operand(at: k, x.index, r - r * nx * nx), y.index, xy), z.index, xz)
        }
        let iy = Tape.record(operands: 3) { s, k in
            s.operand(at: s.operand(at: s.operand(at: k, x.index, xy), y.index, r - r * ny * ny), z.index, yz)
        }
        let iz = Tape.record(operands: 3) { s, k in
            s.operand(at: s.operand(at: s.operand(at: k, x.index, xz), y.index, yz), z.index, r - r * nz * nz)
        }
        return (Adjoint(nx, recorded: ix), Adjoint(ny, recorded: iy), Adjoint(nz, recorded: iz))
    }

    @inlinable @inline(__always)
    public static func mulAdd(_ a: Adjoint, _ b: Adjoint, _ c: Adjoint) -> Adjoint {
        let v = a.value * b.value + c.value
        if (a.index & b.index & c.index) < 0 { return Adjoint(v, recorded: -1) }
        return Adjoint(v, recorded: Tape.record(operands: 3) { s, k in
            s.operand(at: s.operand(at: s.operand(at: k, a.index, b.value), b.index, a.value), c.index, 1)
        })
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
