import Testing
import Autodiff
import Learning
import Control

// Expected values below come from Gym's own step equations evaluated in Python
// (CartPole-v1, Pendulum-v1), not from this package.

@Test func cartPoleConstantsAndTrajectoryMatchGym() {
    #expect(CartPoleDynamics.gravity == 9.8 && CartPoleDynamics.cartMass == 1 && CartPoleDynamics.poleMass == 0.1)
    #expect(CartPoleDynamics.length == 0.5 && CartPoleDynamics.forceMagnitude == 10 && CartPoleDynamics.tau == 0.02)
    #expect(CartPoleDynamics.maxSteps == 500 && abs(CartPoleDynamics.thetaThreshold - 0.20943951) < 1e-8)
    var env = CartPole<Double>(state: [0.01, -0.02, 0.03, 0.04])
    let expected: [[Double]] = [
        [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081],
        [0.013093583914951107, -0.020868848948191993, 0.025938625640799837, 0.0591679999394166],
        [0.012676206935987267, 0.1738717748734813, 0.02712198563958817, -0.22521957255967326],
        [0.016153642433456895, 0.36859581150093934, 0.022617594188394704, -0.509225318312219],
        [0.023525558663475683, 0.17316263692575581, 0.012433087822150324, -0.20950152868114708],
    ]
    for (k, action) in [1.0, -1, 1, 1, -1].enumerated() {
        #expect(env.step(action) == 1)
        for i in 0..<4 { #expect(abs(env.state[i] - expected[k][i]) < 1e-14) }
    }
    #expect(!env.isDone)
    var falling = CartPole<Double>(state: [0, 0, 0.2094, 1])
    _ = falling.step(1)
    #expect(falling.isTerminated)
    var wall = CartPole<Double>(state: [2.39, 1, 0, 0])
    _ = wall.step(1)
    #expect(wall.isTerminated)
}

@Test func pendulumMatchesGymWithTheTorqueClamped() {
    var env = Pendulum<Double>(state: [3.0, -0.5])
    let expected: [([Double], Double)] = [
        ([2.991542000302245, -0.16915999395509962], -9.02725),
        ([2.973689808734025, -0.35704383136440176], -8.956185049927841),
        ([2.963604431705099, -0.201707540578523], -8.855619108320138),
        ([2.975158427323505, 0.23107991236812012], -8.791019820814723),
    ]
    for (k, u) in [1.5, -3.0, 0.2, 2.5].enumerated() {
        let r = env.step(u)
        #expect(abs(r - expected[k].1) < 1e-12)
        for i in 0..<2 { #expect(abs(env.state[i] - expected[k].0[i]) < 1e-14) }
    }
    #expect(PendulumDynamics.maxSteps == 200)
    let obs = env.observation
    #expect(abs(obs[0] - cos(env.state[0])) < 1e-15 && abs(obs[2] - env.state[1]) < 1e-15)
    // 40 N·m does no more than 2 N·m, and costs no more.
    #expect(PendulumDynamics.step([1.0, 0.0], action: 40.0) == PendulumDynamics.step([1.0, 0.0], action: 2.0))
    #expect(PendulumDynamics.reward([1.0, 0.0], action: 40.0) == PendulumDynamics.reward([1.0, 0.0], action: 2.0))
}

/// Central finite differences of a function of several variables.
func finiteDifferences(_ f: ([Double]) -> Double, at x: [Double], h: Double = 1e-6) -> [Double] {
    x.indices.map { i in
        var a = x, b = x
        a[i] += h; b[i] -= h
        return (f(a) - f(b)) / (2 * h)
    }
}

@Test func cartPoleDerivativesMatchFiniteDifferences() {
    // Ten steps under a fixed force sequence (the sign itself has no classical derivative).
    let forces = [10.0, -10, 10, 10, -10, 3, -7, 10, -10, 10]
    func rollout<T: Real>(_ s0: [T]) -> T {
        var s = s0
        for f in forces { s = CartPoleDynamics.step(s, force: T(f) + T(0.1) * s[3]) }
        return s[0] * s[0] + T(3) * s[2] + s[1] * s[3]
    }
    let x = [0.02, -0.3, 0.05, 0.4]
    let forward = jacobian(at: x) { [rollout($0)] }[0]
    let reverse = gradient(at: x) { rollout($0) }
    let fd = finiteDifferences({ rollout($0) }, at: x)
    for i in 0..<4 {
        #expect(abs(forward[i] - fd[i]) < 1e-6 * max(1, abs(fd[i])))
        #expect(abs(forward[i] - reverse[i]) < 1e-12 * max(1, abs(fd[i])))
    }
    // The straight-through force: forward value ±10 N, derivative 10 N per unit action.
    let f = CartPoleDynamics.force(Dual2(-0.3, variable: 0))
    #expect(f.value == -10 && f.partial(0) == 10)
}

@Test func pendulumDerivativesMatchFiniteDifferences() {
    func rollout<T: Real>(_ p: [T]) -> T {
        var s = [p[0], p[1]]
        var total = T(0)
        for k in 0..<30 {
            let u = T(1.5) * tanh(p[2] * s[0] + p[3] * s[1] + T(0.1 * Double(k % 3)))
            total += PendulumDynamics.reward(s, action: u)
            s = PendulumDynamics.step(s, action: u)
        }
        return total
    }
    let x = [2.0, 0.3, -1.1, -0.4]
    let forward = jacobian(at: x) { [rollout($0)] }[0]
    let reverse = gradient(at: x) { rollout($0) }
    let fd = finiteDifferences({ rollout($0) }, at: x)
    for i in 0..<4 {
        #expect(abs(forward[i] - fd[i]) < 1e-5 * max(1, abs(fd[i])), "∂/∂x\(i): \(forward[i]) vs \(fd[i])")
        #expect(abs(forward[i] - reverse[i]) < 1e-10 * max(1, abs(fd[i])))
    }
}

@Test func trebuchetMatchesTheSeedAndTheIndependentPort() {
    let g = gradient(at: -2.0, 45.0, 200.0) { w, a, m in Trebuchet.shoot(wind: w, angle: a, weight: m) }
    // The seed: (4.02, −0.99, 0.051); the port: (4.03, −0.986, 0.057) at ≈ 74.7 m.
    #expect(abs(g.0 - 4.02) < 0.1 * 4.02)
    #expect(abs(g.1 + 0.99) < 0.1 * 0.99)
    #expect(abs(g.2 - 0.057) < 0.05 * 0.057)
    #expect(abs(Trebuchet.shoot(wind: -2.0, angle: 45.0, weight: 200.0) - 74.7) < 0.1)
    for (w, d) in [(100.0, 70.9), (150, 78.8), (200, 82.8), (250, 85.7), (300, 88.7)] {
        let mine = Trebuchet.shoot(wind: 0.0, angle: 45.0, weight: w)
        #expect(abs(mine - d) < 0.01 * d, "\(w) lb: \(mine) m vs \(d) m")
    }
}

@Test func trebuchetDerivativesMatchFiniteDifferences() {
    for x in [[-2.0, 45.0, 200.0], [5.0, 30.0, 120.0], [0.0, 60.0, 350.0]] {
        let d = Trebuchet.shoot(wind: Dual4(x[0], variable: 0), angle: Dual4(x[1], variable: 1), weight: Dual4(x[2], variable: 2))
        let fd = finiteDifferences({ Trebuchet.shoot(wind: $0[0], angle: $0[1], weight: $0[2]) }, at: x, h: 1e-5)
        for i in 0..<3 { #expect(abs(d.partial(i) - fd[i]) < 1e-4 * max(1, abs(fd[i])), "at \(x), ∂\(i): \(d.partial(i)) vs \(fd[i])") }
    }
}
