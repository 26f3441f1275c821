import Geometry
import Render
import Testing

/// With a point light exactly at the camera, the path tracer traces no shadow
/// ray from a camera ray's first hit to it (the camera ray crossed that segment
/// without a hit). The picture must be the one the shadow rays give: the same
/// scene with the light a hair's breadth away, which traces them all.
@Suite("LightAtCamera")
struct LightAtCameraTests {
    @Test(arguments: [2, 3])
    func shadowRaysToALightAtTheCameraAreNotNeeded(depth: Int) throws {
        var scene = try Scene.load(path: RenderFixtures.root + "/scenes/pendulum.xml",
                                   defines: ["res": "24", "angle": "40", "depth": String(depth)])
        guard case .point(var light) = scene.emitters[0] else { Issue.record("pendulum.xml: expected a point light"); return }
        #expect(light.position == scene.camera.toWorld.origin)
        let options = RenderOptions(samplesPerPixel: 4, seed: 5, threads: 2)
        let atCamera = scene.render(options).0.pixels
        light.position.z += 1e-9
        scene.emitters[0] = .point(light)
        let beside = scene.render(options).0.pixels
        #expect(atCamera.contains { $0 > 0 })
        let worst = zip(atCamera, beside).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
        #expect(worst < 1e-5, "largest relative difference \(worst)")
    }
}
