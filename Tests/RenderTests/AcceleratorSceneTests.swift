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
}
