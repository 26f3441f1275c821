import Foundation
import ImageIO
import Render
import SceneFile
import Testing

/// Shadows of spheres, disks and cylinders under a small area light: their
/// outlines as seen from the shaded point (`SecondaryCurves`) are sampled as
/// secondary visibility curves (see `shadow`).
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

    /// Cases 0–2: under the small area light; 3–4: the sphere and the disk under
    /// a directional light (delta-light shadows, sampled from the light's side).
    /// Checked: the interior derivative alone is far from central differences,
    /// adding the shadow term changes the gradient, and forward mode equals
    /// reverse mode. Agreement with central differences is NOT asserted: outline
    /// arcs get uniform points, and at a test's budget the spread is of the
    /// order of the smaller components (docs/results.md).
    @Test("shadow of an analytic shape", arguments: 0..<5)
    func shadow(_ which: Int) throws {
        let (shapeName, key, xml) = Self.shapes[which % 3]
        let sun = which >= 3 ? VisibilityGradientTests.deltaLights[2].xml : nil
        let name = shapeName + (sun == nil ? " under an area light" : " under a directional light")
        let scene = try V.scene(light: true, shape: xml, deltaLight: sun)
        let fd = try V.finiteDifferences(scene, key: key, h: 0.05, spp: 512)
        let interior = try V.reverse(scene, key: key, spp: 4, boundary: .interiorOnly)
        let boundary = BoundaryOptions(primarySamplesPerPixel: 4, secondarySamplesPerPixel: 16)
        var primaryOnly = boundary
        primaryOnly.secondarySamplesPerPixel = 0
        let noShadow = try V.reverse(scene, key: key, spp: 4, boundary: primaryOnly)
        let full = try V.reverse(scene, key: key, spp: 4, boundary: boundary)
        let forward = try V.forward(scene, key: key, spp: 4, boundary: boundary)
        print("\(name): finite differences \(fd); interior \(interior), no shadow edges \(noShadow), full \(full)")
        #expect(V.error(interior, fd) > 0.5, "\(name): interior-only \(interior) vs finite differences \(fd)")
        #expect(V.error(full, noShadow, floorFraction: 0.1) > 0.05, "\(name): the shadow term adds nothing: \(full) vs \(noShadow)")
        // A directional light's outlines are seen from 10⁶ scene sizes away: round-off grows.
        #expect(V.error(forward, full, floorFraction: 1e-6) < (sun == nil ? 1e-5 : 1e-4), "\(name): forward \(forward) vs reverse \(full)")
    }
}
