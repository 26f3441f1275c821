import Foundation
import Geometry
import ImageIO
import Render
import SceneFile
import Testing

/// The `cylinder` shape and the `mesh_attribute` texture: geometry against
/// values Mitsuba 3.9.1 printed, parameters, bad input, and a three-way
/// gradient check each (forward = reverse to round-off, both against central
/// finite differences with the same seed).
@Suite("Cylinder and mesh attributes")
struct ShapePluginTests {
    /// The cylinder Mitsuba was asked about (tools/mitsuba-cylinder-probe.py prints the values below).
    static let probe = """
        <scene version="3.0.0">
            <sensor type="perspective"><film type="hdrfilm"><integer name="width" value="4"/><integer name="height" value="4"/></film></sensor>
            <shape type="cylinder" id="tube">
                <point name="p0" value="0.2, 0.1, 0"/>
                <point name="p1" value="0.5, 1.2, 0.3"/>
                <float name="radius" value="0.4"/>
                <transform name="to_world"><scale value="1.5"/><rotate x="1" angle="30"/></transform>
            </shape>
        </scene>
        """

    func close(_ a: Vec3, _ b: Vec3, _ tolerance: Double = 2e-5) -> Bool {
        abs(a.x - b.x) <= tolerance && abs(a.y - b.y) <= tolerance && abs(a.z - b.z) <= tolerance
    }

    @Test("hit, normal, uv and area sampling match Mitsuba 3")
    func cylinderMatchesMitsuba() throws {
        let scene = try memoryScene(Self.probe)
        let si = try #require(scene.intersect(Ray(o: Vec3(0.3, 0.8, 5), d: Vec3(0, 0, -1))))
        #expect(abs(si.t - 3.5719547) < 2e-5, "t \(si.t)")
        #expect(close(si.p, Vec3(0.3, 0.8, 1.42805)), "p \(si.p)")
        #expect(close(si.ng, Vec3(-0.587606, -0.455269, 0.668916)), "n \(si.ng)")
        #expect(abs(si.uv.0 - 0.614717) < 2e-5 && abs(si.uv.1 - 0.783475) < 2e-5, "uv \(si.uv)")
        // Mitsuba: radius 0.6, length 1.76847, area 6.66699; sample_position((0.3, 0.7)).
        let shape = scene.shapes[0]
        #expect(abs(shape.area - 6.66699) < 1e-4, "area \(shape.area)")
        let s = shape.samplePoint((0.3, 0.7))
        #expect(close(s.p, Vec3(0.367154, 0.0804271, 0.871566)), "sampled p \(s.p)")
        #expect(close(s.n, Vec3(-0.113077, -0.684432, 0.720254)), "sampled n \(s.n)")
        // Missing it: past the end circle along the axis, and through the open end.
        #expect(scene.intersect(Ray(o: Vec3(3, 3, 5), d: Vec3(0, 0, -1))) == nil)
    }

    @Test("the acceleration structure finds the same hits as a direct test")
    func cylinderTraversalAgreesWithDirectTest() throws {
        let scene = try memoryScene(Self.probe)
        guard case .cylinder(let c) = scene.shapes[0].geometry else { Issue.record("not a cylinder"); return }
        var rng = SystemRandomNumberGenerator()
        var hits = 0
        for _ in 0..<2000 {
            let o = Vec3(Double.random(in: -2...2, using: &rng), Double.random(in: -2...2, using: &rng), 4)
            let target = Vec3(Double.random(in: -1...1.5, using: &rng), Double.random(in: -1...2, using: &rng),
                              Double.random(in: -1...2, using: &rng))
            let d = (target - o).normalized
            let direct = intersectCylinder(o: o, d: d, c, tMin: 0, tMax: .infinity)
            let found = scene.intersect(Ray(o: o, d: d))
            #expect((direct == nil) == (found == nil))
            if let direct, let found {
                #expect(abs(direct - found.t) < 1e-9)
                hits += 1
                // On the surface: at the radius from the axis, between the end circles.
                let q = found.p - c.base, z = dot(q, c.axis)
                #expect(abs((q - c.axis * z).length - c.radius) < 1e-9 && z > -1e-9 && z < c.length + 1e-9)
            }
        }
        #expect(hits > 100)
    }

    @Test("parameters: translate, rotate and radius")
    func cylinderParameters() throws {
        let scene = try memoryScene(Self.probe)
        let keys = scene.parameterKeys
        #expect(keys.contains("tube.radius") && keys.contains("tube.translate") && keys.contains("tube.rotate"))
        let wider = try scene.updated(["tube.radius": [0.7]])
        #expect(abs(wider.shapes[0].area - 2 * Double.pi * 0.7 * 1.76847) < 1e-4)
    }

    @Test("bad cylinders are one-line errors naming the place", arguments: [
        (#"<point name="p0" value="1, 1, 1"/><point name="p1" value="1, 1, 1"/>"#, "p0 and p1 must differ"),
        (#"<float name="radius" value="-1"/>"#, "radius"),
        (#"<transform name="to_world"><scale x="1" y="2" z="1"/></transform>"#, "unevenly"),
    ])
    func badCylinder(body: String, message: String) throws {
        expectOneLineError(#"<scene version="3.0.0"><shape type="cylinder">\#(body)</shape></scene>"#, message)
    }

    /// Loading `xml` fails with one line that names the file and says `message`.
    func expectOneLineError(_ xml: String, _ message: String) {
        do {
            _ = try memoryScene(xml)
            Issue.record("accepted \(xml)")
        } catch {
            let text = "\(error)"
            #expect(text.contains(message) && text.contains("memory.xml") && !text.contains("\n"), "\(text)")
        }
    }

    /// An area-lit cylinder (emitter sampling by area) and a diffuse tube: the
    /// lamp's radiance and the tube's reflectance (interior terms).
    @Test("gradients on cylinders: forward = reverse = finite differences")
    func cylinderGradients() throws {
        var scene = try Scene.load(path: PluginFixtures.scene("emitter-area-cylinder"))
        // No Russian roulette: its decisions depend on the throughput, so on the reflectance.
        scene.integrator.rrDepth = 1000
        let keys = ["lamp.emitter.radiance.value", "tube.bsdf.reflectance.value"]
        let options = RenderOptions(samplesPerPixel: 8, seed: 3, threads: 2)
        try checkThreeWay(scene, keys: keys, options: options)
    }

    /// A tube's radius moves its silhouette lines and end circles: the boundary
    /// term samples them (`arcPoint`), and without it the gradient is wrong.
    @Test("silhouette of a cylinder's radius: boundary term against finite differences")
    func cylinderSilhouette() throws {
        let tube = """
            <shape type="cylinder" id="tube">
                <point name="p0" value="-0.3, 0.4, -0.2"/>
                <point name="p1" value="0.4, 0.7, 0.3"/>
                <float name="radius" value="0.25"/>
                <bsdf type="twosided"><bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf></bsdf>
                <emitter type="area"><rgb name="radiance" value="3"/></emitter>
            </shape>
            """
        let scene = try VisibilityGradientTests.scene(light: false, shape: tube)
        let fd = try VisibilityGradientTests.finiteDifferences(scene, key: "tube.radius", h: 0.02, spp: 512)
        let interior = try VisibilityGradientTests.reverse(scene, key: "tube.radius", spp: 16, boundary: .interiorOnly)
        let full = try VisibilityGradientTests.reverse(scene, key: "tube.radius", spp: 16, boundary: VisibilityGradientTests.boundary)
        let forward = try VisibilityGradientTests.forward(scene, key: "tube.radius", spp: 16, boundary: VisibilityGradientTests.boundary)
        print("\(#function): finite differences \(fd), interior \(interior), full \(full), forward \(forward)")
        #expect(abs(fd[0]) > 1e-3)
        #expect(VisibilityGradientTests.error(interior, fd) > 0.5, "interior-only \(interior) vs finite differences \(fd)")
        #expect(VisibilityGradientTests.error(full, fd) < 0.1, "full \(full) vs finite differences \(fd)")
        #expect(VisibilityGradientTests.error(forward, full, floorFraction: 1e-6) < 1e-5, "forward \(forward) vs reverse \(full)")
    }

    // MARK: Mesh attributes

    @Test("PLY attributes are grouped and named as Mitsuba names them")
    func plyAttributeNames() throws {
        let ply = """
            ply
            format ascii 1.0
            element vertex 3
            property float x
            property float y
            property float z
            property uchar red
            property uchar green
            property uchar blue
            property float temp_x
            property float wind_1
            property float wind_2
            property float albedo_r
            property float albedo_g
            property float albedo_b
            property float lonely
            element face 1
            property list uchar int vertex_indices
            property float weight_0
            end_header
            0 0 0 255 0 128 0.5 1 2 0.1 0.2 0.3 9
            1 0 0 0 255 0 0.6 3 4 0.4 0.5 0.6 9
            0 1 0 0 0 255 0.7 5 6 0.7 0.8 0.9 9
            3 0 1 2 0.25
            """
        let mesh = try MeshData(ply: Array(ply.utf8), file: "attributes.ply")
        let names = mesh.attributes.map(\.name)
        #expect(names == ["vertex_color", "vertex_temp", "vertex_wind", "vertex_albedo_color", "face_weight"], "\(names)")
        let colour = try #require(mesh.attributes.first)
        #expect(colour.dimension == 3 && colour.values.count == 9)
        // 8-bit values as they are, as Mitsuba 3.9.1's loader keeps them.
        #expect(colour.values[0] == 255 && colour.values[1] == 0 && colour.values[2] == 128)
        #expect(mesh.attributes[2].values == [1, 2, 3, 4, 5, 6])
        #expect(mesh.attributes[4].values == [0.25])
    }

    @Test("mesh_attribute interpolates vertex values and holds face values")
    func meshAttributeEvaluation() throws {
        let scene = try Scene.load(path: PluginFixtures.scene("texture-mesh-attribute"))
        // Straight down onto each pyramid's apex region and one of its faces.
        for (id, name) in [("vertexcoloured", "vertex_color"), ("facecoloured", "face_color")] {
            let shape = try #require(scene.shapes.firstIndex { $0.id == id })
            guard case .mesh(let m) = scene.shapes[shape].geometry else { Issue.record("not a mesh"); continue }
            let x = name == "vertex_color" ? -0.55 : 0.55
            let si = try #require(scene.intersect(Ray(o: Vec3(x + 0.1, 3, 0.05), d: Vec3(0, -1, 0))))
            #expect(si.shape == shape && si.mesh === m)
            let texture = Texture<Double>.meshAttribute(MeshAttributeTexture(name: name, scale: 1))
            let c = texture.eval(si)
            let expected = try #require(m.attribute(name, triangle: si.triangle, u: si.barycentrics.0, v: si.barycentrics.1))
            #expect(c.r == expected.r && c.g == expected.g && c.b == expected.b)
            if name == "vertex_color" {
                // Barycentric interpolation reproduces the hit point from the triangle's vertices.
                let (p0, p1, p2) = m.vertices(si.triangle)
                let b = si.barycentrics
                let p = p0 * (1 - b.0 - b.1) + p1 * b.0 + p2 * b.1
                #expect((p - si.p).length < 1e-9)
            }
        }
    }

    @Test("mesh_attribute errors: missing attribute, not a mesh, on an emitter", arguments: [
        (#"<shape type="ply"><string name="filename" value="../Tests/Fixtures/plugin-scenes/face-colors.ply"/><bsdf type="diffuse"><texture type="mesh_attribute" name="reflectance"><string name="name" value="vertex_color"/></texture></bsdf></shape>"#,
         "no attribute 'vertex_color' (it has: face_color)"),
        (#"<shape type="sphere"><bsdf type="diffuse"><texture type="mesh_attribute" name="reflectance"><string name="name" value="vertex_color"/></texture></bsdf></shape>"#,
         "has no mesh attributes"),
        (#"<shape type="sphere"><bsdf type="diffuse"><texture type="mesh_attribute" name="reflectance"><string name="name" value="color"/></texture></bsdf></shape>"#,
         "vertex_* or face_*"),
        (#"<emitter type="spot"><texture type="mesh_attribute" name="texture"><string name="name" value="vertex_color"/></texture></emitter>"#,
         "on an emitter"),
    ])
    func badMeshAttribute(body: String, message: String) throws {
        expectOneLineError(#"<scene version="3.0.0">\#(body)</scene>"#, message)
    }

    /// Turning the vertex-coloured pyramid about its vertical axis sweeps its
    /// colours under the pixels (through the barycentrics, in the
    /// differentiating scalar) and moves its silhouette; under a uniform sky
    /// with no floor nothing casts a shadow, and with face normals no path of
    /// the convex pyramid meets the pyramid again (smooth normals send some
    /// below its faces, whose self-occlusion moves with the shading frame).
    /// Forward = reverse, both against finite differences.
    @Test("gradient through interpolated vertex colours: forward = reverse = finite differences")
    func meshAttributeGradient() throws {
        let scene = try memoryScene("""
            <scene version="3.0.0">
                <integrator type="path"><integer name="max_depth" value="3"/></integrator>
                <sensor type="perspective">
                    <float name="fov" value="30"/>
                    <transform name="to_world"><lookat origin="0, 1.2, 3" target="0, 0.4, 0" up="0, 1, 0"/></transform>
                    <film type="hdrfilm"><integer name="width" value="24"/><integer name="height" value="24"/></film>
                </sensor>
                <shape type="ply" id="vertexcoloured">
                    <string name="filename" value="../Tests/Fixtures/plugin-scenes/vertex-colors.ply"/>
                    <boolean name="face_normals" value="true"/>
                    <bsdf type="diffuse"><texture type="mesh_attribute" name="reflectance">
                        <string name="name" value="vertex_color"/>
                    </texture></bsdf>
                </shape>
                <emitter type="constant"><rgb name="radiance" value="1"/></emitter>
            </scene>
            """)
        let key = "vertexcoloured.rotate"
        let boundary = BoundaryOptions(primarySamplesPerPixel: 16, secondarySamplesPerPixel: 0)
        // The same paths for the derivatives and the finite differences (seed 11).
        let options = RenderOptions(samplesPerPixel: 1024, seed: 11, threads: 2)
        let image = scene.render(options).0
        let adjoint = ImageLoss.mean.evaluate(image, target: nil).adjoint
        let reverse = try scene.renderReverse(keys: [key], imageAdjoint: adjoint, options, boundary: boundary)
        let forward = try scene.renderForward(keys: [key], options, boundary: boundary)
            .derivatives.map { d in zip(adjoint, d.image.pixels).reduce(0.0) { $0 + $1.0 * Double($1.1) } }
        for i in 0..<3 { #expect(abs(forward[i] - reverse[i]) <= 1e-6 * max(abs(reverse[i]), 1e-9), "\(i): \(forward[i]) vs \(reverse[i])") }
        let interior = try scene.renderReverse(keys: [key], imageAdjoint: adjoint, options, boundary: .interiorOnly)
        // The pyramid turning about its vertical axis (y): its colours sweep under the pixels.
        let h = 0.02
        let lp = ImageLoss.mean.evaluate(try scene.updated([key: [0, h, 0]]).render(options).0, target: nil).value
        let lm = ImageLoss.mean.evaluate(try scene.updated([key: [0, -h, 0]]).render(options).0, target: nil).value
        let fd = (lp - lm) / (2 * h)
        print("\(#function): finite differences \(fd), reverse \(reverse), interior only \(interior)")
        #expect(abs(fd) > 1e-4)
        #expect(abs(reverse[1] - fd) < 0.15 * abs(fd), "reverse \(reverse[1]) vs finite differences \(fd)")
    }
}

/// Forward mode equals reverse mode to round-off for every component of
/// `keys`, and both match central finite differences (same seed) of the mean
/// of the image, for the first component of each key.
func checkThreeWay(_ scene: Scene<Double>, keys: [String], options: RenderOptions, tolerance: Double = 2e-3) throws {
    let (image, derivatives) = try scene.renderForward(keys: keys, options)
    let (value, adjoint) = ImageLoss.mean.evaluate(image, target: nil)
    #expect(value > 0)
    let forward = derivatives.map { d in zip(adjoint, d.image.pixels).reduce(0.0) { $0 + $1.0 * Double($1.1) } }
    let reverse = try scene.renderReverse(keys: keys, imageAdjoint: adjoint, options)
    #expect(forward.count == reverse.count)
    for i in forward.indices {
        #expect(abs(reverse[i] - forward[i]) <= 1e-5 * max(abs(forward[i]), 1e-6), "component \(i): \(reverse[i]) vs \(forward[i])")
    }
    let comps = try scene.components(of: keys)
    let base = Dictionary(uniqueKeysWithValues: scene.parameters().map { ($0.key, $0.values) })
    var seen = Set<String>()
    for (i, c) in comps.enumerated() where seen.insert(c.key).inserted {
        let h = 1e-3 * max(1, abs(base[c.key]![c.index]))
        var plus = base[c.key]!, minus = base[c.key]!
        plus[c.index] += h; minus[c.index] -= h
        let ip = try scene.updated([c.key: plus]).render(options).0
        let im = try scene.updated([c.key: minus]).render(options).0
        let fd = (ImageLoss.mean.evaluate(ip, target: nil).value - ImageLoss.mean.evaluate(im, target: nil).value) / (2 * h)
        #expect(abs(fd) > 0, "\(c.name): zero finite difference")
        #expect(abs(reverse[i] - fd) <= tolerance * max(abs(fd), 1e-6), "\(c.name): reverse \(reverse[i]) vs finite differences \(fd)")
    }
}
