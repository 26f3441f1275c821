import Foundation
import ImageIO
import Render
import SceneFile
import Testing
import TestSupport

/// Gradients where visibility changes: silhouettes seen by the camera and
/// shadow boundaries. Each case shows that the interior (path-replay) gradient
/// alone is measurably wrong and that, with the boundary term (edge
/// sampling), forward mode equals reverse mode and both agree with central
/// finite differences computed with the same seed at high spp, by Mitsuba's
/// metric |a − b| / max(|b|, floor).
@Suite("Visibility gradients")
struct VisibilityGradientTests {
    static let size = 32

    /// The scene `scenes/visibility/<name>.xml` at its default `size`×`size`
    /// (the file's comment says what it isolates and which key moves it).
    static func scene(_ name: String) throws -> Scene<Double> {
        try Scene.load(path: Repository.scenes.appendingPathComponent("visibility/\(name).xml").path)
    }

    /// The scenes of `silhouette-quad` (no `light`) and `shadow-area-light`
    /// (`light`) built in memory, with `shape` in the quad's place: for suites
    /// that move shapes of their own under this lighting.
    static func scene(light: Bool, shape: String) throws -> Scene<Double> {
        let lighting = light ? """
            <shape type="rectangle" id="light">
                <transform name="to_world"><scale value="0.15"/><rotate x="1" angle="90"/><translate value="0, 1.6, 0"/></transform>
                <bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf>
                <emitter type="area"><rgb name="radiance" value="60"/></emitter>
            </shape>
            """ : """
            <emitter type="constant"><rgb name="radiance" value="1"/></emitter>
            """
        let floor = light ? """
            <shape type="rectangle" id="floor">
                <transform name="to_world"><scale value="3"/><rotate x="1" angle="-90"/></transform>
                <bsdf type="diffuse"><rgb name="reflectance" value="0.5"/></bsdf>
            </shape>
            """ : ""
        return try memoryScene("""
            <scene version="3.0.0">
                <integrator type="path"><integer name="max_depth" value="2"/></integrator>
                <sensor type="perspective" id="sensor">
                    <float name="fov" value="45"/>
                    <transform name="to_world"><lookat origin="0, 2.2, 2.2" target="0, 0.2, 0" up="0, 1, 0"/></transform>
                    <film type="hdrfilm"><integer name="width" value="\(size)"/><integer name="height" value="\(size)"/></film>
                </sensor>
                \(shape)
                \(floor)
                \(lighting)
            </scene>
            """)
    }

    /// Loss weights: a ramp over the film, so that moving an object sideways
    /// changes the loss even when its footprint keeps its area.
    static let weights: [Double] = (0..<size * size).flatMap { p -> [Double] in
        let x = Double(p % size) + 0.5, y = Double(p / size) + 0.5
        let w = (1 + 2 * x / Double(size) + y / Double(size)) / Double(size * size)
        return [w, w, w]
    }

    static func loss(_ image: Image) -> Double {
        zip(image.pixels, weights).reduce(0.0) { $0 + Double($1.0) * $1.1 }
    }

    /// Central differences of the loss for every component of `key`, same
    /// seed. A silhouette's motion flips whole samples between two radiance
    /// values, so small steps count few flips (noisy): h spans about a pixel
    /// (the loss is smooth in the offset, so the O(h²) error is ~0.1%).
    static func finiteDifferences(_ scene: Scene<Double>, key: String, h: Double, spp: Int, seed: UInt64 = 11) throws -> [Double] {
        let base = scene.parameters().first { $0.key == key }!.values
        let options = RenderOptions(samplesPerPixel: spp, seed: seed)
        return try base.indices.map { i in
            var plus = base, minus = base
            plus[i] += h; minus[i] -= h
            let lp = loss(try scene.updated([key: plus]).render(options).0)
            let lm = loss(try scene.updated([key: minus]).render(options).0)
            return (lp - lm) / (2 * h)
        }
    }

    static func reverse(_ scene: Scene<Double>, key: String, spp: Int, boundary: BoundaryOptions, seed: UInt64 = 3) throws -> [Double] {
        try scene.renderReverse(keys: [key], imageAdjoint: weights, RenderOptions(samplesPerPixel: spp, seed: seed), boundary: boundary)
    }

    static func forward(_ scene: Scene<Double>, key: String, spp: Int, boundary: BoundaryOptions) throws -> [Double] {
        try scene.renderForward(keys: [key], RenderOptions(samplesPerPixel: spp, seed: 3), boundary: boundary).derivatives.map { d in
            zip(d.image.pixels, weights).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        }
    }

    /// max over components of |a − b| / max(|b|, floor), the floor a fraction
    /// of the largest reference component.
    static func error(_ a: [Double], _ b: [Double], floorFraction: Double = 0.1) -> Double {
        let floor = floorFraction * (b.map(abs).max() ?? 0)
        return zip(a, b).map { abs($0 - $1) / max(abs($1), floor, 1e-12) }.max() ?? 0
    }

    static let boundary = BoundaryOptions(primarySamplesPerPixel: 32, secondarySamplesPerPixel: 16)

    /// An emissive quad moving in front of a uniform background: every bit
    /// of the gradient comes from its silhouette (the interior term is zero).
    @Test func silhouetteOfAMovingQuad() throws {
        let scene = try Self.scene("silhouette-quad")
        let fd = try Self.finiteDifferences(scene, key: "quad.translate", h: 0.1, spp: 1024)
        let interior = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: .interiorOnly)
        let full = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: Self.boundary)
        let forward = try Self.forward(scene, key: "quad.translate", spp: 16, boundary: Self.boundary)
        #expect(fd.map(abs).max()! > 1e-3, "finite differences \(fd)")
        print("\(#function): finite differences \(fd), interior \(interior), full \(full)")
        #expect(Self.error(interior, fd) > 0.9, "interior-only \(interior) vs finite differences \(fd)")
        // The reference counts flipped samples: its noise is ~0.015 (seen over
        // h and seeds), so the floor is a quarter of the largest component.
        #expect(Self.error(full, fd, floorFraction: 0.25) < 0.1, "full \(full) vs finite differences \(fd)")
        #expect(Self.error(forward, full, floorFraction: 1e-6) < 1e-5, "forward \(forward) vs reverse \(full)")
    }

    /// A quad above a floor under a small area light: its shadow moves too.
    /// Without the secondary (shadow-ray) edges the gradient is wrong.
    @Test func shadowOfAMovingQuad() throws {
        let scene = try Self.scene("shadow-area-light")
        let fd = try Self.finiteDifferences(scene, key: "quad.translate", h: 0.1, spp: 1024)
        let interior = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: .interiorOnly)
        var primaryOnly = Self.boundary
        primaryOnly.secondarySamplesPerPixel = 0
        let noShadow = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: primaryOnly)
        // Shadow edges matter only where the light is behind them: many samples.
        let dense = BoundaryOptions(primarySamplesPerPixel: 64, secondarySamplesPerPixel: 256)
        let full = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: dense)
        let forward = try Self.forward(scene, key: "quad.translate", spp: 16, boundary: dense)
        print("\(#function): finite differences \(fd), interior \(interior), no shadow edges \(noShadow), full \(full)")
        #expect(Self.error(interior, fd) > 0.5, "interior-only \(interior) vs finite differences \(fd)")
        // The reference itself moves by about 0.1 of the largest component
        // between steps h and seeds at 1024 spp (the shadow's flips are few).
        let fullError = Self.error(full, fd, floorFraction: 0.25)
        #expect(fullError < 0.3, "full \(full) vs finite differences \(fd)")
        #expect(Self.error(noShadow, fd, floorFraction: 0.25) > 2 * fullError,
                "without shadow edges \(noShadow) vs finite differences \(fd)")
        #expect(Self.error(forward, full, floorFraction: 1e-6) < 1e-5, "forward \(forward) vs reverse \(full)")
    }

    /// The light of `shadowCloseToItsReceiver`: a small area light from the side.
    static let sideLight = #"<scale value="0.2"/><rotate x="1" angle="90"/><translate value="-0.8, 2.2, 0.5"/>"#

    /// A cube hovering 0.1 above the floor, lit by a small area light from the
    /// side: near its base the shadow edge lies close to its receiver, so the
    /// light stands behind a tiny part of each bottom edge as seen from the
    /// floor. Uniform points along the edges find it rarely, with large
    /// weights: a heavy-tailed estimate whose typical value is off (about 25 %
    /// in x at 64×64). Points guided towards the light agree with finite
    /// differences over six seeds, with a smaller spread. Half of the samples
    /// at the floor are drawn from the light's side (`fromLightsShare`): the
    /// mean must not move against the film side alone.
    @Test func shadowCloseToItsReceiver() throws {
        let scene = try Self.scene("shadow-close-to-receiver")
        let key = "quad.translate"
        let fd = try Self.finiteDifferences(scene, key: key, h: 0.05, spp: 2048)
        var boundary = BoundaryOptions(primarySamplesPerPixel: 16, secondarySamplesPerPixel: 32)
        boundary.fromLightsShare = 0.5
        var uniform = boundary
        uniform.guidesTowardsLights = false
        let seeds: [UInt64] = [1, 2, 3, 4, 5, 6]
        let guided = try seeds.map { try Self.reverse(scene, key: key, spp: 8, boundary: boundary, seed: $0) }
        let unguided = try seeds.map { try Self.reverse(scene, key: key, spp: 8, boundary: uniform, seed: $0) }
        var filmSide = boundary
        filmSide.fromLightsShare = 0
        let fromFilm = try seeds.map { try Self.reverse(scene, key: key, spp: 8, boundary: filmSide, seed: $0) }
        let g = Self.spread(guided), u = Self.spread(unguided), f = Self.spread(fromFilm)
        print("\(#function): finite differences \(fd); guided mean \(g.mean) sd \(g.deviation); uniform mean \(u.mean) sd \(u.deviation); "
              + "film side only mean \(f.mean) sd \(f.deviation)")
        let largest = fd.map(abs).max()!
        for c in 0..<3 {
            // The mean of six seeds within three of its standard errors (plus 5 % of the largest component for the reference's own noise).
            #expect(abs(g.mean[c] - fd[c]) < 3 * g.deviation[c] / 6.0.squareRoot() + 0.05 * largest, "component \(c): guided \(g.mean[c]) ± \(g.deviation[c]) vs \(fd[c])")
        }
        #expect(g.deviation.reduce(0, +) < 0.8 * u.deviation.reduce(0, +), "spread: guided \(g.deviation), uniform \(u.deviation)")
        for c in 0..<3 {
            let se = ((g.deviation[c] * g.deviation[c] + f.deviation[c] * f.deviation[c]) / 6).squareRoot()
            #expect(abs(g.mean[c] - f.mean[c]) < 3 * se + 0.05 * largest, "component \(c): with light-side samples \(g.mean[c]), film side only \(f.mean[c])")
        }
        let forward = try Self.forward(scene, key: key, spp: 8, boundary: boundary)
        #expect(Self.error(forward, try Self.reverse(scene, key: key, spp: 8, boundary: boundary), floorFraction: 1e-6) < 1e-5)
    }

    /// A shadow seen after a bounce: a small light faces a wall, a cube
    /// between them casts a shadow on the wall, and the camera looks at the
    /// floor in front, which the wall lights (`max_depth` 3). The shadow moves
    /// the floor's light through the second path vertex: with the visibility
    /// term at the first surface only, the gradient is wrong (y and z even in
    /// sign); with the vertices beyond it, the mean over six seeds agrees with
    /// finite differences.
    @Test func shadowSeenAfterABounce() throws {
        let scene = try Self.scene("shadow-after-a-bounce")
        let key = "box.translate"
        let fd = try Self.finiteDifferences(scene, key: key, h: 0.05, spp: 4096)
        let boundary = BoundaryOptions(primarySamplesPerPixel: 4, secondarySamplesPerPixel: 128)
        var firstOnly = boundary
        firstOnly.beyondFirstVertex = false
        let seeds: [UInt64] = [1, 2, 3, 4, 5, 6]
        let all = Self.spread(try seeds.map { try Self.reverse(scene, key: key, spp: 4, boundary: boundary, seed: $0) })
        let first = Self.spread(try seeds.map { try Self.reverse(scene, key: key, spp: 4, boundary: firstOnly, seed: $0) })
        print("\(#function): finite differences \(fd); all vertices mean \(all.mean) sd \(all.deviation); first vertex only mean \(first.mean) sd \(first.deviation)")
        let largest = fd.map(abs).max()!
        for c in 0..<3 {
            #expect(abs(all.mean[c] - fd[c]) < 3 * all.deviation[c] / 6.0.squareRoot() + 0.1 * largest,
                    "component \(c): all vertices \(all.mean[c]) ± \(all.deviation[c]) vs \(fd[c])")
        }
        #expect(Self.error(first.mean, fd) > 1, "first vertex only \(first.mean) vs finite differences \(fd)")
    }

    /// The mean and the standard deviation over runs of each component.
    static func spread(_ runs: [[Double]]) -> (mean: [Double], deviation: [Double]) {
        let n = Double(runs.count), k = runs[0].count
        let mean = (0..<k).map { c in runs.reduce(0) { $0 + $1[c] } / n }
        let deviation = (0..<k).map { c in (runs.reduce(0) { $0 + ($1[c] - mean[c]) * ($1[c] - mean[c]) } / (n - 1)).squareRoot() }
        return (mean, deviation)
    }

    /// Moving the camera moves every silhouette across the film.
    @Test func cameraTranslation() throws {
        let scene = try Self.scene("silhouette-quad")
        let fd = try Self.finiteDifferences(scene, key: "sensor.translate", h: 0.1, spp: 1024)
        let interior = try Self.reverse(scene, key: "sensor.translate", spp: 16, boundary: .interiorOnly)
        let full = try Self.reverse(scene, key: "sensor.translate", spp: 16, boundary: Self.boundary)
        let forward = try Self.forward(scene, key: "sensor.translate", spp: 16, boundary: Self.boundary)
        print("\(#function): finite differences \(fd), interior \(interior), full \(full)")
        #expect(Self.error(interior, fd) > 0.5, "interior-only \(interior) vs finite differences \(fd)")
        #expect(Self.error(full, fd, floorFraction: 0.25) < 0.1, "full \(full) vs finite differences \(fd)")
        #expect(Self.error(forward, full, floorFraction: 1e-6) < 1e-5, "forward \(forward) vs reverse \(full)")
    }

    /// An analytic (emissive) sphere: its silhouette circle is sampled in arcs.
    @Test func sphereSilhouette() throws {
        let scene = try Self.scene("silhouette-sphere")
        let fd = try Self.finiteDifferences(scene, key: "ball.center", h: 0.1, spp: 1024)
        let interior = try Self.reverse(scene, key: "ball.center", spp: 16, boundary: .interiorOnly)
        let full = try Self.reverse(scene, key: "ball.center", spp: 16, boundary: Self.boundary)
        print("\(#function): finite differences \(fd), interior \(interior), full \(full)")
        #expect(Self.error(interior, fd) > 0.5, "interior-only \(interior) vs finite differences \(fd)")
        #expect(Self.error(full, fd) < 0.15, "full \(full) vs finite differences \(fd)")
    }

    /// The quad of `shadow-area-light` under a delta light (point, spot,
    /// directional): hard shadows, whose edge is a film-space discontinuity whose
    /// motion only the delta-shadow boundary samples carry (next-event
    /// estimation's shadow ray is not differentiated). Direct lighting only, so
    /// the finite differences are noise-free but for pixel positions.
    static let deltaLightScenes = ["shadow-point-light", "shadow-spot-light", "shadow-directional-light"]

    @Test("shadow of a moving quad under a delta light", arguments: [0, 1, 2])
    func deltaLightShadow(_ which: Int) throws {
        let name = Self.deltaLightScenes[which]
        let scene = try Self.scene(name)
        // A hard shadow edge flips whole samples: one step's difference quotient
        // varies by about 10 % with h (pixel-sample noise), so two are averaged.
        let fd = zip(try Self.finiteDifferences(scene, key: "quad.translate", h: 0.02, spp: 2048),
                     try Self.finiteDifferences(scene, key: "quad.translate", h: 0.05, spp: 2048)).map { ($0 + $1) / 2 }
        let interior = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: .interiorOnly)
        let dense = BoundaryOptions(primarySamplesPerPixel: 32, secondarySamplesPerPixel: 32)
        let full = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: dense)
        let forward = try Self.forward(scene, key: "quad.translate", spp: 16, boundary: dense)
        print("delta light \(name): finite differences \(fd), interior \(interior), full \(full)")
        #expect(Self.error(interior, fd) > 0.3, "\(name): interior-only \(interior) vs finite differences \(fd)")
        #expect(Self.error(full, fd, floorFraction: 0.25) < 0.15, "\(name): full \(full) vs finite differences \(fd)")
        #expect(Self.error(forward, full, floorFraction: 1e-6) < 1e-5, "\(name): forward \(forward) vs reverse \(full)")
    }

    /// Moving the point light moves the shadow (and the shading).
    @Test func pointLightPosition() throws {
        let scene = try Self.scene("shadow-point-light")
        let key = "lamp.position"
        let fd = try Self.finiteDifferences(scene, key: key, h: 0.05, spp: 1024)
        let dense = BoundaryOptions(primarySamplesPerPixel: 32, secondarySamplesPerPixel: 32)
        let interior = try Self.reverse(scene, key: key, spp: 16, boundary: .interiorOnly)
        let full = try Self.reverse(scene, key: key, spp: 16, boundary: dense)
        print("\(#function): finite differences \(fd), interior \(interior), full \(full)")
        #expect(Self.error(interior, fd) > 0.05, "interior-only \(interior) vs finite differences \(fd)")
        #expect(Self.error(full, fd, floorFraction: 0.25) < 0.1, "full \(full) vs finite differences \(fd)")
    }

    /// The quad's shadow on a glossy (rough aluminium) floor under the small
    /// area light: the first-bounce shadow term with a non-diffuse BSDF.
    @Test func shadowOnAGlossyFloor() throws {
        let scene = try Self.scene("shadow-glossy-floor")
        let fd = zip(try Self.finiteDifferences(scene, key: "quad.translate", h: 0.02, spp: 2048),
                     try Self.finiteDifferences(scene, key: "quad.translate", h: 0.05, spp: 2048)).map { ($0 + $1) / 2 }
        let interior = try Self.reverse(scene, key: "quad.translate", spp: 16, boundary: .interiorOnly)
        let full = try Self.reverse(scene, key: "quad.translate", spp: 32,
                                    boundary: BoundaryOptions(primarySamplesPerPixel: 8, secondarySamplesPerPixel: 64))
        print("glossy floor: finite differences \(fd), interior \(interior), full \(full)")
        #expect(Self.error(interior, fd) > 0.3, "interior-only \(interior) vs finite differences \(fd)")
        #expect(Self.error(full, fd, floorFraction: 0.25) < 0.2, "full \(full) vs finite differences \(fd)")
    }
}
