import Foundation
import ImageIO
import Render
import SceneFile
import TestSupport
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
] + regressionScenes

/// Mitsuba's render regression scenes (`tests/scenes/*/test_*.xml` of its data repository) beyond
/// the four above: the ones that render are compared in `regressionComparisons`.
let regressionScenes: [PublishedScene] = regressionComparisons.map {
    PublishedScene(path: $0.path, outcome: .renders(reference: $0.reference))
} + [
    // A capitalised plugin name, which Mitsuba 3.9.1 refuses as well.
    ("bsdf_spheres/test_texturedprincipledthin.xml", ["38:5:", "unsupported <shape> plugin 'Rectangle'"]),
    // Participating media.
    ("participating_media/test_hetero_sigmat.xml", ["9:5:", "<medium> is not supported"]),
    ("participating_media/test_homo_dielectric_envmap.xml", ["9:5:", "<medium> is not supported"]),
    ("participating_media/test_homo_emitter_inside_medium.xml", ["10:5:", "<medium> is not supported"]),
    ("participating_media/test_homo_null_envmap.xml", ["9:5:", "<medium> is not supported"]),
    ("participating_media/test_homo_spectral_sigmat.xml", ["9:5:", "<medium> is not supported"]),
].map { PublishedScene(path: "tests/scenes/" + $0.0, outcome: .fails($0.1)) }

/// As Mitsuba's render tests load them: with the samples per pixel given (the motion-blur
/// scenes have no default for `spp`).
let publishedDefines = ["spp": "4"]

/// One published scene rendered small: the film is `width` x `height`, the
/// field of view the one the scene's own film gives, as
/// tools/published_references.py does for Mitsuba.
struct PublishedComparison: Sendable, CustomTestStringConvertible {
    var reference: String
    var path: String
    var width: Int, height: Int
    var defines: [String: String] = [:]
    /// DiffRay's samples per pixel, rendered as 32 independent sub-renders for its variance.
    var spp: Int = 1024
    /// The reference's samples per pixel, when DiffRay's variance is taken from the reference's per-sample
    /// variance (as Mitsuba's render test takes it) instead of from the sub-renders: for heavy-tailed pixels,
    /// whose few large samples the sub-renders miss together with the variance they carry.
    var referenceSamples: Int? = nil
    var testDescription: String { reference }
}

/// Sizes and -D values as in tools/published_references.py; its references are
/// 16 passes of 4096 spp (65536 spp) with their variance. Every case must pass
/// Mitsuba's z-test (`ZTest`).
let publishedComparisons: [PublishedComparison] = [
    PublishedComparison(reference: "cbox-spectral", path: "docs/scenes/variants_cbox_spectral.xml", width: 16, height: 16,
                        defines: ["max_depth": "6"]),
    PublishedComparison(reference: "conductor-gold", path: "docs/scenes/bsdf_conductor_gold.xml", width: 16, height: 12),
    PublishedComparison(reference: "conductor-aluminium", path: "docs/scenes/bsdf_conductor_aluminium.xml", width: 16, height: 12),
    // Caustics through the diamond, fireflies in the mirrors, two spot lights at unlimited depth: heavy-tailed
    // pixels, whose variance 32 sub-renders of 1024 spp underestimate; at 4096 spp they pass.
    PublishedComparison(reference: "dielectric-diamond", path: "docs/scenes/bsdf_dielectric_diamond.xml", width: 16, height: 12, spp: 4096),
    PublishedComparison(reference: "ply-bunny", path: "docs/scenes/shape_ply_bunny.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"]),
    PublishedComparison(reference: "ply-bunny-facet", path: "docs/scenes/shape_ply_bunny_facet.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"]),
    PublishedComparison(reference: "sphere-basic", path: "docs/scenes/shape_sphere_basic.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"]),
    PublishedComparison(reference: "disk", path: "docs/scenes/shape_disk.xml", width: 16, height: 12, defines: ["max_depth": "6"]),
    PublishedComparison(reference: "rectangle", path: "docs/scenes/shape_rectangle.xml", width: 16, height: 12,
                        defines: ["max_depth": "6"]),
    PublishedComparison(reference: "spot-no-texture", path: "docs/scenes/emitter_spot_no_texture.xml", width: 16, height: 12, spp: 4096),
    PublishedComparison(reference: "infinite-mirrors", path: "tests/scenes/infinite_mirrors/scene.xml", width: 16, height: 16, spp: 4096),
    PublishedComparison(reference: "direct-both", path: "docs/scenes/integrator_direct_both.xml", width: 16, height: 12),
    // Mitsuba's render regression scenes (tests/scenes/), their films shrunk with the aspect ratio kept.
] + regressionComparisons

let regressionComparisons: [PublishedComparison] = [
    ("bsdf-spheres-arealight", "bsdf_spheres/test_arealight.xml", 24, 24),
    ("bsdf-spheres-constant", "bsdf_spheres/test_constant.xml", 24, 24),
    ("bsdf-spheres-envmap", "bsdf_spheres/test_envmap.xml", 24, 24),
    ("bsdf-spheres-pointlight", "bsdf_spheres/test_pointlight.xml", 24, 24),
    ("bsdf-spheres-normalmap", "bsdf_spheres/test_normalmap.xml", 16, 16),
    ("bsdf-spheres-principled1", "bsdf_spheres/test_texturedprincipled1.xml", 16, 16),
    ("bsdf-spheres-principled2", "bsdf_spheres/test_texturedprincipled2.xml", 16, 16),
    ("floating-sphere-directional", "floating_sphere/test_directional.xml", 16, 16),
    ("floating-sphere-directional-direct", "floating_sphere/test_directional_direct.xml", 16, 16),
    ("instancing-path", "instancing/test_instancing_path.xml", 16, 16),
    ("mesh-attributes-1-face", "mesh_attributes/test_mesh_attributes_1_face_direct.xml", 16, 16),
    ("mesh-attributes-3-face", "mesh_attributes/test_mesh_attributes_3_face_direct.xml", 16, 16),
    ("mesh-attributes-3-vertex", "mesh_attributes/test_mesh_attributes_3_vertex_direct.xml", 16, 16),
    ("orthographic", "orthographic_sensor/test_orthographic.xml", 20, 12),
    ("projector-constant", "projector/test_projector_constant_direct.xml", 16, 16),
    ("projector-textured", "projector/test_projector_textured_direct.xml", 16, 16),
    ("spot", "spot_light/test_spot.xml", 16, 16),
    ("spot-direct", "spot_light/test_spot_direct.xml", 16, 16),
    ("texture-interp", "texture_interp/test_texture_interp.xml", 24, 24),
    ("texture-interp-direct", "texture_interp/test_texture_interp_direct.xml", 24, 24),
    ("various-shapes", "various_shapes/test_various_shapes.xml", 24, 24),
    // The same shapes and an instanced sdfgrid (a torus of signed distances, smooth normals).
    ("various-shapes-path", "various_shapes/test_various_shapes_path.xml", 24, 24),
    // Anisotropic roughconductor (also under a normal map, and the srgb spectrum plugin, the bitmap's format).
    ("bsdf-spheres-normalmap-roughconductor", "bsdf_spheres/test_normalmap_roughconductor_path.xml", 16, 16),
    ("bsdf-spheres-normalmap-identity-roughconductor", "bsdf_spheres/test_normalmap_identity_roughconductor_path.xml", 16, 16),
    ("mesh-tangents-pole", "mesh_tangents/test_tangent_pole_path.xml", 16, 16),
    ("vertex-tangents-anisotropic", "vertex_tangents/test_anisotropic_tangents_path.xml", 16, 12),
].map { PublishedComparison(reference: $0.0, path: "tests/scenes/" + $0.1, width: $0.2, height: $0.3) } + [
    // A bitmap (BMP) as an area light's radiance, next to spot, projector and point lights. Heavy-tailed
    // pixels (six lights, one picked per shading point; spots and a projector lighting the walls through
    // a bounce): DiffRay's variance is the reference's per-sample variance over 1024 spp, as in Mitsuba's
    // own test; the references are 256 passes of 256 spp (tools/published_references.py).
    ("various-emitters", "various_emitters/test_various_emitters.xml"),
    ("various-emitters-ptracer", "various_emitters/test_various_emitters_ptracer.xml"),
].map { PublishedComparison(reference: $0.0, path: "tests/scenes/" + $0.1, width: 64, height: 8, referenceSamples: 65536) }
    + motionComparisons

/// Motion blur (animated instances, point and spot lights) and a rolling shutter on an animated
/// sensor. Mitsuba 3.9.1 refuses <animation>, so their references are Mitsuba's renders of the scene
/// frozen at instants drawn over the shutter, and for the rolling shutter Mitsuba's integrator on
/// camera rays each taken at its own instant (tools/motion_references.py).
let motionComparisons: [PublishedComparison] = [
    ("motion-simple", "motion_blur/test_simple_motion_path.xml"),
    ("motion-complex", "motion_blur/test_complex_motion_path.xml"),
    ("motion-emitters", "motion_blur/test_emitters_path.xml"),
].map { PublishedComparison(reference: $0.0, path: "tests/scenes/" + $0.1, width: 16, height: 16, defines: ["spp": "4"]) } + [
    ("rolling-shutter", "rolling_shutter/test_rolling_shutter_path.xml"),
    // The particle tracer's scene, rendered (as its file advises for references) by path tracing.
    ("rolling-shutter-ptracer", "rolling_shutter/test_rolling_shutter_ptracer.xml"),
].map {
    // A spot light 2 units above the floor lights the wall through one bounce: rare bright samples, so DiffRay's
    // variance is the reference's per-sample variance (256 passes of 256 spp, tools/motion_references.py).
    PublishedComparison(reference: $0.0, path: "tests/scenes/" + $0.1, width: 16, height: 16, defines: ["spp": "4"],
                        spp: 4096, referenceSamples: 65536)
}

/// Loads a published scene with a small film and the scene's own horizontal field of view.
func loadSmall(_ c: PublishedComparison) throws -> Scene<Double> {
    var d = try SceneDescription(path: RenderFixtures.root + "/scenes/published/mitsuba-data/" + c.path, defines: c.defines)
    var sensor = d.sensors[0]
    let filmIndex = try #require(sensor.children.firstIndex { $0.category == .film })
    let (width, height) = sensor.children[filmIndex].resolution
    if sensor.type != "orthographic" {
        sensor.properties["fov"] = .float(sensor.horizontalFOV(aspect: Double(width) / Double(height)))
        sensor.properties["fov_axis"] = .string("x")
        sensor.properties["focal_length"] = nil
    }
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
            let scene = try Scene.load(path: p.absolutePath, defines: publishedDefines)
            #expect(!scene.shapes.isEmpty)
        case .fails(let fragments):
            do {
                _ = try Scene.load(path: p.absolutePath, defines: publishedDefines)
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
        let rendered = renderWithVariance(scene, spp: c.spp)
        let path = RenderFixtures.reference("published-" + c.reference)
        let z = try zTestAgainstReference(rendered, reference: path, spp: c.spp, referenceSamples: c.referenceSamples)
        let comparison = ImageComparison(rendered.image, try Image.read(from: path))
        print("published \(c.reference): \(z); mean relative error "
              + comparison.meanRelative.map { String(format: "%.4f", $0) }.joined(separator: " ")
              + ", image means " + zip(comparison.mean, comparison.referenceMean).map { String(format: "%.5g/%.5g", $0, $1) }
              .joined(separator: " "))
        #expect(z.passes, "\(c.reference): \(z)")
    }
}
