import Foundation
import SceneFile
import TestSupport
import Testing

/// Every class of bad scene input gives one line naming file:line:column.
@Suite struct ErrorTests {
    @Test func unknownTagPluginPropertyAndId() {
        expectError(["test.xml:3:1:", "unknown tag <shap>", "shape"]) { _ = try parse("<shap type=\"sphere\"/>") }
        expectError(["test.xml:3:1:", "unsupported <shape> plugin 'teapot'", "sphere, rectangle, cube, disk, cylinder, obj, ply"]) {
            _ = try parse("<shape type=\"teapot\"/>")
        }
        expectError(["test.xml:3:22:", "has no property 'radus'", "center, radius"]) {
            _ = try parse("<shape type=\"sphere\"><float name=\"radus\" value=\"1\"/></shape>")
        }
        expectError(["test.xml:3:56:", "<ref id=\"nope\">", "ids: a"]) {
            _ = try parse("<bsdf type=\"diffuse\" id=\"a\"/>\n<shape type=\"sphere\"><ref id=\"nope\"/></shape>".replacingOccurrences(of: "\n", with: ""))
        }
        expectError(["unsupported <bsdf> plugin 'hair'"]) {
            _ = try parse("<shape type=\"sphere\"><bsdf type=\"hair\"/></shape>")
        }
        expectError(["unknown tag <translate> in <shape>"]) { _ = try parse("<shape type=\"sphere\"><translate x=\"1\"/></shape>") }
        expectError(["unknown tag <skew> in <transform>"]) {
            _ = try parse("<shape type=\"sphere\"><transform name=\"to_world\"><skew/></transform></shape>")
        }
        expectError(["unexpected attribute 'colour' on <rgb>"]) {
            _ = try parse("<shape type=\"sphere\"><bsdf type=\"diffuse\"><rgb name=\"reflectance\" colour=\"1\" value=\"1\"/></bsdf></shape>")
        }
        expectError(["id 'x' is already used"]) { _ = try parse("<bsdf type=\"diffuse\" id=\"x\"/><bsdf type=\"diffuse\" id=\"x\"/>") }
        expectError(["given twice"]) {
            _ = try parse("<shape type=\"sphere\"><float name=\"radius\" value=\"1\"/><float name=\"radius\" value=\"2\"/></shape>")
        }
        expectError(["<film> cannot be nested in <shape"]) { _ = try parse("<shape type=\"sphere\"><film type=\"hdrfilm\"/></shape>") }
        expectError(["area emitter must be nested"]) { _ = try parse("<emitter type=\"area\"><rgb name=\"radiance\" value=\"1\"/></emitter>") }
        expectError(["needs the property 'radiance'"]) { _ = try parse("<shape type=\"sphere\"><emitter type=\"area\"/></shape>") }
        expectError(["'ggx2' is not a valid 'distribution'", "beckmann, ggx"]) {
            _ = try parse("<shape type=\"sphere\"><bsdf type=\"roughconductor\"><string name=\"distribution\" value=\"ggx2\"/></bsdf></shape>")
        }
        expectError(["unknown index of refraction 'glas'", "bk7"]) {
            _ = try parse("<shape type=\"sphere\"><bsdf type=\"dielectric\"><string name=\"int_ior\" value=\"glas\"/></bsdf></shape>")
        }
        expectError(["must be named after one of its texture properties", "reflectance"]) {
            _ = try parse("<shape type=\"sphere\"><bsdf type=\"diffuse\"><texture type=\"checkerboard\" name=\"albedo\"/></bsdf></shape>")
        }
        expectError(["needs a version attribute"]) { _ = try SceneDescription(xml: "<scene></scene>") }
        expectError(["the root element is <scen>"]) { _ = try SceneDescription(xml: "<scen version=\"3.0.0\"/>") }
    }

    @Test func wrongTypes() {
        expectError(["test.xml:3:22:", "'radius' of <shape type=\"sphere\"> is a <string>, expected float"]) {
            _ = try parse("<shape type=\"sphere\"><string name=\"radius\" value=\"1\"/></shape>")
        }
        expectError(["is a <float>, expected integer"]) {
            _ = try parse("<integrator type=\"path\"><float name=\"max_depth\" value=\"3\"/></integrator>")
        }
        expectError(["test.xml:3:43:", "'abc' in attribute 'value' of <float> is not a number"]) {
            _ = try parse("<shape type=\"sphere\"><float name=\"radius\" value=\"abc\"/></shape>")
        }
        expectError(["'2.5' is not an integer"]) {
            _ = try parse("<integrator type=\"path\"><integer name=\"max_depth\" value=\"2.5\"/></integrator>")
        }
        expectError(["'yes' is not a boolean"]) {
            _ = try parse("<integrator type=\"path\"><boolean name=\"hide_emitters\" value=\"yes\"/></integrator>")
        }
        expectError(["needs 3 numbers (or 1 for grey), found 2"]) {
            _ = try parse("<shape type=\"sphere\"><bsdf type=\"diffuse\"><rgb name=\"reflectance\" value=\"1 2\"/></bsdf></shape>")
        }
        expectError(["<matrix> needs 16 numbers (or 9), found 4"]) {
            _ = try parse("<shape type=\"sphere\"><transform name=\"to_world\"><matrix value=\"1 2 3 4\"/></transform></shape>")
        }
        expectError(["is a <transform>, expected"]) {
            _ = try parse("<shape type=\"sphere\"><transform name=\"radius\"/></shape>")
        }
    }

    @Test func nanAndInfinityAreRefused() {
        for bad in ["nan", "NaN", "inf", "-inf", "infinity", "1e999"] {
            expectError(["test.xml:3:", "NaN or infinite"]) {
                _ = try parse("<shape type=\"sphere\"><float name=\"radius\" value=\"\(bad)\"/></shape>")
            }
        }
        expectError(["NaN or infinite"]) {
            _ = try parse("<shape type=\"sphere\"><transform name=\"to_world\"><translate x=\"nan\"/></transform></shape>")
        }
        expectError(["NaN or infinite"]) {
            _ = try parse("<emitter type=\"constant\"><rgb name=\"radiance\" value=\"1, inf, 1\"/></emitter>")
        }
    }

    @Test func meaninglessValuesAreRefused() {
        expectError(["'radius' of <shape type=\"sphere\"> is -1.0, must be > 0"]) {
            _ = try parse("<shape type=\"sphere\"><float name=\"radius\" value=\"-1\"/></shape>")
        }
        expectError(["'width'", "must be > 0"]) {
            _ = try parse("<sensor type=\"perspective\"><film type=\"hdrfilm\"><integer name=\"width\" value=\"0\"/></film></sensor>")
        }
        expectError(["'height'", "must be > 0"]) {
            _ = try parse("<sensor type=\"perspective\"><film type=\"hdrfilm\"><integer name=\"height\" value=\"-5\"/></film></sensor>")
        }
        expectError(["'sample_count'", "must be > 0"]) {
            _ = try parse("<sensor type=\"perspective\"><sampler type=\"independent\"><integer name=\"sample_count\" value=\"0\"/></sampler></sensor>")
        }
        expectError(["resolution 100000x100000 is over the limit"]) {
            _ = try parse("<sensor type=\"perspective\"><film type=\"hdrfilm\"><integer name=\"width\" value=\"100000\"/><integer name=\"height\" value=\"100000\"/></film></sensor>")
        }
        expectError(["over the limit"]) {
            _ = try parse("<sensor type=\"perspective\"><film type=\"hdrfilm\"><integer name=\"width\" value=\"9223372036854775807\"/></film></sensor>")
        }
        expectError(["'fov'", "strictly between 0.0 and 180.0"]) {
            _ = try parse("<sensor type=\"perspective\"><float name=\"fov\" value=\"180\"/></sensor>")
        }
        expectError(["'reflectance'", "must be >= 0"]) {
            _ = try parse("<shape type=\"sphere\"><bsdf type=\"diffuse\"><rgb name=\"reflectance\" value=\"-0.5\"/></bsdf></shape>")
        }
        expectError(["near_clip (5.0) must be smaller than far_clip (1.0)"]) {
            _ = try parse("<sensor type=\"perspective\"><float name=\"near_clip\" value=\"5\"/><float name=\"far_clip\" value=\"1\"/></sensor>")
        }
        expectError(["'fov' or 'focal_length', not both"]) {
            _ = try parse("<sensor type=\"perspective\"><float name=\"fov\" value=\"5\"/><string name=\"focal_length\" value=\"35mm\"/></sensor>")
        }
        let ok = try? parse("<sensor type=\"perspective\"><film type=\"hdrfilm\"><integer name=\"width\" value=\"16384\"/><integer name=\"height\" value=\"16384\"/></film></sensor>")
        #expect(ok != nil)
    }

    @Test func missingFiles() throws {
        let dir = ScratchFolder(prefix: "scenefile-tests")
        defer { dir.remove() }
        expectError(["test.xml:3:19:", "file not found: gone.obj"]) {
            _ = try parse("<shape type=\"obj\"><string name=\"filename\" value=\"gone.obj\"/></shape>", directory: dir.path)
        }
        expectError(["file not found: sky.exr"]) {
            _ = try parse("<emitter type=\"envmap\"><string name=\"filename\" value=\"sky.exr\"/></emitter>", directory: dir.path)
        }
        expectError(["needs the property 'filename'"]) { _ = try parse("<shape type=\"ply\"/>", directory: dir.path) }
        expectError(["file not found: \(dir.path)/nope.xml"]) { _ = try SceneDescription(path: dir.path + "/nope.xml") }
    }
}
