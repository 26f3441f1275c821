import Foundation
import Render
import Testing
import TestSupport

/// The replay's first vertex attached to a rigidly moving surface
/// (`FirstVertexAttachment`) changes how the gradient is split between the
/// interior and the boundary term, not its expectation: over seeds, attached
/// and detached gradients must agree within their standard errors. The
/// interior term alone moves by about 90 % of the whole on the tube (its y
/// component from −0.042 to −0.003 under the sun), so a side of a silhouette
/// left uncorrected, a missing filter slope or a wrong Jacobian shows.
@Suite("First vertex attached")
struct AttachedFirstVertexTests {
    static func load(_ name: String, res: Int = 24) throws -> Scene<Double> {
        try Scene.load(path: Repository.scenes.appendingPathComponent(name).path, defines: ["res": "\(res)"])
    }

    /// The tilted tube of the shadow tests under the small area light, with a
    /// fixed quad in front of part of it: a silhouette that does not move, with
    /// attached film points on one side.
    static func tubeBehindAFixedQuad() throws -> Scene<Double> {
        try VisibilityGradientTests.scene(light: true, shape: AnalyticShadowTests.cylinder(reflectance: 0.8) + """
            <shape type="rectangle" id="screen">
                <transform name="to_world"><scale value="0.12"/><rotate x="1" angle="-35"/><translate value="0.22, 1.15, 1.0"/></transform>
                <bsdf type="diffuse"><rgb name="reflectance" value="0.3"/></bsdf>
            </shape>
            """)
    }

    static func gradient(_ scene: Scene<Double>, key: String, spp: Int, seed: UInt64, attached: Bool,
                         mode: String = "reverse", variate: Bool = true) throws -> [Double] {
        var boundary = BoundaryOptions.balanced(samplesPerPixel: spp)
        boundary.attachesFirstVertex = attached
        boundary.subtractsAttachedVariate = variate
        let n = scene.film.width * scene.film.height * 3
        let adjoint = [Double](repeating: 1 / Double(n), count: n)
        let options = RenderOptions(samplesPerPixel: spp, seed: seed)
        if mode == "forward" {
            return try scene.renderForward(keys: [key], options, boundary: boundary).derivatives.map { d in
                d.image.pixels.reduce(0.0) { $0 + Double($1) } / Double(n)
            }
        }
        return try scene.renderReverse(keys: [key], imageAdjoint: adjoint, options, boundary: boundary)
    }

    /// The scenes both estimators are compared on: the tube and the sphere
    /// under the sun, and the tube behind a fixed quad.
    static var cases: [(String, () throws -> Scene<Double>, String)] {
        [("cylinder-sun", { try load("cylinder-sun.xml") }, "tube.translate"),
         ("sphere-sun", { try load("sphere-sun.xml") }, "ball.center"),
         ("tube behind a fixed quad", tubeBehindAFixedQuad, "occluder.translate")]
    }

    /// Expects the means over seeds 1–12 of two estimators (`gradient(seed,
    /// true)` and `gradient(seed, false)`) to agree within 4 combined standard
    /// errors plus 2 % of the second's largest component.
    static func expectAgreement(_ name: String, _ first: String, _ second: String,
                                _ gradient: (UInt64, Bool) throws -> [Double]) rethrows {
        let seeds: [UInt64] = Array(1...12)
        let a = VisibilityGradientTests.spread(try seeds.map { try gradient($0, true) })
        let d = VisibilityGradientTests.spread(try seeds.map { try gradient($0, false) })
        let largest = d.mean.map(abs).max() ?? 0
        print("\(name): \(first) \(a.mean) ± \(a.deviation.map { $0 / 12.0.squareRoot() }), "
              + "\(second) \(d.mean) ± \(d.deviation.map { $0 / 12.0.squareRoot() })")
        for c in 0..<3 {
            let se = ((a.deviation[c] * a.deviation[c] + d.deviation[c] * d.deviation[c]) / 12).squareRoot()
            #expect(abs(a.mean[c] - d.mean[c]) < 4 * se + 0.02 * largest,
                    "\(name)[\(c)]: \(first) \(a.mean[c]) vs \(second) \(d.mean[c]) (standard error \(se))")
        }
    }

    /// d mean(image) / d `key` in reverse mode at 32 spp, seed 1, with `boundary`'s options.
    static func interior(_ scene: Scene<Double>, key: String, _ boundary: BoundaryOptions) throws -> [Double] {
        let n = scene.film.width * scene.film.height * 3
        return try scene.renderReverse(keys: [key], imageAdjoint: [Double](repeating: 1 / Double(n), count: n),
                                       RenderOptions(samplesPerPixel: 32, seed: 1), boundary: boundary)
    }

    /// Attached and detached: the mean over 12 seeds of d mean(image) / d key
    /// agrees within 4 combined standard errors (plus 2 % of the largest
    /// component) on the tube and the sphere under the sun and on the tube
    /// behind a fixed quad; the attached interior term is far from the detached one.
    @Test(arguments: [0, 1, 2])
    func attachedAndDetachedAgree(_ which: Int) throws {
        let (name, make, key) = Self.cases[which]
        let scene = try make()
        try Self.expectAgreement(name, "attached", "detached") { seed, first in
            try Self.gradient(scene, key: key, spp: 32, seed: seed, attached: first)
        }
        var interior = BoundaryOptions.interiorOnly
        let detachedInterior = try Self.interior(scene, key: key, interior)
        interior.attachesFirstVertex = true
        let attachedInterior = try Self.interior(scene, key: key, interior)
        #expect(VisibilityGradientTests.error(attachedInterior, detachedInterior) > 0.1,
                "\(name): the attached interior \(attachedInterior) is the detached one \(detachedInterior)")
    }

    /// Forward mode carries the attached film point through the filter's
    /// slopes and takes the film term relative to the same fitted variate as
    /// reverse mode (`attachmentAndVariates`): the same gradient to round-off
    /// for each seed, with the variate and without it, on the tube and the
    /// sphere under the sun and on the tube behind a fixed quad. The variate
    /// moves forward mode's gradient, and without the camera's samples, which
    /// add it back, forward mode's interior term is left as it was.
    @Test(arguments: [0, 1, 2])
    func forwardEqualsReverse(_ which: Int) throws {
        let (name, make, key) = Self.cases[which]
        let scene = try make()
        for seed: UInt64 in [5, 6] {
            for variate in [true, false] {
                let reverse = try Self.gradient(scene, key: key, spp: 16, seed: seed, attached: true, variate: variate)
                let forward = try Self.gradient(scene, key: key, spp: 16, seed: seed, attached: true, mode: "forward", variate: variate)
                #expect(VisibilityGradientTests.error(forward, reverse, floorFraction: 1e-6) < 1e-5,
                        "\(name), seed \(seed), variate \(variate): forward \(forward) vs reverse \(reverse)")
            }
        }
        let with = try Self.gradient(scene, key: key, spp: 16, seed: 5, attached: true, mode: "forward", variate: true)
        let without = try Self.gradient(scene, key: key, spp: 16, seed: 5, attached: true, mode: "forward", variate: false)
        #expect(VisibilityGradientTests.error(with, without, floorFraction: 1e-6) > 1e-4,
                "\(name): the variate left forward mode's gradient \(with) as it was (\(without))")
        var interior = BoundaryOptions.interiorOnly
        interior.attachesFirstVertex = true
        let options = RenderOptions(samplesPerPixel: 16, seed: 5)
        let withInterior = try scene.renderForward(keys: [key], options, boundary: interior).derivatives.map(\.image.pixels)
        interior.subtractsAttachedVariate = false
        let withoutInterior = try scene.renderForward(keys: [key], options, boundary: interior).derivatives.map(\.image.pixels)
        #expect(withInterior == withoutInterior, "\(name): forward mode's interior term alone took the variate")
    }

    /// The film term's control variate (`attachedVariates`) moves the interior
    /// term by the variate's integral and the camera samples' attached sides
    /// by its boundary integral: over 12 seeds the whole gradient agrees with
    /// the one without it within 4 combined standard errors (plus 2 % of the
    /// largest component), on the tube and the sphere under the sun and on the
    /// tube behind a fixed quad, whose fixed silhouette borders attached film
    /// points; one seed's gradient moves. Without the camera's samples, which
    /// add the variate back, the interior term is left as it was.
    @Test(arguments: [0, 1, 2])
    func variateKeepsTheMean(_ which: Int) throws {
        let (name, make, key) = Self.cases[which]
        let scene = try make()
        try Self.expectAgreement(name, "with the variate", "without") { seed, variate in
            try Self.gradient(scene, key: key, spp: 32, seed: seed, attached: true, variate: variate)
        }
        let with = try Self.gradient(scene, key: key, spp: 32, seed: 1, attached: true, variate: true)
        let without = try Self.gradient(scene, key: key, spp: 32, seed: 1, attached: true, variate: false)
        #expect(with != without, "\(name): the variate left the gradient \(with) as it was")
        var interior = BoundaryOptions.interiorOnly
        interior.attachesFirstVertex = true
        let withInterior = try Self.interior(scene, key: key, interior)
        interior.subtractsAttachedVariate = false
        let withoutInterior = try Self.interior(scene, key: key, interior)
        #expect(withInterior == withoutInterior, "\(name): the interior term alone took the variate: \(withInterior) against \(withoutInterior)")
    }

    /// The one-pass image of the mean loss is `render`'s to the bit with the
    /// vertex attached: the attached camera ray's primal is the fixed one.
    @Test func imageUnchanged() throws {
        let scene = try Self.load("cylinder-sun.xml", res: 16)
        var boundary = BoundaryOptions.balanced(samplesPerPixel: 16)
        boundary.attachesFirstVertex = true
        let n = scene.film.width * scene.film.height * 3
        let options = RenderOptions(samplesPerPixel: 16, seed: 2)
        let (image, _) = try scene.renderReverseWithImage(keys: ["tube.translate"], imageAdjoint: [Double](repeating: 1 / Double(n), count: n),
                                                          options, boundary: boundary)
        #expect(image.pixels == scene.render(options).0.pixels)
    }

    /// Only rigid motions of non-specular spheres and cylinders are attached,
    /// only when asked for, and not with a box filter.
    @Test func appliesToRigidMotionsOnly() throws {
        let tube = try Self.load("cylinder-sun.xml", res: 8)
        var on = BoundaryOptions.balanced(samplesPerPixel: 16)
        on.attachesFirstVertex = true
        let attached = try #require(tube.firstVertexAttachment(keys: ["tube.translate"], on))
        #expect(tube.shapes.indices.filter { attached.attached[$0] }.map { tube.shapes[$0].id } == ["tube"])
        #expect(tube.firstVertexAttachment(keys: ["tube.translate"], .standard) == nil)
        #expect(tube.firstVertexAttachment(keys: ["tube.radius"], on) == nil)
        #expect(tube.firstVertexAttachment(keys: ["tube.translate", "tube.radius"], on) == nil)
        #expect(tube.firstVertexAttachment(keys: ["sensor.translate"], on) == nil)
        let ball = try Self.load("sphere-sun.xml", res: 8)
        #expect(ball.firstVertexAttachment(keys: ["ball.center"], on) != nil)
        #expect(ball.firstVertexAttachment(keys: ["ball.radius"], on) == nil)
        // A mesh moved rigidly is not attached (flat faces do not slide).
        let box = try Self.load("box-on-floor.xml", res: 8)
        #expect(box.firstVertexAttachment(keys: ["box.translate"], on) == nil)
        var boxFiltered = tube
        boxFiltered.film.filter = .box
        #expect(boxFiltered.firstVertexAttachment(keys: ["tube.translate"], on) == nil)
    }
}
