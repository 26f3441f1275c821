import Autodiff

extension BVH {
    /// Entries of the traversal stack: more than the deepest tree the
    /// builder makes (`Builder.sahDepthLimit` levels of SAH splits, then
    /// halving, at most 30 more levels for 2³⁰ primitives).
    @inlinable static var stackCapacity: Int { 96 }

    /// A primitive's box rounded outwards to single precision: the build works
    /// on these (24 bytes a primitive), and node boxes are their unions, which
    /// equal the exact unions rounded outwards. Six scalars, so that unions
    /// compile to plain min and max instructions.
    struct FloatBox {
        var lx: Float, ly: Float, lz: Float, ux: Float, uy: Float, uz: Float
        static let empty = FloatBox(lx: .infinity, ly: .infinity, lz: .infinity, ux: -.infinity, uy: -.infinity, uz: -.infinity)
        init(lx: Float, ly: Float, lz: Float, ux: Float, uy: Float, uz: Float) {
            self.lx = lx; self.ly = ly; self.lz = lz; self.ux = ux; self.uy = uy; self.uz = uz
        }
        init(_ b: Bounds3) {
            func down(_ v: Double) -> Float { let f = Float(v); return Double(f) > v ? f.nextDown : f }
            func up(_ v: Double) -> Float { let f = Float(v); return Double(f) < v ? f.nextUp : f }
            self.init(lx: down(b.lower.x), ly: down(b.lower.y), lz: down(b.lower.z),
                      ux: up(b.upper.x), uy: up(b.upper.y), uz: up(b.upper.z))
        }
        @inline(__always) func union(_ b: FloatBox) -> FloatBox {
            FloatBox(lx: Swift.min(lx, b.lx), ly: Swift.min(ly, b.ly), lz: Swift.min(lz, b.lz),
                     ux: Swift.max(ux, b.ux), uy: Swift.max(uy, b.uy), uz: Swift.max(uz, b.uz))
        }
        /// Twice the centre along `axis` (lower + upper, in single precision: for binning only).
        @inline(__always) func centroid2(_ axis: Int) -> Float {
            axis == 0 ? lx + ux : (axis == 1 ? ly + uy : lz + uz)
        }
        var isEmpty: Bool { lx > ux }
        /// Surface area in doubles (single-precision products could overflow).
        @inline(__always) var surfaceArea: Double {
            if isEmpty { return 0 }
            let dx = Double(ux) - Double(lx), dy = Double(uy) - Double(ly), dz = Double(uz) - Double(lz)
            return 2 * (dx * dy + dy * dz + dz * dx)
        }
        var packed: PackedNode {
            PackedNode(lower: SIMD4(lx, ly, lz, 0), upper: SIMD4(ux, uy, uz, 0))
        }
    }

    /// Each primitive's build record (single-precision box) and the exact bounds of all,
    /// refusing non-finite or out-of-range coordinates and vertex indices.
    static func primitiveBoxes(count: Int, primitive: (Int) -> Primitive, triangle: (Int) -> TriangleIndices,
                               vertices: ContiguousArray<Vec3>, spheres: [(center: Vec3, radius: Double)],
                               disks: [Transform], cylinders: [Cylinder], sdfGrids: [Int: SDFGrid]) throws -> ([BuildRecord], Bounds3) {
        var records = [BuildRecord]()
        records.reserveCapacity(count)
        var all = Bounds3.empty
        let limit = BVH.coordinateLimit
        for k in 0..<count {
            let p = primitive(k)
            var b = Bounds3.empty
            switch p.kind {
            case .triangle:
                let t = triangle(k)
                guard Int(t.a) < vertices.count, Int(t.b) < vertices.count, Int(t.c) < vertices.count else {
                    throw BVHError(primitive: k, "triangle \(p.index) has a vertex index out of range (\(vertices.count) vertices)")
                }
                b = Bounds3(point: vertices[Int(t.a)]).union(vertices[Int(t.b)]).union(vertices[Int(t.c)])
            case .sphere:
                let s = spheres[Int(p.index)]
                b = Bounds3(lower: s.center - Vec3(repeating: s.radius), upper: s.center + Vec3(repeating: s.radius))
                if !(s.radius >= 0) { b = Bounds3(lower: Vec3(repeating: .nan), upper: Vec3(repeating: .nan)) }
            case .disk:
                let t = disks[Int(p.index)]
                for (x, y) in [(-1.0, -1.0), (1, -1), (-1, 1), (1, 1)] { b = b.union(t.point(Vec3(x, y, 0))) }
            case .cylinder:
                let c = cylinders[Int(p.index)]
                b = c.radius >= 0 && c.length >= 0 ? c.bounds : Bounds3(lower: Vec3(repeating: .nan), upper: Vec3(repeating: .nan))
            case .sdfVoxel:
                guard let grid = sdfGrids[Int(p.shape)], Int(p.index) < grid.voxels.count else {
                    throw BVHError(primitive: k, "sdf voxel \(p.index) of shape \(p.shape) has no grid voxel")
                }
                b = grid.boxes[Int(p.index)]
            }
            // Written so that NaN fails too.
            let inRange = b.lower.x >= -limit && b.lower.y >= -limit && b.lower.z >= -limit
                && b.upper.x <= limit && b.upper.y <= limit && b.upper.z <= limit
            guard inRange else {
                let what = p.kind == .triangle ? "triangle \(p.index)" : "\(p.kind)"
                let worst = [b.lower.x, b.lower.y, b.lower.z, b.upper.x, b.upper.y, b.upper.z]
                    .first { !($0.magnitude <= limit) } ?? .nan
                throw BVHError(primitive: k, "\(what) has a world-space coordinate of \(worst); coordinates must be finite and "
                               + "within ±\(limit) (the acceleration structure's boxes are single precision)")
            }
            records.append(BuildRecord(box: FloatBox(b), index: UInt32(k)))
            all = all.union(b)
        }
        return (records, all)
    }

    /// A primitive during the build: its box and its input index (28 bytes).
    /// The build partitions these records in place, so every pass over a
    /// node's range reads memory in order.
    struct BuildRecord {
        var box: FloatBox
        var index: UInt32
    }

    /// The top-down binned-SAH build over primitive boxes: fills `packed`
    /// and `links` in depth-first order and leaves the leaf order in `order`.
    struct Builder {
        /// Levels of SAH splits before ranges are halved instead, which bounds
        /// the depth (and the traversal stack) whatever the geometry.
        static let sahDepthLimit = 48
        static let binCount = 16
        var records: [BuildRecord]
        var packed = ContiguousArray<PackedNode>()
        var links = ContiguousArray<NodeLink>()
        var binBoxes = [FloatBox](repeating: .empty, count: Builder.binCount)
        var binCounts = [Int](repeating: 0, count: Builder.binCount)
        var rightAreas = [Double](repeating: 0, count: Builder.binCount)
        var rightCounts = [Int](repeating: 0, count: Builder.binCount)

        init(records: consuming [BuildRecord]) {
            self.records = records
            // A binary tree with leaves of at least one primitive: at most 2n − 1 nodes.
            packed.reserveCapacity(max(0, 2 * records.count - 1))
            links.reserveCapacity(max(0, 2 * records.count - 1))
        }

        /// Builds the tree; returns the leaf order (input index of each leaf slot).
        mutating func build() -> [UInt32] {
            var work = records
            records = []
            let n = work.count
            if n > 0 {
                work.withUnsafeMutableBufferPointer { r in node(r, 0, n, depth: 0) }
            }
            return work.map(\.index)
        }

        private mutating func node(_ r: UnsafeMutableBufferPointer<BuildRecord>, _ lo: Int, _ hi: Int, depth: Int) {
            var b = FloatBox.empty
            // Bounds of the centroids (twice the centres, in single precision).
            var c = FloatBox.empty
            for i in lo..<hi {
                let pb = r[i].box
                b = b.union(pb)
                let cx = pb.lx + pb.ux, cy = pb.ly + pb.uy, cz = pb.lz + pb.uz
                c = c.union(FloatBox(lx: cx, ly: cy, lz: cz, ux: cx, uy: cy, uz: cz))
            }
            let me = packed.count
            packed.append(b.packed)
            links.append(NodeLink(leaf: UInt32(lo), count: UInt32(hi - lo)))
            let n = hi - lo
            if n <= 2 { return }
            let ex = c.ux - c.lx, ey = c.uy - c.ly, ez = c.uz - c.lz
            let axis = ex > ey && ex > ez ? 0 : (ey > ez ? 1 : 2)
            let lower = axis == 0 ? c.lx : (axis == 1 ? c.ly : c.lz), extent = axis == 0 ? ex : (axis == 1 ? ey : ez)
            if !(extent > 0) {
                if n <= 8 { return }
                split(r, lo, (lo + hi) / 2, hi, me, axis, depth)
                return
            }
            if depth >= Builder.sahDepthLimit {
                split(r, lo, (lo + hi) / 2, hi, me, axis, depth)
                return
            }
            // Binned SAH, and in the same pass the boxes of large and small
            // primitives for the size partition below.
            let binCount = Builder.binCount
            let scale = Float(binCount) / extent
            @inline(__always) func bin(_ box: FloatBox) -> Int {
                let f = (box.centroid2(axis) - lower) * scale
                return f >= 0 ? min(binCount - 1, Int(min(f, Float(binCount)))) : 0
            }
            let area = b.surfaceArea
            let large = 0.25 * area
            var largeBounds = FloatBox.empty, smallBounds = FloatBox.empty, nLarge = 0
            for k in 0..<binCount { binBoxes[k] = .empty; binCounts[k] = 0 }
            binBoxes.withUnsafeMutableBufferPointer { binBoxes in
                binCounts.withUnsafeMutableBufferPointer { binCounts in
                    for i in lo..<hi {
                        let pb = r[i].box
                        let k = bin(pb)
                        binCounts[k] += 1
                        binBoxes[k] = binBoxes[k].union(pb)
                        if pb.surfaceArea >= large { largeBounds = largeBounds.union(pb); nLarge += 1 } else { smallBounds = smallBounds.union(pb) }
                    }
                }
            }
            // The cost of each split plane s (bins below it on the left): the
            // right sides swept down from the top bin, then the left sides up.
            var bestCost = Double.infinity, bestSplit = 0
            var right = FloatBox.empty, nRight = 0
            for s in stride(from: binCount - 1, through: 1, by: -1) {
                right = right.union(binBoxes[s]); nRight += binCounts[s]
                rightAreas[s] = right.surfaceArea; rightCounts[s] = nRight
            }
            var left = FloatBox.empty, nLeft = 0
            for s in 1..<binCount {
                left = left.union(binBoxes[s - 1]); nLeft += binCounts[s - 1]
                let nr = rightCounts[s]
                if nLeft == 0 || nr == 0 { continue }
                let cost = 0.125 + (Double(nLeft) * left.surfaceArea + Double(nr) * rightAreas[s]) / area
                if cost < bestCost { bestCost = cost; bestSplit = s }
            }
            // Object partition by size: the primitives whose boxes cover much of
            // the node's (a backdrop's two triangles) in one child, the rest in the
            // other. Centroid bins put such primitives on both sides, so both
            // children span the whole node and every ray visits both.
            if nLarge > 0 && nLarge < n && area > 0 {
                let cost = 0.125 + (Double(nLarge) * largeBounds.surfaceArea + Double(n - nLarge) * smallBounds.surfaceArea) / area
                if cost < bestCost && !(cost >= Double(n) && n <= 4) {
                    var mid = lo
                    for i in lo..<hi where r[i].box.surfaceArea >= large { r.swapAt(i, mid); mid += 1 }
                    split(r, lo, mid, hi, me, axis, depth)
                    return
                }
            }
            if bestSplit == 0 || (bestCost >= Double(n) && n <= 4) {
                // A leaf; a large one only when no split helps, which the SAH
                // says of few primitives: halve anything bigger than 16.
                if n <= 16 { return }
                split(r, lo, (lo + hi) / 2, hi, me, axis, depth)
                return
            }
            var mid = lo
            for i in lo..<hi where bin(r[i].box) < bestSplit { r.swapAt(i, mid); mid += 1 }
            if mid == lo || mid == hi { mid = (lo + hi) / 2 }
            split(r, lo, mid, hi, me, axis, depth)
        }

        private mutating func split(_ r: UnsafeMutableBufferPointer<BuildRecord>, _ lo: Int, _ mid: Int, _ hi: Int,
                                    _ me: Int, _ axis: Int, _ depth: Int) {
            links[me] = NodeLink(interiorAxis: UInt32(axis))
            node(r, lo, mid, depth: depth + 1)
            links[me].offset = UInt32(packed.count)
            node(r, mid, hi, depth: depth + 1)
        }
    }
}
