/// Straight-through operations: a discrete (or otherwise non-differentiable)
/// forward value with a chosen derivative, for training through decisions
/// (the straight-through estimator of Bengio, Léonard and Courville 2013).

/// `forward(x)` in the forward pass, with derivative `slope` (1: the gradient
/// passes straight through).
@inlinable @inline(__always)
public func straightThrough<T: Real>(_ x: T, _ forward: (Double) -> Double, backward slope: Double = 1) -> T {
    x.lifted(value: forward(x.primal), derivative: slope)
}

/// The value of `forward` with the derivative of `backward`: the general
/// straight-through form `backward + withoutDerivative(forward − backward)`.
@inlinable @inline(__always)
public func straightThrough<T: Real>(_ forward: T, backward: T) -> T {
    backward.lifted(value: forward.primal, derivative: 1)
}

/// The sign of `x` (−1, 0 or +1) whose derivative is taken as 1, so that
/// gradients pass through a bang-bang decision (the cart-pole policy's trick).
@inlinable @inline(__always)
public func sign<T: Real>(_ x: T) -> T {
    let a = x.primal
    return x.lifted(value: a > 0 ? 1 : (a < 0 ? -1 : 0), derivative: 1)
}

/// `x` as a constant: the same value, no derivative.
@inlinable @inline(__always)
public func withoutDerivative<T: Real>(at x: T) -> T { T(x.primal) }
