import Testing
import Geometry

@Suite("BVH layout")
struct BVHLayoutTests {
    /// A scene like the pixel views: a large backdrop (two triangles whose
    /// boxes span the whole scene), a few small boxes and spheres in front.
    /// The size partition puts the backdrop in a child of the root of its own
    /// (so the other child's box is small and most rays skip it), and hits
    /// and occlusion still equal brute force.
    @Test func backdropAndSmallObjectsMatchBruteForce() throws {
        var rng = TestRNG(state: 7)
        var prims = [Primitive](), tris = [(Vec3, Vec3, Vec3)](), spheres = [(center: Vec3, radius: Double)]()
        let a = Vec3(-3, -3, -0.4), b = Vec3(3, -3, -0.4), c = Vec3(3, 3, -0.4), d = Vec3(-3, 3, -0.4)
        tris += [(a, b, c), (a, c, d)]
        for _ in 0..<6 {
            let centre = rng.vector(0.8)
            for _ in 0..<4 { tris.append((centre + rng.vector(0.1), centre + rng.vector(0.1), centre + rng.vector(0.1))) }
        }
        for i in tris.indices { prims.append(Primitive(kind: .triangle, shape: Int32(i < 2 ? 0 : 1), index: Int32(i))) }
        for i in 0..<2 {
            spheres.append((rng.vector(0.8), 0.05 + 0.1 * rng.next()))
            prims.append(Primitive(kind: .sphere, shape: 2, index: Int32(i)))
        }
        let bvh = try BVH(primitives: prims, triangleVertices: { tris[Int($0.index)] }, spheres: spheres, disks: [])
        // One of the root's lanes is a leaf of exactly the two backdrop triangles.
        let root = bvh.wide[0]
        let backdropLeaf = (0..<4).contains { lane in
            let child = root.child[lane]
            guard child & BVH.leafFlag != 0 else { return false }
            let leaf = bvh.wideLeaves[Int(child & ~BVH.leafFlag)]
            return leaf.count == 2 && (Int(leaf.offset)..<Int(leaf.offset) + 2).allSatisfy {
                bvh.primitives[$0].kind == .triangle && bvh.primitives[$0].shape == 0
            }
        }
        #expect(backdropLeaf)
        expectBruteForceAgreement(bvh, triangles: tris, spheres: spheres, rays: 2000) {
            let o = Vec3(rng.next() * 4 - 2, rng.next() * 4 - 2, 4)
            return (o, (Vec3(rng.next() * 5 - 2.5, rng.next() * 5 - 2.5, -0.4) - o).normalized)
        }
    }

    /// The traversal reads a wide node's faces at byte offsets it chooses once
    /// per ray (`WideRay`): the six face arrays lie one after the other from
    /// offset 0, 16 bytes apart, the children after them.
    @Test func wideNodeFacesLieWhereTheTraversalReadsThem() {
        typealias N = BVH.WideNode
        let offsets = [\N.lowerX, \N.upperX, \N.lowerY, \N.upperY, \N.lowerZ, \N.upperZ].map { MemoryLayout<N>.offset(of: $0) }
        #expect(offsets == [0, 16, 32, 48, 64, 80])
        #expect(MemoryLayout<N>.offset(of: \N.child) == 96 && MemoryLayout<N>.stride == 112)
    }
}
