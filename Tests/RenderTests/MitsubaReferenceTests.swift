import Foundation
import ImageIO
import Render
import SceneFile
import TestSupport
import Testing

/// Where the committed fixtures live (Tests/Fixtures) and the repository root.
enum RenderFixtures {
    static let root = Repository.root.path
    static let directory = Repository.fixtures.path
    static func scene(_ name: String) -> String { directory + "/scenes/" + name + ".xml" }
    static func reference(_ name: String) -> String { directory + "/references/" + name + ".exr" }
}

/// One Mitsuba 3 reference comparison: a scene, the spp DiffRay renders it
/// with, and (for AOVs) the largest per-pixel relative error allowed. Images
/// must pass Mitsuba's z-test (`ZTest`); AOVs keep the mean relative error per
/// channel, |a − r| / max(|r|, 0.02) averaged over the pixels, ≤ 1 %.
struct ReferenceCase: Sendable, CustomTestStringConvertible {
    var name: String
    var scene: String
    var defines: [String: String] = [:]
    var spp: Int
    /// Bound on the per-pixel, per-channel relative error: 0.25 by default
    /// (noise; the largest seen is 0.14), 0.5 for AOVs (silhouette pixels of
    /// normals near 0, where the floor 0.02 makes a small shift large) and
    /// for the materials scene (glass caustics on the floor).
    var maxError: Double
    var testDescription: String { name }

    static func fixture(_ name: String, spp: Int, maxError: Double = 0.25) -> ReferenceCase {
        ReferenceCase(name: name, scene: RenderFixtures.scene(name), spp: spp, maxError: maxError)
    }
}

/// The mean-relative-error threshold of every reference test.
let referenceMeanThreshold = 0.01

/// Renders a reference case with DiffRay and compares it with its Mitsuba
/// image. AOV scenes are compared channel by channel in the order Mitsuba
/// writes them (AOV after AOV, each AOV's channels in order).
func compareWithReference(_ c: ReferenceCase) throws -> ImageComparison {
    let scene = try Scene.load(path: c.scene, defines: c.defines)
    let options = RenderOptions(samplesPerPixel: c.spp, seed: 7, threads: 2)
    var image: Image
    if scene.aovs.isEmpty {
        image = scene.render(options).0
    } else {
        let (images, _) = scene.renderAOVs(options)
        // Flatten the AOV channels into RGB in Mitsuba's order.
        var channels = [[Float]]()
        for (aov, rendered) in zip(scene.aovs, images) {
            let count = aov.kind == .depth ? 1 : (aov.kind == .uv ? 2 : 3)
            for k in 0..<count { channels.append(rendered.image.channel(k)) }
        }
        if channels.count == 1 { channels = [channels[0], channels[0], channels[0]] }
        let w = scene.film.width, h = scene.film.height
        image = Image(width: w, height: h) { x, y in
            LinearRGB(channels[0][y * w + x], channels[1][y * w + x], channels[2][y * w + x])
        }
    }
    let reference = try Image.read(from: RenderFixtures.reference(c.name))
    #expect(reference.width == image.width && reference.height == image.height,
            "\(c.name): reference \(reference.width)x\(reference.height), rendered \(image.width)x\(image.height)")
    return ImageComparison(image, reference)
}

/// Spp: DiffRay renders ~0.3 M paths/s a core here; the cases together stay
/// near 25 M paths (about 40 s on two cores). Mitsuba's references have 16384 spp.
let referenceCases: [ReferenceCase] = [
    // The three scenes of scenes/, at the resolution of their references.
    ReferenceCase(name: "cornell-box", scene: RenderFixtures.root + "/scenes/cornell-box.xml",
                  defines: ["res": "24", "max_depth": "8"], spp: 8192, maxError: 0.25),
    ReferenceCase(name: "materials", scene: RenderFixtures.root + "/scenes/materials.xml",
                  defines: ["width": "48", "height": "20"], spp: 2048, maxError: 0.5),
    ReferenceCase(name: "meshes", scene: RenderFixtures.root + "/scenes/meshes.xml",
                  defines: ["width": "32", "height": "24"], spp: 2048, maxError: 0.25),
    ReferenceCase(name: "cornell-box-direct", scene: RenderFixtures.scene("cornell-box-direct"),
                  defines: ["res": "24"], spp: 1024, maxError: 0.25),
    // The Cornell box scaled by 1000 and moved by 1e4 (rays leaving surfaces far from the origin).
    ReferenceCase(name: "cornell-box-far", scene: RenderFixtures.scene("cornell-box-far"), spp: 1024, maxError: 0.25),
    // One plugin each.
    .fixture("shape-sphere", spp: 1024),
    .fixture("shape-sphere-rotated", spp: 1024),
    .fixture("shape-rectangle", spp: 1024),
    .fixture("shape-cube", spp: 1024),
    .fixture("shape-disk", spp: 1024),
    .fixture("shape-obj", spp: 1024),
    .fixture("shape-ply-binary", spp: 1024),
    .fixture("shape-ply-ascii", spp: 1024),
    .fixture("bsdf-diffuse", spp: 1024),
    .fixture("bsdf-conductor", spp: 1024),
    .fixture("bsdf-conductor-au", spp: 1024),
    .fixture("bsdf-roughconductor-beckmann", spp: 1024),
    .fixture("bsdf-roughconductor-ggx", spp: 1024),
    .fixture("bsdf-dielectric", spp: 2048),
    .fixture("bsdf-thindielectric", spp: 2048),
    .fixture("bsdf-roughdielectric", spp: 1024),
    .fixture("bsdf-plastic", spp: 1024),
    .fixture("bsdf-twosided", spp: 1024),
    .fixture("emitter-area", spp: 1024),
    .fixture("emitter-area-flipped", spp: 1024),
    .fixture("emitter-point", spp: 1024),
    .fixture("emitter-spot", spp: 1024),
    .fixture("emitter-directional", spp: 1024),
    .fixture("emitter-constant", spp: 1024),
    .fixture("emitter-envmap", spp: 1024),
    .fixture("filter-box", spp: 8192),
    .fixture("filter-tent", spp: 1024),
    .fixture("filter-gaussian", spp: 1024),
    .fixture("integrator-path-hide-emitters", spp: 1024),
    .fixture("integrator-direct", spp: 1024),
    .fixture("aov-depth", spp: 1024, maxError: 0.5),
    .fixture("aov-normal", spp: 1024, maxError: 0.5),
    .fixture("aov-geo-normal", spp: 1024, maxError: 0.5),
    .fixture("aov-albedo", spp: 1024, maxError: 0.5),
    .fixture("aov-position", spp: 1024, maxError: 0.5),
    .fixture("aov-uv-depth", spp: 1024, maxError: 0.5),
]

/// Cases that do not match Mitsuba, with the cause (render-readme.md, "Known differences").
let knownDifferences: [String: Comment] = [:]

@Suite("Mitsuba 3 references")
struct MitsubaReferenceTests {
    @Test("converged render matches Mitsuba 3", arguments: referenceCases)
    func matchesMitsuba(_ c: ReferenceCase) throws {
        if let issue = knownDifferences[c.name] {
            // A documented difference: the comparison must fail (else the entry is stale).
            withKnownIssue(issue) { try check(c) }
            return
        }
        try check(c)
    }

    /// Images are held to Mitsuba's z-test against the reference and its variance
    /// (`<name>-var.exr`); AOVs, which have no noise to speak of but silhouette pixels
    /// that differ by a sub-pixel shift, to the mean relative error.
    func check(_ c: ReferenceCase) throws {
        let scene = try Scene.load(path: c.scene, defines: c.defines)
        if scene.aovs.isEmpty {
            let rendered = renderWithVariance(scene, spp: c.spp)
            let z = try zTestAgainstReference(rendered, reference: RenderFixtures.reference(c.name), spp: c.spp)
            print("reference \(c.name) (\(c.spp) spp): \(z)")
            #expect(z.passes, "\(c.name): \(z)")
        } else {
            expectAgreement(try compareWithReference(c), "reference \(c.name) (\(c.spp) spp)", maxError: c.maxError)
        }
    }

    @Test("every reference scene has a test and a fixture")
    func fixturesComplete() throws {
        let scenes = try FileManager.default.contentsOfDirectory(atPath: RenderFixtures.directory + "/scenes")
            .filter { $0.hasSuffix(".xml") }.map { String($0.dropLast(4)) }
        let tested = Set(referenceCases.map(\.name))
        for s in scenes {
            #expect(tested.contains(s), "Tests/Fixtures/scenes/\(s).xml has no reference case")
        }
        for c in referenceCases {
            #expect(FileManager.default.fileExists(atPath: RenderFixtures.reference(c.name)), "missing reference \(c.name).exr")
            if !c.name.hasPrefix("aov-") {
                #expect(FileManager.default.fileExists(atPath: RenderFixtures.reference(c.name + "-var")),
                        "missing variance \(c.name)-var.exr")
            }
        }
    }
}
