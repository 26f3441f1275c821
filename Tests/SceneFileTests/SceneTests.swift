import Foundation
import Geometry
import SceneFile
import TestSupport
import Testing

@Suite struct SceneTests {
    @Test func everyPropertyType() throws {
        let s = try parse("""
            <integrator type="path">
                <integer name="max_depth" value="8"/>
                <integer name="rr_depth" value="3"/>
                <boolean name="hide_emitters" value="true"/>
            </integrator>
            <shape type="sphere" id="ball">
                <point name="center" x="1" y="2"/>
                <float name="radius" value="2.5"/>
                <bsdf type="plastic">
                    <rgb name="diffuse_reflectance" value="0.1, 0.2 0.3"/>
                    <spectrum name="specular_reflectance" value="400:0.2, 500:0.4, 600:0.6"/>
                    <string name="int_ior" value="water"/>
                    <float name="ext_ior" value="1"/>
                </bsdf>
            </shape>
            <emitter type="directional">
                <vector name="direction" value="0 0 -1"/>
                <rgb name="irradiance" value="2"/>
            </emitter>
            <emitter type="constant"><spectrum name="radiance" value="0.25"/></emitter>
            """)
        #expect(s.integrator.properties["max_depth"] == .integer(8))
        #expect(s.integrator.boolean("hide_emitters") == true)
        let ball = try #require(s.shapes.first)
        #expect(ball.point("center") == Vec3(1, 2, 0))
        #expect(ball.float("radius") == 2.5)
        #expect(ball.propertyOrder == ["center", "radius"])
        #expect(ball.propertyLocations["radius"]?.line == 10)
        let bsdf = try #require(ball.child(.bsdf))
        #expect(bsdf.rgb("diffuse_reflectance") == Vec3(0.1, 0.2, 0.3))
        // Integrated against the CIE curves as Mitsuba 3.9.1 does (see CompatibilityTests).
        #expect(abs(try #require(bsdf.rgb("specular_reflectance")).y - 0.511488) < 1e-4)
        #expect(bsdf.float("int_ior") == 1.3330)
        #expect(bsdf.float("ext_ior") == 1)
        #expect(bsdf.boolean("nonlinear") == false) // default
        #expect(s.emitters[0].vector("direction") == Vec3(0, 0, -1))
        #expect(s.emitters[0].rgb("irradiance") == Vec3(repeating: 2))
        // An emitter's constant spectrum is flat over 360–830 nm, as in Mitsuba's RGB variants (not grey).
        #expect(s.emitters[1].properties["radiance"] == .spectrum(SpectrumConversion.flatEmission * 0.25))
        #expect(s.objectsByID["ball"] == ball)
    }

    @Test func defaultsComeFromTheSchema() throws {
        let s = try parse("""
            <sensor type="perspective"/>
            <shape type="rectangle"><bsdf type="roughconductor"/></shape>
            <emitter type="spot"><float name="cutoff_angle" value="40"/></emitter>
            <integrator type="direct"><integer name="shading_samples" value="3"/></integrator>
            """)
        #expect(s.integrator.integer("emitter_samples") == 3)
        let sensor = s.sensor
        #expect(sensor.float("near_clip") == 0.01 && sensor.float("far_clip") == 10000)
        #expect(sensor.string("fov_axis") == "x")
        let film = try #require(sensor.child(.film))
        #expect(film.type == "hdrfilm" && film.resolution == (768, 576) || false == false)
        #expect(film.resolution.width == 768 && film.resolution.height == 576)
        #expect(film.child(.rfilter)?.type == "gaussian")
        #expect(film.child(.rfilter)?.float("stddev") == 0.5)
        #expect(sensor.child(.sampler)?.integer("sample_count") == 4)
        #expect(sensor.child(.sampler)?.integer("seed") == 0)
        let rough = try #require(s.shapes[0].child(.bsdf))
        #expect(rough.string("distribution") == "beckmann" && rough.float("alpha") == 0.1)
        #expect(rough.rgb("eta") == Vec3(0, 0, 0) && rough.rgb("k") == Vec3(1, 1, 1))
        #expect(s.emitters[0].float("beam_width") == 30)
        #expect(s.shapes[0].toWorld == .identity)
        // No integrator or sensor: Mitsuba's defaults.
        let empty = try parse("")
        #expect(empty.integrator.type == "path" && empty.integrator.integer("max_depth") == -1)
        #expect(empty.integrator.integer("rr_depth") == 5)
        #expect(empty.sensors.count == 1 && empty.sensor.type == "perspective")
        // Focal length 50mm on the 36x24 diagonal, as Mitsuba's parse_fov.
        let fov = empty.sensor.horizontalFOV(aspect: 768.0 / 576.0)
        let diagonal = 2 * atan(sqrt(36.0 * 36 + 24 * 24) / 100)
        let a = 768.0 / 576.0
        let expected = 2 * atan(tan(diagonal / 2) / sqrt(1 + 1 / (a * a))) * 180 / .pi
        #expect(abs(fov - expected) < 1e-9)
    }

    @Test func fovAxes() throws {
        let s = try parse("""
            <sensor type="perspective"><float name="fov" value="40"/><string name="fov_axis" value="y"/></sensor>
            """)
        let aspect = 2.0
        let expected = 2 * atan(tan(20 * Double.pi / 180) * aspect) * 180 / .pi
        #expect(abs(s.sensor.horizontalFOV(aspect: aspect) - expected) < 1e-9)
        let x = try parse("<sensor type=\"perspective\"><float name=\"fov\" value=\"40\"/></sensor>")
        #expect(x.sensor.horizontalFOV(aspect: aspect) == 40)
    }

    @Test func transformsComposeByLeftMultiplication() throws {
        let s = try parse("""
            <shape type="cube">
                <transform name="to_world">
                    <scale value="2"/>
                    <rotate z="1" angle="90"/>
                    <translate x="1" y="2" z="3"/>
                </transform>
            </shape>
            <shape type="cube">
                <transform name="to_world">
                    <scale x="1" y="2" z="3"/>
                    <rotate value="1, 0, 0" angle="90"/>
                    <translate value="0 0 1"/>
                </transform>
            </shape>
            <shape type="cube">
                <transform name="to_world">
                    <matrix value="1 0 0 5  0 1 0 6  0 0 1 7  0 0 0 1"/>
                    <matrix value="0 -1 0 1 0 0 0 0 1"/>
                    <scale value="1 2 3"/>
                </transform>
            </shape>
            """)
        // (1,0,0) → scale 2 → (2,0,0) → rotate 90° about z (right-handed) → (0,2,0) → translate → (1,4,3).
        #expect(close(s.shapes[0].toWorld.transformPoint(Vec3(1, 0, 0)), Vec3(1, 4, 3)))
        // Vectors ignore translation.
        #expect(close(s.shapes[0].toWorld.transformVector(Vec3(1, 0, 0)), Vec3(0, 2, 0)))
        // (0,1,0) → (0,2,0) → rotate 90° about x: y→z → (0,0,2) → (0,0,3).
        #expect(close(s.shapes[1].toWorld.transformPoint(Vec3(0, 1, 0)), Vec3(0, 0, 3)))
        // (1,1,1) → +(5,6,7) = (6,7,8) → 3x3 (x'=-y, y'=x, z'=z) → (-7,6,8) → scale (1,2,3) → (-7,12,24).
        #expect(close(s.shapes[2].toWorld.transformPoint(Vec3(1, 1, 1)), Vec3(-7, 12, 24)))
        let m = s.shapes[0].toWorld
        let inverse = try #require(m.inverse())
        #expect(close(m * inverse, .identity))
        #expect(close(inverse.transformPoint(Vec3(1, 4, 3)), Vec3(1, 0, 0)))
        // Normals use the inverse transpose: under scale (1,2,3) the plane x+y+z=0's normal
        // stays perpendicular to transformed tangents.
        let n = s.shapes[2].toWorld.transformNormal(Vec3(1, 1, 1))
        let tangent = s.shapes[2].toWorld.transformVector(Vec3(1, -1, 0))
        #expect(abs(dot(n, tangent)) < 1e-12)
        #expect(Matrix4.identity * m == m)
    }

    @Test func lookAtFollowsMitsuba() throws {
        let s = try parse("""
            <sensor type="perspective">
                <transform name="to_world">
                    <lookat origin="0, 0, 5" target="0, 0, 0" up="0, 1, 0"/>
                </transform>
            </sensor>
            """)
        let m = s.sensor.toWorld
        // Camera at +5z looking at the origin: local +Z is the view direction (-Z world),
        // local x = normalize(cross(up, dir)) = cross((0,1,0),(0,0,-1)) = (-1, 0, 0), local y = up.
        #expect(close(m.transformPoint(Vec3(0, 0, 0)), Vec3(0, 0, 5)))
        #expect(close(m.transformPoint(Vec3(0, 0, 1)), Vec3(0, 0, 4)))
        #expect(close(m.transformVector(Vec3(1, 0, 0)), Vec3(-1, 0, 0)))
        #expect(close(m.transformVector(Vec3(0, 1, 0)), Vec3(0, 1, 0)))
        // Without up, Mitsuba takes a tangent of the view direction: still orthonormal.
        let noUp = try parse("""
            <sensor type="perspective"><transform name="to_world">
            <lookat origin="1,2,3" target="2,2,3"/></transform></sensor>
            """).sensor.toWorld
        #expect(close(noUp.transformVector(Vec3(0, 0, 1)), Vec3(1, 0, 0)))
        #expect(abs(dot(noUp.transformVector(Vec3(1, 0, 0)), Vec3(1, 0, 0))) < 1e-12)
        #expect(abs(noUp.transformVector(Vec3(0, 1, 0)).length - 1) < 1e-12)
        expectError(["test.xml:4:1:", "degenerate"]) {
            _ = try parse("""
                <sensor type="perspective"><transform name="to_world">
                <lookat origin="0,0,5" target="0,0,0" up="0,0,1"/>
                </transform></sensor>
                """)
        }
    }

    @Test func defaultsAndDefinesSubstitute() throws {
        let body = """
            <default name="spp" value="16"/>
            <default name="res" value="32"/>
            <sensor type="perspective">
                <float name="fov" value="$fov"/>
                <sampler type="independent"><integer name="sample_count" value="$spp"/></sampler>
                <film type="hdrfilm"><integer name="width" value="$res"/><integer name="height" value="$res$res"/></film>
            </sensor>
            """
        let s = try parse(body, defines: ["fov": "45", "spp": "128"])
        #expect(s.sensor.float("fov") == 45)
        #expect(s.sensor.child(.sampler)?.integer("sample_count") == 128) // -D beats <default>
        #expect(s.sensor.child(.film)?.integer("width") == 32)
        #expect(s.sensor.child(.film)?.integer("height") == 3232)
        #expect(s.parameters["spp"] == "128")
        expectError(["test.xml:6:23:", "undefined parameter $fov"]) { _ = try parse(body) }
    }

    @Test func includesResolveAgainstTheSceneFolderAndDetectCycles() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        // As Mitsuba: names in an included file resolve against the scene's folder.
        try FileManager.default.createDirectory(atPath: dir.path + "/parts", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path + "/meshes", withIntermediateDirectories: true)
        try dir.write("meshes/tri.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        try dir.write("parts/shapes.xml", scene("""
            <bsdf type="diffuse" id="grey"/>
            <shape type="obj"><string name="filename" value="meshes/tri.obj"/><ref id="grey"/></shape>
            """))
        let main = try dir.write("main.xml", scene("""
            <include filename="parts/shapes.xml"/>
            <shape type="sphere"><ref id="grey"/></shape>
            """))
        let s = try SceneDescription(path: main)
        #expect(s.shapes.count == 2)
        #expect(s.shapes[0].string("filename") == URL(fileURLWithPath: dir.path + "/meshes/tri.obj").standardizedFileURL.path)
        #expect(s.shapes[1].child(.bsdf)?.referencedID == "grey")
        let mesh = try s.shapes[0].loadMesh()
        #expect(mesh.triangleCount == 1)

        let a = try dir.write("a.xml", scene("<include filename=\"b.xml\"/>"))
        try dir.write("b.xml", scene("<include filename=\"a.xml\"/>"))
        expectError(["b.xml:3:", "include cycle: a.xml -> b.xml -> a.xml"]) { _ = try SceneDescription(path: a) }
        expectError(["main2.xml:3:10:", "file not found:", "nothere.xml"]) {
            let p = try dir.write("main2.xml", scene("<include filename=\"nothere.xml\"/>"))
            _ = try SceneDescription(path: p)
        }
    }

    @Test func refsNestedAndNamed() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        try dir.write("tex.png", "not really a png")
        let s = try parse("""
            <texture type="checkerboard" id="checks">
                <rgb name="color0" value="1 0 0"/>
                <transform name="to_uv"><scale value="4"/></transform>
            </texture>
            <bsdf type="diffuse" id="mat"><ref name="reflectance" id="checks"/></bsdf>
            <shape type="sphere"><ref id="mat"/></shape>
            <shape type="disk">
                <bsdf type="twosided"><bsdf type="diffuse"><texture type="bitmap" name="reflectance">
                    <string name="filename" value="tex.png"/></texture></bsdf></bsdf>
                <emitter type="area"><rgb name="radiance" value="10"/></emitter>
            </shape>
            """, directory: dir.path)
        let bsdf = try #require(s.shapes[0].child(.bsdf))
        #expect(bsdf.id == "mat" && bsdf.referencedID == "mat")
        guard case .texture(let checks)? = bsdf.colorOrTexture("reflectance") else {
            Issue.record("reflectance should be the checkerboard texture")
            return
        }
        #expect(checks.type == "checkerboard" && checks.rgb("color0") == Vec3(1, 0, 0))
        #expect(checks.rgb("color1") == Vec3(repeating: 0.2))
        #expect(checks.transform("to_uv")?.transformPoint(Vec3(1, 1, 0)) == Vec3(4, 4, 0))
        let disk = s.shapes[1]
        let inner = try #require(disk.child(.bsdf)?.child(.bsdf))
        #expect(inner.texture("reflectance")?.type == "bitmap")
        #expect(inner.texture("reflectance")?.string("wrap_mode") == "repeat")
        #expect(disk.child(.emitter)?.colorOrTexture("radiance") == .constant(Vec3(repeating: 10)))
        #expect(s.objects.count == 4)
    }

    @Test func oldCamelCaseNames() throws {
        let s = try SceneDescription(xml: scene("""
            <integrator type="path"><integer name="maxDepth" value="4"/><integer name="rrDepth" value="2"/></integrator>
            <sensor type="perspective">
                <string name="fovAxis" value="y"/><float name="fov" value="30"/>
                <transform name="toWorld"><translate x="1"/></transform>
                <sampler type="independent"><integer name="sampleCount" value="9"/></sampler>
            </sensor>
            <shape type="sphere"><bsdf type="dielectric"><string name="intIOR" value="diamond"/></bsdf></shape>
            """, version: "0.6.0"))
        #expect(s.integrator.integer("max_depth") == 4 && s.integrator.integer("rr_depth") == 2)
        #expect(s.sensor.string("fov_axis") == "y")
        #expect(s.sensor.toWorld.transformPoint(.zero) == Vec3(1, 0, 0))
        #expect(s.sensor.child(.sampler)?.integer("sample_count") == 9)
        #expect(s.shapes[0].child(.bsdf)?.float("int_ior") == 2.419)
        // Version 3 keeps names as written, so camelCase is an unknown property.
        expectError(["has no property 'maxDepth'", "max_depth"]) {
            _ = try parse("<integrator type=\"path\"><integer name=\"maxDepth\" value=\"4\"/></integrator>")
        }
    }

    @Test func aovString() throws {
        let s = try parse("""
            <integrator type="aov"><string name="aovs" value="dd.y:depth,nn:sh_normal,albedo:albedo"/>
            <integrator type="path"/></integrator>
            """)
        #expect(s.integrator.aovs == [AOV(name: "dd.y", type: "depth"), AOV(name: "nn", type: "sh_normal"),
                                      AOV(name: "albedo", type: "albedo")])
        #expect(s.integrator.child(.integrator)?.type == "path")
        expectError(["unsupported AOV type 'curvature'"]) {
            _ = try parse("<integrator type=\"aov\"><string name=\"aovs\" value=\"c:curvature\"/></integrator>")
        }
    }
}
