import Testing
import Geometry

/// A small deterministic generator for test geometry.
struct TestRNG {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    mutating func vector(_ scale: Double = 1) -> Vec3 { Vec3(next() * 2 - 1, next() * 2 - 1, next() * 2 - 1) * scale }
}

/// For `rays` rays from `ray`, the BVH's closest hit equals the brute-force
/// closest hit over `triangles` and `spheres` to the bit (both run the same
/// double-precision tests), and occlusion agrees.
func expectBruteForceAgreement(_ bvh: BVH, triangles: [(Vec3, Vec3, Vec3)], spheres: [(center: Vec3, radius: Double)],
                               rays: Int, _ ray: () -> (origin: Vec3, direction: Vec3)) {
    for _ in 0..<rays {
        let (o, d) = ray()
        var best = Double.infinity
        for t in triangles {
            if let h = TriangleEdges(t.0, t.1, t.2).intersect(o: o, d: d, tMin: 0, tMax: best) { best = h.t }
        }
        for s in spheres {
            if let t = intersectSphere(o: o, d: d, center: s.center, radius: s.radius, tMin: 0, tMax: best) { best = t }
        }
        let hit = bvh.intersect(o: o, d: d)
        if best.isFinite {
            #expect(hit != nil)
            #expect(hit?.t == best)
        } else {
            #expect(hit == nil)
        }
        #expect(bvh.occluded(o: o, d: d, tMax: 1e30) == best.isFinite)
    }
}

@Suite("BVH")
struct BVHTests {
    /// Random triangles and spheres; every ray's closest hit from the BVH
    /// equals the brute-force closest hit, and occlusion agrees.
    @Test func closestHitMatchesBruteForce() throws {
        var rng = TestRNG(state: 42)
        var prims = [Primitive](), tris = [(Vec3, Vec3, Vec3)](), spheres = [(center: Vec3, radius: Double)]()
        for i in 0..<300 {
            let c = rng.vector(3)
            tris.append((c, c + rng.vector(0.4), c + rng.vector(0.4)))
            prims.append(Primitive(kind: .triangle, shape: 0, index: Int32(i)))
        }
        for i in 0..<20 {
            spheres.append((rng.vector(3), 0.05 + 0.2 * rng.next()))
            prims.append(Primitive(kind: .sphere, shape: 1, index: Int32(i)))
        }
        let bvh = try BVH(primitives: prims, triangleVertices: { tris[Int($0.index)] }, spheres: spheres, disks: [])
        expectBruteForceAgreement(bvh, triangles: tris, spheres: spheres, rays: 2000) { (rng.vector(5), rng.vector().normalized) }
    }

    /// A ray holding a NaN (a degenerate sample upstream) meets nothing and
    /// does not walk the tree's empty lanes.
    @Test func nanRayMeetsNothing() throws {
        var rng = TestRNG(state: 7)
        var prims = [Primitive](), tris = [(Vec3, Vec3, Vec3)]()
        for i in 0..<200 {
            let c = rng.vector(3)
            tris.append((c, c + rng.vector(0.4), c + rng.vector(0.4)))
            prims.append(Primitive(kind: .triangle, shape: 0, index: Int32(i)))
        }
        let bvh = try BVH(primitives: prims, triangleVertices: { tris[Int($0.index)] }, spheres: [], disks: [])
        let nan = Double.nan
        for (o, d) in [(Vec3(nan, 0, 0), Vec3(0, 0, 1)), (Vec3(0, 0, -5), Vec3(0, nan, 1)), (Vec3(nan, nan, nan), Vec3(nan, nan, nan))] {
            #expect(bvh.intersect(o: o, d: d) == nil)
            #expect(!bvh.occluded(o: o, d: d, tMax: 1e30))
        }
        // So does a ray aimed at a triangle whose far end is NaN, by either query.
        let o = Vec3(0, 0, -10), d = ((tris[0].0 + tris[0].1 + tris[0].2) * (1.0 / 3) - o).normalized
        #expect(bvh.intersect(o: o, d: d) != nil && bvh.occluded(o: o, d: d, tMax: 1e30))
        #expect(bvh.intersect(o: o, d: d, tMax: nan) == nil)
        #expect(!bvh.occluded(o: o, d: d, tMax: nan))
    }

    /// A ray with a zero direction component that runs in the plane of a box's
    /// face (0 · ∞ = NaN in that axis's slab test) still finds the hits on the
    /// box's boundary, whichever axis and face it is.
    static let facePlaneCases: [(name: String, triangle: [Vec3], origin: Vec3, direction: Vec3)] = [
        ("x, lower face", [Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0)], Vec3(0, 0.25, 1), Vec3(0, 0, -1)),
        ("y, lower face", [Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0)], Vec3(0.25, 0, 1), Vec3(0, 0, -1)),
        ("x, upper face", [Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(1, 1, 0)], Vec3(1, 0.25, 1), Vec3(0, 0, -1)),
        ("y, upper face", [Vec3(0, 0, 0), Vec3(1, 1, 0), Vec3(0, 1, 0)], Vec3(0.25, 1, 1), Vec3(0, 0, -1)),
        ("x, upper face, −0 direction", [Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(1, 1, 0)], Vec3(1, 0.25, 1), Vec3(-0.0, -0.0, -1)),
    ]

    @Test(arguments: 0..<5) func rayInAFacePlaneFindsTheEdgeHit(index: Int) throws {
        let c = Self.facePlaneCases[index]
        let tri = (c.triangle[0], c.triangle[1], c.triangle[2])
        let bvh = try BVH(primitives: [Primitive(kind: .triangle, shape: 0, index: 0)], triangleVertices: { _ in tri },
                      spheres: [], disks: [])
        let exact = try #require(TriangleEdges(tri.0, tri.1, tri.2).intersect(o: c.origin, d: c.direction, tMin: 0, tMax: .infinity),
                                 "\(c.name): the triangle test itself counts the edge")
        let hit = bvh.intersect(o: c.origin, d: c.direction)
        #expect(hit?.t == exact.t, "\(c.name): the BVH culled the box")
        #expect(bvh.occluded(o: c.origin, d: c.direction, tMax: 2), "\(c.name)")
    }

    @Test func transformInverseAndNormals() throws {
        let t = try #require(Transform(matrix: [2, 0, 0, 1, 0, 0, -3, 2, 0, 1, 0, 3, 0, 0, 0, 1]))
        let p = Vec3(0.3, -1.2, 2.5)
        let back = t.inverse.point(t.point(p))
        #expect((back - p).length < 1e-12)
        // A normal stays perpendicular to transformed tangents.
        let n = Vec3(0, 0, 1), a = Vec3(1, 0, 0), b = Vec3(0, 1, 0)
        let tn = t.normal(n)
        #expect(abs(dot(tn, t.vector(a))) < 1e-12 && abs(dot(tn, t.vector(b))) < 1e-12)
        #expect(Transform(matrix: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) == nil)
    }

    @Test func frameIsOrthonormal() {
        var rng = TestRNG(state: 7)
        for _ in 0..<1000 {
            let n = rng.vector().normalized
            let f = Frame(normal: n)
            #expect(abs(dot(f.s, f.t)) < 1e-12 && abs(dot(f.s, f.n)) < 1e-12 && abs(dot(f.t, f.n)) < 1e-12)
            #expect(abs(f.s.length - 1) < 1e-12 && abs(f.t.length - 1) < 1e-12)
            let v = rng.vector()
            #expect((f.toWorld(f.toLocal(v)) - v).length < 1e-12)
        }
    }

    /// Differentiable recomputation of a hit agrees with the traversal's.
    @Test func genericTriangleHitAgrees() {
        let p0 = Vec3(0, 0, 0), p1 = Vec3(1, 0, 0), p2 = Vec3(0, 1, 0)
        let ray = Ray(o: Vec3(0.2, 0.3, 1), d: Vec3(0, 0, -1))
        let plain = TriangleEdges(p0, p1, p2).intersect(o: ray.o, d: ray.d, tMin: 0, tMax: .infinity)!
        let g = intersectTriangle(ray, p0, p1, p2)
        #expect(abs(g.t - plain.t) < 1e-15 && abs(g.u - plain.u) < 1e-15 && abs(g.v - plain.v) < 1e-15)
    }
}

@Suite("BVH: cylinders")
struct BVHCylinderTests {
    /// Random rays against a few tubes: the hierarchy's closest hit is the
    /// closest of the direct tests, and occlusion agrees.
    @Test func closestHitMatchesDirectTests() throws {
        var rng = TestRNG(state: 7)
        var cylinders = [Cylinder]()
        for _ in 0..<40 {
            let axis = rng.vector().normalized
            let helper = abs(axis.x) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
            let x = (helper - axis * dot(helper, axis)).normalized
            cylinders.append(Cylinder(base: rng.vector(3), axis: axis, x: x, y: cross(axis, x), radius: 0.05 + 0.3 * rng.next(),
                                      length: 0.2 + rng.next()))
        }
        let prims = cylinders.indices.map { Primitive(kind: .cylinder, shape: Int32($0), index: Int32($0)) }
        let bvh = try BVH(primitives: prims, triangleVertices: { _ in (.zero, .zero, .zero) }, spheres: [], disks: [],
                          cylinders: cylinders)
        var hits = 0
        for _ in 0..<2000 {
            let o = rng.vector(5), d = rng.vector().normalized
            let direct = cylinders.compactMap { intersectCylinder(o: o, d: d, $0, tMin: 0, tMax: .infinity) }.min()
            let found = bvh.intersect(o: o, d: d)
            #expect(direct == found?.t, "ray \(o) \(d): direct \(String(describing: direct)), hierarchy \(String(describing: found?.t))")
            #expect(bvh.occluded(o: o, d: d, tMax: .infinity) == (direct != nil))
            if direct != nil { hits += 1 }
        }
        #expect(hits > 100)
    }
}

