import Foundation
import Geometry
import Render
import SceneFile
import Testing

/// The `sdfgrid` shape: hits and normals against values Mitsuba 3.9.1
/// printed, both acceleration structures, and one-line errors for bad input
/// and for parameters it does not have. (The converged image is compared with
/// Mitsuba in `PluginReferenceTests`, `shape-sdfgrid`, and in
/// `PublishedSceneTests`, `various-shapes-path`.)
@Suite("sdfgrid")
struct SDFGridTests {
    /// The grid Mitsuba was asked about (tools/mitsuba-sdfgrid-probe.py prints the values below).
    static func probe(normals: String) -> String {
        """
        <scene version="3.0.0">
            <sensor type="perspective"><film type="hdrfilm"><integer name="width" value="4"/><integer name="height" value="4"/></film></sensor>
            <shape type="sdfgrid" id="grid">
                <string name="filename" value="\(PluginFixtures.file("capsule.vol"))"/>
                <string name="normals" value="\(normals)"/>
                <transform name="to_world"><scale x="0.9" y="0.8" z="1.0"/><translate value="0.05, 0.0, -0.5"/></transform>
            </shape>
        </scene>
        """
    }

    /// Rays (origin, point aimed at) and Mitsuba's t, geometric normal, smooth shading normal. None
    /// meets the surface on a voxel face, where the geometric normal jumps: there DiffRay takes the
    /// voxel traversal found (as Mitsuba's later versions do), Mitsuba 3.9.1 the one at floor(p · resolution).
    static let mitsuba: [(o: Vec3, aim: Vec3, t: Double, n: Vec3, smooth: Vec3)] = [
        (Vec3(0.3, 0.35, 3), Vec3(0.3, 0.3, 0), 2.85161, Vec3(-0.179322, 0.314862, 0.932044), Vec3(-0.153134, 0.404777, 0.901502)),
        (Vec3(0.5, 0.5, 3), Vec3(0.45, 0.5, -0.05), 2.86216, Vec3(-0.00141588, 0.200318, 0.97973), Vec3(-0.0119479, 0.115882, 0.993191)),
        (Vec3(-2, 0.31, 0.2), Vec3(0.4, 0.3, 0), 2.15827, Vec3(-0.849204, 0.430813, 0.305373), Vec3(-0.854566, 0.505782, 0.117904)),
        (Vec3(0.62, 2, 0.1), Vec3(0.6, 0.33, 0), 1.43589, Vec3(0.684787, 0.623212, 0.377721), Vec3(0.784805, 0.555867, 0.274032)),
        (Vec3(0.415, 0.48, 3), Vec3(0.415, 0.42, 0), 2.8717, Vec3(-0.10156, -0.259412, 0.960412), Vec3(-0.277061, -0.106662, 0.954914)),
        (Vec3(0.7, 0.2, -2), Vec3(0.65, 0.35, 0), 1.8402, Vec3(0.0453401, 0.108068, -0.993109), Vec3(0.0607161, -0.0570994, -0.996521)),
        (Vec3(2, 1.5, 1), Vec3(0.455, 0.5, -0.05), 1.95055, Vec3(0.581076, 0.684968, 0.439511), Vec3(0.687512, 0.609764, 0.394354)),
        (Vec3(0.2, -1, -0.3), Vec3(0.35, 0.3, 0), 1.15997, Vec3(0.247434, -0.934067, -0.25748), Vec3(0.150491, -0.964204, -0.218319)),
    ]

    func probeScene(normals: String, accel: Accelerator.Kind) throws -> Scene<Double> {
        try Scene(description: SceneDescription(xml: Self.probe(normals: normals), file: "memory.xml", directory: RenderFixtures.root + "/scenes"),
                  accelerator: accel)
    }

    func close(_ a: Vec3, _ b: Vec3, _ tolerance: Double) -> Bool {
        abs(a.x - b.x) <= tolerance && abs(a.y - b.y) <= tolerance && abs(a.z - b.z) <= tolerance
    }

    @Test("hits and normals match Mitsuba 3", arguments: ["smooth", "analytic"], Accelerator.Kind.allCases)
    func matchesMitsuba(normals: String, accel: Accelerator.Kind) throws {
        let scene = try probeScene(normals: normals, accel: accel)
        for r in Self.mitsuba {
            let si = try #require(scene.intersect(Ray(o: r.o, d: (r.aim - r.o).normalized)), "ray from \(r.o)")
            // Mitsuba solves in single precision to 1e-5 along the ray.
            #expect(abs(si.t - r.t) < 1e-4, "t \(si.t), Mitsuba \(r.t)")
            #expect(close(si.ng, r.n, 1e-3), "n \(si.ng), Mitsuba \(r.n)")
            #expect(close(si.shading.n, normals == "smooth" ? r.smooth : r.n, 1e-3), "\(normals) shading normal \(si.shading.n)")
        }
    }

    @Test("traversal hits lie on the zero set; the BVH and Embree find the same ones")
    func traversalAgrees() throws {
        let bvh = try probeScene(normals: "smooth", accel: .bvh), embree = try probeScene(normals: "smooth", accel: .embree)
        guard case .sdfGrid(let grid) = bvh.shapes[0].geometry else { Issue.record("not an sdfgrid"); return }
        var rng = SystemRandomNumberGenerator()
        var hits = 0
        for _ in 0..<2000 {
            let o = Vec3(Double.random(in: -1...2, using: &rng), Double.random(in: -1...2, using: &rng), 3)
            let aim = Vec3(Double.random(in: 0...1, using: &rng), Double.random(in: 0...0.8, using: &rng), Double.random(in: -0.5...0.5, using: &rng))
            let ray = Ray(o: o, d: (aim - o).normalized)
            let a = bvh.intersect(ray), b = embree.intersect(ray)
            #expect((a == nil) == (b == nil))
            guard let a else { continue }
            hits += 1
            if let b { #expect(abs(a.t - b.t) < 1e-9) }
            // The interpolant vanishes there (relative to the grid's unit cube).
            let local = grid.toLocal.point(a.p)
            let value = grid.valueAndGradient(voxel: Int(bvh.accel.primitives[a.primitive].index), local: local).value
            #expect(abs(value) < 1e-9, "value \(value) at \(local)")
        }
        #expect(hits > 200)
    }

    /// A `.vol` file: header fields and values as given.
    func volFile(_ name: String, magic: [UInt8] = Array("VOL".utf8) + [3], encoding: Int32 = 1, resolution: (Int32, Int32, Int32),
                 channels: Int32 = 1, values: [Float]) throws -> String {
        var bytes = magic
        for v in [encoding, resolution.0, resolution.1, resolution.2, channels] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        for v in [Float](repeating: 0, count: 3) + [1, 1, 1] + values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-sdf-\(UUID().uuidString)-\(name)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func sceneError(_ shape: String) -> String {
        do {
            _ = try memoryScene("""
                <scene version="3.0.0">
                    <sensor type="perspective"><film type="hdrfilm"><integer name="width" value="4"/><integer name="height" value="4"/></film></sensor>
                    \(shape)
                </scene>
                """)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test("bad grids and properties are one-line errors naming the file or property")
    func badInput() throws {
        let ball = (0..<27).map { i -> Float in
            let (x, y, z) = (Float(i % 3) - 1, Float((i / 3) % 3) - 1, Float(i / 9) - 1)
            return (x * x + y * y + z * z).squareRoot() - 0.5
        }
        let cases: [(String, String)] = [
            (#"<shape type="sdfgrid"><string name="filename" value="/nonexistent/grid.vol"/></shape>"#, "file not found: /nonexistent/grid.vol"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("magic.vol", magic: Array("VOX".utf8) + [3], resolution: (3, 3, 3), values: ball))"/></shape>"#,
             "not a Mitsuba volume grid"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("enc.vol", encoding: 2, resolution: (3, 3, 3), values: ball))"/></shape>"#,
             "encoding 2 is not supported"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("short.vol", resolution: (3, 3, 4), values: ball))"/></shape>"#,
             "the file has"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("two.vol", resolution: (3, 3, 3), channels: 2, values: ball + ball))"/></shape>"#,
             "2 channels, expected 1"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("flat.vol", resolution: (1, 3, 9), values: ball))"/></shape>"#,
             "at least 2 samples along each axis"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("empty.vol", resolution: (3, 3, 3), values: ball.map { $0 + 5 }))"/></shape>"#,
             "no voxel holds surface"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("nan.vol", resolution: (3, 3, 3), values: [.nan] + ball.dropFirst()))"/></shape>"#,
             "expected finite signed distances"),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("lamp.vol", resolution: (3, 3, 3), values: ball))"/><emitter type="area"><rgb name="radiance" value="1"/></emitter></shape>"#,
             #"a <emitter> cannot be nested in <shape type="sdfgrid">"#),
            (#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("normals.vol", resolution: (3, 3, 3), values: ball))"/><string name="normals" value="flat"/></shape>"#,
             "normals"),
        ]
        for (shape, fragment) in cases {
            let message = sceneError(shape)
            #expect(message.contains(fragment), "\(message)")
            #expect(!message.contains("\n"), "one line: \(message)")
        }
        // A well-formed small grid loads.
        #expect(sceneError(#"<shape type="sdfgrid"><string name="filename" value="\#(try volFile("ok.vol", resolution: (3, 3, 3), values: ball))"/></shape>"#) == "loaded")
    }

    @Test("its geometry has no parameters; gradients that move geometry are refused with a one-line error")
    func parameters() throws {
        let scene = try memoryScene(Self.probe(normals: "smooth"))
        // Only its material's keys.
        #expect(scene.parameterKeys.filter { $0.hasPrefix("grid.") } == ["grid.bsdf.reflectance.value"])
        #expect(throws: ParameterError.self) { try scene.validate(keys: ["grid.translate"]) }
        do {
            try scene.validate(keys: ["grid.translate"])
        } catch {
            #expect("\(error)".contains("is an sdfgrid, whose geometry is not differentiated"), "\(error)")
        }
    }
}
