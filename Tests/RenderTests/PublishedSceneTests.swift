import Foundation
import ImageIO
import Render
import SceneFile
import Testing

/// The scene files Mitsuba's own data repository publishes (scenes/published/,
/// copied unchanged; see its README): every one loads, or fails with the
/// error its unsupported feature should give; the ones that load are
/// rendered small and compared with Mitsuba 3's image of the same file.
struct PublishedScene: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        /// Loads and renders; compared with `published-<reference>.exr` at the
        /// given film size (nil: not compared).
        case renders(reference: String?)
        /// Refused with an error holding every fragment (participating media,
        /// or a plugin DiffRay does not have).
        case fails([String])
    }

    var path: String
    var outcome: Outcome
    var testDescription: String { path }
    var absolutePath: String { RenderFixtures.root + "/scenes/published/mitsuba-data/" + path }
}

let publishedScenes: [PublishedScene] = [
    PublishedScene(path: "docs/scenes/variants_cbox_spectral.xml", outcome: .renders(reference: "cbox-spectral")),
    PublishedScene(path: "docs/scenes/bsdf_conductor_gold.xml", outcome: .renders(reference: "conductor-gold")),
    PublishedScene(path: "docs/scenes/bsdf_conductor_aluminium.xml", outcome: .renders(reference: "conductor-aluminium")),
    PublishedScene(path: "docs/scenes/bsdf_dielectric_diamond.xml", outcome: .renders(reference: "dielectric-diamond")),
    PublishedScene(path: "docs/scenes/shape_ply_bunny.xml", outcome: .renders(reference: "ply-bunny")),
    PublishedScene(path: "docs/scenes/shape_ply_bunny_facet.xml", outcome: .renders(reference: "ply-bunny-facet")),
    PublishedScene(path: "docs/scenes/shape_sphere_basic.xml", outcome: .renders(reference: "sphere-basic")),
    PublishedScene(path: "docs/scenes/shape_disk.xml", outcome: .renders(reference: "disk")),
    PublishedScene(path: "docs/scenes/shape_rectangle.xml", outcome: .renders(reference: "rectangle")),
    PublishedScene(path: "docs/scenes/emitter_spot_no_texture.xml", outcome: .renders(reference: "spot-no-texture")),
    PublishedScene(path: "tests/scenes/infinite_mirrors/scene.xml", outcome: .renders(reference: "infinite-mirrors")),
    // A version 0.4.0 scene (Veach's multiple-importance test) with roughplastic.
    PublishedScene(path: "docs/scenes/integrator_direct_both.xml", outcome: .renders(reference: "direct-both")),
    // Participating media: refused by name.
    PublishedScene(path: "tests/scenes/participating_media/test_homo_area_light.xml",
                   outcome: .fails(["test_homo_area_light.xml:6:5:", "<medium> is not supported"])),
    PublishedScene(path: "tests/scenes/participating_media/test_homo_obj_inside_medium.xml",
                   outcome: .fails(["test_homo_obj_inside_medium.xml:9:5:", "<medium> is not supported"])),
    PublishedScene(path: "tests/scenes/participating_media/test_surf_area_light.xml",
                   outcome: .fails(["test-scene-base.xml:5:", "unsupported <integrator> plugin 'volpath'",
                                    "no participating media"])),
]

/// One published scene rendered small: the film is `width` x `height`, the
/// field of view the one the scene's own film gives, as
/// tools/published_references.py does for Mitsuba.
struct PublishedComparison: Sendable, CustomTestStringConvertible {
    var reference: String
    var path: String
    var width: Int, height: Int
    var defines: [String: String] = [:]
    var spp: Int
    var maxError: Double = 0.25
    /// The bound on the mean relative error per channel (1 % unless the case says why).
    var meanError: Double = referenceMeanThreshold
    /// The bound on the relative difference of the image means per channel.
    var imageMeanError: Double = 0.01
    var testDescription: String { reference }
}

/// Sizes and -D values as in tools/published_references.py; its references
/// have 65536 spp. DiffRay's spp keep the noise of the mean relative error
/// under half the 1% threshold: about 12 M paths in all.
let publishedComparisons: [PublishedComparison] = [
    PublishedComparison(reference: "cbox-spectral", path: "docs/scenes/variants_cbox_spectral.xml", width: 16, height: 16,
                        defines: ["max_depth": "6"], spp: 16384),
    PublishedComparison(reference: "conductor-gold", path: "docs/scenes/bsdf_conductor_gold.xml", width: 16, height: 12, spp: 4096),
    PublishedComparison(reference: "conductor-aluminium", path: "docs/scenes/bsdf_conductor_aluminium.xml", width: 16, height: 12,
                        spp: 4096),
    PublishedComparison(reference: "dielectric-diamond", path: "docs/scenes/bsdf_dielectric_diamond.xml", width: 16, height: 12,
                        spp: 4096, maxError: 0.5),
    PublishedComparison(reference: "ply-bunny", path: "docs/scenes/shape_ply_bunny.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"], spp: 4096),
    PublishedComparison(reference: "ply-bunny-facet", path: "docs/scenes/shape_ply_bunny_facet.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"], spp: 4096),
    PublishedComparison(reference: "sphere-basic", path: "docs/scenes/shape_sphere_basic.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"], spp: 4096),
    PublishedComparison(reference: "disk", path: "docs/scenes/shape_disk.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"], spp: 4096),
    PublishedComparison(reference: "rectangle", path: "docs/scenes/shape_rectangle.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"], spp: 4096),
    // Unlimited depth under two spot lights: the noisiest case.
    PublishedComparison(reference: "spot-no-texture", path: "docs/scenes/emitter_spot_no_texture.xml", width: 16, height: 12,
                        spp: 32768),
    PublishedComparison(reference: "infinite-mirrors", path: "tests/scenes/infinite_mirrors/scene.xml", width: 16, height: 16,
                        spp: 4096),
    // Small spherical lights seen in glossy plates: DiffRay samples a sphere light over its whole
    // surface, Mitsuba over the cone it subtends, so DiffRay's image is noisier at equal spp.
    // At 65536 spp (reference 1048576 spp) the mean relative error is 1.03 % per channel, noise-
    // bound; the image means are 0.47–0.50 % above Mitsuba's, a difference not yet explained
    // (docs/compatibility.md). The bounds hold what was measured, not the usual 1 %.
    PublishedComparison(reference: "direct-both", path: "docs/scenes/integrator_direct_both.xml", width: 16, height: 12,
                        spp: 65536, meanError: 0.015, imageMeanError: 0.01),
]

/// Loads a published scene with a small film and the scene's own horizontal field of view.
func loadSmall(_ c: PublishedComparison) throws -> Scene<Double> {
    var d = try SceneDescription(path: RenderFixtures.root + "/scenes/published/mitsuba-data/" + c.path, defines: c.defines)
    var sensor = d.sensors[0]
    let filmIndex = try #require(sensor.children.firstIndex { $0.category == .film })
    let (width, height) = sensor.children[filmIndex].resolution
    sensor.properties["fov"] = .float(sensor.horizontalFOV(aspect: Double(width) / Double(height)))
    sensor.properties["fov_axis"] = .string("x")
    sensor.properties["focal_length"] = nil
    sensor.children[filmIndex].properties["width"] = .integer(c.width)
    sensor.children[filmIndex].properties["height"] = .integer(c.height)
    d.sensors[0] = sensor
    return try Scene(description: d)
}

@Suite struct PublishedSceneTests {
    @Test(arguments: publishedScenes)
    func loadsOrNamesWhatIsMissing(_ p: PublishedScene) throws {
        switch p.outcome {
        case .renders:
            let scene = try Scene.load(path: p.absolutePath)
            #expect(!scene.shapes.isEmpty)
        case .fails(let fragments):
            do {
                _ = try Scene.load(path: p.absolutePath)
                Issue.record("\(p.path) loaded, expected an error with \(fragments)")
            } catch let e as SceneFileError {
                #expect(!e.description.contains("\n"))
                for f in fragments { #expect(e.description.contains(f), "\(e.description) should contain \(f)") }
            }
        }
    }

    @Test(arguments: publishedComparisons)
    func matchesMitsuba(_ c: PublishedComparison) throws {
        let scene = try loadSmall(c)
        let image = scene.render(RenderOptions(samplesPerPixel: c.spp, seed: 7, threads: 2)).0
        let reference = try Image.read(from: RenderFixtures.reference("published-" + c.reference))
        try #require(reference.width == image.width && reference.height == image.height)
        let comparison = ImageComparison(image, reference)
        print("published \(c.reference): mean relative error " + comparison.meanRelative.map { String(format: "%.4f", $0) }.joined(separator: " ")
              + ", max " + comparison.maxRelative.map { String(format: "%.3f", $0) }.joined(separator: " "))
        for k in 0..<3 {
            #expect(abs(comparison.mean[k] / comparison.referenceMean[k] - 1) <= c.imageMeanError,
                    "\(c.reference) channel \(k): image mean \(comparison.mean[k]) against \(comparison.referenceMean[k])")
            #expect(comparison.meanRelative[k] <= c.meanError,
                    "\(c.reference) channel \(k): mean relative error \(comparison.meanRelative[k]) (means \(comparison.mean) vs \(comparison.referenceMean))")
            #expect(comparison.maxRelative[k] <= c.maxError,
                    "\(c.reference) channel \(k): max relative error \(comparison.maxRelative[k])")
        }
    }
}
