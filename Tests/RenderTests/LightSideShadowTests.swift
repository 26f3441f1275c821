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
    /// The scenes where a box's shadow falls close to it under a small area
    /// light: `VisibilityGradientTests.shadowCloseToItsReceiver`'s cube and
    /// `scenes/box-on-floor.xml`, both at 32×32.
    static func scenes() throws -> [(String, Scene<Double>)] {
        let path = Repository.scenes.appendingPathComponent("box-on-floor.xml").path
        return [("cube close to the floor", try VisibilityGradientTests.shadowCloseToItsReceiverScene()),
                ("box-on-floor", try Scene.load(path: path, defines: ["res": "32"]))]
    }

    @Test func bothEndsMeasureTheSameSet() throws {
        for (name, scene) in try Self.scenes() {
            let audit = try #require(scene.auditLightSideDensities(samples: 20_000, seed: 5))
            print("\(name): film side \(audit.filmEstimate) ± \(audit.filmError) (\(audit.filmHits) draws), "
                  + "light side \(audit.lightEstimate) ± \(audit.lightError) (\(audit.lightHits) draws), unreached \(audit.unreached)")
            #expect(audit.filmHits > 500 && audit.lightHits > 500, "\(name): too few draws reach the shared set")
            #expect(audit.unreached == 0, "\(name): \(audit.unreached) light-side draws whose own density is 0")
            let se = (audit.filmError * audit.filmError + audit.lightError * audit.lightError).squareRoot()
            #expect(abs(audit.filmEstimate - audit.lightEstimate) < 3 * se,
                    "\(name): film side \(audit.filmEstimate) ± \(audit.filmError), light side \(audit.lightEstimate) ± \(audit.lightError)")
        }
    }
}
