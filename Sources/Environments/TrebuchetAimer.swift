import Autodiff
import Learning

/// Aiming the trebuchet: a network from (wind, target distance) to (release
/// angle, counterweight), trained through the simulator, and direct aim by
/// Gauss–Newton iterations on the simulator itself.
///
/// The network is the seed's 2→16→64→16→2 with sigmoid hidden units.
/// Read-out: angle = sigmoid(o₁)·90°, weight = 200 lb + 100 lb·o₂ (the seed's
/// o₂ + 200 with o₂ rescaled by 100, which only reparametrises the last
/// layer). Inputs are scaled: (wind / 5 m/s, (target − 60 m) / 40 m).
public enum TrebuchetAimer {
    /// Targets ~ U(20, 100) m; wind ~ N(0, 5²) m/s.
    public static let targetRange = (20.0, 100.0)
    public static let windStandardDeviation = 5.0

    public static let layers: [Layer] = Network.mlpLayers([2, 16, 64, 16, 2], hidden: .sigmoid, output: .identity)

    public static func makeNetwork(generator: inout SeededGenerator) -> Network {
        Network(layers: layers, generator: &generator)
    }

    @inlinable
    public static func inputs(wind: Double, target: Double) -> [Double] {
        [wind / 5, (target - 60) / 40]
    }

    /// The network's answer: (angle in degrees, counterweight in lb).
    @inlinable
    public static func decode(_ o: [Double]) -> (angle: Double, weight: Double) {
        let s = o[0] >= 0 ? 1 / (1 + Double.exp(-o[0])) : Double.exp(o[0]) / (1 + Double.exp(o[0]))
        return (90 * s, 200 + 100 * o[1])
    }

    /// The network's aim for one shot.
    @inlinable
    public static func aim(_ network: Network, wind: Double, target: Double) -> (angle: Double, weight: Double) {
        decode(network.predict(inputs(wind: wind, target: target)))
    }

    /// A random training or test case.
    public static func sample(_ g: inout SeededGenerator) -> (wind: Double, target: Double) {
        let w = g.normal(standardDeviation: windStandardDeviation)
        let t = g.uniform(targetRange.0, targetRange.1)
        return (w, t)
    }

    /// Mean |miss| (m) and mean |miss| / target over `count` random shots from `seed`.
    public static func evaluate(_ network: Network, count: Int, seed: UInt64) -> (meanAbsMiss: Double, meanRelativeMiss: Double) {
        var g = SeededGenerator(seed: seed)
        var abs = 0.0, rel = 0.0
        for _ in 0..<count {
            let (w, t) = sample(&g)
            let (a, m) = aim(network, wind: w, target: t)
            let miss = Swift.abs(Trebuchet.shoot(wind: w, angle: a, weight: m) - t)
            abs += miss
            rel += miss / t
        }
        return (abs / Double(count), rel / Double(count))
    }

    /// Trains the aimer by backpropagating the relative squared miss
    /// ((distance − target) / target)² through the simulator (forward mode,
    /// ∂distance/∂(angle, weight)) into the network (its pullback); Adam over
    /// mini-batches.
    public struct Trainer {
        public var network: Network
        public var optimizer: Adam
        public var batchSize: Int
        public var generator: SeededGenerator
        /// Shots simulated so far.
        public var shots = 0

        public init(network: Network, optimizer: Adam, batchSize: Int, generator: SeededGenerator) {
            self.network = network; self.optimizer = optimizer; self.batchSize = batchSize; self.generator = generator
        }

        /// One mini-batch step; returns the batch's mean relative squared miss.
        public mutating func step() -> Double {
            var gradient = [Double](repeating: 0, count: network.parameterCount)
            var loss = 0.0
            var trace = Network.Trace()
            for _ in 0..<batchSize {
                let (w, t) = TrebuchetAimer.sample(&generator)
                let o = network.forward(TrebuchetAimer.inputs(wind: w, target: t), trace: &trace)
                let (a, m) = TrebuchetAimer.decode(o)
                let d = Trebuchet.shoot(wind: Dual2(w), angle: Dual2(a, variable: 0), weight: Dual2(m, variable: 1))
                let r = (d.value - t) / t
                loss += r * r
                let s = a / 90
                let scale = 2 * r / t / Double(batchSize)
                network.backward([scale * d.partial(0) * 90 * s * (1 - s), scale * d.partial(1) * 100],
                                 trace: trace, gradient: &gradient)
            }
            shots += batchSize
            optimizer.update(&network.parameters, gradient: gradient)
            return loss / Double(batchSize)
        }
    }

    /// Direct aim of one shot by damped Gauss–Newton on the simulator:
    /// minimum-norm steps in (angle / 15°, weight / 200 lb) from (45°, 200 lb),
    /// the gradient by forward mode, each step at most 0.3 long in those units
    /// and halved until the miss shrinks. Angle kept in [5°, 85°], weight in
    /// [1, 2000] lb. `iterations` counts simulations.
    public static func directAim(wind: Double, target: Double, tolerance: Double = 1e-4, maxIterations: Int = 60)
        -> (angle: Double, weight: Double, distance: Double, iterations: Int) {
        var a = 45.0, m = 200.0
        var sims = 0
        func shot(_ a: Double, _ m: Double) -> Dual2 {
            sims += 1
            return Trebuchet.shoot(wind: Dual2(wind), angle: Dual2(a, variable: 0), weight: Dual2(m, variable: 1))
        }
        var r = shot(a, m)
        while sims < maxIterations {
            let miss = r.value - target
            if Swift.abs(miss) <= tolerance * target { break }
            let ga = r.partial(0) * 15, gm = r.partial(1) * 200
            let g2 = ga * ga + gm * gm
            if !(g2 > 0) { break }
            var da = -miss * ga / g2, dm = -miss * gm / g2
            let norm = (da * da + dm * dm).squareRoot()
            if norm > 0.3 { da *= 0.3 / norm; dm *= 0.3 / norm }
            var accepted = false
            for _ in 0..<6 where sims < maxIterations {
                let na = Swift.min(Swift.max(a + da * 15, 5), 85)
                let nm = Swift.min(Swift.max(m + dm * 200, 1), 2000)
                let nr = shot(na, nm)
                if Swift.abs(nr.value - target) < Swift.abs(miss) {
                    a = na; m = nm; r = nr; accepted = true
                    break
                }
                da *= 0.5; dm *= 0.5
            }
            if !accepted { break }
        }
        return (a, m, r.value, sims)
    }
}
