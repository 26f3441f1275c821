import TestSupport
import Testing
import Foundation
import Autodiff
import Geometry
import ImageIO
import Render
import SceneFile

/// Where the plugin scenes and their Mitsuba 3 references live (written by
/// tools/make-plugin-scenes.py and tools/make-references.sh).
enum PluginFixtures {
    static func scene(_ name: String) -> String { RenderFixtures.directory + "/plugin-scenes/" + name + ".xml" }
    static func reference(_ name: String) -> String { RenderFixtures.directory + "/plugin-references/" + name + ".exr" }
    static func file(_ name: String) -> String { RenderFixtures.directory + "/plugin-scenes/" + name }
}

/// One plugin scene against its Mitsuba 3 reference (16384 spp): the mean
/// relative error per channel must be ≤ 1% (`referenceMeanThreshold`), the
/// largest per-pixel one ≤ `maxError`.
struct PluginCase: Sendable, CustomTestStringConvertible {
    var name: String
    var spp: Int
    var maxError: Double = 0.25
    var testDescription: String { name }
}

let pluginCases: [PluginCase] = [
    PluginCase(name: "bsdf-roughplastic", spp: 1024),
    PluginCase(name: "bsdf-roughplastic-ggx", spp: 1024),
    PluginCase(name: "bsdf-null", spp: 2048),
    PluginCase(name: "bsdf-mask", spp: 1024),
    PluginCase(name: "bsdf-blendbsdf", spp: 1024),
    PluginCase(name: "texture-rawconstant", spp: 1024),
    PluginCase(name: "integrator-moment", spp: 1024),
    PluginCase(name: "integrator-ptracer", spp: 4096),
    PluginCase(name: "sensor-thinlens", spp: 1024),
    PluginCase(name: "sensor-orthographic", spp: 1024),
    PluginCase(name: "emitter-spot-texture", spp: 1024),
    PluginCase(name: "emitter-projector", spp: 1024),
    PluginCase(name: "shape-instance", spp: 1024),
    PluginCase(name: "shape-cylinder", spp: 1024),
    PluginCase(name: "emitter-area-cylinder", spp: 8192),
    PluginCase(name: "shape-sdfgrid", spp: 1024),
    PluginCase(name: "texture-mesh-attribute", spp: 1024),
    PluginCase(name: "texture-bitmap-nearest-repeat", spp: 1024),
    PluginCase(name: "texture-bitmap-nearest-mirror", spp: 1024),
    PluginCase(name: "texture-bitmap-nearest-clamp", spp: 1024),
    PluginCase(name: "texture-bitmap-bilinear-repeat", spp: 1024),
    PluginCase(name: "texture-bitmap-bilinear-mirror", spp: 1024),
    PluginCase(name: "texture-bitmap-bilinear-clamp", spp: 1024),
    PluginCase(name: "bsdf-normalmap", spp: 2048),
    PluginCase(name: "bsdf-bumpmap", spp: 2048),
    PluginCase(name: "bsdf-principled", spp: 1024),
    PluginCase(name: "bsdf-principled-anisotropic", spp: 1024),
    PluginCase(name: "bsdf-principledthin", spp: 2048),
]

/// A principled material with every lobe on (metallic, transmission, clearcoat, sheen, tint, anisotropy, flatness).
let principledXML = #"<bsdf type="principled" id="b"><rgb name="base_color" value="0.2, 0.5, 0.8"/><float name="metallic" value="0.3"/>"#
    + #"<float name="roughness" value="0.4"/><float name="spec_trans" value="0.3"/><float name="clearcoat" value="0.5"/>"#
    + #"<float name="clearcoat_gloss" value="0.7"/><float name="spec_tint" value="0.4"/><float name="sheen" value="0.5"/>"#
    + #"<float name="sheen_tint" value="0.3"/><float name="anisotropic" value="0.5"/><float name="flatness" value="0.4"/></bsdf>"#

/// A thin principled sheet with every lobe on.
let principledThinXML = #"<bsdf type="principledthin" id="b"><rgb name="base_color" value="0.7, 0.2, 0.3"/><float name="spec_trans" value="0.4"/>"#
    + #"<float name="diff_trans" value="0.6"/><float name="roughness" value="0.35"/><float name="spec_tint" value="0.3"/>"#
    + #"<float name="sheen" value="0.4"/><float name="sheen_tint" value="0.5"/><float name="flatness" value="0.3"/>"#
    + #"<float name="anisotropic" value="0.4"/><float name="eta" value="1.4"/></bsdf>"#

@Suite("Plugins: Mitsuba 3 references")
struct PluginReferenceTests {
    @Test("converged render matches Mitsuba 3", arguments: pluginCases)
    func matchesMitsuba(_ c: PluginCase) throws {
        let scene = try Scene.load(path: PluginFixtures.scene(c.name))
        let image = scene.render(RenderOptions(samplesPerPixel: c.spp, seed: 7, threads: 2)).0
        let reference = try Image.read(from: PluginFixtures.reference(c.name))
        try #require(reference.width == image.width && reference.height == image.height)
        expectAgreement(ImageComparison(image, reference), "plugin reference \(c.name) (\(c.spp) spp)", maxError: c.maxError)
    }

    @Test("every plugin scene has a case and a reference")
    func fixturesComplete() throws {
        let scenes = try FileManager.default.contentsOfDirectory(atPath: RenderFixtures.directory + "/plugin-scenes")
            .filter { $0.hasSuffix(".xml") }.map { String($0.dropLast(4)) }
        let tested = Set(pluginCases.map(\.name))
        for s in scenes { #expect(tested.contains(s), "Tests/Fixtures/plugin-scenes/\(s).xml has no case") }
        for c in pluginCases {
            #expect(FileManager.default.fileExists(atPath: PluginFixtures.reference(c.name)), "missing reference \(c.name).exr")
        }
    }
}

@Suite("Plugins: BSDFs")
struct PluginBSDFTests {
    @Test("eval and pdf match Mitsuba 3")
    func matchesMitsubaEval() throws {
        // roughplastic's diffuse lobe comes through its numerically integrated
        // coating tables (the same quadrature as Mitsuba's, other sample warps).
        let checked = try checkAgainstMitsubaEval(PluginBSDFMitsubaReference.evalCases) { $0.contains("roughplastic") ? 2e-3 : 2e-4 }
        #expect(checked > 650)
    }

    @Test("sampling matches the pdf (chi-square)", arguments: [
        #"<bsdf type="roughplastic" id="b"><rgb name="diffuse_reflectance" value="0.1, 0.3, 0.7"/></bsdf>"#,
        #"<bsdf type="roughplastic" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.3"/></bsdf>"#,
        #"<bsdf type="blendbsdf" id="b"><float name="weight" value="0.35"/><bsdf type="diffuse"/><bsdf type="roughconductor"><float name="alpha" value="0.2"/></bsdf></bsdf>"#,
        #"<bsdf type="mask" id="b"><float name="opacity" value="0.6"/><bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf></bsdf>"#,
        principledXML,
        #"<bsdf type="principled" id="b"><float name="metallic" value="1"/><float name="anisotropic" value="0.8"/><float name="roughness" value="0.3"/></bsdf>"#,
        #"<bsdf type="normalmap" id="b"><rgb name="normalmap" value="0.7, 0.4, 0.9"/><bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf></bsdf>"#,
        principledThinXML,
    ])
    func chiSquareAgainstPDF(xml: String) throws {
        let bsdf = try loadBSDF(xml)
        for wi in [unit(0.3, 0.2, 0.9), unit(-0.6, 0.1, 0.4), unit(0.1, 0.1, 1)] {
            let r = chiSquare(bsdf, wi: wi)
            #expect(r.pValue > 1e-4, "chi-square p = \(r.pValue) for \(xml) at wi \(wi)")
            #expect(r.pdfIntegral <= 1.002, "pdf integrates to \(r.pdfIntegral) for \(xml) at wi \(wi)")
            #expect(Swift.abs(r.pdfIntegral - r.sampledFraction) < 0.01,
                    "pdf integral \(r.pdfIntegral) vs fraction sampled \(r.sampledFraction) for \(xml) at wi \(wi)")
            #expect(r.mismatches == 0, "\(r.mismatches) samples whose pdf/weight disagree with pdf()/eval() for \(xml)")
        }
    }

    @Test("null passes paths through; mask at opacity 0 is null, at 1 its nested BSDF")
    func nullAndMaskLimits() throws {
        let si = interaction(wi: unit(0.3, -0.2, 0.8))
        let null = try loadBSDF(#"<bsdf type="null" id="b"/>"#)
        let s = try #require(null.sample(si, u1: 0.4, u2: (0.2, 0.7)))
        #expect(s.isDelta && s.pdf == 1 && s.weight.r == 1 && s.wo.z < 0)
        #expect(close(s.wo.x, -si.wi.x, rel: 0, abs: 1e-15) && close(s.wo.z, -si.wi.z, rel: 0, abs: 1e-15))
        let clear = try loadBSDF(#"<bsdf type="mask" id="b"><float name="opacity" value="0"/><bsdf type="diffuse"/></bsdf>"#)
        let opaque = try loadBSDF(#"<bsdf type="mask" id="b"><float name="opacity" value="1"/><bsdf type="diffuse"/></bsdf>"#)
        let diffuse = try loadBSDF(#"<bsdf type="diffuse" id="b"/>"#)
        let wo = unit(-0.4, 0.1, 0.7)
        #expect(clear.eval(si, wo: wo).r == 0 && clear.pdf(si, wo: wo) == 0)
        #expect(opaque.eval(si, wo: wo).r == diffuse.eval(si, wo: wo).r && opaque.pdf(si, wo: wo) == diffuse.pdf(si, wo: wo))
        let through = try #require(clear.sample(si, u1: 0.5, u2: (0.3, 0.3)))
        #expect(through.isDelta && through.weight.g == 1)
    }

    /// ∂eval/∂parameter by forward-mode dual numbers against central finite
    /// differences of eval in Double (the BSDF rebuilt at ± h, tables included).
    @Test("derivatives of eval match central finite differences", arguments: [
        (#"<bsdf type="roughplastic" id="b"><rgb name="diffuse_reflectance" value="0.1, 0.3, 0.7"/></bsdf>"#, "alpha"),
        (#"<bsdf type="roughplastic" id="b"><string name="distribution" value="ggx"/><float name="alpha" value="0.3"/></bsdf>"#, "eta"),
        (#"<bsdf type="roughplastic" id="b"><rgb name="diffuse_reflectance" value="0.1, 0.3, 0.7"/></bsdf>"#, "diffuse_reflectance.value"),
        (#"<bsdf type="blendbsdf" id="b"><float name="weight" value="0.35"/><bsdf type="diffuse"/><bsdf type="roughconductor"><float name="alpha" value="0.2"/></bsdf></bsdf>"#, "weight.value"),
        (#"<bsdf type="blendbsdf" id="b"><float name="weight" value="0.35"/><bsdf type="diffuse"/><bsdf type="roughconductor"><float name="alpha" value="0.2"/></bsdf></bsdf>"#, "bsdf_1.alpha.value"),
        (#"<bsdf type="mask" id="b"><float name="opacity" value="0.6"/><bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf></bsdf>"#, "opacity.value"),
        (principledXML, "base_color.value"), (principledXML, "roughness.value"), (principledXML, "metallic.value"),
        (principledXML, "spec_trans.value"), (principledXML, "clearcoat.value"), (principledXML, "sheen.value"),
        (principledXML, "specular"), (principledXML, "anisotropic.value"),
        (principledThinXML, "base_color.value"), (principledThinXML, "roughness.value"), (principledThinXML, "spec_trans.value"),
        (principledThinXML, "diff_trans.value"), (principledThinXML, "eta.value"),
        (#"<bsdf type="normalmap" id="b"><rgb name="normalmap" value="0.7, 0.4, 0.9"/><bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf></bsdf>"#, "normalmap.value"),
    ])
    func derivativesMatchFiniteDifferences(xml: String, key: String) throws {
        typealias D = Dual<SIMD2<Double>>
        let bsdf = try loadBSDF(xml)
        let info = try #require(bsdf.parameters(prefix: "").first { $0.key == key }, "no parameter \(key)")
        let lifted = bsdf.lifted(Lifter<D>(differentiates: { $0 == key }) { k, values in
            values.map { k == key ? D($0, variable: 0) : D($0) }
        }, prefix: "")
        func shifted(_ h: Double) -> BSDF<Double> {
            bsdf.lifted(Lifter<Double>(differentiates: { $0 == key }) { k, values in
                values.map { k == key ? $0 + h : $0 }
            }, prefix: "")
        }
        // roughplastic's coating tables are quadratures whose nodes move with
        // alpha and eta; their derivatives are differences over 10⁻³ of the
        // value, and so is this check for those two keys.
        let h = ["alpha", "eta"].contains(key) ? 1e-3 * abs(info.values[0]) : 1e-5 * max(1, abs(info.values[0]))
        let plus = shifted(h), minus = shifted(-h)
        var compared = 0
        for wi in [unit(0.3, 0.2, 0.9), unit(-0.5, 0.1, 0.6), unit(0.7, -0.1, 0.3)] {
            for wo in [unit(-0.3, -0.2, 0.9), unit(0.1, -0.7, 0.3), unit(-0.6, 0.1, 0.5), unit(0.2, 0.3, -0.8)] {
                let f = lifted.eval(interaction(wi: Vector3<D>(wi)), wo: Vector3<D>(wo))
                let fp = plus.eval(interaction(wi: wi), wo: wo), fm = minus.eval(interaction(wi: wi), wo: wo)
                for k in 0..<3 {
                    let fd = (fp[k] - fm[k]) / (2 * h)
                    let ad = f[k].partials[0]
                    #expect(close(ad, fd, rel: 2e-3, abs: 1e-7), "∂eval[\(k)]/∂\(key): dual \(ad), finite differences \(fd) for \(xml)")
                    if abs(fd) > 1e-6 { compared += 1 }
                }
            }
        }
        #expect(compared > 0, "every derivative of \(key) was zero")
    }
}

/// ∂mean(image)/∂key by forward mode (4 spp) equals reverse mode to 1e-5 relative, and is not all zero.
func expectForwardEqualsReverse(_ scene: Scene<Double>, key: String, label: String,
                                sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let options = RenderOptions(samplesPerPixel: 4, seed: 3, threads: 2)
    let (image, derivatives) = try scene.renderForward(keys: [key], options)
    let (_, adjoint) = ImageLoss.mean.evaluate(image, target: nil)
    let forward = derivatives.map { d in zip(adjoint, d.image.pixels).reduce(0.0) { $0 + $1.0 * Double($1.1) } }
    let reverse = try scene.renderReverse(keys: [key], imageAdjoint: adjoint, options)
    #expect(forward.count == reverse.count, sourceLocation: sourceLocation)
    for i in forward.indices {
        #expect(abs(reverse[i] - forward[i]) <= 1e-5 * max(abs(forward[i]), 1e-6),
                "\(label) \(key)[\(i)]: reverse \(reverse[i]) vs forward \(forward[i])", sourceLocation: sourceLocation)
    }
    #expect(forward.contains { $0 != 0 }, "\(label) \(key): every derivative is zero", sourceLocation: sourceLocation)
}

@Suite("Plugins: gradients")
struct PluginGradientTests {
    func relative(_ a: Double, _ b: Double, floor: Double = 1e-6) -> Double { abs(a - b) / max(abs(b), floor) }

    /// Forward mode equals reverse mode on the plugin scenes.
    @Test("forward equals reverse", arguments: [
        ("bsdf-roughplastic", "mat.alpha"), ("bsdf-roughplastic", "mat.diffuse_reflectance.value"),
        ("bsdf-blendbsdf", "mat.weight.value"), ("bsdf-mask", "nested_bsdf.reflectance.value"), ("bsdf-null", "light.emitter.radiance.value"),
        ("bsdf-principled", "mat.base_color.value"), ("bsdf-principled", "mat.roughness.value"), ("bsdf-principled", "mat.metallic.value"),
        ("bsdf-normalmap", "normalmap.data"), ("bsdf-bumpmap", "nested_texture.data"), ("bsdf-principledthin", "mat.diff_trans.value"),
        ("emitter-spot-texture", "texture.data"), ("emitter-projector", "irradiance.data"),
        ("sensor-thinlens", "sensor.aperture_radius"), ("sensor-thinlens", "sensor.focus_distance"),
        ("shape-cylinder", "tube.radius"), ("shape-cylinder", "tube.rotate"), ("texture-mesh-attribute", "facecoloured.translate"),
    ])
    func forwardEqualsReverse(name: String, keySuffix: String) throws {
        let scene = try Scene.load(path: PluginFixtures.scene(name), defines: [:])
        let key = try #require(scene.parameterKeys.first { $0 == keySuffix || $0.hasSuffix("." + keySuffix) }, "no key \(keySuffix)")
        try expectForwardEqualsReverse(scene, key: key, label: name)
    }

    /// Reverse mode against central differences with the same seed, for
    /// parameters that do not move sampling decisions (a BSDF nested in a
    /// blend or a mask: the lobe choice depends on the weight or opacity only).
    @Test("reverse matches central finite differences", arguments: [
        ("bsdf-blendbsdf", "mat.bsdf_0.reflectance.value"), ("bsdf-mask", "nested_bsdf.reflectance.value"),
        ("bsdf-principled", "mat.base_color.value"), ("bsdf-normalmap", "nested_bsdf.reflectance.value"),
        ("bsdf-bumpmap", "nested_bsdf.reflectance.value"), ("bsdf-principledthin", "mat.base_color.value"),
        ("emitter-spot-texture", "texture.data"), ("emitter-projector", "irradiance.data"),
    ])
    func reverseMatchesFiniteDifferences(name: String, keySuffix: String) throws {
        var scene = try Scene.load(path: PluginFixtures.scene(name), defines: [:])
        // No Russian roulette: its decisions depend on the throughput, so on the parameter.
        scene.integrator.rrDepth = 1000
        let key = try #require(scene.parameterKeys.first { $0 == keySuffix || $0.hasSuffix("." + keySuffix) }, "no key \(keySuffix)")
        let options = RenderOptions(samplesPerPixel: 8, seed: 5, threads: 2)
        let (image, _) = scene.render(options)
        let adjoint = ImageLoss.mean.evaluate(image, target: nil).adjoint
        let reverse = try scene.renderReverse(keys: [key], imageAdjoint: adjoint, options)
        let base = try #require(scene.parameters().first { $0.key == key }).values
        for i in 0..<3 {
            let h = 1e-3 * max(1, abs(base[i]))
            var plus = base, minus = base
            plus[i] += h; minus[i] -= h
            let ip = try scene.updated([key: plus]).render(options).0
            let im = try scene.updated([key: minus]).render(options).0
            let fd = (ImageLoss.mean.evaluate(ip, target: nil).value - ImageLoss.mean.evaluate(im, target: nil).value) / (2 * h)
            #expect(relative(reverse[i], fd) < 2e-3, "\(name) \(key)[\(i)]: reverse \(reverse[i]) vs finite differences \(fd)")
        }
    }

    @Test("parameters are listed under Mitsuba's keys")
    func parameterKeys() throws {
        let keys = try Set(Scene.load(path: PluginFixtures.scene("bsdf-roughplastic")).parameterKeys)
        #expect(keys.isSuperset(of: ["mat.alpha", "mat.eta", "mat.diffuse_reflectance.value"]))
        let blend = try Set(Scene.load(path: PluginFixtures.scene("bsdf-blendbsdf")).parameterKeys)
        #expect(blend.isSuperset(of: ["mat.weight.value", "mat.bsdf_0.reflectance.value", "mat.bsdf_1.alpha.value"]))
        let lens = try Set(Scene.load(path: PluginFixtures.scene("sensor-thinlens")).parameterKeys)
        #expect(lens.isSuperset(of: ["sensor.aperture_radius", "sensor.focus_distance", "sensor.x_fov"]))
        let instances = try Set(Scene.load(path: PluginFixtures.scene("shape-instance")).parameterKeys)
        #expect(instances.isSuperset(of: ["left.0.center", "right.0.radius", "right.1.vertex_positions", "left.1.translate"]))
        #expect(!instances.contains { $0.hasPrefix("pair.") }, "the group itself is not drawn")
        let principled = try Set(Scene.load(path: PluginFixtures.scene("bsdf-principled")).parameterKeys)
        #expect(principled.isSuperset(of: ["mat.base_color.value", "mat.roughness.value", "mat.metallic.value", "mat.spec_trans.value",
                                           "mat.clearcoat.value", "mat.clearcoat_gloss.value", "mat.sheen.value", "mat.specular"]))
        let anisotropic = try Set(Scene.load(path: PluginFixtures.scene("bsdf-principled-anisotropic")).parameterKeys)
        #expect(anisotropic.isSuperset(of: ["mat.base_color.data", "mat.roughness.data", "mat.eta"]))
        let normalmap = try Scene.load(path: PluginFixtures.scene("bsdf-normalmap")).parameterKeys
        #expect(normalmap.contains { $0.hasSuffix(".normalmap.data") } && normalmap.contains { $0.hasSuffix(".nested_bsdf.alpha.value") || $0.hasSuffix(".nested_bsdf.alpha") })
        let bumpmap = try Scene.load(path: PluginFixtures.scene("bsdf-bumpmap")).parameterKeys
        #expect(bumpmap.contains { $0.hasSuffix(".nested_texture.data") })
        let projector = try Set(Scene.load(path: PluginFixtures.scene("emitter-projector")).parameterKeys)
        #expect(projector.isSuperset(of: ["projector_0.irradiance.data", "projector_0.scale"]))
    }

    @Test("edge sampling is refused with a lens or an orthographic sensor")
    func boundaryNeedsPinhole() throws {
        for name in ["sensor-thinlens", "sensor-orthographic"] {
            let scene = try Scene.load(path: PluginFixtures.scene(name))
            let options = RenderOptions(samplesPerPixel: 1, seed: 1, threads: 1)
            #expect(throws: ParameterError.self) { try scene.renderForward(keys: ["sensor.to_world"], options) }
            let adjoint = [Double](repeating: 1, count: scene.film.width * scene.film.height * 3)
            #expect(throws: ParameterError.self) {
                try scene.renderReverse(keys: ["sensor.translate"], imageAdjoint: adjoint, options)
            }
            // The interior term alone is allowed.
            _ = try scene.renderReverse(keys: ["sensor.translate"], imageAdjoint: adjoint, options, boundary: .interiorOnly)
        }
    }
}

@Suite("Plugins: scene files")
struct PluginSceneFileTests {
    func load(_ body: String, sensor: String = #"<sensor type="perspective"/>"#) throws -> Scene<Double> {
        try memoryScene("""
            <scene version="3.0.0">
                <integrator type="path"/>
                \(sensor)
                <shape type="sphere">\(body)</shape>
            </scene>
            """)
    }

    @Test("bad plugin input is a one-line error naming the place")
    func errors() throws {
        let cases: [(String, String, String)] = [
            (#"<bsdf type="mask"><float name="opacity" value="0.5"/></bsdf>"#, #"<sensor type="perspective"/>"#, "mask"),
            (#"<bsdf type="blendbsdf"><bsdf type="diffuse"/></bsdf>"#, #"<sensor type="perspective"/>"#, "blendbsdf"),
            (#"<bsdf type="roughplastic"><boolean name="sample_visible" value="false"/></bsdf>"#, #"<sensor type="perspective"/>"#,
             "sample_visible"),
            (#"<bsdf type="diffuse"><texture type="rawconstant" name="reflectance"/></bsdf>"#, #"<sensor type="perspective"/>"#, "value"),
            ("", #"<sensor type="thinlens"><float name="aperture_radius" value="0.1"/></sensor>"#, "focus_distance"),
            ("", #"<sensor type="orthographic"><float name="fov" value="30"/></sensor>"#, "fov"),
            (#"<bsdf type="diffuse"/></shape><shape type="instance"><shape type="sphere"/>"#, #"<sensor type="perspective"/>"#,
             "shapegroup"),
            (#"<bsdf type="normalmap"><rgb name="normalmap" value="0.5, 0.5, 1"/></bsdf>"#, #"<sensor type="perspective"/>"#, "nested bsdf"),
            (#"<bsdf type="normalmap"><bsdf type="diffuse"/></bsdf>"#, #"<sensor type="perspective"/>"#, "normalmap"),
            ("<bsdf type=\"normalmap\"><texture type=\"bitmap\" name=\"normalmap\"><string name=\"filename\" value=\"\(PluginFixtures.file("grey.png"))\"/></texture><bsdf type=\"diffuse\"/></bsdf>",
             #"<sensor type="perspective"/>"#, "1 channel"),
            (#"<bsdf type="bumpmap"><bsdf type="diffuse"/></bsdf>"#, #"<sensor type="perspective"/>"#, "texture"),
            (#"<bsdf type="bumpmap"><texture type="checkerboard" name="h"/></bsdf>"#, #"<sensor type="perspective"/>"#, "nested bsdf"),
            (#"<bsdf type="principled"><float name="eta" value="1.5"/><float name="specular" value="0.5"/></bsdf>"#,
             #"<sensor type="perspective"/>"#, "specular"),
            (#"<bsdf type="principled"><string name="metallic" value="high"/></bsdf>"#, #"<sensor type="perspective"/>"#, "metallic"),
            (#"<bsdf type="principled"><texture type="checkerboard" name="eta"/></bsdf>"#, #"<sensor type="perspective"/>"#, "eta"),
        ]
        for (body, sensor, word) in cases {
            do {
                _ = try load(body, sensor: sensor)
                Issue.record("no error for \(body) \(sensor)")
            } catch {
                let text = "\(error)"
                #expect(text.contains(word) && !text.contains("\n"), "error for \(body) \(sensor): \(text)")
            }
        }
    }
}
