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

    /// The traversal's copy of a node's box: 32 bytes, bounds rounded
    /// outwards to single precision, fourth lanes zero. (They once held the
    /// offset and count bit patterns: small integers read as floats are
    /// subnormal, and the box test's vector arithmetic on those lanes cost a
    /// microcode assist per node, most of the traversal's time.)
    @frozen
    public struct PackedNode: Sendable {
        public var lower: SIMD4<Float>
        public var upper: SIMD4<Float>
        init(_ n: Node) {
            func down(_ v: Double) -> Float { let f = Float(v); return Double(f) > v ? f.nextDown : f }
            func up(_ v: Double) -> Float { let f = Float(v); return Double(f) < v ? f.nextUp : f }
            lower = SIMD4(down(n.bounds.lower.x), down(n.bounds.lower.y), down(n.bounds.lower.z), 0)
            upper = SIMD4(up(n.bounds.upper.x), up(n.bounds.upper.y), up(n.bounds.upper.z), 0)
        }
    }

    /// The traversal's copy of a node's links, read once its box is hit.
    @frozen
    public struct NodeLink: Sendable {
        /// Leaf: first primitive; interior: index of the second child.
        public var offset: Int32
        /// Leaf: primitive count (> 0); interior: 0.
        public var count: UInt16
        /// Interior: split axis.
        public var axis: UInt16
        init(_ n: Node) { offset = n.offset; count = n.count; axis = n.axis }
    }

    public var nodes: ContiguousArray<Node>
    public var packed: ContiguousArray<PackedNode>
    public var links: ContiguousArray<NodeLink>
    /// True when every primitive is a triangle (no analytic shapes to switch on).
    public var onlyTriangles: Bool
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
        self.packed = ContiguousArray(nodes.map(PackedNode.init))
        self.links = ContiguousArray(nodes.map(NodeLink.init))
        self.onlyTriangles = input.allSatisfy { $0.kind == .triangle }
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
        // Object partition by size: the primitives whose boxes cover much of
        // the node's (a backdrop's two triangles) in one child, the rest in the
        // other. Centroid bins put such primitives on both sides, so both
        // children span the whole node and every ray visits both.
        var largeBounds = Bounds3.empty, smallBounds = Bounds3.empty, nLarge = 0
        let large = 0.25 * b.surfaceArea
        for i in lo..<hi {
            let pb = bounds[order[i]]
            if pb.surfaceArea >= large { largeBounds = largeBounds.union(pb); nLarge += 1 } else { smallBounds = smallBounds.union(pb) }
        }
        if nLarge > 0 && nLarge < n && b.surfaceArea > 0 {
            let cost = 0.125 + (Double(nLarge) * largeBounds.surfaceArea + Double(n - nLarge) * smallBounds.surfaceArea) / b.surfaceArea
            if cost < bestCost && !(cost >= Double(n) && n <= 4) {
                var mid = lo
                for i in lo..<hi where bounds[order[i]].surfaceArea >= large { order.swapAt(i, mid); mid += 1 }
                split(&nodes, &order, lo, mid, hi, me, axis, bounds, centroids)
                return
            }
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
    /// A ray's origin and inverse direction as single-precision scalars, for
    /// `hits`: the box test reads lanes one by one (the same single-precision
    /// operations as lane-wise SIMD4 arithmetic, without the shuffles the
    /// vector form compiled to).
    @frozen @usableFromInline
    struct RayBox {
        @usableFromInline let ox: Float, oy: Float, oz: Float, ix: Float, iy: Float, iz: Float
        /// Per axis, whether the inverse direction is negative (−0 included, as
        /// 1/−0 = −∞): the ray then enters through the upper face.
        @usableFromInline let nx: Bool, ny: Bool, nz: Bool
        /// The ray o + t d: the origin rounded to Float, the inverse direction
        /// computed in Double and then rounded.
        @inlinable @inline(__always)
        init(o: Vec3, d: Vec3) {
            ox = Float(o.x); oy = Float(o.y); oz = Float(o.z)
            ix = Float(1 / d.x); iy = Float(1 / d.y); iz = Float(1 / d.z)
            nx = ix.sign == .minus; ny = iy.sign == .minus; nz = iz.sign == .minus
        }
    }

    /// Slab test of a packed node in single precision; `tFar` is widened by a
    /// few ulps so that rounding never culls a box the ray touches.
    /// Per axis the entry distance from the face the ray enters through (the
    /// lower one for a positive direction) and the exit distance from the other
    /// (Williams et al. 2005), then
    /// tNear = max(max(max(0, in.x), in.y), in.z) ≤ tFar = min(min(min(tMax, out.x), out.y), out.z) · (1 + 4e-7).
    /// These equal min and max of the two faces' distances, as a slab test takes them.
    /// A ray with a zero direction component whose origin lies in one of that
    /// axis's face planes gives 0 · ∞ = NaN for that face; `Swift.max(a, NaN)` and
    /// `Swift.min(a, NaN)` return a, so starting from 0 and tMax ignores the NaN
    /// whichever axis, face and sign of zero it is: the ray touches the box, which is kept.
    @inlinable @inline(__always)
    static func hits(_ n: PackedNode, _ r: RayBox, _ tMax: Float) -> Bool {
        let inX = ((r.nx ? n.upper.x : n.lower.x) - r.ox) * r.ix, outX = ((r.nx ? n.lower.x : n.upper.x) - r.ox) * r.ix
        let inY = ((r.ny ? n.upper.y : n.lower.y) - r.oy) * r.iy, outY = ((r.ny ? n.lower.y : n.upper.y) - r.oy) * r.iy
        let inZ = ((r.nz ? n.upper.z : n.lower.z) - r.oz) * r.iz, outZ = ((r.nz ? n.lower.z : n.upper.z) - r.oz) * r.iz
        let tNear = Swift.max(Swift.max(Swift.max(0, inX), inY), inZ)
        let tFar = Swift.min(Swift.min(Swift.min(tMax, outX), outY), outZ)
        return tNear <= tFar * 1.000_000_4
    }

    /// The hit of primitive `i`, read through the traversal's buffers.
    @inlinable @inline(__always)
    func intersectPrimitive(_ i: Int, _ prims: UnsafeBufferPointer<Primitive>, _ tris: UnsafeBufferPointer<TriangleEdges>,
                            _ o: Vec3, _ d: Vec3, _ tMin: Double, _ tMax: Double) -> (t: Double, u: Double, v: Double)? {
        let p = prims[i]
        switch p.kind {
        case .triangle:
            return tris[i].intersect(o: o, d: d, tMin: tMin, tMax: tMax)
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
    /// The root's box is not tested: it holds the whole scene, which camera
    /// rays always meet, and a ray that misses it misses every box below it
    /// (the children's tests cull it, one level later). The same hits.
    @inlinable
    public func intersect(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double = .infinity) -> Hit? {
        if packed.isEmpty { return nil }
        let negative = (d.x < 0, d.y < 0, d.z < 0)
        let ray = RayBox(o: o, d: d)
        var best = Hit(t: tMax, u: 0, v: 0, primitive: -1)
        var bestF = Float(best.t)
        let onlyTriangles = self.onlyTriangles
        return packed.withUnsafeBufferPointer { nodes in
          links.withUnsafeBufferPointer { links in
          triangles.withUnsafeBufferPointer { tris in
          primitives.withUnsafeBufferPointer { prims in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 64) { stack in
                var sp = 0
                var current = 0
                while true {
                    if current == 0 || BVH.hits(nodes[current], ray, bestF) {
                        let node = links[current]
                        let count = Int(node.count)
                        if count > 0 {
                            let first = Int(node.offset)
                            for i in first..<first + count {
                                let h = onlyTriangles ? tris[i].intersect(o: o, d: d, tMin: tMin, tMax: best.t)
                                                      : intersectPrimitive(i, prims, tris, o, d, tMin, best.t)
                                if let h {
                                    best = Hit(t: h.t, u: h.u, v: h.v, primitive: Int32(i))
                                    bestF = Float(h.t)
                                }
                            }
                            if sp == 0 { break }
                            sp -= 1; current = Int(stack[sp])
                        } else {
                            let axis = node.axis
                            let dirNeg = axis == 0 ? negative.0 : (axis == 1 ? negative.1 : negative.2)
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
                return best.primitive >= 0 ? best : nil
            }
          }
          }
          }
        }
    }

    /// Whether anything lies along `o + t d` for t in (tMin, tMax): shadow rays.
    /// The root's box is not tested, as in `intersect`.
    @inlinable
    public func occluded(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double) -> Bool {
        if packed.isEmpty { return false }
        let tMaxF = tMax.isFinite ? Float(tMax) : .infinity
        let ray = RayBox(o: o, d: d)
        let onlyTriangles = self.onlyTriangles
        return packed.withUnsafeBufferPointer { nodes in
          links.withUnsafeBufferPointer { links in
          triangles.withUnsafeBufferPointer { tris in
          primitives.withUnsafeBufferPointer { prims in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 64) { stack in
                var sp = 0
                var current = 0
                while true {
                    if current == 0 || BVH.hits(nodes[current], ray, tMaxF) {
                        let node = links[current]
                        let count = Int(node.count)
                        if count > 0 {
                            let first = Int(node.offset)
                            for i in first..<first + count {
                                let h = onlyTriangles ? tris[i].intersect(o: o, d: d, tMin: tMin, tMax: tMax)
                                                      : intersectPrimitive(i, prims, tris, o, d, tMin, tMax)
                                if h != nil { return true }
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
          }
        }
    }
}
