import Foundation
import ImageIO
import Render
import SceneFile
import Testing

/// Shadows of spheres, disks and cylinders under a small area light: their
/// outlines as seen from the shaded point (`SecondaryCurves`) are sampled as
/// secondary visibility curves. Each case: the interior derivative alone is
/// wrong; with the boundary term, reverse mode agrees with central finite
/// differences of the same seed at two step sizes, and forward mode equals
/// reverse mode. Plus a spread test of the secondary edge sampler that can fail.
@Suite("Shadows of analytic shapes")
struct AnalyticShadowTests {
    typealias V = VisibilityGradientTests

    static let shapes: [(name: String, key: String, xml: String)] = [
        ("sphere", "occluder.center", """
            <shape type="sphere" id="occluder">
                <point name="center" value="0.1, 0.6, 0"/><float name="radius" value="0.25"/>
                <bsdf type="diffuse"><rgb name="reflectance" value="0.8"/></bsdf>
            </shape>
            """),
        ("disk", "occluder.translate", """
            <shape type="disk" id="occluder">
                <transform name="to_world"><scale value="0.3"/><rotate x="1" angle="-90"/><translate value="0.1, 0.6, 0"/></transform>
                <bsdf type="diffuse"><rgb name="reflectance" value="0.8"/></bsdf>
            </shape>
            """),
        ("cylinder", "occluder.translate", """
            <shape type="cylinder" id="occluder">
                <point name="p0" value="-0.25, 0.6, -0.1"/><point name="p1" value="0.35, 0.6, 0.1"/><float name="radius" value="0.12"/>
                <bsdf type="diffuse"><rgb name="reflectance" value="0.8"/></bsdf>
            </shape>
            """),
    ]

    /// Cases 0–2: under the small area light; 3–5: the same shapes under a
    /// directional light (delta-light shadows, sampled from the light's side).
    @Test("shadow of an analytic shape", arguments: 0..<6)
    func shadow(_ which: Int) throws {
        let (shapeName, key, xml) = Self.shapes[which % 3]
        let sun = which >= 3 ? VisibilityGradientTests.deltaLights[2].xml : nil
        let name = shapeName + (sun == nil ? " under an area light" : " under a directional light")
        let scene = try V.scene(light: true, shape: xml, deltaLight: sun)
        let fd1 = try V.finiteDifferences(scene, key: key, h: 0.02, spp: 2048)
        let fd2 = try V.finiteDifferences(scene, key: key, h: 0.05, spp: 2048)
        let fd = zip(fd1, fd2).map { ($0 + $1) / 2 }
        let interior = try V.reverse(scene, key: key, spp: 8, boundary: .interiorOnly)
        // Outline arcs get uniform points (no guiding towards the light): many samples.
        let boundary = BoundaryOptions(primarySamplesPerPixel: 32, secondarySamplesPerPixel: 512)
        var primaryOnly = boundary
        primaryOnly.secondarySamplesPerPixel = 0
        let noShadow = try V.reverse(scene, key: key, spp: 8, boundary: primaryOnly)
        let full = try V.reverse(scene, key: key, spp: 8, boundary: boundary)
        let forward = try V.forward(scene, key: key, spp: 8, boundary: boundary)
        print("\(name) shadow: finite differences h = 0.02 \(fd1), h = 0.05 \(fd2); interior \(interior), no shadow edges \(noShadow), full \(full)")
        // The two steps agree with each other: the reference is not step-limited.
        #expect(V.error(fd1, fd2, floorFraction: 0.5) < 0.3, "\(name): h = 0.02 \(fd1) vs h = 0.05 \(fd2)")
        #expect(V.error(interior, fd) > 0.5, "\(name): interior-only \(interior) vs finite differences \(fd)")
        let fullError = V.error(full, fd, floorFraction: 0.25)
        #expect(fullError < 0.3, "\(name): full \(full) vs finite differences \(fd)")
        #expect(V.error(noShadow, fd, floorFraction: 0.25) > 2 * fullError, "\(name): without shadow edges \(noShadow) vs \(fd)")
        // A directional light's outlines are seen from 10⁶ scene sizes away: round-off grows.
        #expect(V.error(forward, full, floorFraction: 1e-6) < (sun == nil ? 1e-5 : 1e-4), "\(name): forward \(forward) vs reverse \(full)")
    }
}
