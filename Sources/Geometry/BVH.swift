import Autodiff

/// A bounding volume hierarchy over primitives, built with the binned
/// surface area heuristic (Wald 2007; pbrt-v4's `BVHAggregate`) and traversed
/// in plain doubles. Nodes are flattened depth first: an interior node's
/// first child follows it, `offset` holds the second.
public struct BVH: Sendable {
    @frozen
    public struct Node: Sendable {
        public var bounds: Bounds3
        /// Leaf: first primitive; interior: index of the second child.
        public var offset: Int32
        /// Leaf: primitive count (> 0); interior: 0.
        public var count: UInt16
        /// Interior: split axis.
        public var axis: UInt16
    }

    public var nodes: ContiguousArray<Node>
    /// Primitives in leaf order.
    public var primitives: ContiguousArray<Primitive>
    /// Triangle edges aligned with `primitives` (unused entries for analytic ones).
    public var triangles: ContiguousArray<TriangleEdges>
    /// Analytic spheres (center, radius) and disks (to-local transforms), indexed by `Primitive.index`.
    public var spheres: ContiguousArray<(center: Vec3, radius: Double)>
    public var disks: ContiguousArray<Transform>

    public var bounds: Bounds3 { nodes.isEmpty ? .empty : nodes[0].bounds }

    /// Builds the hierarchy. `triangleVertices` gives each triangle primitive's
    /// three world-space vertices; spheres and disks are given world-space.
    public init(primitives input: [Primitive], triangleVertices: (Primitive) -> (Vec3, Vec3, Vec3),
                spheres: [(center: Vec3, radius: Double)], disks: [Transform]) {
        self.spheres = ContiguousArray(spheres)
        self.disks = ContiguousArray(disks.map { $0.inverse })
        var bounds = [Bounds3](), centroids = [Vec3]()
        bounds.reserveCapacity(input.count)
        var tris = [TriangleEdges]()
        tris.reserveCapacity(input.count)
        let zeroTri = TriangleEdges(.zero, .zero, .zero)
        for p in input {
            var b = Bounds3.empty
            switch p.kind {
            case .triangle:
                let (a, c, d) = triangleVertices(p)
                b = Bounds3(point: a).union(c).union(d)
                tris.append(TriangleEdges(a, c, d))
            case .sphere:
                let s = spheres[Int(p.index)]
                b = Bounds3(lower: s.center - Vec3(repeating: s.radius), upper: s.center + Vec3(repeating: s.radius))
                tris.append(zeroTri)
            case .disk:
                let t = disks[Int(p.index)]
                for (x, y) in [(-1.0, -1.0), (1, -1), (-1, 1), (1, 1)] { b = b.union(t.point(Vec3(x, y, 0))) }
                tris.append(zeroTri)
            }
            bounds.append(b)
            centroids.append(b.centroid)
        }
        var order = Array(0..<input.count)
        var nodes = ContiguousArray<Node>()
        nodes.reserveCapacity(2 * input.count)
        if !input.isEmpty {
            BVH.build(&nodes, &order, 0, input.count, bounds, centroids)
        }
        self.nodes = nodes
        self.primitives = ContiguousArray(order.map { input[$0] })
        self.triangles = ContiguousArray(order.map { tris[$0] })
    }

    private static func build(_ nodes: inout ContiguousArray<Node>, _ order: inout [Int], _ lo: Int, _ hi: Int,
                              _ bounds: [Bounds3], _ centroids: [Vec3]) {
        var b = Bounds3.empty, cb = Bounds3.empty
        for i in lo..<hi { b = b.union(bounds[order[i]]); cb = cb.union(centroids[order[i]]) }
        let me = nodes.count
        nodes.append(Node(bounds: b, offset: Int32(lo), count: UInt16(hi - lo), axis: 0))
        let n = hi - lo
        if n <= 2 { return }
        let axis = cb.majorAxis
        let lower = cb.lower[axis], extent = cb.upper[axis] - lower
        if extent <= 0 {
            if n <= 8 { return }
            let mid = (lo + hi) / 2
            split(&nodes, &order, lo, mid, hi, me, axis, bounds, centroids)
            return
        }
        // Binned SAH.
        let binCount = 16
        var binBounds = [Bounds3](repeating: .empty, count: binCount)
        var binCounts = [Int](repeating: 0, count: binCount)
        func bin(_ c: Vec3) -> Int { min(binCount - 1, Int(Double(binCount) * (c[axis] - lower) / extent)) }
        for i in lo..<hi {
            let k = bin(centroids[order[i]])
            binCounts[k] += 1
            binBounds[k] = binBounds[k].union(bounds[order[i]])
        }
        var bestCost = Double.infinity, bestSplit = 0
        for s in 1..<binCount {
            var bl = Bounds3.empty, br = Bounds3.empty, nl = 0, nr = 0
            for k in 0..<s { bl = bl.union(binBounds[k]); nl += binCounts[k] }
            for k in s..<binCount { br = br.union(binBounds[k]); nr += binCounts[k] }
            if nl == 0 || nr == 0 { continue }
            let cost = 0.125 + (Double(nl) * bl.surfaceArea + Double(nr) * br.surfaceArea) / b.surfaceArea
            if cost < bestCost { bestCost = cost; bestSplit = s }
        }
        if bestSplit == 0 || (bestCost >= Double(n) && n <= 4) { return }
        var mid = lo
        for i in lo..<hi where bin(centroids[order[i]]) < bestSplit { order.swapAt(i, mid); mid += 1 }
        if mid == lo || mid == hi { mid = (lo + hi) / 2 }
        split(&nodes, &order, lo, mid, hi, me, axis, bounds, centroids)
    }

    private static func split(_ nodes: inout ContiguousArray<Node>, _ order: inout [Int], _ lo: Int, _ mid: Int, _ hi: Int,
                              _ me: Int, _ axis: Int, _ bounds: [Bounds3], _ centroids: [Vec3]) {
        nodes[me].count = 0
        nodes[me].axis = UInt16(axis)
        build(&nodes, &order, lo, mid, bounds, centroids)
        nodes[me].offset = Int32(nodes.count)
        build(&nodes, &order, mid, hi, bounds, centroids)
    }
}

extension BVH {
    /// Slab test against a node's box with a precomputed inverse direction.
    @inlinable @inline(__always)
    static func hitsBox(_ b: Bounds3, _ o: Vec3, _ invD: Vec3, _ tMax: Double) -> Bool {
        let tx0 = (b.lower.x - o.x) * invD.x, tx1 = (b.upper.x - o.x) * invD.x
        let ty0 = (b.lower.y - o.y) * invD.y, ty1 = (b.upper.y - o.y) * invD.y
        let tz0 = (b.lower.z - o.z) * invD.z, tz1 = (b.upper.z - o.z) * invD.z
        let tNear = Swift.max(Swift.max(Swift.min(tx0, tx1), Swift.min(ty0, ty1)), Swift.max(Swift.min(tz0, tz1), 0))
        let tFar = Swift.min(Swift.min(Swift.max(tx0, tx1), Swift.max(ty0, ty1)), Swift.min(Swift.max(tz0, tz1), tMax))
        return tNear <= tFar * (1 + 2e-15)
    }

    @inlinable @inline(__always)
    func intersectPrimitive(_ i: Int, _ o: Vec3, _ d: Vec3, _ tMin: Double, _ tMax: Double) -> (t: Double, u: Double, v: Double)? {
        let p = primitives[i]
        switch p.kind {
        case .triangle:
            return triangles[i].intersect(o: o, d: d, tMin: tMin, tMax: tMax)
        case .sphere:
            let s = spheres[Int(p.index)]
            guard let t = intersectSphere(o: o, d: d, center: s.center, radius: s.radius, tMin: tMin, tMax: tMax) else { return nil }
            return (t, 0, 0)
        case .disk:
            let toLocal = disks[Int(p.index)]
            let lo = toLocal.point(o), ld = toLocal.vector(d)
            if ld.z == 0 { return nil }
            let t = -lo.z / ld.z
            if t <= tMin || t >= tMax { return nil }
            let x = lo.x + ld.x * t, y = lo.y + ld.y * t
            if x * x + y * y > 1 { return nil }
            return (t, x, y)
        }
    }

    /// The closest hit along `o + t d` for t in (tMin, tMax).
    @inlinable
    public func intersect(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double = .infinity) -> Hit? {
        if nodes.isEmpty { return nil }
        let invD = Vec3(1 / d.x, 1 / d.y, 1 / d.z)
        let negative = (d.x < 0, d.y < 0, d.z < 0)
        var best: Hit? = nil
        var tBest = tMax
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 64) { stack in
            var sp = 0
            var current = 0
            while true {
                let node = nodes[current]
                if BVH.hitsBox(node.bounds, o, invD, tBest) {
                    if node.count > 0 {
                        let first = Int(node.offset)
                        for i in first..<first + Int(node.count) {
                            if let h = intersectPrimitive(i, o, d, tMin, tBest) {
                                tBest = h.t
                                best = Hit(t: h.t, u: h.u, v: h.v, primitive: Int32(i))
                            }
                        }
                        if sp == 0 { break }
                        sp -= 1; current = Int(stack[sp])
                    } else {
                        let dirNeg = node.axis == 0 ? negative.0 : (node.axis == 1 ? negative.1 : negative.2)
                        if dirNeg {
                            stack[sp] = Int32(current + 1); sp += 1
                            current = Int(node.offset)
                        } else {
                            stack[sp] = node.offset; sp += 1
                            current = current + 1
                        }
                    }
                } else {
                    if sp == 0 { break }
                    sp -= 1; current = Int(stack[sp])
                }
            }
            return best
        }
    }

    /// Whether anything lies along `o + t d` for t in (tMin, tMax): shadow rays.
    @inlinable
    public func occluded(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double) -> Bool {
        if nodes.isEmpty { return false }
        let invD = Vec3(1 / d.x, 1 / d.y, 1 / d.z)
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 64) { stack in
            var sp = 0
            var current = 0
            while true {
                let node = nodes[current]
                if BVH.hitsBox(node.bounds, o, invD, tMax) {
                    if node.count > 0 {
                        let first = Int(node.offset)
                        for i in first..<first + Int(node.count) where intersectPrimitive(i, o, d, tMin, tMax) != nil {
                            return true
                        }
                        if sp == 0 { return false }
                        sp -= 1; current = Int(stack[sp])
                    } else {
                        stack[sp] = node.offset; sp += 1
                        current += 1
                    }
                } else {
                    if sp == 0 { return false }
                    sp -= 1; current = Int(stack[sp])
                }
            }
        }
    }
}
