import Foundation
import ImageIO
import Render
import SceneFile
import Testing

/// Silhouettes the camera sees only through a planar mirror or glass: the
/// image of an edge through a chain of specular faces (`SpecularImages`).
/// Each scene is an emissive shape over a uniform sky, seen through the
/// specular surface only (the interior term is zero: every bit of the
/// gradient is the image's motion). Checked: forward equals reverse, and both
/// agree with central differences of the same seed at two step sizes.
@Suite("Silhouettes through mirrors and glass")
struct SpecularVisibilityTests {
    typealias V = VisibilityGradientTests

    static func scene(maxDepth: Int, eye: String, _ body: String) throws -> Scene<Double> {
        try memoryScene("""
            <scene version="3.0.0">
                <integrator type="path"><integer name="max_depth" value="\(maxDepth)"/></integrator>
                <sensor type="perspective" id="sensor">
                    <float name="fov" value="45"/>
                    <transform name="to_world"><lookat origin="\(eye)" target="0, 1, 0" up="0, 1, 0"/></transform>
                    <film type="hdrfilm"><integer name="width" value="\(V.size)"/><integer name="height" value="\(V.size)"/></film>
                </sensor>
                <emitter type="constant"><rgb name="radiance" value="1"/></emitter>
                \(body)
            </scene>
            """)
    }

    /// A mirror filling the view; the emissive shape is behind the camera.
    static let mirror = """
        <shape type="rectangle" id="mirror">
            <transform name="to_world"><scale value="1.2"/><translate value="0, 1, 0"/></transform>
            <bsdf type="conductor"/>
        </shape>
        """
    static let quadBehind = """
        <shape type="rectangle" id="quad">
            <transform name="to_world"><scale value="0.8"/><rotate y="1" angle="180"/><translate value="0.2, 1.1, 3.0"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf>
            <emitter type="area"><rgb name="radiance" value="3"/></emitter>
        </shape>
        """
    static let sphereBehind = """
        <shape type="sphere" id="ball">
            <point name="center" value="0.2, 1.1, 3.5"/><float name="radius" value="0.6"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf>
            <emitter type="area"><rgb name="radiance" value="3"/></emitter>
        </shape>
        """
    /// An emissive quad seen through glass filling the view.
    static let quadBeyond = """
        <shape type="rectangle" id="quad">
            <transform name="to_world"><scale value="0.4"/><translate value="0.1, 1.0, 0"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf>
            <emitter type="area"><rgb name="radiance" value="3"/></emitter>
        </shape>
        """
    static let slab = """
        <shape type="cube" id="slab">
            <transform name="to_world"><scale value="0.8, 0.8, 0.25"/><rotate y="1" angle="35"/><translate value="0, 1, 1.5"/></transform>
            <bsdf type="dielectric"/>
        </shape>
        """
    static let pane = """
        <shape type="rectangle" id="pane">
            <transform name="to_world"><scale value="0.8"/><rotate y="1" angle="35"/><translate value="0, 1, 1.5"/></transform>
            <bsdf type="thindielectric"/>
        </shape>
        """

    static let cases: [(name: String, key: String, scene: () throws -> Scene<Double>)] = [
        ("quad in a mirror", "quad.translate", { try scene(maxDepth: 4, eye: "0, 1.3, 2.5", mirror + quadBehind) }),
        ("sphere in a mirror", "ball.center", { try scene(maxDepth: 4, eye: "0, 1.3, 2.5", mirror + sphereBehind) }),
        ("quad through a glass slab", "quad.translate", { try scene(maxDepth: 6, eye: "0, 1.2, 3", slab + quadBeyond) }),
        ("quad through a thin pane", "quad.translate", { try scene(maxDepth: 4, eye: "0, 1.2, 3", pane + quadBeyond) }),
    ]

    @Test("silhouette seen through a specular surface", arguments: 0..<4)
    func specularSilhouette(_ which: Int) throws {
        let (name, key, make) = Self.cases[which]
        let scene = try make()
        let fd1 = try V.finiteDifferences(scene, key: key, h: 0.05, spp: 1024)
        let fd2 = try V.finiteDifferences(scene, key: key, h: 0.1, spp: 1024)
        let fd = zip(fd1, fd2).map { ($0 + $1) / 2 }
        let boundary = BoundaryOptions(primarySamplesPerPixel: 128, secondarySamplesPerPixel: 0)
        var direct = boundary
        direct.throughSpecularSurfaces = false
        let withoutImages = try V.reverse(scene, key: key, spp: 4, boundary: direct)
        let full = try V.reverse(scene, key: key, spp: 4, boundary: boundary)
        let forward = try V.forward(scene, key: key, spp: 4, boundary: boundary)
        print("\(name): finite differences h = 0.05 \(fd1), h = 0.1 \(fd2); without images \(withoutImages), reverse \(full), forward \(forward)")
        // The two steps agree: the image moves linearly over them. Each counts
        // flipped samples (same seed), a noise of a few % of the largest component.
        #expect(V.error(fd1, fd2, floorFraction: 0.25) < 0.15, "\(name): h = 0.05 \(fd1) vs h = 0.1 \(fd2)")
        #expect(fd.map(abs).max()! > 1e-3, "\(name): finite differences \(fd)")
        // The camera-silhouette estimate itself is 6–14 % low in x on images this
        // small (the mirrored quad placed at its image with no mirror gives the same
        // gradient; the thin pane uses no image at all): docs/results.md.
        #expect(V.error(full, fd, floorFraction: 0.25) < 0.15, "\(name): reverse \(full) vs finite differences \(fd)")
        // A thin pane does not bend the rays it lets through: the camera's own
        // silhouettes see the quad there already. Elsewhere they miss the image.
        if !name.contains("thin") {
            #expect(V.error(withoutImages, fd, floorFraction: 0.25) > 0.5, "\(name): without images \(withoutImages) vs \(fd)")
        }
        #expect(V.error(forward, full, floorFraction: 1e-4) < 1e-5, "\(name): forward \(forward) vs reverse \(full)")
    }
}
