import Cluster
import Autodiff
import Learning

/// Aiming the trebuchet: a network from (wind, target distance) to (release
/// angle, counterweight), trained through the simulator, direct aim by
/// Gauss–Newton iterations on the simulator itself, and the reachability of a
/// target (what even a perfect aimer can do).
///
/// The network: 2→64→64→64→2 with tanh hidden units. Read-out:
/// angle = 90°·sigmoid(o₁), weight = 1 lb + 574 lb·sigmoid(o₂ + c), so the
/// counterweight always stays in `weightRange` (above ≈ 575 lb the seed's
/// Euler-at-1/60 s model misbehaves: distances jump around and go negative).
/// The constant c = logit((500 − 1) / 574) starts the weight at 500 lb, on the
/// far hump of distance(weight) (distance is not monotone in the weight: at
/// wind 0 the longest shots are 92.8 m at 250 lb, 97.5 m at 325 lb, 81.6 m at
/// 400 lb, 102.8 m at 500 lb), so the far targets are not left on the lower
/// hump; it is a fixed offset of the second output's bias.
/// Inputs are scaled: (wind / 5 m/s, (target − 60 m) / 40 m).
public enum TrebuchetAimer {
    /// Targets ~ U(20, 100) m; wind ~ N(0, 5²) m/s.
    public static let targetRange = (20.0, 100.0)
    public static let windStandardDeviation = 5.0
    /// The sane aiming box: release angle (degrees) and counterweight (lb).
    /// Reachability is judged inside it; the network's weight stays inside it.
    public static let angleRange = (5.0, 85.0)
    public static let weightRange = (1.0, 575.0)
    /// A shot "hits" when |distance − target| ≤ `hitTolerance`·target.
    public static let hitTolerance = 1e-4

    public static let layers: [Layer] = Network.mlpLayers([2, 64, 64, 64, 2], hidden: .tanh, output: .identity)

    public static func makeNetwork(generator: inout SeededGenerator) -> Network {
        Network(layers: layers, generator: &generator)
    }

    @inlinable
    public static func inputs(wind: Double, target: Double) -> [Double] {
        [wind / 5, (target - 60) / 40]
    }

    /// The weight read-out's offset c (see above): zero outputs aim at 45° with 500 lb.
    public static let weightOffset: Double = {
        let q = (TrebuchetTask.hyperparameters.initialWeight - weightRange.0) / (weightRange.1 - weightRange.0)
        return Double.log(q / (1 - q))
    }()

    @inlinable
    static func logistic(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + Double.exp(-x)) : Double.exp(x) / (1 + Double.exp(x))
    }

    /// The network's answer: (angle in degrees, counterweight in lb).
    @inlinable
    public static func decode(_ o: [Double]) -> (angle: Double, weight: Double) {
        (90 * logistic(o[0]), weightRange.0 + (weightRange.1 - weightRange.0) * logistic(o[1] + weightOffset))
    }

    /// ∂(angle, weight)/∂(o₁, o₂) of `decode` (each output depends on one input).
    @inlinable
    public static func decodeDerivative(_ o: [Double]) -> (angle: Double, weight: Double) {
        let s = logistic(o[0]), q = logistic(o[1] + weightOffset)
        return (90 * s * (1 - s), (weightRange.1 - weightRange.0) * q * (1 - q))
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
        let r = evaluate(count: count, seed: seed, reachability: false) { w, t in aim(network, wind: w, target: t) }
        return (r.meanAbsMiss, r.meanRelativeMiss)
    }

    /// The figures of `diffray eval trebuchet`.
    public struct Evaluation: Sendable {
        public var count = 0
        public var meanAbsMiss = 0.0
        public var meanRelativeMiss = 0.0
        /// With reachability: the fraction of targets `reachability(wind:target:)` calls reachable.
        public var reachableFraction = Double.nan
        /// The mean relative miss over the reachable targets only.
        public var meanRelativeMissReachable = Double.nan
        /// The best achievable mean relative miss over all targets (a perfect aimer's):
        /// the mean of `Reachability.bestRelativeMiss`.
        public var bestPossibleMeanRelativeMiss = Double.nan
        /// With reachability: the fraction of verdicts an independent check confirms
        /// (`verdictIsRight`).
        public var verdictAccuracy = Double.nan
        public init() {}
    }

    /// Evaluates an aimer (any function from (wind, target) to (angle, weight))
    /// over `count` random targets from `seed` (the same targets for every aimer
    /// and every call with that seed); with `reachability`, also the reachable
    /// fraction, the reachable-only mean and the floor.
    public static func evaluate(count: Int, seed: UInt64, reachability: Bool,
                                aimer: (_ wind: Double, _ target: Double) throws -> (angle: Double, weight: Double)) rethrows -> Evaluation {
        try evaluate(count: count, seed: seed, reachability: reachability) { _, w, t in try aimer(w, t) }
    }

    /// `evaluate(count:seed:reachability:aimer:)` with the shot's index given to
    /// `aimer`, the shots spread over `communicator`'s processes (every process
    /// draws every situation; the sums run in shot order, so the figures do not
    /// depend on the number of processes).
    public static func evaluate(count: Int, seed: UInt64, reachability: Bool, communicator: Communicator = .local,
                                aimer: (_ index: Int, _ wind: Double, _ target: Double) throws -> (angle: Double, weight: Double))
        rethrows -> Evaluation {
        var g = SeededGenerator(seed: seed)
        let situations = (0..<count).map { _ in sample(&g) }
        let shards = WorkShards(count: count, over: communicator)
        // Per shot: the miss, the relative miss, whether it was reachable, the best relative miss possible,
        // whether the reachability verdict was confirmed.
        let mine = try shards.owned.map { k -> [Double] in
            let (w, t) = situations[k]
            let (a, m) = try aimer(k, w, t)
            let miss = Swift.abs(Trebuchet.shoot(wind: w, angle: a, weight: m) - t)
            guard reachability else { return [miss, miss / t, 0, 0, 0] }
            let r = self.reachability(wind: w, target: t)
            return [miss, miss / t, r.reachable ? 1 : 0, r.bestRelativeMiss, verdictIsRight(r, wind: w, target: t) ? 1 : 0]
        }
        var e = Evaluation()
        e.count = count
        var abs = 0.0, rel = 0.0, relReach = 0.0, reachCount = 0, floor = 0.0, right = 0
        for shot in shards.allGather(mine) {
            abs += shot[0]
            rel += shot[1]
            if reachability {
                if shot[2] == 1 { reachCount += 1; relReach += shot[1] }
                floor += shot[3]
                right += Int(shot[4])
            }
        }
        let n = Double(count)
        e.meanAbsMiss = abs / n
        e.meanRelativeMiss = rel / n
        if reachability {
            e.reachableFraction = Double(reachCount) / n
            e.meanRelativeMissReachable = reachCount > 0 ? relReach / Double(reachCount) : .nan
            e.bestPossibleMeanRelativeMiss = floor / n
            e.verdictAccuracy = Double(right) / n
        }
        return e
    }

    /// The loss of one shot: the Huber function of the relative miss
    /// r = (distance − target) / target with threshold `delta` (quadratic
    /// below, linear above: a target out of reach pulls with a bounded force
    /// towards the longest shot instead of dominating the batch).
    @inlinable
    public static func huber(_ r: Double, delta: Double) -> (loss: Double, derivative: Double) {
        Swift.abs(r) <= delta ? (0.5 * r * r, r) : (delta * (Swift.abs(r) - 0.5 * delta), r > 0 ? delta : -delta)
    }

    /// Trains the aimer by backpropagating `huber(relative miss)` through the
    /// simulator (forward mode, ∂distance/∂(angle, weight)) into the network
    /// (its pullback); Adam over mini-batches.
    public struct Trainer {
        public var network: Network
        public var optimizer: Adam
        public var batchSize: Int
        public var generator: SeededGenerator
        /// The Huber threshold on the relative miss.
        public var delta: Double
        /// From `after` shots on, batches of `to` shots instead of `batchSize` (nil: never).
        public var batchGrowth: (after: Int, to: Int)? = (TrebuchetTask.hyperparameters.grownBatchAfter, TrebuchetTask.hyperparameters.grownBatchSize)
        /// Shots simulated so far.
        public var shots = 0
        /// The processes a batch's shots are spread over.
        public var communicator = Communicator.local

        public init(network: Network, optimizer: Adam, batchSize: Int, generator: SeededGenerator,
                    delta: Double = TrebuchetTask.hyperparameters.huberDelta) {
            self.network = network; self.optimizer = optimizer; self.batchSize = batchSize; self.generator = generator
            self.delta = delta
        }

        /// The size of the next batch.
        public var currentBatchSize: Int {
            if let g = batchGrowth, shots >= g.after { return g.to }
            return batchSize
        }

        /// One mini-batch step; returns the batch's mean loss. Every process
        /// draws every shot's situation (the generator stays in step) and
        /// simulates its shards of the batch; the per-shot gradients are summed
        /// in shot order (`WorkShards`), so the weights do not depend on the
        /// number of processes.
        public mutating func step() -> Double {
            let batchSize = currentBatchSize
            let situations = (0..<batchSize).map { _ in TrebuchetAimer.sample(&generator) }
            let shards = WorkShards(count: batchSize, over: communicator, layout: .blocks)
            var trace = Network.Trace()
            let mine = shards.owned.map { k -> [Double] in
                let (w, t) = situations[k]
                var gradient = [Double](repeating: 0, count: network.parameterCount)
                let o = network.forward(TrebuchetAimer.inputs(wind: w, target: t), trace: &trace)
                let (a, m) = TrebuchetAimer.decode(o)
                let (da, dm) = TrebuchetAimer.decodeDerivative(o)
                let d = Trebuchet.shoot(wind: Dual2(w), angle: Dual2(a, variable: 0), weight: Dual2(m, variable: 1))
                let h = TrebuchetAimer.huber((d.value - t) / t, delta: delta)
                let scale = h.derivative / t / Double(batchSize)
                _ = network.backward([scale * d.partial(0) * da, scale * d.partial(1) * dm], trace: trace, gradient: &gradient)
                return gradient + [h.loss]
            }
            var gradient = shards.sumInShardOrder(mine, length: network.parameterCount + 1)
            let loss = gradient.removeLast()
            shots += batchSize
            optimizer.update(&network.parameters, gradient: gradient)
            return loss / Double(batchSize)
        }
    }

    /// Direct aim of one shot by damped Gauss–Newton on the simulator:
    /// minimum-norm steps in (angle / 15°, weight / 200 lb) from (45°, 200 lb),
    /// the gradient by forward mode, each step at most 0.3 long in those units
    /// and halved until the miss shrinks. Angle kept in [5°, 85°], weight in
    /// [1, `maxWeight`] lb (default 2000). `iterations` counts simulations.
    public static func directAim(wind: Double, target: Double, tolerance: Double = 1e-4, maxIterations: Int = 60,
                                 start: (angle: Double, weight: Double) = (45, 200), maxWeight: Double = 2000)
        -> (angle: Double, weight: Double, distance: Double, iterations: Int) {
        var a = start.angle, m = start.weight
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
                let nm = Swift.min(Swift.max(m + dm * 200, 1), maxWeight)
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

    /// Whether a target can be hit from inside the sane box (`angleRange` ×
    /// `weightRange`), and the best relative miss a perfect aimer gets.
    public struct Reachability: Sendable {
        /// A shot in the box was found that lands within `hitTolerance`·target.
        public var reachable: Bool
        /// That shot (reachable), or the longest shot found (out of reach).
        public var angle: Double
        public var weight: Double
        public var distance: Double
        /// 0 when reachable; otherwise (target − longest distance in the box) / target.
        public var bestRelativeMiss: Double
    }

    /// The starts of the multi-start Gauss–Newton search of `reachability`.
    public static let reachabilityStarts: [(angle: Double, weight: Double)] = [(45, 200), (30, 500), (35, 320), (60, 100)]

    /// Reachability of `target` at `wind`, decided constructively and
    /// deterministically: (1) `directAim` restricted to the box from each of
    /// `reachabilityStarts` in turn; a hit within `hitTolerance` means reachable.
    /// (2) Otherwise the longest shot in the box (`longestShot`); if it reaches
    /// past the target, bisection on the straight segment from (85°, 1 lb)
    /// (a shot of a few metres) to it finds the hit (the distance is continuous);
    /// if it falls short, the target is out of reach and the best relative miss
    /// is the shortfall. The longest shot is found by a grid search with local
    /// refinement, so the floor it gives is an upper bound of the true floor
    /// (a higher peak between grid points would lower it).
    public static func reachability(wind: Double, target: Double) -> Reachability {
        for s in reachabilityStarts {
            let r = directAim(wind: wind, target: target, tolerance: hitTolerance, start: s, maxWeight: weightRange.1)
            if Swift.abs(r.distance - target) <= hitTolerance * target {
                return Reachability(reachable: true, angle: r.angle, weight: r.weight, distance: r.distance, bestRelativeMiss: 0)
            }
        }
        let far = longestShot(wind: wind)
        if far.distance >= target {
            let a0 = angleRange.1, m0 = weightRange.0
            var lo = 0.0, hi = 1.0
            for _ in 0..<80 {
                let f = (lo + hi) / 2
                let a = a0 + f * (far.angle - a0), m = m0 + f * (far.weight - m0)
                let d = Trebuchet.shoot(wind: wind, angle: a, weight: m)
                if Swift.abs(d - target) <= hitTolerance * target {
                    return Reachability(reachable: true, angle: a, weight: m, distance: d, bestRelativeMiss: 0)
                }
                if d < target { lo = f } else { hi = f }
            }
            // not found (a discontinuity on the segment): counted out of reach with no shortfall
            return Reachability(reachable: false, angle: far.angle, weight: far.weight, distance: far.distance, bestRelativeMiss: 0)
        }
        return Reachability(reachable: false, angle: far.angle, weight: far.weight, distance: far.distance,
                            bestRelativeMiss: (target - far.distance) / target)
    }

    /// Whether an independent check confirms a `reachability` verdict. Reachable:
    /// the verdict's own settings, shot again, lie in the box and land within
    /// `hitTolerance`. Out of reach: no shot on a grid over the box 0.5° × 2.87 lb
    /// apart (161 × 201 shots, finer than `longestShot`'s and without its
    /// refinement) reaches the target (within `hitTolerance`).
    public static func verdictIsRight(_ r: Reachability, wind: Double, target: Double) -> Bool {
        if r.reachable {
            let inside = r.angle >= angleRange.0 && r.angle <= angleRange.1 && r.weight >= weightRange.0 && r.weight <= weightRange.1
            return inside && Swift.abs(Trebuchet.shoot(wind: wind, angle: r.angle, weight: r.weight) - target) <= hitTolerance * target
        }
        for i in 0...160 {
            let a = angleRange.0 + (angleRange.1 - angleRange.0) * Double(i) / 160
            for j in 0...200 {
                let m = weightRange.0 + (weightRange.1 - weightRange.0) * Double(j) / 200
                if Trebuchet.shoot(wind: wind, angle: a, weight: m) >= target * (1 - hitTolerance) { return false }
            }
        }
        return true
    }

    /// The longest shot inside the box at `wind`: a grid of 17 angles (5° apart)
    /// × 51 weights (11.48 lb apart), then projected gradient ascent (forward-mode
    /// gradient, steps in (angle / 15°, weight / 200 lb), grown ×1.5 on success and
    /// halved on failure, 40 iterations) from the 4 best grid points.
    public static func longestShot(wind: Double) -> (distance: Double, angle: Double, weight: Double) {
        var grid = [(distance: Double, angle: Double, weight: Double)]()
        for i in 0...16 {
            let a = angleRange.0 + 5 * Double(i)
            for j in 0...50 {
                let m = weightRange.0 + (weightRange.1 - weightRange.0) * Double(j) / 50
                grid.append((Trebuchet.shoot(wind: wind, angle: a, weight: m), a, m))
            }
        }
        grid.sort { $0.distance > $1.distance }
        var best = grid[0]
        for c in grid.prefix(4) {
            var (d, a, m) = c
            var step = 0.2
            for _ in 0..<40 {
                let r = Trebuchet.shoot(wind: Dual2(wind), angle: Dual2(a, variable: 0), weight: Dual2(m, variable: 1))
                let ga = r.partial(0) * 15, gm = r.partial(1) * 200
                let n = (ga * ga + gm * gm).squareRoot()
                if !(n > 0) { break }
                let na = Swift.min(Swift.max(a + step * ga / n * 15, angleRange.0), angleRange.1)
                let nm = Swift.min(Swift.max(m + step * gm / n * 200, weightRange.0), weightRange.1)
                let nd = Trebuchet.shoot(wind: wind, angle: na, weight: nm)
                if nd > d { a = na; m = nm; d = nd; step *= 1.5 } else { step *= 0.5; if step < 1e-5 { break } }
            }
            if d > best.distance { best = (d, a, m) }
        }
        return best
    }
}
