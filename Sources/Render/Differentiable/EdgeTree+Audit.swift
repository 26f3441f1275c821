import Foundation
import Geometry

extension EdgeTree {
    /// The probability that a walk of the first strategy ends in each leaf,
    /// seen from `plane.p` (0 for interior nodes), found from the root down:
    /// each node passes its branch products to its children. The same numbers
    /// as `uniformProbability(ofLeaf:_:)` climbs to, by another route.
    func leafProbabilities(_ plane: TangentPlane) -> [Double] {
        var out = [Double](repeating: 0, count: nodes.count)
        guard !nodes.isEmpty else { return out }
        var stack = [(node: 0, fromRoot: 1.0, fromShapeRoot: 1.0)]
        while let (k, fromRoot, fromShapeRoot) = stack.popLast() {
            let b = nodes[k].second
            if b < 0 { out[k] = walkProbability(fromRoot: fromRoot, fromShapeRoot: fromShapeRoot); continue }
            let (pa, pb) = branchProbabilities(k, plane) ?? (0, 0)
            // A branch between shapes is not part of either shape's walk: the products from the shape's root start below it.
            for (child, p) in [(k + 1, pa), (b, pb)] {
                let inner = nodes[k].shape >= 0 ? fromShapeRoot * p : 1
                if fromRoot * p > 0 || inner > 0 { stack.append((child, fromRoot * p, inner)) }
            }
        }
        return out
    }
}

/// A check of the edge tree's walk against the density it reports: the first
/// strategy of `chooseSecondaryCurvePoint(tree:…)` (the only one under an
/// environment) at the first surfaces the camera sees through uniform film
/// points, or the light side's walk (`drawFromLights`) from points uniform
/// over the area lights. Each point's exact probabilities of the candidate
/// edges come from the root down (`EdgeTree.leafProbabilities`) times each
/// edge's share of its leaf's weight; the draws' edges are counted against
/// them and their points t along the edge against the uniform density, and
/// the density each draw reports and the climb from its leaf
/// (`EdgeTree.probability(ofEdge:_:weight:)`, what the other end computes)
/// against the same probabilities.
public struct EdgeTreeWalkAudit: Sendable {
    /// Surface points looked from, draws in all.
    public var points: Int, draws: Int
    /// Pearson's χ² of the drawn edges' counts (and of the draws that found no
    /// edge) against draws × their exact probabilities, cells below 5 expected
    /// draws pooled per point, summed over points; and its degrees of freedom.
    public var edgeChiSquare: Double, edgeDegreesOfFreedom: Int
    /// Pearson's χ² of the drawn t in `tBins` equal bins against a uniform t,
    /// over all draws, and over the draws of edges whose probability is below
    /// 10⁻⁴ (the deep, skewed walks; `rareDraws` of them).
    public var tChiSquare: Double, rareTChiSquare: Double, tBins: Int, rareDraws: Int
    /// The largest relative difference between a draw's reported density, or
    /// the climb's probability of its edge, and its edge's exact probability.
    public var largestDensityError: Double
    /// The share of the candidates' weight Σ w (1 + t) in edges the walk never
    /// reaches (probability 0), averaged over points: 0 for an unbiased estimate.
    public var unreachableShare: Double
    /// The mean over points of the exact second moment of w (1 + t) / pdf
    /// relative to the squared exact value (`EdgeTreeAudit`'s ratio; its
    /// variance is this less 1), and the largest.
    public var meanSecondMoment: Double, largestSecondMoment: Double
}

extension Scene where T == Double {
    /// The first surface points the camera sees through `points` uniform film
    /// points (seed `seed`) whose BSDF is not delta-only, each with its
    /// tangent plane and the sampler the film point was drawn from.
    func auditSurfacePoints(points: Int, seed: UInt64) -> [(plane: TangentPlane, sampler: PathSampler)] {
        let tanX = camera.tanHalfFov
        var out = [(plane: TangentPlane, sampler: PathSampler)]()
        for j in 0..<points {
            var sampler = PathSampler(seed: seed, pixel: j, index: 0)
            let fx = sampler.next() * Double(film.width), fy = sampler.next() * Double(film.height)
            guard let si = intersect(camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)) else { continue }
            let bsdf = shapes[si.shape].bsdf
            if deltaOnly[bsdf] { continue }
            out.append((TangentPlane(p: si.p, ng: si.ng, oneSided: isOneSided(bsdf)), sampler))
        }
        return out
    }

    /// `EdgeTreeWalkAudit` over `points` film points with `draws` draws each
    /// (no lights, no analytic outlines: the walk alone), or with `fromLights`
    /// over `points` light points (the light side's walk, weighed by
    /// `lightSideEdgeWeight`); nil when no mesh edge is a candidate from any
    /// of them (or, from the lights, without mesh area lights).
    public func auditEdgeTreeWalk(points: Int, draws: Int, seed: UInt64, tBins: Int = 20,
                                  fromLights: Bool = false) -> EdgeTreeWalkAudit? {
        let edges = meshEdges()
        let tree = EdgeTree(scene: self, edges: edges)
        var viewpoints = [(plane: TangentPlane, sampler: PathSampler)]()
        if fromLights {
            let lights = LightSideTriangles(areaLightTriangles())
            guard lights.total > 0 else { return nil }
            for j in 0..<points {
                var sampler = PathSampler(seed: seed, pixel: j, index: 0)
                let (y, ny) = lights.point(sampler.next(), sampler.next())
                viewpoints.append((lightPlane(y, lightNormal: ny), sampler))
            }
        } else {
            viewpoints = auditSurfacePoints(points: points, seed: seed)
        }
        func weight(_ i: Int, _ plane: TangentPlane) -> Double {
            fromLights ? lightSideEdgeWeight(edges[i], from: plane) : uniformEdgeWeight(i, edges: edges, plane: plane)
        }
        // One draw from the viewpoint: the edge, t along it, and the density reported.
        func draw(_ plane: TangentPlane, _ u: Double) -> (edge: Int, t: Double, pdf: Double)? {
            if fromLights { return tree.walk(plane, u: u) { weight($0, plane) }.map { ($0.edge, $0.rest, $0.probability) } }
            guard let c = chooseSecondaryCurvePoint(tree: tree, p: plane.p, ng: plane.ng, oneSided: plane.oneSided, edges: edges,
                                                    analytic: [], lightTriangles: [], u: u), c.edge >= 0 else { return nil }
            return (c.edge, c.s, c.pdf)
        }
        var audit = EdgeTreeWalkAudit(points: 0, draws: 0, edgeChiSquare: 0, edgeDegreesOfFreedom: 0, tChiSquare: 0,
                                      rareTChiSquare: 0, tBins: tBins, rareDraws: 0, largestDensityError: 0,
                                      unreachableShare: 0, meanSecondMoment: 0, largestSecondMoment: 0)
        var tCounts = [Int](repeating: 0, count: tBins), rareCounts = tCounts
        for (plane, start) in viewpoints {
            var sampler = start
            var weights = [Int: Double](), leafTotal = [Int: Double](), sum = 0.0
            for i in edges.indices {
                let w = weight(i, plane)
                guard w > 0 else { continue }
                weights[i] = w
                sum += w
                if tree.leafOfEdge[i] >= 0 { leafTotal[tree.leafOfEdge[i], default: 0] += w }
            }
            if !(sum > 0) { continue }
            audit.points += 1
            let leafProbability = tree.leafProbabilities(plane)
            var probability = [Int: Double](), unreachable = 0.0, moment = 0.0
            for (i, w) in weights {
                let leaf = tree.leafOfEdge[i]
                let pe = leaf >= 0 ? leafProbability[leaf] * w / leafTotal[leaf]! : 0
                probability[i] = pe
                // ∫ (1 + t)² dt = 7/3, ∫ (1 + t) dt = 3/2.
                if pe > 0 { moment += 7.0 / 3 * w * w / pe } else { unreachable += w }
            }
            moment /= (1.5 * sum) * (1.5 * sum)
            audit.unreachableShare += unreachable / sum
            audit.meanSecondMoment += moment
            audit.largestSecondMoment = max(audit.largestSecondMoment, moment)
            var counts = [Int: Int](), missed = 0
            for _ in 0..<draws {
                guard let c = draw(plane, sampler.next()) else {
                    missed += 1
                    continue
                }
                counts[c.edge, default: 0] += 1
                let pe = probability[c.edge] ?? 0
                let climbed = tree.probability(ofEdge: c.edge, plane) { weight($0, plane) }
                audit.largestDensityError = max(audit.largestDensityError, pe > 0 ? max(abs(c.pdf / pe - 1), abs(climbed / pe - 1)) : .infinity)
                let bin = min(Int(c.t * Double(tBins)), tBins - 1)
                tCounts[bin] += 1
                if pe < 1e-4 { rareCounts[bin] += 1; audit.rareDraws += 1 }
            }
            audit.draws += draws
            // Cells: each edge expecting at least 5 draws, the rest pooled, and the draws that found no edge.
            let n = Double(draws)
            var pooledExpected = n * max(1 - probability.values.reduce(0, +), 0), pooledObserved = missed
            var cells = 0
            for (i, pe) in probability {
                if n * pe >= 5 {
                    let d = Double(counts[i] ?? 0) - n * pe
                    audit.edgeChiSquare += d * d / (n * pe)
                    cells += 1
                } else {
                    pooledExpected += n * pe
                    pooledObserved += counts[i] ?? 0
                }
            }
            if pooledExpected > 0 {
                let d = Double(pooledObserved) - pooledExpected
                audit.edgeChiSquare += d * d / pooledExpected
                cells += 1
            }
            audit.edgeDegreesOfFreedom += cells - 1
        }
        guard audit.points > 0 else { return nil }
        audit.unreachableShare /= Double(audit.points)
        audit.meanSecondMoment /= Double(audit.points)
        func uniformChiSquare(_ counts: [Int]) -> Double {
            let expected = Double(counts.reduce(0, +)) / Double(counts.count)
            return expected > 0 ? counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected } : 0
        }
        audit.tChiSquare = uniformChiSquare(tCounts)
        audit.rareTChiSquare = uniformChiSquare(rareCounts)
        return audit
    }
}

/// A check of the edge tree's density (`chooseSecondaryCurvePoint(tree:…)`)
/// against its own draws, without radiance: at the first surfaces the camera
/// sees through uniform film points, Σ f / pdf over the draws estimates
/// ∫ f over the candidate edges (f = w (1 + t) on each, w its angular length
/// `secondaryEdgeWeight`, t the edge parameter; the arcs of analytic shapes
/// count 0), which a scan of every edge knows exactly (1.5 Σ w). `mean` is the
/// estimate's ratio to the exact value, averaged over all draws (1 in
/// expectation where the density is that of the draws and every candidate is
/// reachable), with its standard error. The weight w keeps the ratios bounded
/// where the tree's importances follow the edges' angular lengths (with f = 1
/// the closest edges' rare draws made the estimate heavy-tailed).
public struct EdgeTreeAudit: Sendable {
    public var mean: Double, error: Double
    /// Surface points looked from, and the candidate edges seen from them in all.
    public var points: Int, candidates: Int
    /// The largest relative difference between a drawn edge point's density
    /// and the density of the same point computed without drawing
    /// (`secondaryEdgeDensity`, what the light side's draws use).
    public var largestDensityError: Double
}

extension Scene where T == Double {
    /// `EdgeTreeAudit` over `points` film points with `draws` draws each; nil
    /// when no mesh edge is a candidate from any of them.
    public func auditEdgeTreeDensity(points: Int, draws: Int, seed: UInt64) -> EdgeTreeAudit? {
        let edges = meshEdges()
        let tree = EdgeTree(scene: self, edges: edges)
        let lights = areaLightTriangles()
        let analytic = analyticShapes.filter { !(shapes[$0].emitter != nil && shapes[$0].isConeSampled) }
        var ratios = [Double](), used = 0, candidates = 0, densityError = 0.0
        for (plane, start) in auditSurfacePoints(points: points, seed: seed) {
            var sampler = start
            var count = 0, sum = 0.0
            for e in edges {
                guard let w = secondaryEdgeWeight(e, from: plane, lightTriangles: [])?.uniform else { continue }
                count += 1
                sum += w
            }
            if !(sum > 0) { continue }
            used += 1
            candidates += count
            let exact = 1.5 * sum
            let choice = treeCurveChoice(tree: tree, p: plane.p, ng: plane.ng, oneSided: plane.oneSided, edges: edges, analytic: analytic,
                                         lightTriangles: lights)
            for _ in 0..<draws {
                var value = 0.0
                let u = sampler.next()
                if let choice, let c = chooseSecondaryCurvePoint(choice, tree: tree, edges: edges, u: u),
                   c.edge >= 0, c.pdf > 0, let w = secondaryEdgeWeight(edges[c.edge], from: plane, lightTriangles: [])?.uniform {
                    value = w * (1 + c.s) / c.pdf
                    let again = secondaryEdgeDensity(choice, tree: tree, edges: edges, edge: c.edge, t: c.s)
                    densityError = max(densityError, abs(again / c.pdf - 1))
                }
                ratios.append(value / exact)
            }
        }
        guard ratios.count > 1 else { return nil }
        let (m, e) = meanAndStandardError(ratios)
        return EdgeTreeAudit(mean: m, error: e, points: used, candidates: candidates, largestDensityError: densityError)
    }
}
