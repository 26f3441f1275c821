import Autodiff

extension BVH {
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
    }

    /// Each primitive's build record (single-precision box) and the exact bounds of all,
    /// refusing non-finite or out-of-range coordinates and vertex indices.
    static func primitiveBoxes(count: Int, primitive: (Int) -> Primitive, triangle: (Int) -> TriangleIndices,
                               vertices: ContiguousArray<Vec3>, spheres: [(center: Vec3, radius: Double)],
                               disks: [Transform], cylinders: [Cylinder], sdfGrids: [Int: SDFGrid]) throws -> ([BuildRecord], Bounds3) {
        var records = [BuildRecord]()
        records.reserveCapacity(count)
        let all = try checkedBoxes(count: count, primitive: primitive, triangle: triangle, vertices: vertices, spheres: spheres,
                                   disks: disks, cylinders: cylinders, sdfGrids: sdfGrids) { k, _, box in
            records.append(BuildRecord(box: box, index: UInt32(k)))
        }
        return (records, all)
    }

    /// Calls `body` with each primitive's index, kind and box (rounded
    /// outwards to single precision) in order, and returns the exact bounds of
    /// all, refusing non-finite or out-of-range coordinates and vertex indices.
    static func checkedBoxes(count: Int, primitive: (Int) -> Primitive, triangle: (Int) -> TriangleIndices,
                             vertices: ContiguousArray<Vec3>, spheres: [(center: Vec3, radius: Double)],
                             disks: [Transform], cylinders: [Cylinder], sdfGrids: [Int: SDFGrid],
                             _ body: (Int, PrimitiveKind, FloatBox) -> Void) throws -> Bounds3 {
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
            body(k, p.kind, FloatBox(b))
            all = all.union(b)
        }
        return all
    }

    /// A primitive during the build: its box, its input index and an upper
    /// bound of its box's surface area (32 bytes). The build partitions these
    /// records in place, so every pass over a node's range reads memory in order.
    struct BuildRecord {
        var box: FloatBox
        var index: UInt32
        /// `box.surfaceArea` rounded up to single precision: a node none of
        /// whose primitives can be large skips the exact test (`Builder.plan`).
        var areaBound: Float
        init(box: FloatBox, index: UInt32) {
            self.box = box; self.index = index
            let area = box.surfaceArea
            let f = Float(area)
            areaBound = Double(f) < area ? f.nextUp : f
        }
    }

    /// What the build keeps of a range of records: their box, the bounds of
    /// their centroids (twice the centres, in single precision) and the
    /// largest of their area bounds.
    struct RangeBounds {
        var box = FloatBox.empty, centroids = FloatBox.empty
        var maxArea: Float = 0
        @inline(__always) mutating func add(_ r: BuildRecord) {
            let pb = r.box
            box = box.union(pb)
            let cx = pb.lx + pb.ux, cy = pb.ly + pb.uy, cz = pb.lz + pb.uz
            centroids = centroids.union(FloatBox(lx: cx, ly: cy, lz: cz, ux: cx, uy: cy, uz: cz))
            maxArea = Swift.max(maxArea, r.areaBound)
        }
    }

    /// A node of the binary tree the build decides: its primitives (the
    /// records `lo..<hi`), its depth in the binary tree and their bounds.
    struct Span {
        var lo: Int, hi: Int, depth: Int
        var bounds: RangeBounds
        var box: FloatBox { bounds.box }
        /// The surface area the collapse compares (single precision, as a wide node's lanes hold the box).
        var collapseArea: Float {
            let ex = box.ux - box.lx, ey = box.uy - box.ly, ez = box.uz - box.lz
            return ex * ey + ey * ez + ez * ex
        }
    }

    /// A span with its split decided: a leaf (`children` nil), or an interior
    /// node whose range has been partitioned into its two children's.
    struct Planned {
        var span: Span
        var children: (Span, Span)?
    }

    /// The top-down binned-SAH build over primitive boxes (Wald 2007), straight
    /// into the 4-wide layout: the binary tree is decided node by node and
    /// collapsed as it is decided, so it is never stored. A wide node takes a
    /// binary node's two children and keeps opening its interior child of
    /// largest surface area until it has four (pbrt-v3's and Embree's
    /// collapse). Each binary node's split depends only on its own range of
    /// records, and the ranges of different subtrees are disjoint, so the tree
    /// is the one a depth-first recursion builds, whatever order the nodes are
    /// decided in.
    struct Builder {
        /// Levels of SAH splits before ranges are halved instead, which bounds
        /// the depth (and the traversal stack) whatever the geometry.
        static let sahDepthLimit = 48
        static let binCount = 16
        var records: [BuildRecord]
        var wide = ContiguousArray<WideNode>()
        var leaves = ContiguousArray<NodeLink>()
        /// The traversal stack's size: each wide level pushes at most four children and pops one.
        var stackCapacity = 1
        var binBoxes = [FloatBox](repeating: .empty, count: Builder.binCount)
        var binCounts = [Int](repeating: 0, count: Builder.binCount)
        var rightAreas = [Double](repeating: 0, count: Builder.binCount)
        var rightCounts = [Int](repeating: 0, count: Builder.binCount)

        init(records: consuming [BuildRecord]) {
            self.records = records
        }

        /// Builds the tree into `wide` and `leaves`; returns the leaf order
        /// (input index of each leaf slot). The root is always a wide node (a
        /// tree that is one leaf becomes a root with one leaf lane); wide nodes
        /// are numbered as a depth-first walk that takes the last lane first
        /// reaches them.
        mutating func build() -> [UInt32] {
            var work = records
            records = []
            let n = work.count
            if n == 0 { return [] }
            // A binary tree of n leaves has n − 1 interior nodes, and a wide node holds at least one of them.
            wide.reserveCapacity(n / 3 + 2)
            leaves.reserveCapacity(n)
            work.withUnsafeMutableBufferPointer { r in
                var pending = [(node: plan(r, Span(lo: 0, hi: n, depth: 0, bounds: Builder.bounds(r, 0, n))), wide: 0, level: 1)]
                var lanes = [Planned]()
                lanes.reserveCapacity(4)
                var depth = 1
                wide.append(WideNode())
                while let (b, w, level) = pending.popLast() {
                    depth = max(depth, level)
                    lanes.removeAll(keepingCapacity: true)
                    if let (left, right) = b.children {
                        lanes.append(plan(r, left)); lanes.append(plan(r, right))
                        while lanes.count < 4 {
                            var open = -1
                            for k in lanes.indices where lanes[k].children != nil {
                                if open < 0 || lanes[k].span.collapseArea > lanes[open].span.collapseArea { open = k }
                            }
                            if open < 0 { break }
                            let (left, right) = lanes[open].children!
                            lanes[open] = plan(r, left)
                            lanes.insert(plan(r, right), at: open + 1)
                        }
                    } else {
                        lanes.append(b)
                    }
                    var node = WideNode()
                    for (lane, c) in lanes.enumerated() {
                        if c.children == nil {
                            node.set(lane, box: c.span.box, child: BVH.leafFlag | UInt32(leaves.count))
                            leaves.append(NodeLink(leaf: UInt32(c.span.lo), count: UInt32(c.span.hi - c.span.lo)))
                        } else {
                            let index = wide.count
                            wide.append(WideNode())
                            pending.append((c, index, level + 1))
                            node.set(lane, box: c.span.box, child: UInt32(index))
                        }
                    }
                    wide[w] = node
                }
                stackCapacity = 3 * depth + 2
            }
            return work.map(\.index)
        }

        /// The bounds of records `lo..<hi`.
        static func bounds(_ r: UnsafeMutableBufferPointer<BuildRecord>, _ lo: Int, _ hi: Int) -> RangeBounds {
            var b = RangeBounds()
            for i in lo..<hi { b.add(r[i]) }
            return b
        }

        /// Partitions records `lo..<hi` in place, those `left` accepts first,
        /// and returns the boundary and both sides' bounds (one pass: the
        /// sides' bounds are unions and maxima, whatever the order).
        @inline(__always)
        static func partition(_ r: UnsafeMutableBufferPointer<BuildRecord>, _ lo: Int, _ hi: Int,
                              _ left: (FloatBox) -> Bool) -> (mid: Int, left: RangeBounds, right: RangeBounds) {
            var mid = lo
            var lb = RangeBounds(), rb = RangeBounds()
            for i in lo..<hi {
                let record = r[i]
                if left(record.box) {
                    r.swapAt(i, mid); mid += 1
                    lb.add(record)
                } else {
                    rb.add(record)
                }
            }
            return (mid, lb, rb)
        }

        /// `s` split at `mid` into children whose bounds are given.
        static func children(_ s: Span, _ mid: Int, _ left: RangeBounds, _ right: RangeBounds) -> Planned {
            Planned(span: s, children: (Span(lo: s.lo, hi: mid, depth: s.depth + 1, bounds: left),
                                        Span(lo: mid, hi: s.hi, depth: s.depth + 1, bounds: right)))
        }

        /// `s` split into two halves of its range as it lies.
        static func halves(_ r: UnsafeMutableBufferPointer<BuildRecord>, _ s: Span) -> Planned {
            let mid = (s.lo + s.hi) / 2
            return children(s, mid, bounds(r, s.lo, mid), bounds(r, mid, s.hi))
        }

        /// Decides whether `node` is a leaf or how it splits, partitioning its records in place.
        mutating func plan(_ r: UnsafeMutableBufferPointer<BuildRecord>, _ node: Span) -> Planned {
            let lo = node.lo, hi = node.hi, b = node.bounds.box, c = node.bounds.centroids
            let leaf = Planned(span: node, children: nil)
            let n = hi - lo
            if n <= 2 { return leaf }
            let ex = c.ux - c.lx, ey = c.uy - c.ly, ez = c.uz - c.lz
            let axis = ex > ey && ex > ez ? 0 : (ey > ez ? 1 : 2)
            let lower = axis == 0 ? c.lx : (axis == 1 ? c.ly : c.lz), extent = axis == 0 ? ex : (axis == 1 ? ey : ez)
            if !(extent > 0) {
                if n <= 8 { return leaf }
                return Builder.halves(r, node)
            }
            if node.depth >= Builder.sahDepthLimit { return Builder.halves(r, node) }
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
            // No primitive is large when none's area bound reaches `large`: the exact test is then skipped.
            let mayBeLarge = Double(node.bounds.maxArea) >= large
            for k in 0..<binCount { binBoxes[k] = .empty; binCounts[k] = 0 }
            binBoxes.withUnsafeMutableBufferPointer { binBoxes in
                binCounts.withUnsafeMutableBufferPointer { binCounts in
                    @inline(__always) func add(_ pb: FloatBox) {
                        let k = bin(pb)
                        binCounts[k] += 1
                        binBoxes[k] = binBoxes[k].union(pb)
                    }
                    if mayBeLarge {
                        for i in lo..<hi {
                            let pb = r[i].box
                            add(pb)
                            if pb.surfaceArea >= large { largeBounds = largeBounds.union(pb); nLarge += 1 } else { smallBounds = smallBounds.union(pb) }
                        }
                    } else {
                        for i in lo..<hi { add(r[i].box) }
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
                    let p = Builder.partition(r, lo, hi) { $0.surfaceArea >= large }
                    return Builder.children(node, p.mid, p.left, p.right)
                }
            }
            if bestSplit == 0 || (bestCost >= Double(n) && n <= 4) {
                // A leaf; a large one only when no split helps, which the SAH
                // says of few primitives: halve anything bigger than 16.
                if n <= 16 { return leaf }
                return Builder.halves(r, node)
            }
            let p = Builder.partition(r, lo, hi) { bin($0) < bestSplit }
            if p.mid == lo || p.mid == hi { return Builder.halves(r, node) }
            return Builder.children(node, p.mid, p.left, p.right)
        }
    }
}
