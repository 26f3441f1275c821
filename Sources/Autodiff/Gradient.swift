/// The user-facing differentiation API, in the manner of Swift's
/// `gradient(at:of:)` and Zygote's `gradient(f, x...)`.
///
/// Reverse mode (`gradient`, `valueWithGradient`, `reverseJacobian`) records
/// on the current thread's tape above a mark and truncates back to that mark
/// when done, also when the function throws, so calls nest and leave the
/// tape as they found it. Forward mode (`derivative`, `jacobian`) needs no tape.
///
/// ```swift
/// gradient(at: 5.0) { x in 3 * x * x + 2 * x + 1 }          // 32.0
/// gradient(at: 1.0, 2.0) { x, y in x * y }                   // (2.0, 1.0)
/// ```

// MARK: - Reverse mode, scalar arguments

/// The value of `f` at `x` and its derivative there (reverse mode).
@inlinable
public func valueWithGradient(at x: Double, of f: (Adjoint) throws -> Adjoint) rethrows
    -> (value: Double, gradient: Double) {
    let tape = Tape.current
    let mark = tape.count
    defer { tape.truncate(to: mark) }
    let vx = tape.variable(x)
    let y = try f(vx)
    tape.backward(y, seed: 1, from: mark)
    return (y.value, tape.adjoint(of: vx))
}

/// The derivative of `f` at `x` (reverse mode).
@inlinable
public func gradient(at x: Double, of f: (Adjoint) throws -> Adjoint) rethrows -> Double {
    try valueWithGradient(at: x, of: f).gradient
}

/// The value of `f` at (`x`, `y`) and its partial derivatives there.
@inlinable
public func valueWithGradient(at x: Double, _ y: Double, of f: (Adjoint, Adjoint) throws -> Adjoint) rethrows
    -> (value: Double, gradient: (Double, Double)) {
    let tape = Tape.current
    let mark = tape.count
    defer { tape.truncate(to: mark) }
    let vx = tape.variable(x), vy = tape.variable(y)
    let z = try f(vx, vy)
    tape.backward(z, seed: 1, from: mark)
    return (z.value, (tape.adjoint(of: vx), tape.adjoint(of: vy)))
}

/// The partial derivatives of `f` at (`x`, `y`).
@inlinable
public func gradient(at x: Double, _ y: Double, of f: (Adjoint, Adjoint) throws -> Adjoint) rethrows
    -> (Double, Double) {
    try valueWithGradient(at: x, y, of: f).gradient
}

/// The value of `f` at (`x`, `y`, `z`) and its partial derivatives there.
@inlinable
public func valueWithGradient(at x: Double, _ y: Double, _ z: Double,
                              of f: (Adjoint, Adjoint, Adjoint) throws -> Adjoint) rethrows
    -> (value: Double, gradient: (Double, Double, Double)) {
    let tape = Tape.current
    let mark = tape.count
    defer { tape.truncate(to: mark) }
    let vx = tape.variable(x), vy = tape.variable(y), vz = tape.variable(z)
    let r = try f(vx, vy, vz)
    tape.backward(r, seed: 1, from: mark)
    return (r.value, (tape.adjoint(of: vx), tape.adjoint(of: vy), tape.adjoint(of: vz)))
}

/// The partial derivatives of `f` at (`x`, `y`, `z`).
@inlinable
public func gradient(at x: Double, _ y: Double, _ z: Double,
                     of f: (Adjoint, Adjoint, Adjoint) throws -> Adjoint) rethrows
    -> (Double, Double, Double) {
    try valueWithGradient(at: x, y, z, of: f).gradient
}

/// The value of `f` at (`x`, `y`, `z`, `w`) and its partial derivatives there.
@inlinable
public func valueWithGradient(at x: Double, _ y: Double, _ z: Double, _ w: Double,
                              of f: (Adjoint, Adjoint, Adjoint, Adjoint) throws -> Adjoint) rethrows
    -> (value: Double, gradient: (Double, Double, Double, Double)) {
    let tape = Tape.current
    let mark = tape.count
    defer { tape.truncate(to: mark) }
    let vx = tape.variable(x), vy = tape.variable(y), vz = tape.variable(z), vw = tape.variable(w)
    let r = try f(vx, vy, vz, vw)
    tape.backward(r, seed: 1, from: mark)
    return (r.value, (tape.adjoint(of: vx), tape.adjoint(of: vy), tape.adjoint(of: vz), tape.adjoint(of: vw)))
}

/// The partial derivatives of `f` at (`x`, `y`, `z`, `w`).
@inlinable
public func gradient(at x: Double, _ y: Double, _ z: Double, _ w: Double,
                     of f: (Adjoint, Adjoint, Adjoint, Adjoint) throws -> Adjoint) rethrows
    -> (Double, Double, Double, Double) {
    try valueWithGradient(at: x, y, z, w, of: f).gradient
}

// MARK: - Reverse mode, array arguments

/// The value of `f` at `x` and its gradient there (reverse mode; one
/// backward pass whatever the number of arguments).
@inlinable
public func valueWithGradient(at x: [Double], of f: ([Adjoint]) throws -> Adjoint) rethrows
    -> (value: Double, gradient: [Double]) {
    let tape = Tape.current
    let mark = tape.count
    defer { tape.truncate(to: mark) }
    let vx = x.map { tape.variable($0) }
    let y = try f(vx)
    tape.backward(y, seed: 1, from: mark)
    return (y.value, vx.map { tape.adjoint(of: $0) })
}

/// The gradient of `f` at `x` (reverse mode).
@inlinable
public func gradient(at x: [Double], of f: ([Adjoint]) throws -> Adjoint) rethrows -> [Double] {
    try valueWithGradient(at: x, of: f).gradient
}

/// The Jacobian of `f` at `x` by reverse mode (one backward pass per output):
/// `result[i][j]` = ∂f_i/∂x_j. Cheaper than `jacobian(at:of:)` when there are
/// many more inputs than outputs.
@inlinable
public func reverseJacobian(at x: [Double], of f: ([Adjoint]) throws -> [Adjoint]) rethrows -> [[Double]] {
    let tape = Tape.current
    let mark = tape.count
    defer { tape.truncate(to: mark) }
    let vx = x.map { tape.variable($0) }
    let ys = try f(vx)
    return ys.map { y in
        tape.backward(y, seed: 1, from: mark)
        return vx.map { tape.adjoint(of: $0) }
    }
}

// MARK: - Forward mode

/// The value of `f` at `x` and its derivative there (forward mode).
@inlinable
public func valueWithDerivative(at x: Double, of f: (Dual2) throws -> Dual2) rethrows
    -> (value: Double, derivative: Double) {
    let y = try f(Dual2(x, variable: 0))
    return (y.value, y.partials[0])
}

/// The derivative of `f` at `x` (forward mode).
@inlinable
public func derivative(at x: Double, of f: (Dual2) throws -> Dual2) rethrows -> Double {
    try f(Dual2(x, variable: 0)).partials[0]
}

/// The Jacobian of `f` at `x` by forward mode, 8 inputs at a time (one call
/// of `f` per chunk of 8): `result[i][j]` = ∂f_i/∂x_j. `f` must return the
/// same number of outputs on every call.
@inlinable
public func jacobian(at x: [Double], of f: ([Dual8]) throws -> [Dual8]) rethrows -> [[Double]] {
    let n = x.count
    if n == 0 {
        return try f([]).map { _ in [] }
    }
    var result: [[Double]] = []
    var inputs = x.map { Dual8($0) }
    var start = 0
    while start < n {
        let end = Swift.min(start + Dual8.width, n)
        for j in start..<end { inputs[j] = Dual8(x[j], variable: j - start) }
        let ys = try f(inputs)
        if start == 0 {
            result = Array(repeating: Array(repeating: 0, count: n), count: ys.count)
        }
        precondition(ys.count == result.count,
                     "jacobian: the function returned \(ys.count) outputs, earlier \(result.count)")
        for (i, y) in ys.enumerated() {
            for j in start..<end { result[i][j] = y.partials[j - start] }
        }
        for j in start..<end { inputs[j] = Dual8(x[j]) }
        start = end
    }
    return result
}
