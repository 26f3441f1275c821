import Autodiff

/// A bounding volume hierarchy over primitives, built with the binned
/// surface area heuristic (Wald 2007; pbrt-v4's `BVHAggregate`, see
/// `BVH+Build.swift`) as a binary tree that is collapsed, as it is decided,
/// into the 4-wide tree traversal walks (`BVH+Wide.swift`): boxes tested
/// four at a time in single precision, primitives in doubles. The binary
/// tree itself is not kept.
///
/// Sizes: every count and index is 32-bit (up to `maximumPrimitiveCount`
/// primitives and 2³² vertices). Per triangle the hierarchy keeps its
/// `Primitive` (12 bytes), three vertex indices (12 bytes), its share of the
/// wide nodes (112 bytes each, one per three interior binary nodes: about
/// 20 bytes a triangle on a heightfield) and of the leaves (8 bytes each);
/// vertex positions are shared (`vertices`, 24 bytes each).
public struct BVH: Sendable {
    /// A leaf: its first primitive (in `primitives`) and its count. 8 bytes.
    @frozen
    public struct NodeLink: Sendable {
        /// The first primitive.
        public var offset: UInt32
        /// The primitive count (> 0).
        public var count: UInt32
        @inlinable init(leaf first: UInt32, count: UInt32) { offset = first; self.count = count }
    }

    /// Most primitives in one hierarchy (leaf counts keep 30 bits; `Hit.primitive` is an `Int32`).
    public static let maximumPrimitiveCount = 1 << 30
    /// Largest magnitude of a world-space coordinate. Node boxes are single
    /// precision (largest finite value 3.4e38): 1e30 leaves room for the
    /// box arithmetic (extents, surface areas, the slab test's products).
    public static let coordinateLimit = 1e30

    /// The 4-wide hierarchy traversal walks (`WideNode`), root first, its
    /// leaves (first primitive and count) and the traversal stack's size (8
    /// bytes an entry: on the thread's stack up to 128 entries, 40 levels).
    public var wide: ContiguousArray<WideNode>
    public var wideLeaves: ContiguousArray<NodeLink>
    public var wideStackCapacity: Int
    /// Primitives in leaf order.
    public var primitives: ContiguousArray<Primitive>
    /// Vertex indices into `vertices` aligned with `primitives` (zero for analytic ones).
    public var triangles: ContiguousArray<TriangleIndices>
    /// World-space vertex positions of all triangles.
    public var vertices: ContiguousArray<Vec3>
    /// Analytic spheres (center, radius) and disks (to-local transforms), indexed by `Primitive.index`.
    public var spheres: ContiguousArray<(center: Vec3, radius: Double)>
    public var disks: ContiguousArray<Transform>
    /// Analytic cylinders (world space), indexed by `Primitive.index`.
    public var cylinders: ContiguousArray<Cylinder>
    /// Signed-distance grids by `Primitive.shape` (nil for other shapes); an
    /// `.sdfVoxel` primitive's index is its voxel in the grid's `voxels`.
    public var sdfGrids: ContiguousArray<SDFGrid?>
    /// The exact (double-precision) bounds of every primitive.
    public var bounds: Bounds3

    /// Builds the hierarchy over `count` primitives: `primitive(i)` is
    /// primitive `i` and, when it is a triangle, `triangle(i)` its vertex
    /// indices into `vertices` (world space); spheres and disks are given
    /// world-space. Each is asked for twice: for its box, and after the build
    /// in leaf order, so that no copy of the inputs lives through the build.
    /// Throws `BVHError` for a primitive whose coordinates are not finite or
    /// exceed `coordinateLimit`, an index out of range, or too many primitives.
    public init(count: Int, primitive: (Int) -> Primitive, triangle: (Int) -> TriangleIndices,
                vertices: ContiguousArray<Vec3>, spheres: [(center: Vec3, radius: Double)], disks: [Transform],
                cylinders: [Cylinder] = [], sdfGrids: [Int: SDFGrid] = [:]) throws {
        guard count <= BVH.maximumPrimitiveCount else {
            throw BVHError(primitive: nil, "\(count) primitives, over the limit of \(BVH.maximumPrimitiveCount)")
        }
        guard vertices.count <= Int(UInt32.max) else {
            throw BVHError(primitive: nil, "\(vertices.count) vertices, over the limit of \(UInt32.max)")
        }
        self.vertices = vertices
        self.spheres = ContiguousArray(spheres)
        self.disks = ContiguousArray(disks.map { $0.inverse })
        self.cylinders = ContiguousArray(cylinders)
        self.sdfGrids = BVH.gridsByShape(sdfGrids)
        let (records, root) = try BVH.primitiveBoxes(count: count, primitive: primitive, triangle: triangle,
                                                     vertices: vertices, spheres: spheres, disks: disks, cylinders: cylinders,
                                                     sdfGrids: sdfGrids)
        self.bounds = root
        var builder = Builder(records: records)
        let order = builder.build()
        (self.wide, self.wideLeaves, self.wideStackCapacity) = (builder.wide, builder.leaves, builder.stackCapacity)
        var prims = ContiguousArray<Primitive>(), tris = ContiguousArray<TriangleIndices>()
        prims.reserveCapacity(count)
        tris.reserveCapacity(count)
        for k in order {
            let p = primitive(Int(k))
            prims.append(p)
            tris.append(p.kind == .triangle ? triangle(Int(k)) : TriangleIndices(0, 0, 0))
        }
        self.primitives = prims
        self.triangles = tris
    }

    /// The same from arrays: `triangles[i]` is read when `primitives[i]` is a triangle.
    public init(primitives: [Primitive], triangles: [TriangleIndices], vertices: ContiguousArray<Vec3>,
                spheres: [(center: Vec3, radius: Double)], disks: [Transform], cylinders: [Cylinder] = []) throws {
        guard triangles.count == primitives.count else {
            throw BVHError(primitive: nil, "\(triangles.count) vertex index triples for \(primitives.count) primitives")
        }
        try self.init(count: primitives.count, primitive: { primitives[$0] }, triangle: { triangles[$0] },
                      vertices: vertices, spheres: spheres, disks: disks, cylinders: cylinders)
    }

    /// The same from each triangle primitive's three world-space vertices
    /// (three vertices per triangle, none shared): for tests and small scenes.
    public init(primitives input: [Primitive], triangleVertices: (Primitive) -> (Vec3, Vec3, Vec3),
                spheres: [(center: Vec3, radius: Double)], disks: [Transform], cylinders: [Cylinder] = []) throws {
        var vertices = ContiguousArray<Vec3>(), tris = [TriangleIndices]()
        tris.reserveCapacity(input.count)
        for p in input {
            if p.kind == .triangle {
                let (a, b, c) = triangleVertices(p), k = UInt32(vertices.count)
                vertices.append(a); vertices.append(b); vertices.append(c)
                tris.append(TriangleIndices(k, k + 1, k + 2))
            } else {
                tris.append(TriangleIndices(0, 0, 0))
            }
        }
        try self.init(primitives: input, triangles: tris, vertices: vertices, spheres: spheres, disks: disks, cylinders: cylinders)
    }
}

extension BVH {
    /// `grids` (by `Primitive.shape`) as a dense array indexed by shape.
    static func gridsByShape(_ grids: [Int: SDFGrid]) -> ContiguousArray<SDFGrid?> {
        var out = ContiguousArray<SDFGrid?>(repeating: nil, count: (grids.keys.max() ?? -1) + 1)
        for (shape, grid) in grids { out[shape] = grid }
        return out
    }
}

/// Vertex indices of one triangle into `BVH.vertices`.
@frozen
public struct TriangleIndices: Sendable, Equatable {
    public var a: UInt32, b: UInt32, c: UInt32
    @inlinable public init(_ a: UInt32, _ b: UInt32, _ c: UInt32) { self.a = a; self.b = b; self.c = c }
}

/// A primitive the hierarchy cannot hold; `primitive` is its index in the input
/// (nil when the whole input is refused).
public struct BVHError: Error, Sendable, CustomStringConvertible {
    public let primitive: Int?
    public let message: String
    public init(primitive: Int?, _ message: String) { self.primitive = primitive; self.message = message }
    public var description: String { message }
}

extension BVH {
    /// A ray's origin and inverse direction in single precision, for the box tests.
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

    /// Möller–Trumbore on triangle `t`, its edges formed from the shared
    /// vertices (the same doubles `TriangleEdges` precomputes).
    @inlinable @inline(__always)
    static func intersectTriangle(_ t: TriangleIndices, _ verts: UnsafeBufferPointer<Vec3>, _ o: Vec3, _ d: Vec3,
                                  _ tMin: Double, _ tMax: Double) -> (t: Double, u: Double, v: Double)? {
        TriangleEdges(verts[Int(t.a)], verts[Int(t.b)], verts[Int(t.c)]).intersect(o: o, d: d, tMin: tMin, tMax: tMax)
    }

    /// The hierarchy's arrays as plain pointers, for one query: the traversal
    /// (`intersect(_:o:d:tMin:tMax:)`, out of line) takes these, not the
    /// `BVH`, which a call passed as a copy of its 136 bytes per ray, and
    /// reads no array reference it would retain. Valid while the `BVH` that
    /// made them (`withBuffers`) is alive and unchanged.
    @frozen @usableFromInline
    struct Buffers {
        @usableFromInline let nodes: UnsafeBufferPointer<WideNode>, leaves: UnsafeBufferPointer<NodeLink>
        @usableFromInline let primitives: UnsafeBufferPointer<Primitive>, triangles: UnsafeBufferPointer<TriangleIndices>
        @usableFromInline let vertices: UnsafeBufferPointer<Vec3>
        @usableFromInline let spheres: UnsafeBufferPointer<(center: Vec3, radius: Double)>
        @usableFromInline let disks: UnsafeBufferPointer<Transform>, cylinders: UnsafeBufferPointer<Cylinder>
        @usableFromInline let sdfGrids: UnsafeBufferPointer<SDFGrid?>
        @usableFromInline let stackCapacity: Int

        @inlinable @inline(__always)
        init(nodes: UnsafeBufferPointer<WideNode>, leaves: UnsafeBufferPointer<NodeLink>, primitives: UnsafeBufferPointer<Primitive>,
             triangles: UnsafeBufferPointer<TriangleIndices>, vertices: UnsafeBufferPointer<Vec3>,
             spheres: UnsafeBufferPointer<(center: Vec3, radius: Double)>, disks: UnsafeBufferPointer<Transform>,
             cylinders: UnsafeBufferPointer<Cylinder>, sdfGrids: UnsafeBufferPointer<SDFGrid?>, stackCapacity: Int) {
            self.nodes = nodes; self.leaves = leaves; self.primitives = primitives; self.triangles = triangles
            self.vertices = vertices; self.spheres = spheres; self.disks = disks; self.cylinders = cylinders
            self.sdfGrids = sdfGrids; self.stackCapacity = stackCapacity
        }
    }

    /// `body` applied to this hierarchy's `Buffers`; nil, without calling
    /// `body`, when the hierarchy is empty. In line, so that a query on a
    /// `BVH` stored inside a larger value reads its arrays in place.
    @inlinable @inline(__always)
    func withBuffers<R>(_ body: (Buffers) -> R) -> R? {
        if wide.isEmpty { return nil }
        return wide.withUnsafeBufferPointer { nodes in
          wideLeaves.withUnsafeBufferPointer { leaves in
          primitives.withUnsafeBufferPointer { prims in
          triangles.withUnsafeBufferPointer { tris in
          vertices.withUnsafeBufferPointer { verts in
          spheres.withUnsafeBufferPointer { spheres in
          disks.withUnsafeBufferPointer { disks in
          cylinders.withUnsafeBufferPointer { cylinders in
          sdfGrids.withUnsafeBufferPointer { grids in
            body(Buffers(nodes: nodes, leaves: leaves, primitives: prims, triangles: tris, vertices: verts, spheres: spheres,
                         disks: disks, cylinders: cylinders, sdfGrids: grids, stackCapacity: wideStackCapacity))
          }
          }
          }
          }
          }
          }
          }
          }
        }
    }

    /// The hit of analytic primitive `i` (a sphere, disk, cylinder or sdf
    /// voxel; (t, 0, 0) for those without barycentrics). Out of line: the
    /// traversal tests triangles in line and calls this for the rest.
    @usableFromInline @inline(never)
    static func intersectAnalytic(_ i: Int, _ b: Buffers, _ o: Vec3, _ d: Vec3,
                                  _ tMin: Double, _ tMax: Double) -> (t: Double, u: Double, v: Double)? {
        let p = b.primitives[i]
        switch p.kind {
        case .triangle:
            return intersectTriangle(b.triangles[i], b.vertices, o, d, tMin, tMax)
        case .sphere:
            let s = b.spheres[Int(p.index)]
            guard let t = intersectSphere(o: o, d: d, center: s.center, radius: s.radius, tMin: tMin, tMax: tMax) else { return nil }
            return (t, 0, 0)
        case .disk:
            return intersectDisk(o: o, d: d, toLocal: b.disks[Int(p.index)], tMin: tMin, tMax: tMax)
        case .cylinder:
            guard let t = intersectCylinder(o: o, d: d, b.cylinders[Int(p.index)], tMin: tMin, tMax: tMax) else { return nil }
            return (t, 0, 0)
        case .sdfVoxel:
            guard let t = b.sdfGrids[Int(p.shape)]!.intersect(voxel: Int(p.index), o: o, d: d, tMin: tMin, tMax: tMax) else { return nil }
            return (t, 0, 0)
        }
    }

    /// The closest hit along `o + t d` for t in (tMin, tMax).
    /// Walks `wide`: a node's four boxes in one single-precision slab test
    /// (rounded outwards boxes, `tFar` widened by a few ulps, so rounding never
    /// culls a box the ray touches), the children hit pushed farthest first, and
    /// a popped child skipped when it starts beyond the closest hit so far.
    /// Primitives are tested in doubles, so the hits are those of a brute-force
    /// search (equal distances may name a different one of the primitives).
    @inlinable @inline(__always)
    public func intersect(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double = .infinity) -> Hit? {
        withBuffers { BVH.intersect($0, o: o, d: d, tMin: tMin, tMax: tMax) } ?? nil
    }

    /// `intersect(o:d:tMin:tMax:)` over a non-empty hierarchy's buffers. Out
    /// of line, as `occluded` is: inlined into a large caller, the walk's own
    /// calls (the box test) would be left out of line by the optimizer's size budget.
    @inlinable @inline(never)
    static func intersect(_ b: Buffers, o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> Hit? {
        walk(b, o: o, d: d, tMin: tMin, tMax: tMax, closest: true)
    }

    /// Whether a ray's origin or direction holds a NaN (one sum: a NaN anywhere makes it NaN).
    @inlinable @inline(__always)
    static func hasNaN(_ o: Vec3, _ d: Vec3) -> Bool { (o.x + o.y + o.z + d.x + d.y + d.z).isNaN }

    /// Whether anything lies along `o + t d` for t in (tMin, tMax): shadow rays.
    /// The same walk as `intersect`, stopping at the first primitive hit, in no particular order.
    @inlinable @inline(__always)
    public func occluded(o: Vec3, d: Vec3, tMin: Double = 0, tMax: Double) -> Bool {
        withBuffers { BVH.occluded($0, o: o, d: d, tMin: tMin, tMax: tMax) } ?? false
    }

    /// `occluded(o:d:tMin:tMax:)` over a non-empty hierarchy's buffers.
    @inlinable @inline(never)
    static func occluded(_ b: Buffers, o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> Bool {
        walk(b, o: o, d: d, tMin: tMin, tMax: tMax, closest: false) != nil
    }

    /// The walk both queries share, on a stack of `b.stackCapacity` entries
    /// on the thread's stack (or the heap, for a deep tree). With `closest`
    /// (a constant where it is inlined) the closest hit; without, the first
    /// hit found, children visited in no particular order. A NaN in the ray
    /// or in `tMax` meets nothing.
    @inlinable @inline(__always)
    static func walk(_ b: Buffers, o: Vec3, d: Vec3, tMin: Double, tMax: Double, closest: Bool) -> Hit? {
        // A NaN ray meets nothing: its slab tests would pass every lane, empty ones included.
        if hasNaN(o, d) { return nil }
        return withUnsafeTemporaryAllocation(of: WideEntry.self, capacity: b.stackCapacity) {
            walk(b, stack: $0.baseAddress!, o: o, d: d, tMin: tMin, tMax: tMax, closest: closest)
        }
    }

    /// `walk(_:o:d:tMin:tMax:closest:)` on `stack`. Every piece of the walk's
    /// state is a local here (the closure that provides the stack captures
    /// nothing it writes), so that it stays in registers.
    @inlinable @inline(__always)
    static func walk(_ b: Buffers, stack: UnsafeMutablePointer<WideEntry>, o: Vec3, d: Vec3, tMin: Double, tMax: Double,
                     closest: Bool) -> Hit? {
        let ray = WideRay(RayBox(o: o, d: d))
        var best = Hit(t: tMax, u: 0, v: 0, primitive: -1)
        // Float(∞) and Float of a double beyond Float's range are ∞.
        var bestF = Float(tMax)
        let nodes = b.nodes.baseAddress!
        stack[0] = WideEntry(child: 0, tNear: 0)
        var sp = 1
        while sp > 0 {
            sp -= 1
            let entry = stack[sp]
            if closest && entry.tNear > bestF * 1.000_000_4 { continue }
            // The interior case first: the optimizer inlines calls in the order
            // they appear, up to a size budget, and the box test must be inlined.
            if entry.child & leafFlag == 0 {
                let node = nodes + Int(entry.child)
                var (tNear, hit) = hits(node, ray, bestF)
                if !closest {
                    while hit != 0 {
                        stack[sp] = WideEntry(child: node.pointee.child[hit.trailingZeroBitCount], tNear: 0)
                        hit &= hit - 1
                        sp += 1
                    }
                    continue
                }
                // Push the children hit, each sorted in so that the nearest is on top.
                let base = sp
                while hit != 0 {
                    let lane = hit.trailingZeroBitCount
                    hit &= hit - 1
                    let e = WideEntry(child: node.pointee.child[lane], tNear: tNear[lane])
                    var j = sp
                    while j > base && stack[j - 1].tNear < e.tNear { stack[j] = stack[j - 1]; j -= 1 }
                    stack[j] = e
                    sp += 1
                }
                continue
            }
            let leaf = b.leaves[Int(entry.child & ~leafFlag)]
            let first = Int(leaf.offset)
            for i in first..<first + Int(leaf.count) {
                let h = b.primitives[i].kind == .triangle ? intersectTriangle(b.triangles[i], b.vertices, o, d, tMin, best.t)
                                                          : intersectAnalytic(i, b, o, d, tMin, best.t)
                if let h {
                    best = Hit(t: h.t, u: h.u, v: h.v, primitive: Int32(i))
                    if !closest { return best }
                    bestF = Float(h.t)
                }
            }
        }
        return best.primitive >= 0 ? best : nil
    }
}
