/// A forward-mode dual number: a primal value and the partial derivatives of
/// that value with respect to up to `Partials.scalarCount` inputs, held in
/// SIMD storage so that each chain-rule step is one or two vector operations.
///
/// Make the inputs with `Dual.variable(_:index:)` (or `init(_:variable:)`):
/// input `i` carries partial 1 in lane `i` and 0 elsewhere. Constants
/// (`init(_:)`, literals) carry zero partials. More inputs than one chunk
/// holds are handled chunk by chunk (see `jacobian(at:of:)`).
///
/// Comparisons and equality look at the primal value only.
@frozen
public struct Dual<Partials: SIMD>: Real where Partials.Scalar == Double {
    /// The primal value.
    public var value: Double
    /// ∂value/∂input_i in lane i.
    public var partials: Partials

    @inlinable @inline(__always)
    public init(value: Double, partials: Partials) {
        self.value = value
        self.partials = partials
    }

    /// A constant: zero partials.
    @inlinable @inline(__always)
    public init(_ value: Double) {
        self.value = value
        self.partials = Partials()
    }

    /// Input number `index` (0-based): partial 1 in lane `index`, 0 elsewhere.
    @inlinable @inline(__always)
    public init(_ value: Double, variable index: Int) {
        precondition(index >= 0 && index < Partials.scalarCount,
                     "Dual: variable index \(index) outside 0..<\(Partials.scalarCount)")
        self.value = value
        var p = Partials()
        p[index] = 1
        self.partials = p
    }

    /// Input number `index` (0-based): partial 1 in lane `index`, 0 elsewhere.
    @inlinable @inline(__always)
    public static func variable(_ value: Double, index: Int) -> Dual {
        Dual(value, variable: index)
    }

    /// How many partials one number carries.
    @inlinable @inline(__always)
    public static var width: Int { Partials.scalarCount }

    @inlinable @inline(__always)
    public var primal: Double { value }

    /// ∂value/∂input_`index`.
    @inlinable @inline(__always)
    public func partial(_ index: Int) -> Double { partials[index] }

    // MARK: Chain-rule primitives

    @inlinable @inline(__always)
    public func lifted(value: Double, derivative: Double) -> Dual {
        Dual(value: value, partials: partials * derivative)
    }

    @inlinable @inline(__always)
    public static func lifted(_ a: Dual, _ b: Dual, value: Double, da: Double, db: Double) -> Dual {
        Dual(value: value, partials: a.partials * da + b.partials * db)
    }

    // MARK: Arithmetic

    @inlinable @inline(__always)
    public static func + (lhs: Dual, rhs: Dual) -> Dual {
        Dual(value: lhs.value + rhs.value, partials: lhs.partials + rhs.partials)
    }

    @inlinable @inline(__always)
    public static func - (lhs: Dual, rhs: Dual) -> Dual {
        Dual(value: lhs.value - rhs.value, partials: lhs.partials - rhs.partials)
    }

    @inlinable @inline(__always)
    public static func * (lhs: Dual, rhs: Dual) -> Dual {
        Dual(value: lhs.value * rhs.value,
             partials: lhs.partials * rhs.value + rhs.partials * lhs.value)
    }

    @inlinable @inline(__always)
    public static func / (lhs: Dual, rhs: Dual) -> Dual {
        // q = a / b exactly as in Double, so the primal matches plain evaluation.
        let q = lhs.value / rhs.value
        let r = 1 / rhs.value
        return Dual(value: q, partials: (lhs.partials - rhs.partials * q) * r)
    }

    @inlinable @inline(__always)
    public static prefix func - (x: Dual) -> Dual {
        Dual(value: -x.value, partials: -x.partials)
    }

    @inlinable @inline(__always)
    public static func += (lhs: inout Dual, rhs: Dual) { lhs = lhs + rhs }
    @inlinable @inline(__always)
    public static func -= (lhs: inout Dual, rhs: Dual) { lhs = lhs - rhs }

    @inlinable @inline(__always)
    public static var zero: Dual { Dual(value: 0, partials: Partials()) }

    // MARK: Comparison on primal values

    @inlinable @inline(__always)
    public static func == (lhs: Dual, rhs: Dual) -> Bool { lhs.value == rhs.value }
    @inlinable @inline(__always)
    public static func < (lhs: Dual, rhs: Dual) -> Bool { lhs.value < rhs.value }
    @inlinable @inline(__always)
    public static func <= (lhs: Dual, rhs: Dual) -> Bool { lhs.value <= rhs.value }
    @inlinable @inline(__always)
    public static func > (lhs: Dual, rhs: Dual) -> Bool { lhs.value > rhs.value }
    @inlinable @inline(__always)
    public static func >= (lhs: Dual, rhs: Dual) -> Bool { lhs.value >= rhs.value }
}

extension Dual: CustomStringConvertible {
    public var description: String {
        let lanes = (0..<Partials.scalarCount).map { "\(partials[$0])" }.joined(separator: ", ")
        return "\(value) + ∂[\(lanes)]"
    }
}

/// Forward-mode numbers with 2, 4, 8 and 16 partials.
public typealias Dual2 = Dual<SIMD2<Double>>
public typealias Dual4 = Dual<SIMD4<Double>>
public typealias Dual8 = Dual<SIMD8<Double>>
public typealias Dual16 = Dual<SIMD16<Double>>
