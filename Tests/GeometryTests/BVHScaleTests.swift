import Testing
import Geometry
import Foundation

/// Leaf primitive counts and the deepest wide node of `bvh` (the root is
/// level 1), walking its wide nodes; `covered` marks the primitives some leaf holds.
func leafStatistics(_ bvh: BVH) -> (primitives: Int, depth: Int, covered: [Bool]) {
    var covered = [Bool](repeating: false, count: bvh.primitives.count)
    var total = 0, deepest = 0
    var stack = [(0, 1)]
    while let (i, depth) = stack.popLast() {
        deepest = max(deepest, depth)
        let node = bvh.wide[i]
        for lane in 0..<4 where node.child[lane] != 0 {  // an unused lane's child is 0 (the root is nobody's child)
            let child = node.child[lane]
            if child & BVH.leafFlag != 0 {
                let leaf = bvh.wideLeaves[Int(child & ~BVH.leafFlag)]
                for k in Int(leaf.offset)..<Int(leaf.offset + leaf.count) { covered[k] = true }
                total += Int(leaf.count)
            } else {
                stack.append((Int(child), depth + 1))
            }
        }
    }
    return (total, deepest, covered)
}

@Suite("BVH at scale")
struct BVHScaleTests {
    /// A heightfield of 70,000 triangles over shared vertices (more than a
    /// 16-bit count holds): every primitive sits in exactly one leaf, the
    /// index triples travel with their primitives, and hits equal brute force.
    @Test func seventyThousandTriangles() throws {
        let side = 188  // 187² · 2 = 69,938 triangles; plus 62 more below
        var vertices = ContiguousArray<Vec3>(), prims = [Primitive](), tris = [TriangleIndices]()
        for j in 0..<side { for i in 0..<side {
            let x = Double(i) / Double(side - 1), y = Double(j) / Double(side - 1)
            vertices.append(Vec3(x, y, 0.05 * sin(9 * x) * cos(7 * y)))
        } }
        func add(_ a: Int, _ b: Int, _ c: Int) {
            prims.append(Primitive(kind: .triangle, shape: 0, index: Int32(tris.count)))
            tris.append(TriangleIndices(UInt32(a), UInt32(b), UInt32(c)))
        }
        for j in 0..<side - 1 { for i in 0..<side - 1 {
            let k = j * side + i
            add(k, k + 1, k + side + 1); add(k, k + side + 1, k + side)
        } }
        // Sliver triangles under the field, all with the same centroid.
        let base = vertices.count
        vertices += [Vec3(0.4, 0.4, -1), Vec3(0.6, 0.4, -1), Vec3(0.5, 0.6, -1)]
        while tris.count < 70_000 { add(base, base + 1, base + 2) }
        let byIndex = tris
        let bvh = try BVH(primitives: prims, triangles: tris, vertices: vertices, spheres: [], disks: [])
        let count = bvh.primitives.count
        #expect(count == 70_000)
        let stats = leafStatistics(bvh)
        let allCovered = stats.covered.allSatisfy { $0 }
        #expect(stats.primitives == 70_000 && allCovered)
        #expect(stats.depth <= 40 && bvh.wideStackCapacity <= 128)  // the traversal stack stays on the thread's stack
        let misplaced = bvh.primitives.indices.filter { bvh.triangles[$0] != byIndex[Int(bvh.primitives[$0].index)] }.count
        #expect(misplaced == 0)
        var rng = TestRNG(state: 3)
        #if DEBUG
        let rays = 8  // brute force over 70,000 triangles a ray: debug builds run ~90 times slower
        #else
        let rays = 40
        #endif
        var hits = 0
        for _ in 0..<rays {
            let o = Vec3(0.1 + 0.8 * rng.next(), 0.1 + 0.8 * rng.next(), 1), d = Vec3(rng.next() * 0.2 - 0.1, rng.next() * 0.2 - 0.1, -1).normalized
            var best = Double.infinity, bestIndex = -1
            for (k, t) in byIndex.enumerated() {
                let e = TriangleEdges(vertices[Int(t.a)], vertices[Int(t.b)], vertices[Int(t.c)])
                if let h = e.intersect(o: o, d: d, tMin: 0, tMax: best) { best = h.t; bestIndex = k }
            }
            // (The hierarchy stays out of the expectations: printing it on failure is megabytes.)
            let t = bvh.intersect(o: o, d: d)?.t ?? .infinity
            #expect(t == best || abs(t - best) <= 1e-12, "ray \(o) \(d): BVH \(t), brute force \(best)")
            if bestIndex >= 0 { hits += 1 }
        }
        #expect(hits == rays)
    }

    /// Geometry whose SAH splits peel one primitive off at a time (sizes and
    /// gaps growing geometrically) stays within the traversal stack, and
    /// its hits equal brute force.
    @Test func unbalancedGeometryStaysShallow() throws {
        var prims = [Primitive](), tris = [(Vec3, Vec3, Vec3)]()
        var x = 1.0
        for i in 0..<300 {
            let s = x * 0.1
            tris.append((Vec3(x, 0, 0), Vec3(x + s, 0, 0), Vec3(x, s, 0.001)))
            prims.append(Primitive(kind: .triangle, shape: 0, index: Int32(i)))
            x *= 1.25
        }
        let bvh = try BVH(primitives: prims, triangleVertices: { tris[Int($0.index)] }, spheres: [], disks: [])
        let stats = leafStatistics(bvh)
        #expect(stats.primitives == 300 && stats.depth <= 40 && bvh.wideStackCapacity <= 128)
        var rng = TestRNG(state: 11)
        expectBruteForceAgreement(bvh, triangles: tris, spheres: [], rays: 300) {
            let k = Int(rng.next() * 300), t = tris[k]
            let target = t.0 * 0.6 + t.1 * 0.2 + t.2 * 0.2
            return (target + Vec3(0, 0, 1), Vec3(0, 0, -1))
        }
    }

    /// Coordinates whose extent overflows, or beyond ±1e30, are refused with
    /// the primitive and the value named; none traps.
    @Test(arguments: [
        (Vec3(1e308, 0, 0), Vec3(-1e308, 0, 0), "1e+308"),
        (Vec3(0, 0, 0), Vec3(0, 2e30, 0), "2e+30"),
        (Vec3(0, 0, .infinity), Vec3(1, 0, 0), "inf"),
        (Vec3(0, .nan, 0), Vec3(1, 0, 0), "nan"),
    ])
    func outOfRangeCoordinatesAreRefused(a: Vec3, b: Vec3, shown: String) {
        let tris = [(Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0)), (a, b, Vec3(0, 0, 1))]
        let prims = [Primitive(kind: .triangle, shape: 0, index: 0), Primitive(kind: .triangle, shape: 0, index: 1)]
        do {
            _ = try BVH(primitives: prims, triangleVertices: { tris[Int($0.index)] }, spheres: [], disks: [])
            Issue.record("accepted \(a), \(b)")
        } catch let e as BVHError {
            #expect(e.primitive == 1)
            #expect(e.message.contains("triangle 1") && e.message.contains(shown) && e.message.contains("1e+30"), "\(e.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func hugeSphereAndBadIndexAreRefused() {
        #expect(throws: BVHError.self) {
            try BVH(primitives: [Primitive(kind: .sphere, shape: 0, index: 0)], triangleVertices: { _ in (.zero, .zero, .zero) },
                    spheres: [(Vec3(0, 0, 0), 1e300)], disks: [])
        }
        #expect(throws: BVHError.self) {
            try BVH(primitives: [Primitive(kind: .triangle, shape: 0, index: 0)], triangles: [TriangleIndices(0, 1, 3)],
                    vertices: [Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(0, 1, 0)], spheres: [], disks: [])
        }
    }

    /// Coordinates up to the limit still build and hit.
    @Test func coordinatesAtTheLimitWork() throws {
        let s = 1e29
        let tri = (Vec3(-s, -s, 0), Vec3(s, -s, 0), Vec3(0, s, 0))
        let bvh = try BVH(primitives: [Primitive(kind: .triangle, shape: 0, index: 0)], triangleVertices: { _ in tri },
                          spheres: [], disks: [])
        let hit = try #require(bvh.intersect(o: Vec3(0, 0, 1), d: Vec3(0, 0, -1)))
        #expect(hit.t == 1)
    }
}
