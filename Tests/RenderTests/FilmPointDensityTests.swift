import Foundation
import Render
import Testing
import TestSupport

/// A share of the boundary term's film points is drawn by area on the moving
/// spheres and cylinders (`SurfaceFilmPoints`), each sample weighted by the
/// density of the mix at its film point. That density must be the one the
/// draws have: the fraction of the film whose first surface is such a shape,
/// estimated from film points drawn uniformly, by area alone and mixed, must
/// agree (`auditFilmPointDensities`), within four combined standard errors
/// (about 4 % of the fraction with 200,000 draws each; they agree to 0.1–0.7 %).
/// A wrong area, a non-uniform draw on the surface or a wrong film Jacobian
/// would set the by-area estimate apart.
@Suite("Film points drawn by area")
struct FilmPointDensityTests {
    /// Scenes with a moving sphere or cylinder and the key that moves it: the
    /// sphere and the tube under the sun, the tilted tube of the shadow tests,
    /// and the rotated, scaled tube of the plugin fixtures (moved by its radius).
    static func scenes() throws -> [(String, Scene<Double>, String)] {
        [("sphere-sun", try Scene.load(path: Repository.scenes.appendingPathComponent("sphere-sun.xml").path, defines: ["res": "32"]),
          "ball.center"),
         ("cylinder-sun", try Scene.load(path: Repository.scenes.appendingPathComponent("cylinder-sun.xml").path, defines: ["res": "32"]),
          "tube.translate"),
         ("tilted tube", try VisibilityGradientTests.scene(light: true, shape: AnalyticShadowTests.cylinder(reflectance: 0.8)),
          "occluder.translate"),
         ("rotated, scaled tube", try Scene.load(path: Repository.fixtures.appendingPathComponent("plugin-scenes/shape-cylinder.xml").path),
          "tube.radius")]
    }

    @Test func drawsByAreaHaveTheirDensity() throws {
        for (name, scene, key) in try Self.scenes() {
            let audit = try #require(scene.auditFilmPointDensities(keys: [key], samples: 200_000, seed: 3), "\(name): no shape to draw on")
            print("\(name): covered fraction, uniform \(audit.uniform) ± \(audit.uniformError), by area \(audit.byArea) ± \(audit.byAreaError) "
                  + "(\(audit.byAreaHits) draws seen), mixed \(audit.mixed) ± \(audit.mixedError)")
            #expect(audit.uniform > 0.01 && audit.byAreaHits > 1000, "\(name): the shape is hardly seen")
            for (other, error, label) in [(audit.byArea, audit.byAreaError, "by area"), (audit.mixed, audit.mixedError, "mixed")] {
                let se = (audit.uniformError * audit.uniformError + error * error).squareRoot()
                #expect(abs(other - audit.uniform) < 4 * se, "\(name): \(label) \(other) ± \(error) vs uniform \(audit.uniform) ± \(audit.uniformError)")
            }
        }
        // A key that moves no sphere or cylinder draws no film point by area.
        let box = try Scene.load(path: Repository.scenes.appendingPathComponent("box-on-floor.xml").path, defines: ["res": "16"])
        #expect(box.auditFilmPointDensities(keys: ["box.translate"], samples: 100, seed: 3) == nil)
    }
}
