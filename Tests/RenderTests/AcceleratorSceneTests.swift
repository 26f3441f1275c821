import Testing
import Geometry
import SceneFile
import Render

/// The two acceleration structures behind a scene (`Accelerator`): the same
/// picture, and Embree rebuilt from the moved geometry when a parameter moves it.
@Suite("Accelerator in scenes")
struct AcceleratorSceneTests {
    static func cornell(_ kind: Accelerator.Kind) throws -> Scene<Double> {
        try Scene(description: SceneDescription(path: RenderFixtures.root + "/scenes/cornell-box.xml", defines: ["res": "16"]),
                  accelerator: kind)
    }

    @Test("the BVH and Embree render the Cornell box alike")
    func sameImage() throws {
        let options = RenderOptions(samplesPerPixel: 16, seed: 3, threads: 2)
        let bvh = try Self.cornell(.bvh), embree = try Self.cornell(.embree)
        #expect(bvh.accel.kind == .bvh && embree.accel.kind == .embree)
        let a = bvh.render(options).0, b = embree.render(options).0
        // Same random numbers; paths part only where the offsets or precisions differ
        // (measured: mean relative error 2e-5, largest 6e-4, as `diffray compare` counts them).
        #expect(abs(a.mean - b.mean) <= 0.002 * a.mean)
        let relative = zip(b.pixels, a.pixels).map { Double(abs($0 - $1) / max(abs($1), 0.02)) }
        #expect(relative.reduce(0, +) / Double(relative.count) <= 1e-3 && relative.max()! <= 0.05)
    }

    @Test("moving a shape rebuilds Embree from the moved geometry", arguments: [Accelerator.Kind.bvh, .embree])
    func movedGeometry(kind: Accelerator.Kind) throws {
        let scene = try Self.cornell(kind)
        // Straight down onto the small box's top (y = -0.4), then onto it 0.2 higher.
        let ray = Ray<Double>(o: Vec3(0.335, 0.9, 0.38), d: Vec3(0, -1, 0))
        let before = try #require(scene.intersect(ray))
        let moved = try scene.updated(["small-box.translate": [0, 0.2, 0]])
        #expect(moved.accel.kind == kind)
        let after = try #require(moved.intersect(ray))
        #expect(scene.shapes[before.shape].id == "small-box" && moved.shapes[after.shape].id == "small-box")
        #expect(abs(after.p.y - before.p.y - 0.2) <= 1e-9)
    }

    @Test("a BVH triangle hit keeps traversal's distance and barycentrics: the interaction of solving again, to the bit")
    func exactHitMatchesRecomputation() throws {
        // Posed, so that a shape's vertices carry a pose offset as well.
        let scene = try Self.cornell(.bvh).updated(["small-box.translate": [0.05, 0.1, -0.02], "small-box.rotate": [0, 0.3, 0]])
        var sampler = PathSampler(seed: 11, pixel: 0, index: 0)
        var triangles = 0
        for _ in 0..<2000 {
            // From the camera's side of the box, towards random points inside it.
            let o = Vec3(0, 0, 3.9) + Vec3(sampler.next() - 0.5, sampler.next() - 0.5, 0) * 0.2
            let target = Vec3(2 * sampler.next() - 1, 2 * sampler.next() - 1, 2 * sampler.next() - 1)
            let ray = Ray<Double>(o: o, d: (target - o).normalized)
            guard let hit = scene.accel.intersect(o: ray.o, d: ray.d) else { continue }
            let prim = scene.accel.primitives[Int(hit.primitive)]
            guard prim.kind == .triangle else { continue }
            triangles += 1
            let si = try #require(scene.intersect(ray))
            let solved = scene.shapes.withUnsafeBufferPointer {
                Shape.interaction(of: $0.baseAddress! + Int(prim.shape), ray: ray, hit: hit, triangle: Int(prim.index),
                                  shapeIndex: Int(prim.shape), tangents: false, uv: true, exactHit: false)
            }
            let a = [si.t, si.p.x, si.p.y, si.p.z, si.ng.x, si.ng.y, si.ng.z, si.wi.x, si.wi.y, si.wi.z].map(\.bitPattern)
            let b = [solved.t, solved.p.x, solved.p.y, solved.p.z, solved.ng.x, solved.ng.y, solved.ng.z,
                     solved.wi.x, solved.wi.y, solved.wi.z].map(\.bitPattern)
            #expect(a == b)
            #expect(si.shape == solved.shape && si.primitive == solved.primitive)
        }
        #expect(triangles > 1500)
    }
}
