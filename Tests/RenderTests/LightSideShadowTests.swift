import Foundation
import Render
import SceneFile
import Testing
import TestSupport

/// The first surface's shadow samples come from two ends, film points and
/// light points, weighted by the balance heuristic through both ends'
/// densities. Each end's density must be that of its own draws, everywhere
/// the draws land: `auditLightSideDensities` measures the set both ends reach
/// from each end's draws alone (no radiance), and the two measures must agree.
@Suite("Shadow samples from the lights' side")
struct LightSideShadowTests {
    /// The scenes: a box close to the floor (`scenes/box-on-floor.xml`), and
    /// from `scenes/visibility/` the cube of `shadow-close-to-receiver`, the quad
    /// of `shadow-area-light` under its own light, and a quad under a light
    /// turned 35° about two axes (`shadow-turned-area-light`: its plane meets
    /// the floor in view).
    static func scenes() throws -> [(String, Scene<Double>)] {
        let path = Repository.scenes.appendingPathComponent("box-on-floor.xml").path
        return [("box-on-floor", try Scene.load(path: path, defines: ["res": "32"])),
                ("cube close to the floor", try VisibilityGradientTests.scene("shadow-close-to-receiver")),
                ("quad under a small light", try VisibilityGradientTests.scene("shadow-area-light")),
                ("quad under a turned light", try VisibilityGradientTests.scene("shadow-turned-area-light"))]
    }

    /// Both ends' estimates of the shared set agree within three combined
    /// standard errors, enough draws of each reach it, every light-side draw's
    /// own density is positive, and the film side's density of a point
    /// computed without drawing (as the light side computes it) is the one its
    /// draw reports.
    /// `maxFlatEdges`: the flat scan's limit (0 or none, as `throughTree` asks, unless given).
    static func expectBothEndsAgree(_ scene: Scene<Double>, name: String, throughTree: Bool, maxFlatEdges: Int? = nil,
                                    samples: Int = 20_000) throws {
        let limit = maxFlatEdges ?? (throughTree ? 0 : .max)
        let audit = try #require(scene.auditLightSideDensities(samples: samples, seed: 5, maxFlatEdges: limit))
        print("\(name)\(throughTree ? " (edge tree)" : ""): film side \(audit.filmEstimate) ± \(audit.filmError) (\(audit.filmHits) draws), "
              + "light side \(audit.lightEstimate) ± \(audit.lightError) (\(audit.lightHits) draws), unreached \(audit.unreached), "
              + "film density error \(audit.largestFilmDensityError)")
        #expect(audit.throughTree == throughTree, "\(name): through the tree \(audit.throughTree)")
        #expect(audit.filmHits > 300 && audit.lightHits > 300, "\(name): too few draws reach the shared set")
        #expect(audit.unreached == 0, "\(name): \(audit.unreached) light-side draws whose own density is 0")
        #expect(audit.largestFilmDensityError < 1e-9, "\(name): film side's density off by \(audit.largestFilmDensityError)")
        let se = (audit.filmError * audit.filmError + audit.lightError * audit.lightError).squareRoot()
        #expect(abs(audit.filmEstimate - audit.lightEstimate) < 3 * se,
                "\(name): film side \(audit.filmEstimate) ± \(audit.filmError), light side \(audit.lightEstimate) ± \(audit.lightError)")
    }

    /// Every scene by the flat scan of every edge, and again through the edge
    /// tree (forced below its limit: both ends walk it and climb it for the
    /// other's density).
    @Test(arguments: [false, true]) func bothEndsMeasureTheSameSet(throughTree: Bool) throws {
        for (name, scene) in try Self.scenes() {
            try Self.expectBothEndsAgree(scene, name: name, throughTree: throughTree)
        }
    }

    /// The lumpy blob of 7,680 edges (above the flat scan's limit) under the
    /// small side light: its shadow on the floor from both ends through the
    /// tree (the shadow covers less of the film than the boxes' do: twice the draws).
    @Test func bothEndsMeasureTheSameSetAboveTheLimit() throws {
        let scene = try VisibilityGradientTests.scene("shadow-mesh-area-light")
        try Self.expectBothEndsAgree(scene, name: "dense blob", throughTree: true,
                                     maxFlatEdges: BoundaryOptions.standard.maxFlatSecondaryEdges, samples: 40_000)
    }

    /// A light over a floor with nothing between them: its own rectangle's
    /// edges are the only ones in front of the floor, and no light point lies
    /// behind them as seen from the floor (the line from a floor point through
    /// a point of the light's rim meets the light only at that point). The
    /// light side cannot draw them (a light point in the plane of the edge casts
    /// it onto a line, not an area), so neither end may count them as shared:
    /// the film side once did, by rounding (the line "met" the light a hair
    /// beyond the rim, with a density of about 10⁻³⁰), and its estimate of the
    /// shared set was 37 times the light side's on box-on-floor.
    @Test("a light's own rim is not reached from the light", arguments: [0, 1])
    func aLightsOwnRim(_ which: Int) throws {
        let scene = try VisibilityGradientTests.scene(["side-light-over-floor", "turned-light-over-floor"][which])
        let audit = try #require(scene.auditLightSideDensities(samples: 4_000, seed: 5))
        #expect(audit.filmHits == 0 && audit.lightHits == 0,
                "film side \(audit.filmHits) draws (\(audit.filmEstimate)), light side \(audit.lightHits) draws (\(audit.lightEstimate))")
    }
}
