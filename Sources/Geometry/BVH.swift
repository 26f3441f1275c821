import Autodiff

/// A bounding volume hierarchy over primitives, built with the binned
/// surface area heuristic (Wald 2007; pbrt-v4's `BVHAggregate`, see
/// `BVH+Build.swift`) and traversed in plain doubles. Nodes are flattened
/// depth first: an interior node's first child follows it, `offset` holds the
/// second.
///
/// Sizes: every count and index is 32-bit (up to `maximumPrimitiveCount`
/// primitives and 2³² vertices). Per triangle the hierarchy keeps its
/// `Primitive` (12 bytes), three vertex indices (12 bytes) and about one node
/// (40 bytes); vertex positions are shared (`vertices`, 24 bytes each).
public struct BVH: Sendable {
    /// The traversal's copy of a node's box: 32 bytes, bounds rounded
    /// outwards to single precision, fourth lanes zero. (They once held the
    /// offset and count bit patterns: small integers read as floats are
    /// subnormal, and the box test's vector arithmetic on those lanes cost a
    /// microcode assist per node, most of the traversal's time.)
    @frozen
    public struct PackedNode: Sendable {
        public var lower: SIMD4<Float>
        public var upper: SIMD4<Float>
        @inlinable init(lower: SIMD4<Float>, upper: SIMD4<Float>) { self.lower = lower; self.upper = upper }
    }

    /// The traversal's copy of a node's links, read once its box is hit: 8 bytes.
    @frozen
    public struct NodeLink: Sendable {
        /// Leaf: first primitive; interior: index of the second child.
        public var offset: UInt32
        /// Leaf: primitive count << 2; interior: the split axis (count 0).
        @usableFromInline var countAndAxis: UInt32
        /// Leaf: primitive count (> 0); interior: 0.
        @inlinable public var count: UInt32 { countAndAxis >> 2 }
        /// Interior: split axis (0, 1, 2).
        @inlinable public var axis: UInt32 { countAndAxis & 3 }
        @inlinable init(leaf first: UInt32, count: UInt32) { offset = first; countAndAxis = count << 2 }
        @inlinable init(interiorAxis axis: UInt32) { offset = 0; countAndAxis = axis }
    }

    /// Most primitives in one hierarchy (leaf counts keep 30 bits; `Hit.primitive` is an `Int32`).
    public static let maximumPrimitiveCount = 1 << 30
    /// Largest magnitude of a world-space coordinate. Node boxes are single
    /// precision (largest finite value 3.4e38): 1e30 leaves room for the
    /// box arithmetic (extents, surface areas, the slab test's products).
    public static let coordinateLimit = 1e30

    public var packed: ContiguousArray<PackedNode>
    public var links: ContiguousArray<NodeLink>
    /// True when every primitive is a triangle (no analytic shapes to switch on).
    public var onlyTriangles: Bool
    /// Primitives in leaf order.
    public var primitives: ContiguousArray<Primitive>
    /// Vertex indices into `vertices` aligned with `primitives` (zero for analytic ones).
    public var triangles: ContiguousArray<TriangleIndices>
    /// World-space vertex positions of all triangles.
    public var vertices: ContiguousArray<Vec3>
    /// Analytic spheres (center, radius) and disks (to-local transforms), indexed by `Primitive.index`.
    public var spheres: ContiguousArray<(center: Vec3, radius: Double)>
    public var disks: ContiguousArray<Transform>
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
                vertices: ContiguousArray<Vec3>, spheres: [(center: Vec3, radius: Double)], disks: [Transform]) throws {
        guard count <= BVH.maximumPrimitiveCount else {
            throw BVHError(primitive: nil, "\(count) primitives, over the limit of \(BVH.maximumPrimitiveCount)")
        }
        guard vertices.count <= Int(UInt32.max) else {
            throw BVHError(primitive: nil, "\(vertices.count) vertices, over the limit of \(UInt32.max)")
        }
        self.vertices = vertices
        self.spheres = ContiguousArray(spheres)
        self.disks = ContiguousArray(disks.map { $0.inverse })
        let (records, root) = try BVH.primitiveBoxes(count: count, primitive: primitive, triangle: triangle,
                                                     vertices: vertices, spheres: spheres, disks: disks)
        self.bounds = root
        var builder = Builder(records: records)
        let order = builder.build()
        self.packed = builder.packed
        self.links = builder.links
        var prims = ContiguousArray<Primitive>(), tris = ContiguousArray<TriangleIndices>()
        prims.reserveCapacity(count)
        tris.reserveCapacity(count)
        var onlyTriangles = true
        for k in order {
            let p = primitive(Int(k))
            prims.append(p)
            if p.kind == .triangle { tris.append(triangle(Int(k))) } else { tris.append(TriangleIndices(0, 0, 0)); onlyTriangles = false }
        }
        self.primitives = prims
        self.triangles = tris
        self.onlyTriangles = onlyTriangles
    }

    /// The same from arrays: `triangles[i]` is read when `primitives[i]` is a triangle.
    public init(primitives: [Primitive], triangles: [TriangleIndices], vertices: ContiguousArray<Vec3>,
                spheres: [(center: Vec3, radius: Double)], disks: [Transform]) throws {
        guard triangles.count == primitives.count else {
            throw BVHError(primitive: nil, "\(triangles.count) vertex index triples for \(primitives.count) primitives")
        }
        try self.init(count: primitives.count, primitive: { primitives[$0] }, triangle: { triangles[$0] },
                      vertices: vertices, spheres: spheres, disks: disks)
    }

    /// The same from each triangle primitive's three world-space vertices
    /// (three vertices per triangle, none shared): for tests and small scenes.
    public init(primitives input: [Primitive], triangleVertices: (Primitive) -> (Vec3, Vec3, Vec3),
                spheres: [(center: Vec3, radius: Double)], disks: [Transform]) throws {
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
        try self.init(primitives: input, triangles: tris, vertices: vertices, spheres: spheres, disks: disks)
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

    /// Möller–Trumbore on triangle `t`, its edges formed from the shared
    /// vertices (the same doubles `TriangleEdges` precomputes).
    @inlinable @inline(__always)
    static func intersectTriangle(_ t: TriangleIndices, _ verts: UnsafeBufferPointer<Vec3>, _ o: Vec3, _ d: Vec3,
                                  _ tMin: Double, _ tMax: Double) -> (t: Double, u: Double, v: Double)? {
        TriangleEdges(verts[Int(t.a)], verts[Int(t.b)], verts[Int(t.c)]).intersect(o: o, d: d, tMin: tMin, tMax: tMax)
    }

    /// The hit of primitive `i`, read through the traversal's buffers.
    @inlinable @inline(__always)
    func intersectPrimitive(_ i: Int, _ prims: UnsafeBufferPointer<Primitive>, _ tris: UnsafeBufferPointer<TriangleIndices>,
                            _ verts: UnsafeBufferPointer<Vec3>,
                            _ o: Vec3, _ d: Vec3, _ tMin: Double, _ tMax: Double) -> (t: Double, u: Double, v: Double)? {
        let p = prims[i]
        switch p.kind {
        case .triangle:
            return BVH.intersectTriangle(tris[i], verts, o, d, tMin, tMax)
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
          vertices.withUnsafeBufferPointer { verts in
          primitives.withUnsafeBufferPointer { prims in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: BVH.stackCapacity) { stack in
                var sp = 0
                var current = 0
                while true {
                    if current == 0 || BVH.hits(nodes[current], ray, bestF) {
                        let node = links[current]
                        let count = Int(node.count)
                        if count > 0 {
                            let first = Int(node.offset)
                            for i in first..<first + count {
                                let h = onlyTriangles ? BVH.intersectTriangle(tris[i], verts, o, d, tMin, best.t)
                                                      : intersectPrimitive(i, prims, tris, verts, o, d, tMin, best.t)
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
                                stack[sp] = UInt32(current + 1); sp += 1
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
          vertices.withUnsafeBufferPointer { verts in
          primitives.withUnsafeBufferPointer { prims in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: BVH.stackCapacity) { stack in
                var sp = 0
                var current = 0
                while true {
                    if current == 0 || BVH.hits(nodes[current], ray, tMaxF) {
                        let node = links[current]
                        let count = Int(node.count)
                        if count > 0 {
                            let first = Int(node.offset)
                            for i in first..<first + count {
                                let h = onlyTriangles ? BVH.intersectTriangle(tris[i], verts, o, d, tMin, tMax)
                                                      : intersectPrimitive(i, prims, tris, verts, o, d, tMin, tMax)
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
}
