import Autodiff

extension BVH {
    /// Entries of the traversal stack: more than the deepest tree the
    /// builder makes (`Builder.sahDepthLimit` levels of SAH splits, then
    /// halving, at most 30 more levels for 2³⁰ primitives).
    @inlinable static var stackCapacity: Int { 96 }

    /// A primitive's box rounded outwards to single precision: the build works
    /// on these (24 bytes a primitive), and node boxes are their unions, which
    /// equal the exact unions rounded outwards.
    struct FloatBox {
        var lower: SIMD3<Float>, upper: SIMD3<Float>
        static let empty = FloatBox(lower: SIMD3(repeating: .infinity), upper: SIMD3(repeating: -.infinity))
        init(lower: SIMD3<Float>, upper: SIMD3<Float>) { self.lower = lower; self.upper = upper }
        init(_ b: Bounds3) {
            func down(_ v: Double) -> Float { let f = Float(v); return Double(f) > v ? f.nextDown : f }
            func up(_ v: Double) -> Float { let f = Float(v); return Double(f) < v ? f.nextUp : f }
            lower = SIMD3(down(b.lower.x), down(b.lower.y), down(b.lower.z))
            upper = SIMD3(up(b.upper.x), up(b.upper.y), up(b.upper.z))
        }
        @inline(__always) func union(_ b: FloatBox) -> FloatBox {
            FloatBox(lower: pointwiseMin(lower, b.lower), upper: pointwiseMax(upper, b.upper))
        }
        @inline(__always) func union(point p: SIMD3<Float>) -> FloatBox {
            FloatBox(lower: pointwiseMin(lower, p), upper: pointwiseMax(upper, p))
        }
        /// Centre, in doubles (exact: the sum of two floats fits a double).
        @inline(__always) var centroid: SIMD3<Double> {
            (SIMD3<Double>(lower) + SIMD3<Double>(upper)) * 0.5
        }
        var isEmpty: Bool { lower.x > upper.x }
        /// Surface area in doubles.
        @inline(__always) var surfaceArea: Double {
            if isEmpty { return 0 }
            let d = SIMD3<Double>(upper) - SIMD3<Double>(lower)
            return 2 * (d.x * d.y + d.y * d.z + d.z * d.x)
        }
        var packed: PackedNode {
            PackedNode(lower: SIMD4(lower, 0), upper: SIMD4(upper, 0))
        }
    }

    /// Each primitive's single-precision box and the exact bounds of all,
    /// refusing non-finite or out-of-range coordinates and vertex indices.
    static func primitiveBoxes(_ prims: [Primitive], _ tris: inout [TriangleIndices], vertices: ContiguousArray<Vec3>,
                               spheres: [(center: Vec3, radius: Double)], disks: [Transform]) throws -> ([FloatBox], Bounds3) {
        guard tris.count == prims.count else {
            throw BVHError(primitive: nil, "\(tris.count) vertex index triples for \(prims.count) primitives")
        }
        var boxes = [FloatBox]()
        boxes.reserveCapacity(prims.count)
        var all = Bounds3.empty
        let limit = BVH.coordinateLimit
        for (k, p) in prims.enumerated() {
            var b = Bounds3.empty
            let what: String
            switch p.kind {
            case .triangle:
                let t = tris[k]
                guard Int(t.a) < vertices.count, Int(t.b) < vertices.count, Int(t.c) < vertices.count else {
                    throw BVHError(primitive: k, "triangle \(p.index) has a vertex index out of range (\(vertices.count) vertices)")
                }
                b = Bounds3(point: vertices[Int(t.a)]).union(vertices[Int(t.b)]).union(vertices[Int(t.c)])
                what = "triangle \(p.index)"
            case .sphere:
                let s = spheres[Int(p.index)]
                b = Bounds3(lower: s.center - Vec3(repeating: s.radius), upper: s.center + Vec3(repeating: s.radius))
                if !(s.radius >= 0) { b = Bounds3(lower: Vec3(repeating: .nan), upper: Vec3(repeating: .nan)) }
                what = "sphere"
                tris[k] = TriangleIndices(0, 0, 0)
            case .disk:
                let t = disks[Int(p.index)]
                for (x, y) in [(-1.0, -1.0), (1, -1), (-1, 1), (1, 1)] { b = b.union(t.point(Vec3(x, y, 0))) }
                what = "disk"
                tris[k] = TriangleIndices(0, 0, 0)
            }
            // Written so that NaN fails too.
            let inRange = b.lower.x >= -limit && b.lower.y >= -limit && b.lower.z >= -limit
                && b.upper.x <= limit && b.upper.y <= limit && b.upper.z <= limit
            guard inRange else {
                let worst = [b.lower.x, b.lower.y, b.lower.z, b.upper.x, b.upper.y, b.upper.z]
                    .first { !($0.magnitude <= limit) } ?? .nan
                throw BVHError(primitive: k, "\(what) has a world-space coordinate of \(worst); coordinates must be finite and "
                               + "within ±\(limit) (the acceleration structure's boxes are single precision)")
            }
            boxes.append(FloatBox(b))
            all = all.union(b)
        }
        return (boxes, all)
    }

    /// The top-down binned-SAH build over primitive boxes: fills `packed`
    /// and `links` in depth-first order and leaves the leaf order in `order`.
    struct Builder {
        /// Levels of SAH splits before ranges are halved instead, which bounds
        /// the depth (and the traversal stack) whatever the geometry.
        static let sahDepthLimit = 48
        static let binCount = 16
        let boxes: [FloatBox]
        var order: [UInt32]
        var packed = ContiguousArray<PackedNode>()
        var links = ContiguousArray<NodeLink>()
        var binBoxes = [FloatBox](repeating: .empty, count: Builder.binCount)
        var binCounts = [Int](repeating: 0, count: Builder.binCount)

        init(boxes: [FloatBox], count: Int) {
            self.boxes = boxes
            order = (0..<count).map { UInt32($0) }
            // A binary tree with leaves of at least one primitive: at most 2n − 1 nodes.
            packed.reserveCapacity(max(0, 2 * count - 1))
            links.reserveCapacity(max(0, 2 * count - 1))
        }

        mutating func build() {
            if !order.isEmpty { node(0, order.count, depth: 0) }
        }

        private func box(_ i: Int) -> FloatBox { boxes[Int(order[i])] }

        private mutating func node(_ lo: Int, _ hi: Int, depth: Int) {
            var b = FloatBox.empty
            var cLower = SIMD3<Double>(repeating: .infinity), cUpper = SIMD3<Double>(repeating: -.infinity)
            boxes.withUnsafeBufferPointer { boxes in
                for i in lo..<hi {
                    let pb = boxes[Int(order[i])], c = pb.centroid
                    b = b.union(pb)
                    cLower = pointwiseMin(cLower, c); cUpper = pointwiseMax(cUpper, c)
                }
            }
            let me = packed.count
            packed.append(b.packed)
            links.append(NodeLink(leaf: UInt32(lo), count: UInt32(hi - lo)))
            let n = hi - lo
            if n <= 2 { return }
            let extent3 = cUpper - cLower
            let axis = extent3.x > extent3.y && extent3.x > extent3.z ? 0 : (extent3.y > extent3.z ? 1 : 2)
            let lower = cLower[axis], extent = extent3[axis]
            if extent <= 0 {
                if n <= 8 { return }
                split(lo, (lo + hi) / 2, hi, me, axis, depth)
                return
            }
            if depth >= Builder.sahDepthLimit {
                split(lo, (lo + hi) / 2, hi, me, axis, depth)
                return
            }
            // Binned SAH.
            let binCount = Builder.binCount
            @inline(__always) func bin(_ c: SIMD3<Double>) -> Int {
                let f = Double(binCount) * (c[axis] - lower) / extent
                return f >= 0 ? min(binCount - 1, Int(min(f, Double(binCount)))) : 0
            }
            for k in 0..<binCount { binBoxes[k] = .empty; binCounts[k] = 0 }
            for i in lo..<hi {
                let pb = box(i)
                let k = bin(pb.centroid)
                binCounts[k] += 1
                binBoxes[k] = binBoxes[k].union(pb)
            }
            let area = b.surfaceArea
            var bestCost = Double.infinity, bestSplit = 0
            for s in 1..<binCount {
                var bl = FloatBox.empty, br = FloatBox.empty, nl = 0, nr = 0
                for k in 0..<s { bl = bl.union(binBoxes[k]); nl += binCounts[k] }
                for k in s..<binCount { br = br.union(binBoxes[k]); nr += binCounts[k] }
                if nl == 0 || nr == 0 { continue }
                let cost = 0.125 + (Double(nl) * bl.surfaceArea + Double(nr) * br.surfaceArea) / area
                if cost < bestCost { bestCost = cost; bestSplit = s }
            }
            // Object partition by size: the primitives whose boxes cover much of
            // the node's (a backdrop's two triangles) in one child, the rest in the
            // other. Centroid bins put such primitives on both sides, so both
            // children span the whole node and every ray visits both.
            var largeBounds = FloatBox.empty, smallBounds = FloatBox.empty, nLarge = 0
            let large = 0.25 * area
            for i in lo..<hi {
                let pb = box(i)
                if pb.surfaceArea >= large { largeBounds = largeBounds.union(pb); nLarge += 1 } else { smallBounds = smallBounds.union(pb) }
            }
            if nLarge > 0 && nLarge < n && area > 0 {
                let cost = 0.125 + (Double(nLarge) * largeBounds.surfaceArea + Double(n - nLarge) * smallBounds.surfaceArea) / area
                if cost < bestCost && !(cost >= Double(n) && n <= 4) {
                    var mid = lo
                    for i in lo..<hi where box(i).surfaceArea >= large { order.swapAt(i, mid); mid += 1 }
                    split(lo, mid, hi, me, axis, depth)
                    return
                }
            }
            if bestSplit == 0 || (bestCost >= Double(n) && n <= 4) {
                // A leaf; a large one only when no split helps, which the SAH
                // says of few primitives: halve anything bigger than 16.
                if n <= 16 { return }
                split(lo, (lo + hi) / 2, hi, me, axis, depth)
                return
            }
            var mid = lo
            for i in lo..<hi where bin(box(i).centroid) < bestSplit { order.swapAt(i, mid); mid += 1 }
            if mid == lo || mid == hi { mid = (lo + hi) / 2 }
            split(lo, mid, hi, me, axis, depth)
        }

        private mutating func split(_ lo: Int, _ mid: Int, _ hi: Int, _ me: Int, _ axis: Int, _ depth: Int) {
            links[me] = NodeLink(interiorAxis: UInt32(axis))
            node(lo, mid, depth: depth + 1)
            links[me].offset = UInt32(packed.count)
            node(mid, hi, depth: depth + 1)
        }
    }
}
