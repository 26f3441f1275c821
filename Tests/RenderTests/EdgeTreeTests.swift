import Foundation
import ImageIO
import Render
import SceneFile
import Testing
import TestSupport

/// The secondary edge samples of meshes above the flat scan's limit
/// (`BoundaryOptions.maxFlatSecondaryEdges`, 4,096 edges) choose their edge by
/// walking an edge tree. Its density must be that of its draws (an audit
/// without radiance, and the gradient of a small mesh the same through the tree
/// as through the flat scan), and a large mesh's shadows under an area light and
/// under an environment must now carry their share of the gradient: against
/// central differences at two steps, where the gradient without the secondary
/// term (the earlier behaviour above the limit) is far off.
@Suite("Edge tree")
struct EdgeTreeTests {
    static let size = 32

    /// The lumpy blob of 5,120 triangles (7,680 edges, `scenes/meshes/dense-blob.ply`).
    static let denseBlob = Repository.scenes.appendingPathComponent("meshes/dense-blob.ply").path

    /// The audits' scenes: a mesh `mesh` (id `blob`, scaled 0.3, 0.4 above the floor, diffuse
    /// reflectance 0.6) over a floor, lit by a small area light from the side
    /// (`VisibilityGradientTests.sideLight`) when `light`, and by a constant environment of
    /// radiance `sky` (none at 0); `max_depth` 2, `size`×`size`. The gradient checks'
    /// black blob is `scenes/visibility/shadow-mesh-area-light.xml` and `shadow-mesh-environment.xml`.
    static func scene(mesh: String = denseBlob, light: Bool, sky: Double) throws -> Scene<Double> {
        let lightShape = light ? """
            <shape type="rectangle" id="light">
                <transform name="to_world">\(VisibilityGradientTests.sideLight)</transform>
                <bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf>
                <emitter type="area"><rgb name="radiance" value="60"/></emitter>
            </shape>
            """ : ""
        let environment = sky > 0 ? "<emitter type=\"constant\"><rgb name=\"radiance\" value=\"\(sky)\"/></emitter>" : ""
        let type = mesh.hasSuffix(".obj") ? "obj" : "ply"
        return try memoryScene("""
            <scene version="3.0.0">
                <integrator type="path"><integer name="max_depth" value="2"/></integrator>
                <sensor type="perspective">
                    <float name="fov" value="40"/>
                    <transform name="to_world"><lookat origin="2.5, 2.0, 3.0" target="0, 0.3, 0" up="0, 1, 0"/></transform>
                    <film type="hdrfilm"><integer name="width" value="\(size)"/><integer name="height" value="\(size)"/></film>
                </sensor>
                <shape type="\(type)" id="blob">
                    <string name="filename" value="\(mesh)"/>
                    <transform name="to_world"><scale value="0.3"/><translate value="0, 0.4, 0"/></transform>
                    <bsdf type="diffuse"><rgb name="reflectance" value="0.6"/></bsdf>
                </shape>
                <shape type="rectangle" id="floor">
                    <transform name="to_world"><scale value="4"/><rotate x="1" angle="-90"/></transform>
                    <bsdf type="diffuse"><rgb name="reflectance" value="0.5"/></bsdf>
                </shape>
                \(lightShape)
                \(environment)
            </scene>
            """)
    }

    static let key = "blob.translate"

    /// The adjoint of mean(image): 1 / (pixels × channels) everywhere.
    static var meanAdjoint: [Double] { [Double](repeating: 1.0 / Double(size * size * 3), count: size * size * 3) }

    static func mean(_ image: Image) -> Double { image.pixels.reduce(0.0) { $0 + Double($1) } / Double(image.pixels.count) }

    /// Central differences of mean(image) for each component of `key`, same seed.
    static func finiteDifferences(_ scene: Scene<Double>, h: Double, spp: Int, seed: UInt64 = 11) throws -> [Double] {
        let base = scene.parameters().first { $0.key == key }!.values
        let options = RenderOptions(samplesPerPixel: spp, seed: seed)
        return try base.indices.map { i in
            var plus = base, minus = base
            plus[i] += h; minus[i] -= h
            return (mean(try scene.updated([key: plus]).render(options).0) - mean(try scene.updated([key: minus]).render(options).0)) / (2 * h)
        }
    }

    static func reverse(_ scene: Scene<Double>, spp: Int, boundary: BoundaryOptions, seed: UInt64) throws -> [Double] {
        try scene.renderReverse(keys: [key], imageAdjoint: meanAdjoint, RenderOptions(samplesPerPixel: spp, seed: seed), boundary: boundary)
    }

    static func forward(_ scene: Scene<Double>, spp: Int, boundary: BoundaryOptions, seed: UInt64) throws -> [Double] {
        try scene.renderForward(keys: [key], RenderOptions(samplesPerPixel: spp, seed: seed), boundary: boundary).derivatives.map { mean($0.image) }
    }

    /// The tree's density against its own draws: Σ w (1 + t) / pdf over draws
    /// from the first surfaces seen estimates the candidate edges' ∫ w (1 + t) dt,
    /// which a scan of every edge knows. On the dense blob (shading normals: the
    /// candidates are silhouettes, culled by the nodes' normal cones) under an
    /// area light (guided walks) and under the sky alone (the walk down the whole
    /// tree, with the floor's boundary edges in their own subtree), and on a
    /// flat-shaded icosphere (every crease a candidate) below the limit.
    @Test func densityIsThatOfItsDraws() throws {
        let icosphere = Repository.scenes.appendingPathComponent("meshes/icosphere.ply").path
        // The name, the scene, draws per point, and the standard error the audit must reach.
        let cases = [("dense blob, area light", try Self.scene(light: true, sky: 0), 40, 0.2),
                     ("flat icosphere, area light", try Self.scene(mesh: icosphere, light: true, sky: 0), 40, 0.2),
                     ("dense blob, sky", try Self.scene(light: false, sky: 1), 200, 0.04)]
        for (name, scene, draws, resolution) in cases {
            let audit = try #require(scene.auditEdgeTreeDensity(points: 400, draws: draws, seed: 7))
            print("\(name): \(audit.mean) ± \(audit.error) over \(audit.points) points, \(audit.candidates) candidates, "
                  + "density without drawing off by \(audit.largestDensityError)")
            #expect(audit.points > 100, "\(name): \(audit.points) points see a candidate")
            #expect(audit.error < resolution, "\(name): ± \(audit.error)")
            #expect(abs(audit.mean - 1) < 3 * audit.error + 1e-9, "\(name): \(audit.mean) ± \(audit.error)")
            #expect(audit.largestDensityError < 1e-9, "\(name): the density without drawing off by \(audit.largestDensityError)")
        }
    }

    /// The walk's draws against the probabilities it reports (chi-square tests
    /// of its edges and of t along them), the density it reports against the
    /// same probabilities found from the root down, every candidate reachable,
    /// and the estimate's exact second moment bounded: under the sky on the
    /// dense blob, where mixing the floor's edges into the blob's nodes made it
    /// 6 × 10⁸ times the squared mean (docs/results.md).
    @Test func walkDrawsFollowItsDensity() throws {
        let audit = try #require(try Self.scene(light: false, sky: 1).auditEdgeTreeWalk(points: 100, draws: 4000, seed: 7))
        print("\(#function): \(audit)")
        Self.expectWalkFollowsItsDensity(audit)
    }

    /// The light side's walk (`drawFromLights` above the limit), from points
    /// uniform over the small side light, by its own weights (silhouettes
    /// seen from the light point, none in the light's plane): the same checks.
    /// The light's own rim lies in the plane of every light point, so the
    /// walk must never end there, and its nodes get no importance.
    @Test func lightSideWalkDrawsFollowItsDensity() throws {
        let audit = try #require(try Self.scene(light: true, sky: 0).auditEdgeTreeWalk(points: 100, draws: 4000, seed: 7, fromLights: true))
        print("\(#function): \(audit)")
        Self.expectWalkFollowsItsDensity(audit)
    }

    static func expectWalkFollowsItsDensity(_ audit: EdgeTreeWalkAudit) {
        let dof = Double(audit.edgeDegreesOfFreedom)
        #expect(audit.points > 50 && dof > 500, "\(audit.points) points, \(dof) degrees of freedom")
        // 4 standard deviations of χ² (z ≈ (χ² − k) / √(2k)); 43.8: the 0.999 quantile of χ² with 19 degrees of freedom.
        #expect(audit.edgeChiSquare < dof + 4 * (2 * dof).squareRoot(), "edges: χ² \(audit.edgeChiSquare) on \(dof)")
        #expect(audit.tBins == 20 && audit.tChiSquare < 43.8, "t: χ² \(audit.tChiSquare) on 19")
        #expect(audit.largestDensityError < 1e-9, "reported density off by \(audit.largestDensityError)")
        #expect(audit.unreachableShare == 0, "unreachable share \(audit.unreachableShare)")
        #expect(audit.meanSecondMoment < 100, "second moment \(audit.meanSecondMoment) (largest \(audit.largestSecondMoment))")
    }

    static func spread(_ runs: [[Double]]) -> (mean: [Double], error: [Double]) {
        let s = VisibilityGradientTests.spread(runs)
        return (s.mean, s.deviation.map { $0 / Double(runs.count).squareRoot() })
    }

    /// Below the limit the flat scan stays the default; forced through the
    /// tree (`maxFlatSecondaryEdges` 0) the same mesh (`scenes/meshes/blob.obj`,
    /// 1,920 edges) must give the same gradient in expectation: the means over
    /// eight seeds of the secondary term alone within three combined standard errors.
    @Test func treeAndFlatScanAgreeBelowTheLimit() throws {
        let scene = try Self.scene(mesh: Repository.scenes.appendingPathComponent("meshes/blob.obj").path, light: true, sky: 0.3)
        var flat = BoundaryOptions(primarySamplesPerPixel: 0, secondarySamplesPerPixel: 8)
        flat.fromLightsShare = 0
        var tree = flat
        tree.maxFlatSecondaryEdges = 0
        let seeds: [UInt64] = Array(1...8)
        let f = Self.spread(try seeds.map { try Self.reverse(scene, spp: 1, boundary: flat, seed: $0) })
        let t = Self.spread(try seeds.map { try Self.reverse(scene, spp: 1, boundary: tree, seed: $0) })
        print("\(#function): flat scan \(f.mean) ± \(f.error), tree \(t.mean) ± \(t.error)")
        for c in 0..<3 {
            let se = (f.error[c] * f.error[c] + t.error[c] * t.error[c]).squareRoot()
            #expect(abs(f.mean[c] - t.mean[c]) < 3 * se, "component \(c): flat \(f.mean[c]) ± \(f.error[c]), tree \(t.mean[c]) ± \(t.error[c])")
        }
        #expect(f.mean.map(abs).max()! > 3 * f.error.max()!, "the secondary term is measurable: \(f.mean) ± \(f.error)")
    }

    /// The dense blob's shadow: d mean(image) / d blob.translate, the mean of
    /// twelve seeds, against central differences at two steps (the reference's own
    /// noise: the two steps' difference), forward = reverse; the gradient without
    /// the secondary term, what scenes above the limit got before the tree, is off
    /// by more than the tolerance (it fails the check). The blob is black: the interior term is 0 and
    /// the gradient is the camera's silhouettes and the shadow on the floor (a lit
    /// smooth-shaded blob adds the heavy tail of film points near its own
    /// silhouette, `SurfaceFilmPoints`, which is not this check's subject).
    func largeMeshShadow(_ scene: Scene<Double>, name: String, secondarySamples: Double) throws {
        let fd1 = try Self.finiteDifferences(scene, h: 0.02, spp: 1024)
        let fd2 = try Self.finiteDifferences(scene, h: 0.04, spp: 1024)
        let boundary = BoundaryOptions(primarySamplesPerPixel: 8, secondarySamplesPerPixel: secondarySamples)
        var withoutSecondary = boundary
        withoutSecondary.secondarySamplesPerPixel = 0
        let seeds: [UInt64] = Array(1...12)
        let full = Self.spread(try seeds.map { try Self.reverse(scene, spp: 4, boundary: boundary, seed: $0) })
        let without = Self.spread(try seeds.map { try Self.reverse(scene, spp: 4, boundary: withoutSecondary, seed: $0) })
        print("\(name): finite differences h 0.02 \(fd1), h 0.04 \(fd2); with the tree \(full.mean) ± \(full.error); "
              + "without the secondary term \(without.mean) ± \(without.error)")
        let largest = fd1.map(abs).max()!
        var missing = 0.0
        for c in 0..<3 {
            let reference = 0.5 * (fd1[c] + fd2[c])
            let tolerance = 3 * full.error[c] + abs(fd1[c] - fd2[c]) + 0.05 * largest
            #expect(abs(full.mean[c] - reference) < tolerance, "\(name), component \(c): \(full.mean[c]) ± \(full.error[c]) vs \(fd1[c]), \(fd2[c])")
            missing = max(missing, abs(without.mean[c] - reference) / tolerance)
        }
        #expect(missing > 1, "\(name): without the secondary term \(without.mean) is within \(missing) tolerances of \(fd1)")
        let forward = try Self.forward(scene, spp: 4, boundary: boundary, seed: 1)
        let reverse = try Self.reverse(scene, spp: 4, boundary: boundary, seed: 1)
        #expect(VisibilityGradientTests.error(forward, reverse, floorFraction: 1e-6) < 1e-5, "forward \(forward) vs reverse \(reverse)")
    }

    @Test func largeMeshShadowUnderAnAreaLight() throws {
        try largeMeshShadow(try VisibilityGradientTests.scene("shadow-mesh-area-light"), name: "area light", secondarySamples: 16)
    }

    @Test func largeMeshShadowUnderAnEnvironment() throws {
        try largeMeshShadow(try VisibilityGradientTests.scene("shadow-mesh-environment"), name: "environment", secondarySamples: 64)
    }
}
