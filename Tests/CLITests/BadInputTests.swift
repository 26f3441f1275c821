import Foundation
import TestSupport
import Testing

/// One way a user gets it wrong: the files, the command line, and what the
/// single error line must mention.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var files: [String: String]
    var binaryFiles: [String: [UInt8]] = [:]
    var arguments: [String] = ["render", "scene.xml", "-o", "out.png", "--hdr", "out.exr"]
    /// Substrings the error line must contain (file, place, what was expected).
    var mentions: [String]
    var testDescription: String { name }
}

/// A valid small scene around `body` (shapes, emitters) with these film, sampler settings.
func sceneXML(_ body: String, width: String = "8", height: String = "8", spp: String = "4", prolog: String = "") -> String {
    """
    <?xml version="1.0"?>
    \(prolog)<scene version="3.0.0">
        <sensor type="perspective">
            <float name="fov" value="40"/>
            <transform name="to_world"><lookat origin="0, 0, 4" target="0, 0, 0" up="0, 1, 0"/></transform>
            <film type="hdrfilm"><integer name="width" value="\(width)"/><integer name="height" value="\(height)"/></film>
            <sampler type="independent"><integer name="sample_count" value="\(spp)"/></sampler>
        </sensor>
        <emitter type="constant"><rgb name="radiance" value="1"/></emitter>
    \(body)
    </scene>
    """
}

let badInputs: [BadInput] = [
    BadInput(name: "malformed XML", files: ["scene.xml": "<scene version=\"3.0.0\">\n  <shape type=\"sphere\">\n</scene>\n"],
             mentions: ["scene.xml:3:"]),
    BadInput(name: "unclosed attribute quote", files: ["scene.xml": "<scene version=\"3.0.0\">\n<shape type=\"sphere/>\n"],
             mentions: ["scene.xml:"]),
    BadInput(name: "unknown plugin", files: ["scene.xml": sceneXML("<shape type=\"teapot\"/>")],
             mentions: ["scene.xml:", "teapot"]),
    BadInput(name: "unknown property", files: ["scene.xml": sceneXML("<shape type=\"sphere\"><float name=\"radiu\" value=\"1\"/></shape>")],
             mentions: ["scene.xml:", "radiu"]),
    BadInput(name: "unknown id", files: ["scene.xml": sceneXML("<shape type=\"sphere\"><ref id=\"nowhere\"/></shape>")],
             mentions: ["scene.xml:", "nowhere"]),
    BadInput(name: "wrong value type (text for a float)",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"><float name=\"radius\" value=\"big\"/></shape>")],
             mentions: ["scene.xml:10:", "big"]),
    BadInput(name: "wrong property type (string for a float)",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"><string name=\"radius\" value=\"1\"/></shape>")],
             mentions: ["scene.xml:", "radius"]),
    BadInput(name: "cylinder with p0 = p1",
             files: ["scene.xml": sceneXML(#"<shape type="cylinder"><point name="p0" value="0, 0, 0"/><point name="p1" value="0, 0, 0"/></shape>"#)],
             mentions: ["scene.xml:10:", "p0 and p1 must differ"]),
    BadInput(name: "mesh attribute the mesh does not have",
             files: ["scene.xml": sceneXML(#"<shape type="ply"><string name="filename" value="m.ply"/><bsdf type="diffuse"><texture type="mesh_attribute" name="reflectance"><string name="name" value="vertex_color"/></texture></bsdf></shape>"#),
                     "m.ply": "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"],
             mentions: ["scene.xml:10:", "no attribute 'vertex_color'"]),
    BadInput(name: "missing mesh file",
             files: ["scene.xml": sceneXML("<shape type=\"obj\"><string name=\"filename\" value=\"missing.obj\"/></shape>")],
             mentions: ["missing.obj"]),
    BadInput(name: "missing texture file",
             files: ["scene.xml": sceneXML("""
                 <shape type="sphere"><bsdf type="diffuse"><texture type="bitmap" name="reflectance">
                 <string name="filename" value="missing.png"/></texture></bsdf></shape>
                 """)],
             mentions: ["missing.png"]),
    BadInput(name: "missing envmap file",
             files: ["scene.xml": sceneXML("<emitter type=\"envmap\"><string name=\"filename\" value=\"nosky.exr\"/></emitter>")],
             mentions: ["nosky.exr"]),
    BadInput(name: "NaN radius", files: ["scene.xml": sceneXML("<shape type=\"sphere\"><float name=\"radius\" value=\"nan\"/></shape>")],
             mentions: ["scene.xml:10:", "nan"]),
    BadInput(name: "infinite field of view",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>").replacingOccurrences(of: "value=\"40\"", with: "value=\"inf\"")],
             mentions: ["scene.xml:4:", "inf"]),
    BadInput(name: "NaN colour",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"><bsdf type=\"diffuse\"><rgb name=\"reflectance\" value=\"0.5, nan, 0.5\"/></bsdf></shape>")],
             mentions: ["scene.xml:10:", "nan"]),
    BadInput(name: "zero width", files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>", width: "0")],
             mentions: ["scene.xml:", "width"]),
    BadInput(name: "negative height", files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>", height: "-4")],
             mentions: ["scene.xml:", "height"]),
    BadInput(name: "zero sample_count", files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>", spp: "0")],
             mentions: ["scene.xml:", "sample_count"]),
    BadInput(name: "--spp 0", files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>")],
             arguments: ["render", "scene.xml", "--spp", "0", "-o", "out.png"], mentions: ["spp"]),
    BadInput(name: "--spp -3", files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>")],
             arguments: ["render", "scene.xml", "--spp=-3", "-o", "out.png"], mentions: ["spp"]),
    BadInput(name: "resolution over the pixel cap",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>", width: "100000", height: "100000")],
             mentions: ["scene.xml:"]),
    BadInput(name: "-D resolution over the pixel cap",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"/>", width: "$res", height: "$res")
                        .replacingOccurrences(of: "<scene version=\"3.0.0\">", with: "<scene version=\"3.0.0\"><default name=\"res\" value=\"8\"/>")],
             arguments: ["render", "scene.xml", "-D", "res=70000", "-o", "out.png"], mentions: ["scene.xml:"]),
    BadInput(name: "truncated OBJ (face of a missing vertex)",
             files: ["scene.xml": sceneXML("<shape type=\"obj\"><string name=\"filename\" value=\"cut.obj\"/></shape>"),
                     "cut.obj": "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 5\n"],
             mentions: ["cut.obj"]),
    BadInput(name: "truncated OBJ (vertex cut short)",
             files: ["scene.xml": sceneXML("<shape type=\"obj\"><string name=\"filename\" value=\"cut.obj\"/></shape>"),
                     "cut.obj": "v 0 0 0\nv 1 0 0\nv 0 1"],
             mentions: ["cut.obj"]),
    BadInput(name: "truncated ASCII PLY",
             files: ["scene.xml": sceneXML("<shape type=\"ply\"><string name=\"filename\" value=\"cut.ply\"/></shape>"),
                     "cut.ply": "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
                        + "element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n"],
             mentions: ["cut.ply"]),
    BadInput(name: "truncated binary PLY",
             files: ["scene.xml": sceneXML("<shape type=\"ply\"><string name=\"filename\" value=\"cut.ply\"/></shape>")],
             binaryFiles: ["cut.ply": Array(("ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
                                             + "property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n").utf8)
                                      + [UInt8](repeating: 0, count: 30)],
             mentions: ["cut.ply"]),
    BadInput(name: "XML external entity",
             files: ["scene.xml": sceneXML("<shape type=\"obj\"><string name=\"filename\" value=\"&xxe;\"/></shape>",
                                           prolog: "<!DOCTYPE scene [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n")],
             mentions: ["scene.xml:"]),
    BadInput(name: "scene file missing", files: [:], mentions: ["scene.xml"]),
    BadInput(name: "normalmap without a nested bsdf",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"><bsdf type=\"normalmap\"><rgb name=\"normalmap\" value=\"0.5, 0.5, 1\"/></bsdf></shape>")],
             mentions: ["scene.xml:10:", "normalmap", "nested bsdf"]),
    BadInput(name: "grey normal map",
             files: ["scene.xml": sceneXML("""
                 <shape type="sphere"><bsdf type="normalmap"><texture type="bitmap" name="normalmap">
                 <string name="filename" value="grey.png"/></texture><bsdf type="diffuse"/></bsdf></shape>
                 """)],
             binaryFiles: ["grey.png": Array((try? Data(contentsOf: Repository.fixtures.appendingPathComponent("plugin-scenes/grey.png"))) ?? Data())],
             mentions: ["scene.xml:", "grey.png", "3 (RGB)"]),
    BadInput(name: "bumpmap without a height texture",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"><bsdf type=\"bumpmap\"><bsdf type=\"diffuse\"/></bsdf></shape>")],
             mentions: ["scene.xml:10:", "bumpmap", "texture"]),
    BadInput(name: "principled with both eta and specular",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"><bsdf type=\"principled\"><float name=\"eta\" value=\"1.5\"/>"
                                           + "<float name=\"specular\" value=\"0.3\"/></bsdf></shape>")],
             mentions: ["scene.xml:10:", "eta", "specular"]),
    BadInput(name: "principled weight of the wrong type",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\"><bsdf type=\"principled\"><boolean name=\"metallic\" value=\"true\"/></bsdf></shape>")],
             mentions: ["scene.xml:10:", "metallic"]),
    BadInput(name: "animation key without a time",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\" id=\"s\"/><emitter type=\"point\"><animation name=\"to_world\">"
                                           + "<transform><translate x=\"1\"/></transform></animation></emitter>")],
             mentions: ["scene.xml:10:", "needs a time"]),
    BadInput(name: "gradient of an animated scene",
             files: ["scene.xml": sceneXML("<shape type=\"sphere\" id=\"s\"/><emitter type=\"point\"><animation name=\"to_world\">"
                                           + "<transform time=\"0\"/><transform time=\"1\"><translate x=\"1\"/></transform>"
                                           + "</animation></emitter>")],
             arguments: ["grad", "scene.xml", "--param", "s.radius"],
             mentions: ["scene.xml", "animated", "not supported"]),
    BadInput(name: "--edge-tree-above -1", files: ["scene.xml": sceneXML("<shape type=\"sphere\" id=\"s\"/>")],
             arguments: ["grad", "scene.xml", "--param", "s.radius", "--edge-tree-above", "-1"], mentions: ["edge-tree-above"]),
    BadInput(name: "bench pixels --seeds of no kind", files: [:],
             arguments: ["bench", "pixels", "--seeds", "random"], mentions: ["--seeds", "random"]),
]

@Suite("diffray with bad input", .enabled(if: DiffRayBinary.isAvailable, Comment(rawValue: DiffRayBinary.missing)))
struct BadInputTests {
    @Test("one line on stderr, exit status 2, no output file", arguments: badInputs)
    func badInput(_ c: BadInput) throws {
        var files = c.files.mapValues { Array($0.utf8) }
        files.merge(c.binaryFiles) { a, _ in a }
        let folder = try ScratchFolder(prefix: "diffray-cli", files: files)
        defer { folder.remove() }
        let before = folder.contents
        let run = try diffray(c.arguments, in: folder.path)
        #expect(run.status == 2, "\(c.name): exit status \(run.status); stderr: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(c.name): stderr has \(lines.count) lines: \(run.stderr)")
        #expect(run.stderr.hasPrefix("diffray: "), "\(c.name): \(run.stderr)")
        for m in c.mentions {
            #expect(run.stderr.contains(m), "\(c.name): the error should mention '\(m)': \(run.stderr)")
        }
        // No output and no temporary file left behind.
        #expect(folder.contents == before, "\(c.name): files after the run: \(folder.contents)")
        #expect(!run.stderr.contains("root:"), "\(c.name): an external entity was expanded")
        #expect(run.seconds < 20, "\(c.name): took \(run.seconds) s")
    }

    @Test("a resolution over the cap is refused at once (before any allocation)")
    func pixelCapIsFast() throws {
        let folder = try ScratchFolder(prefix: "diffray-cli", files: ["scene.xml": Array(sceneXML("<shape type=\"sphere\"/>", width: "131072", height: "131072").utf8)])
        defer { folder.remove() }
        let run = try diffray(["render", "scene.xml", "-o", "out.png"], in: folder.path)
        #expect(run.status == 2)
        #expect(run.seconds < 5, "took \(run.seconds) s")
    }

    @Test("a good scene renders, with its JSON line, and the AOV files")
    func goodScene() throws {
        let folder = try ScratchFolder(prefix: "diffray-cli", files: ["scene.xml": Array(sceneXML("<shape type=\"sphere\"/>").utf8),
                                            "aov.xml": Array(sceneXML("<shape type=\"sphere\"/>")
                                                .replacingOccurrences(of: "<sensor", with: "<integrator type=\"aov\"><string name=\"aovs\" value=\"dd.y:depth,nn:sh_normal\"/></integrator>\n<sensor")
                                                .utf8)])
        defer { folder.remove() }
        let run = try diffray(["render", "scene.xml", "-o", "out.png", "--hdr", "out.exr", "--json"], in: folder.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(folder.contents == ["aov.xml", "out.exr", "out.png", "scene.xml"])
        let last = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let json = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        for key in ["seconds", "spp", "width", "height", "paths_per_second"] {
            #expect(json?[key] != nil, "JSON lacks \(key): \(last)")
        }
        // The aov integrator writes one file per AOV and does not path trace.
        let aov = try diffray(["render", "aov.xml", "-o", "a.png", "--hdr", "a.exr"], in: folder.path)
        #expect(aov.status == 0, "\(aov.stderr)")
        for name in ["a-dd.y.png", "a-dd.y.exr", "a-nn.png", "a-nn.exr"] {
            #expect(folder.contents.contains(name), "missing \(name): \(folder.contents)")
        }
        #expect(!folder.contents.contains("a.png") && !folder.contents.contains("a.exr"))
    }
}
