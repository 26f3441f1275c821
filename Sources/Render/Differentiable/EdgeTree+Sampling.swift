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
    /// 10⁻⁶ rad to spare; and, seen from a light point (`plane.inPlane` ≥ 0),
    /// where the whole box lies within half that distance of the light's plane
    /// (then so does every edge below: none is a candidate of the light side,
    /// `lightSideEdgeWeight`). Never 0 for a node holding a candidate edge, so
    /// every candidate keeps a positive probability.
    func importance(_ k: Int, _ plane: TangentPlane, cones: [LightCone]) -> (uniform: Double, guided: Double) {
        let n = nodes[k]
        let p = plane.p
        if plane.oneSided {
            let ng = plane.ng
            let corner = Vec3(ng.x > 0 ? n.hi.x : n.lo.x, ng.y > 0 ? n.hi.y : n.lo.y, ng.z > 0 ? n.hi.z : n.lo.z)
            if !(dot(corner - p, ng) > 0) { return (0, 0) }
        }
        if plane.inPlane >= 0 {
            // The largest distance of a box corner from the plane.
            let ng = plane.ng, c = (n.lo + n.hi) * 0.5 - p, h = (n.hi - n.lo) * 0.5
            if abs(dot(c, ng)) + abs(h.x * ng.x) + abs(h.y * ng.y) + abs(h.z * ng.z) <= 0.5 * plane.inPlane { return (0, 0) }
        }
        let d = (n.lo + n.hi) * 0.5 - p
        let r = (n.hi - n.lo).length * 0.5
        let dist2 = d.lengthSquared, dist = dist2.squareRoot()
        // The half-angle of the cone of directions from p holding the box's bounding sphere.
        let boxAngle = dist > r ? asin(r / dist) : Double.pi
        let slack = 1e-6
        if !n.always && n.cosSpread > -1 && boxAngle < .pi {
            let spread = n.spread
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
    /// The share of the first strategy's walks that start at the root of one
    /// shape's subtree (`shapeRoots`, chosen uniformly) instead of the tree's
    /// root, when the tree holds several shapes: defensive mixing (Hesterberg
    /// 1995, "Weighted average importance sampling and defensive mixture
    /// distributions"). Seen from a point on a detailed mesh, the importance of
    /// the mesh's nodes around it (their length over their half-diagonal
    /// squared) exceeds the weight of their few candidate edges by orders of
    /// magnitude, and a floor's boundary edges, often half the candidates'
    /// weight there, were reached with probability 10⁻³ from the root.
    static let shapeShare = 0.25

    /// The probabilities of the walk's two branches at interior node `k` seen
    /// from `plane.p` (the children in proportion to their importances,
    /// `importance(_:_:cones:)`'s `uniform`); nil when neither has any.
    func branchProbabilities(_ k: Int, _ plane: TangentPlane) -> (first: Double, second: Double)? {
        let ia = importance(k + 1, plane, cones: []).uniform, ib = importance(nodes[k].second, plane, cones: []).uniform
        let total = ia + ib
        return total > 0 ? (ia / total, ib / total) : nil
    }

    /// The probability of the walk's branches down to node `k`: from the root,
    /// and from the root of its shape's subtree (1 above it).
    func branchProducts(reaching node: Int, _ plane: TangentPlane) -> (fromRoot: Double, fromShapeRoot: Double) {
        var k = node, fromRoot = 1.0, fromShapeRoot = 1.0
        while parent[k] >= 0 {
            let up = parent[k]
            let branches = branchProbabilities(up, plane)
            let p = branches.map { k == up + 1 ? $0.first : $0.second } ?? 0
            fromRoot *= p
            if nodes[up].shape >= 0 { fromShapeRoot *= p }
            k = up
        }
        return (fromRoot, fromShapeRoot)
    }

    /// The probability that a walk of the first strategy ends at a leaf whose
    /// branch products are `fromRoot` and `fromShapeRoot`: from the root with
    /// probability 1 − `shapeShare`, else from one of the `shapeRoots`.
    func walkProbability(fromRoot: Double, fromShapeRoot: Double) -> Double {
        shapeRoots.count > 1 ? (1 - Self.shapeShare) * fromRoot + Self.shapeShare / Double(shapeRoots.count) * fromShapeRoot : fromRoot
    }

    /// The probability that a walk of the first strategy ends in leaf `leaf`, seen from `plane.p`.
    func uniformProbability(ofLeaf leaf: Int, _ plane: TangentPlane) -> Double {
        let (fromRoot, fromShapeRoot) = branchProducts(reaching: leaf, plane)
        return walkProbability(fromRoot: fromRoot, fromShapeRoot: fromShapeRoot)
    }

    /// One walk from `plane.p` driven by one unit number `u`: down the tree by
    /// importance (from the root, or with probability `shapeShare` from the
    /// root of a shape's subtree chosen uniformly), then an edge of the leaf in
    /// proportion to `weight` (an index into the pass's edges → its weight seen
    /// from p, 0 for no candidate). Returns the edge, what remains of `u`
    /// within the edge's share (uniform on [0, 1] given the edge), and the
    /// probability of the edge; nil where the walk finds no candidate. The film
    /// side's first strategy weighs by angular length (`secondaryEdgeWeight`),
    /// the light side by `lightSideEdgeWeight`.
    func walk(_ plane: TangentPlane, u: Double, weight: (Int) -> Double) -> (edge: Int, rest: Double, probability: Double)? {
        guard !nodes.isEmpty else { return nil }
        var v = u, node = 0, fromRoot = 1.0, fromShapeRoot = 1.0
        let shapes = shapeRoots.count
        if shapes > 1 {
            let share = Self.shapeShare
            if v < share {
                let s = min(Int(v / share * Double(shapes)), shapes - 1)
                v = min(max(v / share * Double(shapes) - Double(s), 0), 1)
                node = shapeRoots[s]
                fromRoot = branchProducts(reaching: node, plane).fromRoot
            } else {
                v = min(max((v - share) / (1 - share), 0), 1)
            }
        }
        while nodes[node].second >= 0 {
            guard let (pa, pb) = branchProbabilities(node, plane) else { return nil }
            let first = pb == 0 || (pa > 0 && v < pa)
            v = min(max(first ? v / pa : (v - pa) / pb, 0), 1)
            let p = first ? pa : pb
            fromRoot *= p
            if nodes[node].shape >= 0 { fromShapeRoot *= p }
            node = first ? node + 1 : nodes[node].second
        }
        let leaf = nodes[node]
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: leaf.count) { weights in
            var total = 0.0
            for j in 0..<leaf.count {
                weights[j] = weight(order[leaf.start + j])
                total += weights[j]
            }
            if !(total > 0) { return nil }
            let target = v * total
            var k = 0, acc = 0.0
            while k < leaf.count - 1 && (weights[k] == 0 || acc + weights[k] <= target) { acc += weights[k]; k += 1 }
            if !(weights[k] > 0) { return nil }
            return (order[leaf.start + k], min(max((target - acc) / weights[k], 0), 1),
                    walkProbability(fromRoot: fromRoot, fromShapeRoot: fromShapeRoot) * weights[k] / total)
        }
    }

    /// The probability that `walk` from `plane.p` (the same `weight`) ends at
    /// edge `i`, without walking: climbing from the edge's leaf
    /// (`uniformProbability(ofLeaf:_:)`) times the edge's share of the leaf's
    /// weight. 0 for an edge that is no candidate or not in the tree.
    func probability(ofEdge i: Int, _ plane: TangentPlane, weight: (Int) -> Double) -> Double {
        let leafIndex = i < leafOfEdge.count ? leafOfEdge[i] : -1
        if leafIndex < 0 { return 0 }
        let leaf = nodes[leafIndex]
        var total = 0.0, own = 0.0
        for j in leaf.start..<leaf.start + leaf.count {
            let w = weight(order[j])
            total += w
            if order[j] == i { own = w }
        }
        if !(own > 0) { return 0 }
        return uniformProbability(ofLeaf: leafIndex, plane) * own / total
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

/// What the film side's choice of a secondary curve point through an edge
/// tree knows at one surface point before drawing (`Scene.treeCurveChoice`):
/// both the draw (`chooseSecondaryCurvePoint(_:tree:edges:u:)`) and the
/// density of a given edge point (`Scene.secondaryEdgeDensity`, for the
/// samples drawn from the lights' side) start from it.
struct TreeCurveChoice {
    /// An edge that a light lies behind as seen from p: its angular length
    /// (`secondaryEdgeWeight`) and the parts of it the light lies behind.
    struct LitEdge {
        var edge: Int, uniform: Double, intervals: EdgeLightIntervals
    }

    var plane: TangentPlane
    /// The arcs of analytic outlines, weighed as the scan weighs them (nil: none in the scene).
    var arcs: SecondaryCurveChoice?
    /// The second strategy's edges, exactly, and the total angular length of their lit parts.
    var lit: [LitEdge], litTotal: Double
    /// The root's importance for the first strategy (`EdgeTree.importance`).
    var rootU: Double
    /// The share of the first strategy (½ when some light lies behind some piece, else 1),
    /// and the arcs' shares within the first and the second.
    var alpha: Double, shareU: Double, shareG: Double

    /// The lit entry of edge `i` (nil: no light behind it), by a scan of the
    /// lit edges (a handful for a small light).
    func litEntry(_ i: Int) -> LitEdge? { lit.first { $0.edge == i } }

    /// The combined density of a mesh edge's point at parameter `t`, given the
    /// first strategy's probability of the edge and its lit entry: per unit
    /// parameter, as `SecondaryCurveChoice.pdf`.
    func edgeDensity(walkProbability: Double, lit l: LitEdge?, t: Double) -> Double {
        var pdf = alpha * (1 - shareU) * walkProbability
        if litTotal > 0, let l, l.intervals.contains(t) { pdf += (1 - alpha) * (1 - shareG) * l.uniform / litTotal }
        return pdf
    }
}

extension Scene where T == Double {
    /// The first strategy's weight of edge `i` of `edges` seen from `plane.p`
    /// (`secondaryEdgeWeight`'s angular length; 0: no candidate): the walk's
    /// weights at a leaf.
    func uniformEdgeWeight(_ i: Int, edges: [MeshEdge], plane: TangentPlane) -> Double {
        secondaryEdgeWeight(edges[i], from: plane, lightTriangles: [])?.uniform ?? 0
    }

    /// `TreeCurveChoice` at surface point `p` (geometric normal `ng`); nil when
    /// no piece can be a candidate.
    ///
    /// The second strategy's edges stay exact: the tree hands over the edges
    /// of the leaves a light may lie behind (`forEachEdgeThatMayHideALight`, a
    /// superset of those it does), which are weighed as the scan weighs them;
    /// for a small light they are few. Within each strategy the arcs of
    /// analytic outlines (few, kept in a flat list as `secondaryCurveChoice`
    /// weighs them) and the edges are one more choice, in proportion to the
    /// arcs' total weight and the root's importance (first strategy) or the
    /// lit edges' total weight (second).
    func treeCurveChoice(tree: EdgeTree, p: Vec3, ng: Vec3, oneSided: Bool, edges: [MeshEdge], analytic: [Int],
                         lightTriangles: [(Vec3, Vec3, Vec3)]) -> TreeCurveChoice? {
        let plane = TangentPlane(p: p, ng: ng, oneSided: oneSided)
        let cones = lightTriangles.isEmpty ? [] : LightCone.cones(from: p, lights: lightTriangles)
        let arcs = analytic.isEmpty ? nil : secondaryCurveChoice(p: p, ng: ng, oneSided: oneSided, edges: [], analytic: analytic,
                                                                lightTriangles: lightTriangles)
        let rootU = tree.nodes.isEmpty ? 0 : tree.importance(0, plane, cones: []).uniform
        var lit = [TreeCurveChoice.LitEdge](), litTotal = 0.0
        tree.forEachEdgeThatMayHideALight(plane, cones: cones) { i in
            guard let (w, li) = secondaryEdgeWeight(edges[i], from: plane, lightTriangles: lightTriangles), let li else { return }
            lit.append(TreeCurveChoice.LitEdge(edge: i, uniform: w, intervals: li))
            litTotal += w * li.length
        }
        let arcsU = arcs?.totalU ?? 0, arcsG = arcs?.totalG ?? 0
        if !(arcsU + rootU > 0) { return nil }
        let alpha = arcsG + litTotal > 0 ? 0.5 : 1
        return TreeCurveChoice(plane: plane, arcs: arcs, lit: lit, litTotal: litTotal, rootU: rootU, alpha: alpha,
                               shareU: arcsU / (arcsU + rootU), shareG: arcsG + litTotal > 0 ? arcsG / (arcsG + litTotal) : 0)
    }

    /// `chooseSecondaryCurvePoint` through an edge tree: the same two
    /// strategies and the same combined density, without scanning every edge
    /// (`treeCurveChoice`, then `chooseSecondaryCurvePoint(_:tree:edges:u:)`).
    func chooseSecondaryCurvePoint(tree: EdgeTree, p: Vec3, ng: Vec3, oneSided: Bool, edges: [MeshEdge], analytic: [Int],
                                   lightTriangles: [(Vec3, Vec3, Vec3)], u: Double) -> SecondaryCurvePoint? {
        guard let c = treeCurveChoice(tree: tree, p: p, ng: ng, oneSided: oneSided, edges: edges, analytic: analytic,
                                      lightTriangles: lightTriangles) else { return nil }
        return chooseSecondaryCurvePoint(c, tree: tree, edges: edges, u: u)
    }

    /// A secondary curve point from `c`, by one unit number `u`.
    ///
    /// The first strategy (pieces by angular length) walks the tree from the
    /// root (`EdgeTree.walk`): at each node a child in proportion to its
    /// importance, at the leaf an edge by its exact weight; its density for an
    /// edge is the product of the branch probabilities down to its leaf (mixed
    /// with the walks that start at a shape's subtree, `EdgeTree.shapeShare`)
    /// times its share there, kept from the walk. An edge chosen by the second
    /// strategy climbs from its leaf for it (`EdgeTree.probability(ofEdge:_:weight:)`).
    /// α = ½ when some light lies behind some piece, else 1, as for the scan.
    /// The combined density is exact and every candidate lies in a node of
    /// positive importance, so the estimate stays unbiased. The choices and the
    /// point follow from `u` (the remainder within each share), as the scan's do.
    func chooseSecondaryCurvePoint(_ c: TreeCurveChoice, tree: EdgeTree, edges: [MeshEdge], u: Double) -> SecondaryCurvePoint? {
        let alpha = c.alpha
        let guided = u >= alpha
        var v = guided ? min((u - alpha) / (1 - alpha), 1) : min(u / alpha, 1)
        let share = guided ? c.shareG : c.shareU
        if let arcs = c.arcs, v < share {
            let arcsU = arcs.totalU, arcsG = arcs.totalG
            let (k, rest) = pick(guided ? arcs.guided : arcs.uniform, v / share * (guided ? arcsG : arcsU))
            if arcs.uniform[k] == 0 { return nil }
            let t: Double
            if guided {
                guard arcs.guided[k] > 0, let li = arcs.intervals[k] else { return nil }
                t = li.sampleInside(min(max(rest / arcs.guided[k], 0), 1))
            } else {
                t = min(max(rest / arcs.uniform[k], 0), 1)
            }
            var pdf = alpha * c.shareU * arcs.uniform[k] / arcsU
            if let li = arcs.intervals[k], li.contains(t) { pdf += (1 - alpha) * c.shareG * arcs.uniform[k] / arcsG }
            return curvePoint(arcs, piece: k, t: t, edges: [], p: c.plane.p, pdf: pdf)
        }
        if share > 0 { v = min(max((v - share) / (1 - share), 0), 1) }
        let plane = c.plane
        let i: Int, t: Double, pdf: Double
        if guided {
            // Among the lit edges by the angular length of their lit parts.
            let lit = c.lit
            let target = v * c.litTotal
            var k = 0, acc = 0.0
            while k < lit.count - 1 && acc + lit[k].uniform * lit[k].intervals.length <= target {
                acc += lit[k].uniform * lit[k].intervals.length
                k += 1
            }
            let g = lit[k].uniform * lit[k].intervals.length
            if !(g > 0) { return nil }
            i = lit[k].edge
            t = lit[k].intervals.sampleInside(min(max((target - acc) / g, 0), 1))
            let walk = tree.probability(ofEdge: i, plane) { uniformEdgeWeight($0, edges: edges, plane: plane) }
            pdf = c.edgeDensity(walkProbability: walk, lit: lit[k], t: t)
        } else {
            guard let walk = tree.walk(plane, u: v, weight: { uniformEdgeWeight($0, edges: edges, plane: plane) }) else { return nil }
            i = walk.edge
            t = walk.rest
            pdf = c.edgeDensity(walkProbability: walk.probability, lit: c.litEntry(i), t: t)
        }
        let e = edges[i]
        let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
        return SecondaryCurvePoint(edge: i, shape: e.shape, s: t, point: a + (b - a) * t, tangent: b - a, pdf: pdf)
    }

    /// The density with which `chooseSecondaryCurvePoint(c, …)` chooses mesh
    /// edge `i` at parameter `t`, without drawing: the walk's probability of
    /// the edge by the climb from its leaf, and its lit entry. 0 where the edge
    /// is no candidate from `c.plane.p`.
    func secondaryEdgeDensity(_ c: TreeCurveChoice, tree: EdgeTree, edges: [MeshEdge], edge i: Int, t: Double) -> Double {
        let plane = c.plane
        let walk = tree.probability(ofEdge: i, plane) { uniformEdgeWeight($0, edges: edges, plane: plane) }
        return c.edgeDensity(walkProbability: walk, lit: c.litEntry(i), t: t)
    }
}
