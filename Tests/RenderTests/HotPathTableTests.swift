import Foundation
import Geometry
import ImageIO
import Render
import Testing

/// The path tracer reads constant diffuse BSDFs and point lights from plain
/// tables (`Scene.diffuseReflectance`, `Scene.pointLights`,
/// `Scene.hasAreaEmitter`) kept in step with `bsdfs` and `emitters` by
/// `didSet`. A scene mutated in place must render exactly like one built
/// from the same parts.
@Suite("HotPathTables")
struct HotPathTableTests {
    static func cornell() throws -> Scene<Double> {
        try Scene.load(path: RenderFixtures.root + "/scenes/cornell-box.xml", defines: ["res": "16"])
    }

    static func rebuilt(_ s: Scene<Double>) -> Scene<Double> {
        Scene(file: s.file, camera: s.camera, film: s.film, integrator: s.integrator, sampleCount: s.sampleCount,
              seed: s.seed, shapes: s.shapes, bsdfs: s.bsdfs, emitters: s.emitters, accel: s.accel)
    }

    static func render(_ s: Scene<Double>) -> [Float] {
        s.render(RenderOptions(samplesPerPixel: 4, seed: 3, threads: 2)).0.pixels
    }

    @Test func tablesFollowTheBSDFs() throws {
        var scene = try HotPathTableTests.cornell()
        #expect(scene.diffuseReflectance.count == scene.bsdfs.count)
        #expect(scene.hasAreaEmitter)
        let i = scene.shapes[0].bsdf
        let before = HotPathTableTests.render(scene)
        scene.bsdfs[i] = .diffuse(Diffuse(reflectance: .constant(RGB(0.9, 0.1, 0.05))))
        #expect(scene.diffuseReflectance[i].map { ($0.r, $0.g, $0.b) } ?? (0, 0, 0) == (0.9, 0.1, 0.05))
        let after = HotPathTableTests.render(scene)
        #expect(after != before)
        #expect(after == HotPathTableTests.render(HotPathTableTests.rebuilt(scene)))
    }

    /// `Shape.meshView` (the mesh's arrays borrowed for the hot path) follows `geometry`: after a
    /// new mesh is assigned, light samples and the area come from the new mesh, a rectangle
    /// moved to z = 5 and scaled by 2, whose points and area are known exactly.
    @Test func meshViewFollowsTheGeometry() throws {
        let scene = try HotPathTableTests.cornell()
        var shape = scene.shapes[0]
        guard case .mesh(let before) = shape.geometry else { Issue.record("shape 0 is not a mesh"); return }
        #expect(shape.meshView?.positions.baseAddress == before.positions.withUnsafeBufferPointer { $0.baseAddress })
        // Made in a scope of its own, so that the shape holds the only reference to it.
        do {
            shape.geometry = .mesh(.rectangle(Transform.translate(Vec3(0, 0, 5)) * Transform(Matrix4.scaling(Vec3(2, 2, 2)))!))
        }
        guard case .mesh(let after) = shape.geometry, let view = shape.meshView else { Issue.record("no mesh view"); return }
        #expect(view.positions.baseAddress == after.positions.withUnsafeBufferPointer { $0.baseAddress })
        #expect(view.indices.count == 6 && view.positions.count == 4)
        #expect(shape.area == 16)
        for (u0, u1) in [(0.1, 0.2), (0.5, 0.5), (0.9, 0.7), (0.3, 0.99)] {
            let (p, n, area) = shape.samplePoint((u0, u1))
            #expect(abs(p.z - 5) < 1e-12 && abs(p.x) <= 2 && abs(p.y) <= 2)
            #expect(n.z == (shape.flipNormals ? -1 : 1) && area == 16)
        }
    }

    @Test func tablesFollowTheEmitters() throws {
        var scene = try HotPathTableTests.cornell()
        scene.emitters = [.point(PointLight(position: Vector3(0, 0.5, 0), intensity: RGB(5, 5, 5)))]
        #expect(!scene.hasAreaEmitter)
        #expect(scene.pointLights.count == 1 && scene.pointLights[0] != nil)
        let image = HotPathTableTests.render(scene)
        #expect(image.contains { $0 > 0 })
        #expect(image == HotPathTableTests.render(HotPathTableTests.rebuilt(scene)))
    }

    @Test func uvTableFollowsTheBSDFsAndTheIntegrator() throws {
        var scene = try HotPathTableTests.cornell()
        // Constant-colour diffuse surfaces read no texture coordinates.
        #expect(scene.uvNeeded.count == scene.bsdfs.count && !scene.uvNeeded.contains(true))
        let i = scene.shapes[0].bsdf
        let (dark, light) = (RGB(0.1, 0.1, 0.1), RGB(0.9, 0.9, 0.9))
        var plain = [[Float]]()
        for c in [dark, light] {
            scene.bsdfs[i] = .diffuse(Diffuse(reflectance: .constant(c)))
            plain.append(HotPathTableTests.render(scene))
        }
        scene.bsdfs[i] = .diffuse(Diffuse(reflectance: .checkerboard(Checkerboard(color0: dark, color1: light))))
        #expect(scene.uvNeeded[i] && scene.uvNeeded.filter { $0 }.count == 1)
        // The checkerboard reads the hit's uv: with uv left out it would be one colour, as one of the plain renders.
        let textured = HotPathTableTests.render(scene)
        #expect(textured != plain[0] && textured != plain[1])
        #expect(textured == HotPathTableTests.render(HotPathTableTests.rebuilt(scene)))
        scene.integrator = IntegratorSettings(kind: .aov([AOV(name: "uv", kind: .uv)]))
        #expect(!scene.uvNeeded.contains(false))
    }
}
