/// Free-function spellings of the elementary functions, for generic code:
/// `sqrt(x)` with `x: T` where `T: Real`. Concrete `Double` calls still pick
/// libm's overloads.

@inlinable @inline(__always) public func sqrt<T: Real>(_ x: T) -> T { T.sqrt(x) }
@inlinable @inline(__always) public func cbrt<T: Real>(_ x: T) -> T { T.cbrt(x) }
@inlinable @inline(__always) public func exp<T: Real>(_ x: T) -> T { T.exp(x) }
@inlinable @inline(__always) public func log<T: Real>(_ x: T) -> T { T.log(x) }
@inlinable @inline(__always) public func pow<T: Real>(_ x: T, _ y: T) -> T { T.pow(x, y) }
@inlinable @inline(__always) public func sin<T: Real>(_ x: T) -> T { T.sin(x) }
@inlinable @inline(__always) public func cos<T: Real>(_ x: T) -> T { T.cos(x) }
@inlinable @inline(__always) public func tan<T: Real>(_ x: T) -> T { T.tan(x) }
@inlinable @inline(__always) public func asin<T: Real>(_ x: T) -> T { T.asin(x) }
@inlinable @inline(__always) public func acos<T: Real>(_ x: T) -> T { T.acos(x) }
@inlinable @inline(__always) public func atan<T: Real>(_ x: T) -> T { T.atan(x) }
@inlinable @inline(__always) public func atan2<T: Real>(_ y: T, _ x: T) -> T { T.atan2(y: y, x: x) }
@inlinable @inline(__always) public func tanh<T: Real>(_ x: T) -> T { T.tanh(x) }
@inlinable @inline(__always) public func floor<T: Real>(_ x: T) -> T { T.floor(x) }
@inlinable @inline(__always) public func round<T: Real>(_ x: T) -> T { T.round(x) }

/// The logistic function 1 / (1 + e^−x), evaluated without overflow.
@inlinable
public func sigmoid<T: Real>(_ x: T) -> T {
    let a = x.primal
    let s: Double
    if a >= 0 { s = 1 / (1 + Double.exp(-a)) } else { let e = Double.exp(a); s = e / (1 + e) }
    return x.lifted(value: s, derivative: s * (1 - s))
}

/// log(1 + e^x), evaluated without overflow; its derivative is `sigmoid(x)`.
@inlinable
public func softplus<T: Real>(_ x: T) -> T {
    let a = x.primal
    let v = Swift.max(a, 0) + Double.log(1 + Double.exp(-Swift.abs(a)))
    let s = a >= 0 ? 1 / (1 + Double.exp(-a)) : Double.exp(a) / (1 + Double.exp(a))
    return x.lifted(value: v, derivative: s)
}

/// `x` clamped to [`lo`, `hi`]; the derivative is that of the chosen operand.
@inlinable @inline(__always)
public func clamp<T: Real>(_ x: T, _ lo: T, _ hi: T) -> T { x < lo ? lo : (x > hi ? hi : x) }

/// `condition ? a : b`, spelled as a function for branch-free generic code.
@inlinable @inline(__always)
public func select<T: Real>(_ condition: Bool, _ a: T, _ b: T) -> T { condition ? a : b }
