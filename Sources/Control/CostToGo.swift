import Foundation

/// A quadratic estimate of what a state costs from there on, V(s) = sᵀPs, for
/// truncated backpropagation through time: a window of a few steps sees the
/// losses inside it, and V stands for the losses after its end.
///
/// P solves the discrete algebraic Riccati equation of the dynamics linearised
/// at rest, s′ = As + Ba, with stage cost sᵀQs + r·a² (the infinite-horizon
/// LQR cost of acting well from s). It is found by iterating
/// P ← Q + AᵀPA − AᵀPB (r + BᵀPB)⁻¹ BᵀPA from P = Q until it stops changing.
public struct QuadraticCostToGo: Equatable {
    /// The state size and P (row-major, n × n, symmetric).
    public let n: Int
    public let p: [Double]

    public init(n: Int, p: [Double]) {
        precondition(p.count == n * n, "QuadraticCostToGo: P has \(p.count) entries, expected \(n * n)")
        self.n = n; self.p = p
    }

    /// Solves the Riccati equation for A (n × n, row-major), B (n), Q (n × n) and r > 0.
    public init(a: [Double], b: [Double], q: [Double], r: Double, maxIterations: Int = 100_000) {
        let n = b.count
        precondition(a.count == n * n && q.count == n * n && r > 0, "QuadraticCostToGo: A, B, Q or r do not fit")
        var p = q
        for _ in 0..<maxIterations {
            // K = (r + BᵀPB)⁻¹BᵀPA, then P ← Q + rKᵀK + (A − BK)ᵀP(A − BK) (the same
            // recursion in Joseph's form, which keeps P symmetric and positive: the plain
            // form overflows for the cart-pole, whose BᵀQB is 0).
            var pb = [Double](repeating: 0, count: n)
            for i in 0..<n { for k in 0..<n { pb[i] += p[i * n + k] * b[k] } }
            var bpb = 0.0
            for i in 0..<n { bpb += b[i] * pb[i] }
            var gain = [Double](repeating: 0, count: n)
            for j in 0..<n { for k in 0..<n { gain[j] += pb[k] * a[k * n + j] } }
            for j in 0..<n { gain[j] /= r + bpb }
            var closed = a
            for i in 0..<n { for j in 0..<n { closed[i * n + j] -= b[i] * gain[j] } }
            var pf = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { for k in 0..<n { pf[i * n + j] += p[i * n + k] * closed[k * n + j] } } }
            var next = q
            for i in 0..<n {
                for j in 0..<n {
                    var s = r * gain[i] * gain[j]
                    for k in 0..<n { s += closed[k * n + i] * pf[k * n + j] }
                    next[i * n + j] += s
                }
            }
            // symmetrised against rounding, and the largest change
            var change = 0.0, size = 0.0
            for i in 0..<n {
                for j in 0..<n {
                    let v = 0.5 * (next[i * n + j] + next[j * n + i])
                    change = max(change, abs(v - p[i * n + j]))
                    size = max(size, abs(v))
                    next[i * n + j] = v
                }
            }
            p = next
            if change <= 1e-12 * max(size, 1) { break }
        }
        self.init(n: n, p: p)
    }

    /// w·V: P scaled by `weight`.
    public func scaled(by weight: Double) -> QuadraticCostToGo {
        QuadraticCostToGo(n: n, p: p.map { $0 * weight })
    }

    /// sᵀPs.
    public func value(_ s: [Double]) -> Double {
        var v = 0.0
        for i in 0..<n { for j in 0..<n { v += s[i] * p[i * n + j] * s[j] } }
        return v
    }

    /// ∂V/∂s = 2Ps.
    public func gradient(_ s: [Double]) -> [Double] {
        (0..<n).map { i in 2 * (0..<n).reduce(0.0) { $0 + p[i * n + $1] * s[$1] } }
    }
}

extension QuadraticCostToGo {
    /// The cart-pole's: its dynamics linearised upright and at rest (the force's
    /// straight-through derivative, 10 N per unit of action; upright, the force's
    /// value does not enter A), Q the squares of
    /// the shaped reward's two triangle slopes, diag(1/2.4², 0, 1/θmax², 0)
    /// (`CartPoleSurrogate` near upright, without its cross term), and r = `actionCost`.
    public static func cartPole(actionCost r: Double = 1e-3) -> QuadraticCostToGo {
        let rest = LinearizedStep.at(CartPoleDynamics.self, CartPoleSurrogate.self, state: [0, 0, 0, 0], action: 0)
        var q = [Double](repeating: 0, count: 16)
        q[0] = 1 / (CartPoleDynamics.xThreshold * CartPoleDynamics.xThreshold)
        q[10] = 1 / (CartPoleDynamics.thetaThreshold * CartPoleDynamics.thetaThreshold)
        return QuadraticCostToGo(a: rest.dNextdState, b: rest.dNextdAction, q: q, r: r)
    }
}
