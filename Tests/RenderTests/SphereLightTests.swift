import Foundation
import Geometry
import Render
import SceneFile
import Testing

/// Sphere lights sampled as Mitsuba's `sphere` samples them: from outside, a direction uniform in
/// the cone the sphere subtends (pdf 1 / (2π (1 − cos θmax)) in solid angle); from inside, by area.
@Suite("Sphere lights")
struct SphereLightTests {
    /// A white floor (z = 0) under a sphere light; the camera looks down at the floor and does not
    /// see the sphere, and nothing casts a shadow.
    static func scene(centre: String = "0.3, -0.2, 1.5", radius: Double = 0.4, spp: Int = 8) -> String {
        """
        <scene version="3.0.0">
            <integrator type="direct"/>
            <sensor type="perspective">
                <float name="fov" value="40"/>
                <transform name="to_world"><lookat origin="0, -3, 2" target="0, 0, 0" up="0, 0, 1"/></transform>
                <film type="hdrfilm"><integer name="width" value="12"/><integer name="height" value="8"/>
                    <rfilter type="box"/></film>
                <sampler type="independent"><integer name="sample_count" value="\(spp)"/></sampler>
            </sensor>
            <shape type="rectangle" id="floor">
                <transform name="to_world"><scale value="4"/></transform>
                <bsdf type="diffuse"><rgb name="reflectance" value="0.8"/></bsdf>
            </shape>
            <shape type="sphere" id="lamp">
                <point name="center" value="\(centre)"/>
                <float name="radius" value="\(radius)"/>
                <emitter type="area"><rgb name="radiance" value="5, 4, 3"/></emitter>
            </shape>
        </scene>
        """
    }

    /// The irradiance a sphere of radiance L casts on a plane facing it is π L sin² θmax, θmax the
    /// half-angle of the cone it subtends; the mean of the samples' weight × cos θ must give it.
    @Test func irradianceFromTheConeMatchesTheClosedForm() throws {
        let scene = try memoryScene(Self.scene(centre: "0, 0, 1.5", radius: 0.4))
        let si = try #require(scene.intersect(Ray(o: Vec3(0, 0, 0.5), d: Vec3(0, 0, -1))))
        var sum = 0.0
        let n = 1 << 16
        var seen = Set<Int>()
        for i in 0..<n {
            let u = ((Double(i % 256) + 0.5) / 256, (Double(i / 256) + 0.5) / 256)
            let s = try #require(scene.sampleEmitter(from: si, 0.5, u))
            // Every direction of the cone meets the sphere, and the pdf is the cone's.
            let hit = try #require(scene.intersect(Ray(o: si.p + s.wi * 1e-6, d: s.wi)))
            seen.insert(hit.shape)
            #expect(abs(hit.t + 1e-6 - s.distance) < 1e-6 * max(1, s.distance), "distance \(s.distance), hit at \(hit.t)")
            sum += s.weight[0] * s.wi.z
        }
        #expect(seen == [1])
        let sinMax2 = 0.4 * 0.4 / (1.5 * 1.5)
        let expected = Double.pi * 5 * sinMax2
        #expect(abs(sum / Double(n) / expected - 1) < 1e-3, "irradiance \(sum / Double(n)), closed form \(expected)")
        // The pdf a BSDF sample that reaches the sphere is weighted with (multiple importance) is the same.
        let pdf = 1 / (2 * Double.pi * (1 - (1 - sinMax2).squareRoot()))
        let s = try #require(scene.sampleEmitter(from: si, 0.5, (0.3, 0.7)))
        #expect(abs(s.pdf / pdf - 1) < 1e-12)
        let onLight = try #require(scene.intersect(Ray(o: si.p + s.wi * 1e-6, d: s.wi)))
        #expect(abs(scene.areaEmitterPdf(onLight, from: si.p, direction: s.wi) / pdf - 1) < 1e-12)
    }

    /// From inside the sphere (a shading point within it), the light is sampled by area as before.
    @Test func fromInsideTheSphereIsSampledByArea() throws {
        let scene = try memoryScene(Self.scene(centre: "0, 0, 0", radius: 0.5))
        #expect(scene.sphereConeSolidAngle(1, from: Vec3(0.1, 0, 0)) == nil)
        #expect(scene.sphereConeSolidAngle(1, from: Vec3(0, 0, 2)) != nil)
        #expect(scene.sphereConeSolidAngle(0, from: Vec3(0, 0, 2)) == nil)
    }

    /// Forward mode equals reverse mode, and both match central differences (same seed), for the
    /// sphere's centre and radius and the light's radiance: the cone's point moves with the sphere
    /// and its solid angle is the sample's Jacobian.
    @Test func gradientsOfTheSphereLightAgreeThreeWays() throws {
        let scene = try memoryScene(Self.scene())
        try checkThreeWay(scene, keys: ["lamp.center", "lamp.radius", "lamp.emitter.radiance.value"],
                          options: RenderOptions(samplesPerPixel: 8, seed: 3, threads: 2))
    }
}
