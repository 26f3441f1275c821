import Foundation
import ImageIO
import Render
import SceneFile
import Testing

/// Film, filter and coordinate limits, large shape counts, and environment
/// maps read from the Radiance and JPEG formats.
@Suite("Scale and limits")
struct ScaleLimitTests {
    static func scene(film: String = "<integer name=\"width\" value=\"16\"/><integer name=\"height\" value=\"16\"/>",
                      rfilter: String = "", body: String) -> String {
        """
        <scene version="3.0.0">
            <integrator type="path"><integer name="max_depth" value="3"/></integrator>
            <sensor type="perspective">
                <float name="fov" value="45"/>
                <transform name="to_world"><lookat origin="0, 0, 5" target="0, 0, 0" up="0, 1, 0"/></transform>
                <sampler type="independent"><integer name="sample_count" value="1"/></sampler>
                <film type="hdrfilm">\(film)\(rfilter)</film>
            </sensor>
            \(body)
        </scene>
        """
    }

    static let sky = "<emitter type=\"constant\"><rgb name=\"radiance\" value=\"0.25, 0.5, 0.75\"/></emitter>"

    /// The error of loading `xml`, as the command line prints it.
    static func loadError(_ xml: String) -> String? {
        do { _ = try memoryScene(xml); return nil } catch { return "\(error)" }
    }

    @Test(arguments: [
        ("<rfilter type=\"gaussian\"><float name=\"stddev\" value=\"1e300\"/></rfilter>", "gaussian stddev 1e+300"),
        ("<rfilter type=\"gaussian\"><float name=\"stddev\" value=\"1e9\"/></rfilter>", "gaussian stddev 1000000000.0"),
        ("<rfilter type=\"gaussian\"><float name=\"stddev\" value=\"10000\"/></rfilter>", "gaussian stddev 10000.0"),
        ("<rfilter type=\"gaussian\"><float name=\"stddev\" value=\"1000\"/></rfilter>", "gaussian stddev 1000.0"),
        ("<rfilter type=\"gaussian\"><float name=\"stddev\" value=\"8.01\"/></rfilter>", "gaussian stddev 8.01"),
        ("<rfilter type=\"tent\"><float name=\"radius\" value=\"1e300\"/></rfilter>", "tent radius 1e+300"),
        ("<rfilter type=\"tent\"><float name=\"radius\" value=\"1e9\"/></rfilter>", "tent radius 1000000000.0"),
    ])
    func filtersOverTheLimitAreRefused(rfilter: String, shown: String) throws {
        let message = try #require(Self.loadError(Self.scene(rfilter: rfilter, body: Self.sky)))
        #expect(message.hasPrefix("memory.xml:7:") && message.contains(shown) && message.contains("(0, 32.0] pixels"), "\(message)")
    }

    /// A film whose tiles and accumulator would pass 4 GiB is refused before
    /// allocation (the scene reader allows 2^28 pixels).
    @Test func filmMemoryIsBounded() throws {
        let film = "<integer name=\"width\" value=\"131072\"/><integer name=\"height\" value=\"2048\"/>"
        let message = try #require(Self.loadError(Self.scene(film: film, body: Self.sky)))
        #expect(message.hasPrefix("memory.xml:7:") && message.contains("film 131072x2048") && message.contains("over the limit of 4 GiB"),
                "\(message)")
        #expect(Film(width: 131072, height: 2048, filter: .gaussian(stddev: 0.5)).estimatedMemory > Film.maximumMemory)
        #expect(Film(width: 4096, height: 4096, filter: .gaussian(stddev: 0.5)).estimatedMemory < Film.maximumMemory)
        #expect(Film(width: 1 << 40, height: 1 << 40, filter: .box).estimatedMemory == .max)
    }

    /// The widest filter allowed (radius 32: footprints of 65 columns, more
    /// than one group of 16) still normalises: under a uniform sky every
    /// pixel equals the sky's radiance.
    @Test func widestFilterKeepsAUniformSkyUniform() throws {
        for rfilter in ["<rfilter type=\"gaussian\"><float name=\"stddev\" value=\"8\"/></rfilter>",
                        "<rfilter type=\"tent\"><float name=\"radius\" value=\"32\"/></rfilter>"] {
            let scene = try memoryScene(Self.scene(rfilter: rfilter, body: Self.sky))
            let (image, _) = scene.render(RenderOptions(samplesPerPixel: 1, seed: 0, threads: 2))
            for p in 0..<(16 * 16) {
                #expect(abs(image.pixels[3 * p] - 0.25) < 1e-5 && abs(image.pixels[3 * p + 2] - 0.75) < 1e-5)
            }
        }
    }

    /// Coordinates whose extent overflows (or beyond ±1e30) are a one-line
    /// error at the shape, never a trap.
    @Test func overflowingCoordinatesAreAnErrorAtTheShape() throws {
        let folder = NSTemporaryDirectory() + "/scale-limit-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let obj = folder + "/far.obj"
        try "v 0 0 0\nv 1e308 0 0\nv -1e308 1 0\nf 1 2 3\n".write(toFile: obj, atomically: true, encoding: .utf8)
        let cases = [
            ("<shape type=\"cube\" id=\"big\"><transform name=\"to_world\"><scale value=\"1e308\"/></transform></shape>",
             "shape 'big': triangle", "1e+308"),
            ("<shape type=\"obj\" id=\"far\"><string name=\"filename\" value=\"\(obj)\"/></shape>", "shape 'far': triangle 0", "1e+308"),
            ("<shape type=\"sphere\" id=\"ball\"><float name=\"radius\" value=\"1e300\"/></shape>", "shape 'ball': sphere", "1e+300"),
            ("<shape type=\"rectangle\" id=\"wide\"><transform name=\"to_world\"><scale value=\"2e30\"/></transform></shape>",
             "shape 'wide': triangle", "2e+30"),
        ]
        for (shape, what, value) in cases {
            let message = try #require(Self.loadError(Self.scene(body: Self.sky + shape)), "\(shape)")
            #expect(message.hasPrefix("memory.xml:9:") && message.contains(what) && message.contains(value)
                    && message.contains("within ±1e+30") && !message.contains("\n"), "\(message)")
        }
    }

    /// Thousands of shapes load and render (spheres and cubes in a grid).
    @Test func thousandsOfShapes() throws {
        var body = Self.sky
        let side = 40
        for k in 0..<(side * side) {
            let x = -2 + 4 * (Double(k % side) + 0.5) / Double(side), y = -2 + 4 * (Double(k / side) + 0.5) / Double(side)
            body += k % 2 == 0
                ? "<shape type=\"sphere\"><point name=\"center\" x=\"\(x)\" y=\"\(y)\" z=\"0\"/><float name=\"radius\" value=\"0.03\"/></shape>"
                : "<shape type=\"cube\"><transform name=\"to_world\"><scale value=\"0.03\"/><translate x=\"\(x)\" y=\"\(y)\" z=\"0\"/></transform></shape>"
        }
        let scene = try memoryScene(Self.scene(body: body))
        #expect(scene.shapes.count == 1600 && scene.accel.primitives.count == 800 + 800 * 12)
        let (image, stats) = scene.render(RenderOptions(samplesPerPixel: 1, seed: 0, threads: 2))
        #expect(stats.invalidSamples == 0 && image.pixels.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    /// Environment maps from `.hdr` and `.jpg` files: a uniform map seen
    /// directly gives its value times `scale` in every pixel.
    @Test func environmentMapsFromHDRAndJPEG() throws {
        let folder = NSTemporaryDirectory() + "/scale-envmap-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // 0.75 and 0.5 are exact in RGBE (8-bit mantissas, shared exponent).
        try Image(width: 8, height: 4, fill: LinearRGB(0.75, 0.5, 0.375)).write(to: folder + "/sky.hdr")
        try Image(width: 16, height: 8, fill: LinearRGB(0.5, 0.25, 0.125)).write(to: folder + "/sky.jpg")
        let jpeg = try Image.read(from: folder + "/sky.jpg")
        for (file, expected) in [("sky.hdr", [Float(0.75), 0.5, 0.375]),
                                 ("sky.jpg", [jpeg.pixels[0], jpeg.pixels[1], jpeg.pixels[2]])] {
            let emitter = "<emitter type=\"envmap\"><string name=\"filename\" value=\"\(folder)/\(file)\"/><float name=\"scale\" value=\"2\"/></emitter>"
            let scene = try memoryScene(Self.scene(body: emitter))
            let (image, _) = scene.render(RenderOptions(samplesPerPixel: 1, seed: 0, threads: 2))
            for p in 0..<(16 * 16) {
                for c in 0..<3 { #expect(abs(image.pixels[3 * p + c] - 2 * expected[c]) < 1e-4 * max(1, expected[c]), "\(file)") }
            }
        }
    }
}
