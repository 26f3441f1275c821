import Testing
import Foundation
import Control
import Pixels
import Learning

@Suite struct CostToGoTests {
    /// The cart-pole's P solves the Riccati equation, is symmetric, and matches
    /// SciPy's solver: `scipy.linalg.solve_discrete_are(A, B, Q, [[1e-3]])` with
    /// A, B of Gym's Euler step linearised upright (τ = 0.02 s, 10 N per unit of
    /// action) and Q = diag(1/2.4², 0, 1/θmax², 0) gives P₀₀ = 14.306, P₂₂ = 79.65.
    @Test func cartPoleSolvesTheRiccatiEquation() {
        let v = QuadraticCostToGo.cartPole()
        let n = 4, p = v.p
        #expect(abs(p[0] - 14.306) < 2e-3 && abs(p[10] - 79.65) < 1e-2, "P₀₀ \(p[0]), P₂₂ \(p[10])")
        for i in 0..<n { for j in 0..<n { #expect(abs(p[i * n + j] - p[j * n + i]) < 1e-9 * abs(p[i * n + j]) + 1e-12) } }
        // Residual of P = Q + AᵀPA − AᵀPB (r + BᵀPB)⁻¹ BᵀPA.
        let rest = LinearizedStep.at(CartPoleDynamics.self, CartPoleSurrogate.self, state: [0, 0, 0, 0], action: 1e-9)
        let a = rest.dNextdState, b = rest.dNextdAction, r = 1e-3
        var q = [Double](repeating: 0, count: 16)
        q[0] = 1 / (2.4 * 2.4); q[10] = 1 / (CartPoleDynamics.thetaThreshold * CartPoleDynamics.thetaThreshold)
        func mul(_ x: [Double], _ y: [Double]) -> [Double] {
            (0..<n * n).map { e in (0..<n).reduce(0.0) { $0 + x[(e / n) * n + $1] * y[$1 * n + e % n] } }
        }
        let at = (0..<n * n).map { a[($0 % n) * n + $0 / n] }
        let atpa = mul(at, mul(p, a))
        let pb = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + p[i * n + $1] * b[$1] } }
        let atpb = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + a[$1 * n + i] * pb[$1] } }
        let bpb = zip(b, pb).reduce(0.0) { $0 + $1.0 * $1.1 }
        var worst = 0.0
        for i in 0..<n { for j in 0..<n {
            worst = max(worst, abs(q[i * n + j] + atpa[i * n + j] - atpb[i] * atpb[j] / (r + bpb) - p[i * n + j]))
        } }
        #expect(worst < 1e-8 * p[10], "Riccati residual \(worst)")
    }

    /// V and ∂V/∂s agree with central differences, and V is positive away from 0.
    @Test func valueAndGradientAgree() {
        let v = QuadraticCostToGo.cartPole().scaled(by: 0.5)
        let s = [0.4, -0.3, 0.05, 0.2]
        let g = v.gradient(s)
        for i in 0..<4 {
            var sp = s, sm = s
            sp[i] += 1e-6; sm[i] -= 1e-6
            let fd = (v.value(sp) - v.value(sm)) / 2e-6
            #expect(abs(fd - g[i]) < 1e-6 * max(1, abs(g[i])), "∂V/∂s\(i): finite differences \(fd), gradient \(g[i])")
        }
        #expect(v.value(s) > 0 && v.value([0, 0, 0, 0]) == 0)
        #expect(abs(v.value(s) - 0.5 * QuadraticCostToGo.cartPole().value(s)) < 1e-12)
    }
}

private let scenesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenes").path

/// The pixel trainer adds V(last state) to a window's loss and starts its
/// backward sweep from ∂V/∂s (so the gradient changes); an episode that ends
/// inside the window gets neither.
@Test func pixelTrainerAddsTheCostToGoAtTheWindowsEnd() throws {
    let obs = try PixelObservation(problem: .cartpole, directory: scenesDirectory, resolution: 8, samples: 1, threads: 1)
    var g = SeededGenerator(seed: 5)
    let net = Network(layers: CartPolePixels.layers(resolution: 8, frames: 2), generator: &g)
    var trainer = PixelBPTTTrainer<CartPoleDynamics, CartPoleSurrogate>(network: net, optimizer: Adam(), observer: obs, window: 4)
    let start = [0.2, -0.1, 0.02, 0.05]
    let plain = try trainer.rollout(start: start, previous: nil, steps: 4)
    let (plainLoss, plainGradient) = try trainer.lossAndGradient(start: start, steps: 4)
    let v = QuadraticCostToGo.cartPole().scaled(by: 2)
    trainer.costToGo = v
    let (loss, gradient) = try trainer.lossAndGradient(start: start, steps: 4)
    #expect(!plain.terminated)
    #expect(abs(loss - plainLoss - v.value(plain.state)) < 1e-9 * max(1, loss), "loss \(loss), plain \(plainLoss), V \(v.value(plain.state))")
    #expect(zip(gradient, plainGradient).contains { abs($0 - $1) > 1e-9 }, "the cost-to-go did not change the gradient")
    // an episode that ends inside the window: the pole starts past 12°
    let fallen = try trainer.rollout(start: [0, 0, 0.25, 0], previous: nil, steps: 4)
    trainer.costToGo = nil
    let fallenPlain = try trainer.rollout(start: [0, 0, 0.25, 0], previous: nil, steps: 4)
    #expect(fallen.terminated && fallen.loss == fallenPlain.loss)
}
