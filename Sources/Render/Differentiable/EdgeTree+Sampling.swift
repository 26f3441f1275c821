import Foundation
import Geometry

extension EdgeTree {
    /// The importance of node `k` as seen from `plane.p`, for each strategy of
    /// `chooseSecondaryCurvePoint`: the node's edge length over the squared
    /// distance from p to its box's centre (at least the box's half-diagonal
    /// squared: pbrt-v4's bound), and that again where some light cone
    /// (`LightCone`) meets the cone of directions from p that holds the box, else 0.
    /// Both are 0 where no edge below can be a candidate: the box lies wholly
    /// behind the one-sided tangent plane, or every direction from the box to p
    /// makes an angle on the same side of 90° with every normal in the node's
    /// cone (all faces below look towards p, or all away: no silhouette), with
    /// 10⁻⁶ rad to spare. Never 0 for a node holding a candidate edge, so every
    /// candidate keeps a positive probability.
    func importance(_ k: Int, _ plane: TangentPlane, cones: [LightCone]) -> (uniform: Double, guided: Double) {
        let n = nodes[k]
        let p = plane.p
        if plane.oneSided {
            let ng = plane.ng
            let corner = Vec3(ng.x > 0 ? n.hi.x : n.lo.x, ng.y > 0 ? n.hi.y : n.lo.y, ng.z > 0 ? n.hi.z : n.lo.z)
            if !(dot(corner - p, ng) > 0) { return (0, 0) }
        }
        let d = (n.lo + n.hi) * 0.5 - p
        let r = (n.hi - n.lo).length * 0.5
        let dist2 = d.lengthSquared, dist = dist2.squareRoot()
        // The half-angle of the cone of directions from p holding the box's bounding sphere.
        let boxAngle = dist > r ? asin(r / dist) : Double.pi
        let slack = 1e-6
        if !n.always && n.cosSpread > -1 && boxAngle < .pi {
            let spread = acos(min(n.cosSpread, 1))
            let toP = acos(min(max(-dot(n.axis, d) / dist, -1), 1))
            if toP - spread - boxAngle > .pi / 2 + slack || toP + spread + boxAngle < .pi / 2 - slack { return (0, 0) }
        }
        let uniform = n.length / max(dist2, r * r, 1e-300)
        if cones.isEmpty { return (uniform, 0) }
        if boxAngle >= .pi { return (uniform, uniform) }
        let dir = d / dist
        for cone in cones where acos(min(max(dot(dir, cone.axis), -1), 1)) <= boxAngle + cone.halfAngle + slack {
            return (uniform, uniform)
        }
        return (uniform, 0)
    }
}

extension Scene where T == Double {
    /// `chooseSecondaryCurvePoint` through an edge tree: the same two
    /// strategies (with probability α a piece by its angular length and a point
    /// uniform along it; with 1 − α a piece by the angular length of its parts
    /// behind which an area light lies, a point uniform over those parts;
    /// α = ½ when some light may lie behind some piece, else 1) and the same
    /// combined density, the mesh edges reached by walking `tree` from the root
    /// in O(log E) rather than by a scan.
    ///
    /// Within each strategy the arcs of analytic outlines (few, kept in a flat
    /// list as `secondaryCurveChoice` weighs them) and the tree are one more
    /// choice, in proportion to the arcs' total weight and the root's
    /// importance (`EdgeTree.importance`). At each node a child is chosen in
    /// proportion to its importance for the strategy drawn; at a leaf an edge by
    /// its exact weight (`secondaryEdgeWeight`). The density of the chosen edge
    /// under each strategy is the product of that strategy's branch
    /// probabilities along the path taken times its share in the leaf, so the
    /// combined density is exact: the estimate stays unbiased, as every
    /// candidate lies in a node of positive importance. The choices and the
    /// point follow from `u` (the remainder within each share), as the flat
    /// scan's do. nil when nothing is in view or a guided walk ends in a leaf
    /// whose edges hide no light (the sample is lost, the density stays exact).
    func chooseSecondaryCurvePoint(tree: EdgeTree, p: Vec3, ng: Vec3, oneSided: Bool, edges: [MeshEdge], analytic: [Int],
                                   lightTriangles: [(Vec3, Vec3, Vec3)], u: Double) -> SecondaryCurvePoint? {
        let plane = TangentPlane(p: p, ng: ng, oneSided: oneSided)
        let cones = lightTriangles.isEmpty ? [] : LightCone.cones(from: p, lights: lightTriangles)
        let arcs = analytic.isEmpty ? nil : secondaryCurveChoice(p: p, ng: ng, oneSided: oneSided, edges: [], analytic: analytic,
                                                                lightTriangles: lightTriangles)
        let root = tree.nodes.isEmpty ? (uniform: 0.0, guided: 0.0) : tree.importance(0, plane, cones: cones)
        let arcsU = arcs?.totalU ?? 0, arcsG = arcs?.totalG ?? 0
        if !(arcsU + root.uniform > 0) { return nil }
        let alpha = arcsG + root.guided > 0 ? 0.5 : 1
        // The arcs' share within each strategy.
        let shareU = arcsU / (arcsU + root.uniform)
        let shareG = arcsG + root.guided > 0 ? arcsG / (arcsG + root.guided) : 0
        let guided = u >= alpha
        var v = guided ? min((u - alpha) / (1 - alpha), 1) : min(u / alpha, 1)
        let share = guided ? shareG : shareU
        if let arcs, v < share {
            let (k, rest) = pick(guided ? arcs.guided : arcs.uniform, v / share * (guided ? arcsG : arcsU))
            if arcs.uniform[k] == 0 { return nil }
            let t: Double
            if guided {
                guard arcs.guided[k] > 0, let li = arcs.intervals[k] else { return nil }
                t = li.sampleInside(min(max(rest / arcs.guided[k], 0), 1))
            } else {
                t = min(max(rest / arcs.uniform[k], 0), 1)
            }
            var pdf = alpha * shareU * arcs.uniform[k] / arcsU
            if let li = arcs.intervals[k], li.contains(t) { pdf += (1 - alpha) * shareG * arcs.uniform[k] / arcsG }
            return curvePoint(arcs, piece: k, t: t, edges: [], p: p, pdf: pdf)
        }
        if share > 0 { v = min(max((v - share) / (1 - share), 0), 1) }
        // Down the tree, keeping both strategies' probabilities of the path taken.
        var node = 0, probU = 1.0, probG = 1.0
        while tree.nodes[node].second >= 0 {
            let a = node + 1, b = tree.nodes[node].second
            let ia = tree.importance(a, plane, cones: cones), ib = tree.importance(b, plane, cones: cones)
            let wa = guided ? ia.guided : ia.uniform, wb = guided ? ib.guided : ib.uniform
            let total = wa + wb
            if !(total > 0) { return nil }
            let first = wb == 0 || (wa > 0 && v * total < wa)
            v = first ? v * total / wa : (v * total - wa) / wb
            v = min(max(v, 0), 1)
            let su = ia.uniform + ib.uniform, sg = ia.guided + ib.guided
            probU *= su > 0 ? (first ? ia.uniform : ib.uniform) / su : 0
            probG *= sg > 0 ? (first ? ia.guided : ib.guided) / sg : 0
            node = first ? a : b
        }
        // The leaf: its edges by their exact weights.
        let leaf = tree.nodes[node]
        var weights = [(uniform: Double, intervals: EdgeLightIntervals?)]()
        weights.reserveCapacity(leaf.count)
        var totalU = 0.0, totalG = 0.0
        for j in leaf.start..<leaf.start + leaf.count {
            let w = secondaryEdgeWeight(edges[tree.order[j]], from: plane, lightTriangles: lightTriangles) ?? (0, nil)
            weights.append(w)
            totalU += w.uniform
            totalG += w.uniform * (w.intervals?.length ?? 0)
        }
        let total = guided ? totalG : totalU
        if !(total > 0) { return nil }
        var k = 0, acc = 0.0
        func weight(_ i: Int) -> Double { guided ? weights[i].uniform * (weights[i].intervals?.length ?? 0) : weights[i].uniform }
        let target = v * total
        while k < weights.count - 1 && (weight(k) == 0 || acc + weight(k) <= target) { acc += weight(k); k += 1 }
        let w = weights[k]
        if !(weight(k) > 0) { return nil }
        let t: Double
        if guided, let li = w.intervals {
            t = li.sampleInside(min(max((target - acc) / weight(k), 0), 1))
        } else {
            t = min(max((target - acc) / w.uniform, 0), 1)
        }
        var pdf = alpha * (1 - shareU) * probU * w.uniform / totalU
        if let li = w.intervals, totalG > 0, li.contains(t) { pdf += (1 - alpha) * (1 - shareG) * probG * w.uniform / totalG }
        let i = tree.order[leaf.start + k]
        let e = edges[i]
        let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
        return SecondaryCurvePoint(edge: i, shape: e.shape, s: t, point: a + (b - a) * t, tangent: b - a, pdf: pdf)
    }
}

/// A check of the edge tree's density (`chooseSecondaryCurvePoint(tree:…)`)
/// against its own draws, without radiance: at the first surfaces the camera
/// sees through uniform film points, Σ f / pdf over the draws estimates
/// ∫ f over the candidate edges (f = 1 + t on each, t the edge parameter;
/// the arcs of analytic shapes count 0), which a scan of every edge knows
/// exactly (1.5 per candidate). `mean` is the estimate's ratio to the exact
/// value, averaged over all draws (1 in expectation where the density is that
/// of the draws and every candidate is reachable), with its standard error.
public struct EdgeTreeAudit: Sendable {
    public var mean: Double, error: Double
    /// Surface points looked from, and the candidate edges seen from them in all.
    public var points: Int, candidates: Int
}

extension Scene where T == Double {
    /// `EdgeTreeAudit` over `points` film points with `draws` draws each; nil
    /// when no mesh edge is a candidate from any of them.
    public func auditEdgeTreeDensity(points: Int, draws: Int, seed: UInt64) -> EdgeTreeAudit? {
        let edges = meshEdges()
        let tree = EdgeTree(scene: self, edges: edges)
        let lights = areaLightTriangles()
        let analytic = analyticShapes.filter { !(shapes[$0].emitter != nil && shapes[$0].isConeSampled) }
        let tanX = camera.tanHalfFov
        var ratios = [Double](), used = 0, candidates = 0
        for j in 0..<points {
            var sampler = PathSampler(seed: seed, pixel: j, index: 0)
            let fx = sampler.next() * Double(film.width), fy = sampler.next() * Double(film.height)
            guard let si = intersect(camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)) else { continue }
            let bsdf = bsdfs[shapes[si.shape].bsdf]
            if bsdf.isDeltaOnly { continue }
            let plane = TangentPlane(p: si.p, ng: si.ng, oneSided: isOneSided(bsdf))
            let count = edges.reduce(0) { $0 + (secondaryEdgeWeight($1, from: plane, lightTriangles: []) == nil ? 0 : 1) }
            if count == 0 { continue }
            used += 1
            candidates += count
            let exact = 1.5 * Double(count)
            for _ in 0..<draws {
                var value = 0.0
                if let c = chooseSecondaryCurvePoint(tree: tree, p: si.p, ng: si.ng, oneSided: plane.oneSided, edges: edges,
                                                     analytic: analytic, lightTriangles: lights, u: sampler.next()),
                   c.edge >= 0, c.pdf > 0 {
                    value = (1 + c.s) / c.pdf
                }
                ratios.append(value / exact)
            }
        }
        guard ratios.count > 1 else { return nil }
        let (m, e) = meanAndStandardError(ratios)
        return EdgeTreeAudit(mean: m, error: e, points: used, candidates: candidates)
    }
}
