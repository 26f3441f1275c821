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

    /// `Scene.environmentEmitters` (the emitters at infinity as plain data, an environment map
    /// through the `View` it borrows from its emitter) and `Scene.texturedDiffuse` follow
    /// `emitters` and `bsdfs`: a scene changed in place renders as one built from the same parts.
    /// The view reads the map it was made from: at the direction of a texel's centre (its
    /// column's centre, its row's v = y / (height − 1)) it returns that texel.
    @Test func environmentAndTexturedDiffuseTablesFollowTheirArrays() throws {
        var scene = try Scene.load(path: RenderFixtures.root + "/scenes/materials.xml", defines: ["width": "24", "height": "10"])
        guard let k = scene.emitters.firstIndex(where: { if case .envmap = $0 { true } else { false } }),
              case .envmap(let map) = scene.emitters[k], case .map(let view, _) = scene.environmentEmitters[k] else {
            Issue.record("no environment map in the table"); return
        }
        #expect(scene.environment == [k])
        #expect(view.texels.baseAddress == map.storage.texels.withUnsafeBufferPointer { $0.baseAddress })
        let toWorld = map.storage.toWorld
        for (x, y) in [(0, 1), (7, map.height / 3), (map.width / 2, map.height / 2), (map.width - 1, map.height - 2)] {
            let u = (Double(x) + 0.5) / Double(map.width), v = Double(y) / Double(map.height - 1)
            let phi = 2 * Double.pi * u, theta = Double.pi * v
            let d = toWorld.vector(Vec3(sin(theta) * sin(phi), cos(theta), -sin(theta) * cos(phi)))
            let c = view.radiance(d), i = (y * map.width + x) * 3
            #expect(abs(c.r - Double(map.texels[i])) <= 1e-6 * (1 + abs(c.r)))
            #expect(abs(c.g - Double(map.texels[i + 1])) <= 1e-6 * (1 + abs(c.g)))
            #expect(abs(c.b - Double(map.texels[i + 2])) <= 1e-6 * (1 + abs(c.b)))
        }
        let floor = scene.shapes[0].bsdf
        #expect(scene.texturedDiffuse[floor] != nil && scene.diffuseReflectance[floor] == nil)
        #expect(scene.texturedDiffuse.compactMap { $0 }.count == 1)
        let sky = HotPathTableTests.render(scene)
        scene.emitters[k] = .constant(ConstantLight(radiance: RGB(0.5, 0.5, 0.5)))
        guard case .constant = scene.environmentEmitters[k] else { Issue.record("the table kept the map"); return }
        scene.bsdfs[floor] = .diffuse(Diffuse(reflectance: .checkerboard(Checkerboard(color0: RGB(0.9, 0.1, 0.1),
                                                                                        color1: RGB(0.1, 0.1, 0.9)))))
        let grey = HotPathTableTests.render(scene)
        #expect(grey != sky)
        #expect(grey == HotPathTableTests.render(HotPathTableTests.rebuilt(scene)))
        scene.bsdfs[floor] = .diffuse(Diffuse(reflectance: .constant(RGB(0.5, 0.5, 0.5))))
        #expect(scene.texturedDiffuse[floor] == nil && scene.diffuseReflectance[floor] != nil)
        scene.emitters = [.point(PointLight(position: Vector3(0, 3, 0), intensity: RGB(5, 5, 5)))]
        #expect(scene.environment.isEmpty && scene.environmentEmitters.count == 1 && scene.environmentEmitters[0] == nil)
        #expect(HotPathTableTests.render(scene) == HotPathTableTests.render(HotPathTableTests.rebuilt(scene)))
    }
}
