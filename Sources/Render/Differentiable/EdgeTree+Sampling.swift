import Foundation
import Geometry

extension EdgeTree {
    /// The importance of node `k` as seen from `plane.p`, for each strategy of
    /// `chooseSecondaryCurvePoint`: the node's edge length over the squared
    /// distance from p to its box's centre (at least the box's half-diagonal
    /// squared: pbrt-v4's bound), and that times the share of the box's angular
    /// diameter (as seen from p) that the lights' cones (`LightCone`) cover,
    /// positive exactly where some light's cone meets the cone of directions
    /// holding the box (`forEachEdgeThatMayHideALight` visits those nodes).
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
        // The share of the box's angular diameter that lies within the lights' cones.
        let dir = d / dist
        var share = 0.0
        for cone in cones {
            let overlap = boxAngle + cone.halfAngle + slack - acos(min(max(dot(dir, cone.axis), -1), 1))
            if overlap > 0 { share += boxAngle > 0 ? min(overlap, 2 * cone.halfAngle, 2 * boxAngle) / (2 * boxAngle) : 1 }
        }
        return (uniform, uniform * min(share, 1))
    }
}

extension EdgeTree {
    /// The probability that a walk from the root by the first strategy's
    /// importances (`importance(_:_:cones:)`'s `uniform`) ends in leaf `leaf`, seen from `plane.p`.
    func uniformProbability(ofLeaf leaf: Int, _ plane: TangentPlane) -> Double {
        var k = leaf, probability = 1.0
        while parent[k] >= 0 {
            let up = parent[k], a = up + 1, b = nodes[up].second
            let ia = importance(a, plane, cones: []).uniform, ib = importance(b, plane, cones: []).uniform
            if !(ia + ib > 0) { return 0 }
            probability *= (k == a ? ia : ib) / (ia + ib)
            k = up
        }
        return probability
    }

    /// Calls `body` with each edge (an index into the pass's edges) of every
    /// leaf that a light may lie behind as seen from `plane.p` (a positive
    /// guided importance down the whole path): a superset of the edges whose
    /// `EdgeLightIntervals` are not empty, found without visiting the others.
    func forEachEdgeThatMayHideALight(_ plane: TangentPlane, cones: [LightCone], _ body: (Int) -> Void) {
        guard !nodes.isEmpty, !cones.isEmpty else { return }
        var stack = [0]
        while let k = stack.popLast() {
            guard importance(k, plane, cones: cones).guided > 0 else { continue }
            let n = nodes[k]
            if n.second >= 0 {
                stack.append(n.second)
                stack.append(k + 1)
            } else {
                for j in n.start..<n.start + n.count { body(order[j]) }
            }
        }
    }
}

extension Scene where T == Double {
    /// `chooseSecondaryCurvePoint` through an edge tree: the same two
    /// strategies and the same combined density, without scanning every edge.
    ///
    /// The second strategy (pieces by the angular length of their parts
    /// behind which an area light lies) stays exact: the tree hands over the
    /// edges of the leaves a light may lie behind
    /// (`forEachEdgeThatMayHideALight`, a superset of those it does), which are
    /// weighed as the scan weighs them; for a small light they are few. The first
    /// (pieces by angular length) walks the tree from the root: at each node a
    /// child in proportion to its importance (`EdgeTree.importance`), at the leaf
    /// an edge by its exact weight (`secondaryEdgeWeight`); its density for an
    /// edge is the product of the branch probabilities down to its leaf
    /// (`uniformProbability`) times its share there. Within each strategy the
    /// arcs of analytic outlines (few, kept in a flat list as
    /// `secondaryCurveChoice` weighs them) and the edges are one more choice, in
    /// proportion to the arcs' total weight and the root's importance (first
    /// strategy) or the lit edges' total weight (second). α = ½ when some light
    /// lies behind some piece, else 1, as for the scan. The combined density is
    /// exact and every candidate lies in a node of positive importance, so the
    /// estimate stays unbiased. The choices and the point follow from `u` (the
    /// remainder within each share), as the scan's do.
    func chooseSecondaryCurvePoint(tree: EdgeTree, p: Vec3, ng: Vec3, oneSided: Bool, edges: [MeshEdge], analytic: [Int],
                                   lightTriangles: [(Vec3, Vec3, Vec3)], u: Double) -> SecondaryCurvePoint? {
        let plane = TangentPlane(p: p, ng: ng, oneSided: oneSided)
        let cones = lightTriangles.isEmpty ? [] : LightCone.cones(from: p, lights: lightTriangles)
        let arcs = analytic.isEmpty ? nil : secondaryCurveChoice(p: p, ng: ng, oneSided: oneSided, edges: [], analytic: analytic,
                                                                lightTriangles: lightTriangles)
        let rootU = tree.nodes.isEmpty ? 0 : tree.importance(0, plane, cones: []).uniform
        // The second strategy's edges, exactly.
        var lit = [(edge: Int, uniform: Double, intervals: EdgeLightIntervals)](), litTotal = 0.0
        tree.forEachEdgeThatMayHideALight(plane, cones: cones) { i in
            guard let (w, li) = secondaryEdgeWeight(edges[i], from: plane, lightTriangles: lightTriangles), let li else { return }
            lit.append((i, w, li))
            litTotal += w * li.length
        }
        let arcsU = arcs?.totalU ?? 0, arcsG = arcs?.totalG ?? 0
        if !(arcsU + rootU > 0) { return nil }
        let alpha = arcsG + litTotal > 0 ? 0.5 : 1
        // The arcs' share within each strategy.
        let shareU = arcsU / (arcsU + rootU)
        let shareG = arcsG + litTotal > 0 ? arcsG / (arcsG + litTotal) : 0
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
        let i: Int, t: Double
        if guided {
            // Among the lit edges by the angular length of their lit parts.
            let target = v * litTotal
            var k = 0, acc = 0.0
            while k < lit.count - 1 && acc + lit[k].uniform * lit[k].intervals.length <= target {
                acc += lit[k].uniform * lit[k].intervals.length
                k += 1
            }
            let g = lit[k].uniform * lit[k].intervals.length
            if !(g > 0) { return nil }
            i = lit[k].edge
            t = lit[k].intervals.sampleInside(min(max((target - acc) / g, 0), 1))
        } else {
            // Down the tree by importance, then an edge of the leaf by its weight.
            var node = 0
            while tree.nodes[node].second >= 0 {
                let a = node + 1, b = tree.nodes[node].second
                let wa = tree.importance(a, plane, cones: []).uniform, wb = tree.importance(b, plane, cones: []).uniform
                let total = wa + wb
                if !(total > 0) { return nil }
                let first = wb == 0 || (wa > 0 && v * total < wa)
                v = min(max(first ? v * total / wa : (v * total - wa) / wb, 0), 1)
                node = first ? a : b
            }
            let leaf = tree.nodes[node]
            var weights = [Double](), total = 0.0
            for j in leaf.start..<leaf.start + leaf.count {
                let w = secondaryEdgeWeight(edges[tree.order[j]], from: plane, lightTriangles: [])?.uniform ?? 0
                weights.append(w)
                total += w
            }
            if !(total > 0) { return nil }
            let target = v * total
            var k = 0, acc = 0.0
            while k < weights.count - 1 && (weights[k] == 0 || acc + weights[k] <= target) { acc += weights[k]; k += 1 }
            if !(weights[k] > 0) { return nil }
            i = tree.order[leaf.start + k]
            t = min(max((target - acc) / weights[k], 0), 1)
        }
        // The combined density of edge i at t: the walk's, and the lit edges' share.
        let leafIndex = tree.leafOfEdge[i]
        let leaf = tree.nodes[leafIndex]
        var leafTotal = 0.0
        for j in leaf.start..<leaf.start + leaf.count {
            leafTotal += secondaryEdgeWeight(edges[tree.order[j]], from: plane, lightTriangles: [])?.uniform ?? 0
        }
        guard let (w, li) = secondaryEdgeWeight(edges[i], from: plane, lightTriangles: lightTriangles), leafTotal > 0 else { return nil }
        var pdf = alpha * (1 - shareU) * tree.uniformProbability(ofLeaf: leafIndex, plane) * w / leafTotal
        if let li, litTotal > 0, li.contains(t) { pdf += (1 - alpha) * (1 - shareG) * w / litTotal }
        let e = edges[i]
        let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
        return SecondaryCurvePoint(edge: i, shape: e.shape, s: t, point: a + (b - a) * t, tangent: b - a, pdf: pdf)
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
            for _ in 0..<draws {
                var value = 0.0
                if let c = chooseSecondaryCurvePoint(tree: tree, p: si.p, ng: si.ng, oneSided: plane.oneSided, edges: edges,
                                                     analytic: analytic, lightTriangles: lights, u: sampler.next()),
                   c.edge >= 0, c.pdf > 0, let w = secondaryEdgeWeight(edges[c.edge], from: plane, lightTriangles: [])?.uniform {
                    value = w * (1 + c.s) / c.pdf
                }
                ratios.append(value / exact)
            }
        }
        guard ratios.count > 1 else { return nil }
        let (m, e) = meanAndStandardError(ratios)
        return EdgeTreeAudit(mean: m, error: e, points: used, candidates: candidates)
    }
}
