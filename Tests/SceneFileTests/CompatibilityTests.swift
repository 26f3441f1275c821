import Foundation
import Geometry
import SceneFile
import TestSupport
import Testing

/// The Mitsuba 3 scene-file features that published scenes need: `<path>`,
/// Mitsuba's file resolver for includes, forward references, `<default>`
/// precedence, old-version upgrades, spectra, serialized meshes, and loud
/// errors for participating media.
@Suite struct CompatibilityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static func standardized(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    // MARK: <path> and file resolution

    @Test func pathFoldersAreSearchedLatestFirst() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        for folder in ["scene", "lib/a/meshes", "lib/b/meshes"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/" + folder, withIntermediateDirectories: true)
        }
        try dir.write("lib/a/meshes/tri.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        try dir.write("lib/b/meshes/tri.obj", "v 0 0 0\nv 2 0 0\nv 0 2 0\nf 1 2 3\n")
        try dir.write("lib/a/meshes/only-a.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        // The shape comes before the <path>s: Mitsuba resolves file names after the whole file is read.
        let main = try dir.write("scene/main.xml", scene("""
            <shape type="obj" id="t"><string name="filename" value="meshes/tri.obj"/></shape>
            <shape type="obj" id="u"><string name="filename" value="meshes/only-a.obj"/></shape>
            <path value="../lib/a"/>
            <path value="../lib/b"/>
            """))
        let s = try SceneDescription(path: main)
        #expect(s.shapes[0].string("filename") == Self.standardized(dir.path + "/lib/b/meshes/tri.obj"))
        #expect(s.shapes[1].string("filename") == Self.standardized(dir.path + "/lib/a/meshes/only-a.obj"))

        expectError(["main2.xml:3:7:", "<path>: folder not found: nowhere"]) {
            let p = try dir.write("scene/main2.xml", scene("<path value=\"nowhere\"/>"))
            _ = try SceneDescription(path: p)
        }
        expectError(["main3.xml:3:", "file not found: meshes/none.obj", "looked in"]) {
            let p = try dir.write("scene/main3.xml", scene("""
                <path value="../lib/a"/><shape type="obj"><string name="filename" value="meshes/none.obj"/></shape>
                """))
            _ = try SceneDescription(path: p)
        }
        expectError(["<path> is only allowed directly in <scene>"]) {
            _ = try parse("<shape type=\"sphere\"><path value=\".\"/></shape>")
        }
    }

    @Test func includedFilesResolveNamesAgainstTheSceneFolder() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        for folder in ["include", "meshes", "include/meshes"] {
            try FileManager.default.createDirectory(atPath: dir.path + "/" + folder, withIntermediateDirectories: true)
        }
        try dir.write("meshes/tri.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        try dir.write("include/meshes/only-here.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        try dir.write("include/preamble.xml", scene("<default name=\"mesh\" value=\"meshes/tri.obj\"/>"))
        // As Mitsuba's participating-media test scenes: an included file includes
        // "include/preamble.xml", which resolves against the scene's folder.
        try dir.write("include/base.xml", scene("""
            <include filename="include/preamble.xml"/>
            <shape type="obj"><string name="filename" value="$mesh"/></shape>
            """))
        let main = try dir.write("main.xml", scene("<include filename=\"include/base.xml\"/>"))
        let s = try SceneDescription(path: main)
        #expect(s.shapes[0].string("filename") == Self.standardized(dir.path + "/meshes/tri.obj"))

        // A name relative to the included file's own folder is not found (as in Mitsuba).
        try dir.write("include/wrong.xml", scene("<shape type=\"obj\"><string name=\"filename\" value=\"meshes/only-here.obj\"/></shape>"))
        expectError(["file not found: meshes/only-here.obj"]) {
            let p = try dir.write("main2.xml", scene("<include filename=\"include/wrong.xml\"/>"))
            _ = try SceneDescription(path: p)
        }
    }

    // MARK: References

    @Test func refsMayPointForwardAndAreaEmittersAreShared() throws {
        let s = try parse("""
            <shape type="sphere" id="lamp"><ref id="white"/><ref id="light"/></shape>
            <shape type="sphere"><ref name="bsdf" id="white"/></shape>
            <bsdf type="diffuse" id="white"><ref name="reflectance" id="checks"/></bsdf>
            <texture type="checkerboard" id="checks"><rgb name="color0" value="0.9"/></texture>
            <emitter type="area" id="light"><rgb name="radiance" value="5"/></emitter>
            """)
        let lamp = s.shapes[0]
        #expect(lamp.child(.emitter)?.referencedID == "light")
        #expect(lamp.child(.emitter)?.rgb("radiance") == Vec3(repeating: 5))
        #expect(lamp.child(.bsdf)?.texture("reflectance")?.rgb("color0") == Vec3(repeating: 0.9))
        #expect(s.shapes[1].child(.bsdf)?.id == "white")
        #expect(s.emitters.isEmpty, "a referenced area emitter is the shape's, not a scene emitter")
        #expect(s.objects.count == 5)

        expectError(["area emitter 'light' is referenced by two shapes"]) {
            _ = try parse("""
                <emitter type="area" id="light"><rgb name="radiance" value="5"/></emitter>
                <shape type="sphere"><ref id="light"/></shape><shape type="disk"><ref id="light"/></shape>
                """)
        }
        expectError(["area emitter 'light' is not referenced by any shape"]) {
            _ = try parse("<emitter type=\"area\" id=\"light\"><rgb name=\"radiance\" value=\"5\"/></emitter>")
        }
        expectError(["an area emitter must be nested in a <shape>, or given an id"]) {
            _ = try parse("<emitter type=\"area\"><rgb name=\"radiance\" value=\"5\"/></emitter>")
        }
        expectError(["reference cycle"]) {
            _ = try parse("""
                <bsdf type="twosided" id="a"><ref id="b"/></bsdf>
                <bsdf type="twosided" id="b"><ref id="a"/></bsdf>
                """)
        }
        let aliased = try parse("""
            <bsdf type="diffuse" id="m"/><alias id="m" as="other"/><shape type="sphere"><ref id="other"/></shape>
            """)
        #expect(aliased.shapes[0].child(.bsdf)?.id == "m" && aliased.shapes[0].child(.bsdf)?.referencedID == "other")
        expectError(["<alias>: no object with id 'nope'"]) { _ = try parse("<alias id=\"nope\" as=\"x\"/>") }
        expectError(["<spectrum type=\"blackbody\"> (a spectrum plugin) is not supported"]) {
            _ = try parse("<emitter type=\"constant\"><spectrum type=\"blackbody\" name=\"radiance\"/></emitter>")
        }
        expectError(["id 'x' is already used by the <bsdf> at test.xml:3"]) {
            _ = try parse("<bsdf type=\"diffuse\" id=\"x\"/>\n<shape type=\"sphere\"><bsdf type=\"diffuse\" id=\"x\"/></shape>")
        }
    }

    // MARK: Defaults

    @Test func theFirstDefaultWinsAndDefinesBeatThemAll() throws {
        let body = """
            <default name="integrator" value="direct"/>
            <default name="integrator" value="path"/>
            <integrator type="$integrator"/>
            """
        #expect(try parse(body).integrator.type == "direct")
        #expect(try parse(body, defines: ["integrator": "path"]).integrator.type == "path")
        #expect(try parse(body).parameters["integrator"] == "direct")
    }

    // MARK: Old versions

    @Test func oldScenesAreUpgradedAsMitsubaDoes() throws {
        #expect(SceneDescription.upgradedName("toWorld") == "to_world")
        #expect(SceneDescription.upgradedName("intIOR") == "int_ior")
        #expect(SceneDescription.upgradedName("sampleCount") == "sample_count")
        #expect(SceneDescription.upgradedName("a2B") == "a2B")
        let s = try SceneDescription(xml: scene("""
            <texture type="checkerboard" id="_tex">
                <float name="uscale" value="4"/><float name="voffset" value="0.5"/>
            </texture>
            <bsdf type="diffuse" id="mat"><ref name="diffuseReflectance" id="_tex"/></bsdf>
            <bsdf type="diffuse" id="plain"><rgb name="diffuseReflectance" value="0.3"/></bsdf>
            <sensor type="perspective">
                <float name="focusDistance" value="3"/>
                <transform name="toWorld"><lookAt origin="0 0 5" target="0 0 0" up="0 1 0"/></transform>
            </sensor>
            <shape type="sphere"><ref id="mat"/></shape>
            <shape type="sphere"><ref id="plain"/></shape>
            """, version: "0.6.0"), file: "old.xml")
        let texture = try #require(s.shapes[0].child(.bsdf)?.texture("reflectance"))
        #expect(texture.id == "ID_tex__UPGR")
        // uv' = scale * (uv + offset): (1, 1) -> (4 * 1, 1 * (1 + 0.5)).
        #expect(texture.transform("to_uv")?.transformPoint(Vec3(1, 1, 0)) == Vec3(4, 1.5, 0))
        #expect(s.shapes[1].child(.bsdf)?.rgb("reflectance") == Vec3(repeating: 0.3))
        #expect(s.sensor.float("focus_distance") == 3)
        #expect(close(s.sensor.toWorld.transformPoint(.zero), Vec3(0, 0, 5)))
    }

    // MARK: Spectra

    /// Mitsuba 3.9.1 (llvm_ad_rgb) gave these RGB values for the same spectra:
    /// `tools/make-references.sh` prints them (the "spectrum" lines of
    /// tools/published_references.py).
    @Test func spectraBecomeTheRGBMitsubaMakes() throws {
        let spd = Self.fixtures + "/spectra/flat-half.spd"
        let s = try parse("""
            <bsdf type="diffuse" id="r"><spectrum name="reflectance" value="400:0.04, 500:0.3, 600:0.6, 700:0.64"/></bsdf>
            <bsdf type="conductor" id="c">
                <spectrum name="eta" value="300:1.8, 400:1.65, 500:0.9, 600:0.2, 700:0.16, 800:0.18"/>
                <spectrum name="k" value="300:1.92, 400:1.95, 500:1.95, 600:2.97, 700:3.8, 800:5.12"/>
            </bsdf>
            <shape type="sphere" id="lamp"><ref id="r"/>
                <emitter type="area"><spectrum name="radiance" value="400:0, 500:8, 600:15.6, 700:18.4"/></emitter></shape>
            <shape type="sphere"><ref id="c"/></shape>
            <emitter type="constant" id="sky"><spectrum name="radiance" value="400:1, 700:1"/></emitter>
            <bsdf type="plastic" id="p"><spectrum name="specular_reflectance" value="400:0.2, 500:0.4, 600:0.6"/>
                <spectrum name="diffuse_reflectance" filename="\(spd)"/></bsdf>
            <shape type="sphere"><ref id="p"/></shape>
            <bsdf type="diffuse" id="grey"><spectrum name="reflectance" value="0.3"/></bsdf>
            <emitter type="constant" id="flat"><spectrum name="radiance" value="0.1"/></emitter>
            <emitter type="point" id="plain"><float name="intensity" value="3"/></emitter>
            """)
        func expectMitsuba(_ value: Vec3?, _ expected: Vec3, _ what: String, tolerance: Double = 2e-4) {
            guard let value else { Issue.record("\(what) missing"); return }
            for (a, b) in [(value.x, expected.x), (value.y, expected.y), (value.z, expected.z)] {
                #expect(abs(a - b) <= tolerance * max(abs(b), 1), "\(what): \(value) vs Mitsuba \(expected)")
            }
        }
        let ids = s.objectsByID
        expectMitsuba(ids["r"]?.rgb("reflectance"), Vec3(0.670345, 0.431381, 0.143642), "reflectance")
        expectMitsuba(ids["c"]?.rgb("eta"), Vec3(0.0452341, 0.585709, 1.33692), "eta (unbounded)")
        expectMitsuba(ids["c"]?.rgb("k"), Vec3(3.38869, 2.34904, 1.87516), "k (unbounded)")
        expectMitsuba(ids["lamp"]?.child(.emitter)?.rgb("radiance"), Vec3(20.7108, 10.8546, 2.77115), "area radiance")
        expectMitsuba(ids["sky"]?.rgb("radiance"), Vec3(1.19969, 0.94952, 0.903443), "constant radiance")
        expectMitsuba(ids["p"]?.rgb("specular_reflectance"), Vec3(0.134932, 0.511488, 0.288456), "specular")
        expectMitsuba(ids["p"]?.rgb("diffuse_reflectance"), Vec3(0.497671, 0.499878, 0.497455), "spectrum file")
        #expect(ids["grey"]?.rgb("reflectance") == Vec3(repeating: 0.3))
        // A constant emitted spectrum is Illuminant E, not grey (Mitsuba: 0.120479, 0.0948291, 0.0908916).
        expectMitsuba(ids["flat"]?.rgb("radiance"), Vec3(0.120479, 0.0948291, 0.0908916), "constant emission",
                      tolerance: 5e-5)
        #expect(ids["plain"]?.rgb("intensity") == Vec3(repeating: 3))

        expectError(["test.xml:3:", "needs one of 'value' or 'filename'"]) {
            _ = try parse("<bsdf type=\"diffuse\" id=\"x\"><spectrum name=\"reflectance\"/></bsdf>")
        }
        expectError(["file not found: nothere.spd"]) {
            _ = try parse("<bsdf type=\"diffuse\" id=\"x\"><spectrum name=\"reflectance\" filename=\"nothere.spd\"/></bsdf>")
        }
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        try dir.write("bad.spd", "400 0.5\n500 half\n")
        expectError(["bad.spd:2:", "expected 'wavelength value'"]) {
            _ = try parse("<bsdf type=\"diffuse\" id=\"x\"><spectrum name=\"reflectance\" filename=\"bad.spd\"/></bsdf>",
                          directory: dir.path)
        }
        expectError(["at least two wavelength:value pairs"]) {
            _ = try parse("<bsdf type=\"diffuse\" id=\"x\"><spectrum name=\"reflectance\" value=\"500:0.5\"/></bsdf>")
        }
    }

    // MARK: Media stay loud

    @Test func participatingMediaAreNamedInErrors() {
        expectError(["test.xml:3:1:", "<medium> is not supported", "no participating media"]) {
            _ = try parse("<medium type=\"homogeneous\" id=\"fog\"/>")
        }
        expectError(["<medium> is not supported"]) {
            _ = try parse("<shape type=\"sphere\"><medium type=\"homogeneous\" name=\"interior\"/></shape>")
        }
        expectError(["unsupported <integrator> plugin 'volpath' (DiffRay renders no participating media)", "supported: path"]) {
            _ = try parse("<integrator type=\"volpath\"/>")
        }
    }

    // MARK: Serialized meshes

    static func serialized(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/serialized/" + name)))
    }

    @Test func serializedMeshesReadEveryFlag() throws {
        let v4 = try Self.serialized("three-meshes-v4.serialized")
        let tri = try MeshData(serialized: v4, shapeIndex: 0, file: "three.serialized")
        #expect(tri.positions == [0, 0, 0, 1, 0, 0, 0, 1, 0])
        #expect(tri.normals == [0, 0, 1, 0, 0, 1, 0, 0, 1])
        #expect(tri.uvs == [0, 0, 1, 0, 0, 1])
        #expect(tri.indices == [0, 1, 2])
        #expect(!tri.faceNormals)
        let square = try MeshData(serialized: v4, shapeIndex: 1, file: "three.serialized")
        #expect(square.vertexCount == 4 && square.triangleCount == 2 && square.normals == nil)
        #expect(square.positions[6] == 2)
        let faceted = try MeshData(serialized: v4, shapeIndex: 2, file: "three.serialized")
        #expect(faceted.faceNormals && faceted.positions[2] == 1)

        let v3 = try Self.serialized("two-meshes-v3.serialized")
        #expect(try MeshData(serialized: v3, shapeIndex: 0, file: "v3").triangleCount == 1)
        let second = try MeshData(serialized: v3, shapeIndex: 1, file: "v3")
        #expect(second.positions[0] == 5 && second.uvs?.count == 8 && second.indices == [0, 1, 2, 1, 3, 2])
    }

    @Test func malformedSerializedFilesGiveOneLineErrorsWithOffsets() throws {
        let v4 = try Self.serialized("three-meshes-v4.serialized")
        expectError(["m.serialized: byte \(v4.count - 4):", "shape_index 3 is out of range", "3 meshes (0...2)"]) {
            _ = try MeshData(serialized: v4, shapeIndex: 3, file: "m.serialized")
        }
        // Cut inside the first mesh's compressed data.
        expectError(["m.serialized: byte", "file truncated"]) {
            _ = try MeshData(serialized: Array(v4[..<40]), shapeIndex: 0, file: "m.serialized")
        }
        // Corrupt the zlib header of the first mesh.
        var bad = v4
        bad[4] = 0xFF
        bad[5] = 0xFF
        // zlib reads the 2-byte stream header at bytes 4 and 5 before it can tell.
        expectError(["m.serialized: byte 6:", "bad zlib data: incorrect header check"]) {
            _ = try MeshData(serialized: bad, shapeIndex: 0, file: "m.serialized")
        }
        var wrongHeader = v4
        wrongHeader[0] = 0
        expectError(["m.serialized: byte 0:", "not a Mitsuba serialized mesh"]) {
            _ = try MeshData(serialized: wrongHeader, shapeIndex: 0, file: "m.serialized")
        }
        var wrongVersion = v4
        wrongVersion[2] = 9
        expectError(["m.serialized: byte 2:", "version 9 is not supported (supported: 3, 4)"]) {
            _ = try MeshData(serialized: wrongVersion, shapeIndex: 0, file: "m.serialized")
        }
        expectError(["m.serialized: byte", "file ends"]) {
            _ = try MeshData(serialized: [0x1C], shapeIndex: 0, file: "m.serialized")
        }
    }

    @Test func serializedShapesInScenes() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        try dir.write("m.serialized", bytes: try Self.serialized("three-meshes-v4.serialized"))
        let s = try parse("""
            <shape type="serialized"><string name="filename" value="m.serialized"/><integer name="shape_index" value="1"/></shape>
            """, directory: dir.path)
        #expect(try s.shapes[0].loadMesh().triangleCount == 2)
        expectError(["'shape_index' of <shape type=\"serialized\"> is -1", "must be >= 0"]) {
            _ = try parse("""
                <shape type="serialized"><string name="filename" value="m.serialized"/><integer name="shape_index" value="-1"/></shape>
                """, directory: dir.path)
        }
    }
}
