import Foundation
import TestSupport
import Testing

/// A running `diffray` whose standard error is collected (for signals sent mid-run).
struct RunningDiffRay {
    let process = Process()
    let errorPipe = Pipe()

    init(_ arguments: [String], in directory: String) throws {
        process.executableURL = URL(fileURLWithPath: DiffRayBinary.path!)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorPipe
        try process.run()
    }

    /// Waits for the end; the exit status (128 + signal for a run that stopped on one) and stderr.
    func finish() -> (status: Int32, stderr: String) {
        let data = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The iteration of an optimisation checkpoint (nil while there is none).
func checkpointIteration(_ path: String) -> Int? {
    guard let data = FileManager.default.contents(atPath: path),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    return object["iteration"] as? Int
}

/// A scene whose one diffuse sphere's reflectance (`mat.reflectance.value`) is what an optimisation recovers.
func inverseScene(reflectance: String, size: Int) -> String {
    sceneXML("<shape type=\"sphere\"><bsdf type=\"diffuse\" id=\"mat\"><rgb name=\"reflectance\" value=\"\(reflectance)\"/></bsdf></shape>",
             width: String(size), height: String(size), spp: "16")
}

/// The failures a careless or hostile user found: each one line, exit status 2, no
/// output left behind; signals; and kill + resume = an uninterrupted run.
@Suite("diffray reliability", .serialized, .enabled(if: DiffRayBinary.isAvailable, Comment(rawValue: DiffRayBinary.missing)))
struct ReliabilityTests {
    func folder(_ files: [String: String] = [:]) throws -> ScratchFolder? {
        try ScratchFolder(prefix: "diffray-cli", files: files.mapValues { Array($0.utf8) })
    }

    func expectOneLine(_ run: (status: Int32, stderr: String), mentions: [String], _ what: String) {
        #expect(run.status == 2, "\(what): status \(run.status): \(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && run.stderr.hasPrefix("diffray: "), "\(what): \(run.stderr)")
        for m in mentions { #expect(run.stderr.contains(m), "\(what): should mention '\(m)': \(run.stderr)") }
    }

    @Test("train --resume with a generator state of the wrong length")
    func generatorStateLength() throws {
        guard let f = try folder() else { return }
        defer { f.remove() }
        let first = try diffray(["train", "cartpole", "--episodes", "1", "-o", "m.json"], in: f.path)
        #expect(first.status == 0, "\(first.stderr)")
        let path = f.path + "/m.checkpoint.json"
        var checkpoint = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var generator = checkpoint["generator"] as! [String: Any]
        generator["state"] = Array((generator["state"] as! [Any]).prefix(3))
        checkpoint["generator"] = generator
        try JSONSerialization.data(withJSONObject: checkpoint).write(to: URL(fileURLWithPath: path))
        let run = try diffray(["train", "cartpole", "--episodes", "2", "-o", "m.json", "--resume"], in: f.path)
        expectOneLine((run.status, run.stderr), mentions: ["m.checkpoint.json:1:", "generator.state", "3 words, expected 4"], "short state")
    }

    @Test("optimize --resume with empty values, a wrong length, an iteration past --iters: one line each")
    func optimizeCheckpointTraps() throws {
        guard let f = try folder(["s.xml": inverseScene(reflectance: "0.2", size: 8), "t.xml": inverseScene(reflectance: "0.5", size: 8)])
        else { return }
        defer { f.remove() }
        #expect(try diffray(["render", "t.xml", "--hdr", "t.exr"], in: f.path).status == 0)
        let optimize = ["optimize", "s.xml", "--target", "t.exr", "--param", "mat.reflectance.value", "--iters", "2", "--spp", "1", "--out-dir", "o"]
        let first = try diffray(optimize, in: f.path)
        #expect(first.status == 0, "\(first.stderr)")
        let path = f.path + "/o/checkpoint.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let cases: [(String, (inout [String: Any]) -> Void, [String])] = [
            ("values {}", { $0["values"] = [String: Any]() }, ["checkpoint.json", "mat.reflectance.value"]),
            ("one value of three", { $0["values"] = ["mat.reflectance.value": [0.3]] }, ["checkpoint.json", "has 1"]),
            ("iteration past --iters", { $0["iteration"] = 99 }, ["checkpoint.json", "iteration 99"]),
            ("negative iteration", { $0["iteration"] = -5 }, ["checkpoint.json", "iteration -5"]),
            ("Adam moments of another length", { c in
                var adam = c["adam"] as! [String: Any]; adam["v"] = [0.0]; c["adam"] = adam
            }, ["checkpoint.json", "Adam"]),
        ]
        for (name, change, mentions) in cases {
            var checkpoint = try JSONSerialization.jsonObject(with: original) as! [String: Any]
            change(&checkpoint)
            try JSONSerialization.data(withJSONObject: checkpoint).write(to: URL(fileURLWithPath: path))
            let run = try diffray(optimize.map { $0 == "2" ? "4" : $0 } + ["--resume"], in: f.path)
            expectOneLine((run.status, run.stderr), mentions: mentions, name)
        }
        try Data("{\"format\": 3,".utf8).write(to: URL(fileURLWithPath: path))
        let broken = try diffray(optimize + ["--resume"], in: f.path)
        expectOneLine((broken.status, broken.stderr), mentions: ["checkpoint.json:1:"], "cut JSON")
    }

    @Test("a million nested includes stop at the include limit, at once")
    func includeBomb() throws {
        var files = [String: String]()
        let names = ["a", "b", "c", "d"]
        for (k, name) in names.dropLast().enumerated() {
            files[name + ".xml"] = "<scene version=\"3.0.0\">\n"
                + String(repeating: "<include filename=\"\(names[k + 1]).xml\"/>\n", count: 32) + "</scene>\n"
        }
        files["d.xml"] = "<scene version=\"3.0.0\">\n<shape type=\"sphere\"/>\n</scene>\n"
        guard let f = try folder(files) else { return }
        defer { f.remove() }
        let run = try diffray(["render", "a.xml", "-o", "out.png"], in: f.path)
        expectOneLine((run.status, run.stderr), mentions: ["c.xml:", "1000 <include>s"], "include bomb")
        #expect(run.seconds < 5, "took \(run.seconds) s")
        #expect(!f.contents.contains("out.png"))
    }

    @Test("a bad second output is refused before rendering and the first is not written")
    func outputsCheckedFirst() throws {
        guard let f = try folder(["s.xml": sceneXML("<shape type=\"sphere\"/>", width: "64", height: "64")]) else { return }
        defer { f.remove() }
        try Data("old".utf8).write(to: URL(fileURLWithPath: f.path + "/out.png"))
        // 2^20 spp of 64×64 would take minutes: the refusal comes first.
        let run = try diffray(["render", "s.xml", "--spp", "1048576", "-o", "out.png", "--hdr", "nodir/out.exr"], in: f.path)
        expectOneLine((run.status, run.stderr), mentions: ["nodir/out.exr", "does not exist"], "nodir")
        #expect(run.seconds < 5, "took \(run.seconds) s")
        #expect(f.contents == ["out.png", "s.xml"])
        #expect(FileManager.default.contents(atPath: f.path + "/out.png") == Data("old".utf8))
    }

    @Test("an AOV scene whose second output cannot be written leaves no AOV file")
    func aovOutputsTogether() throws {
        let aov = sceneXML("<shape type=\"sphere\"/>").replacingOccurrences(
            of: "<sensor", with: "<integrator type=\"aov\"><string name=\"aovs\" value=\"dd.y:depth,nn:sh_normal\"/></integrator>\n<sensor")
        guard let f = try folder(["aov.xml": aov]) else { return }
        defer { f.remove() }
        try FileManager.default.createDirectory(atPath: f.path + "/a-nn.exr", withIntermediateDirectories: false)
        let run = try diffray(["render", "aov.xml", "-o", "a.png", "--hdr", "a.exr"], in: f.path)
        expectOneLine((run.status, run.stderr), mentions: ["a-nn.exr", "folder"], "AOV")
        #expect(f.contents == ["a-nn.exr", "aov.xml"], "\(f.contents)")
    }

    @Test("SIGINT and SIGTERM mid-render: status 130 / 143, no output, no temporary file")
    func signalsDuringRender() throws {
        guard let f = try folder(["s.xml": sceneXML("<shape type=\"sphere\"/>", width: "128", height: "128")]) else { return }
        defer { f.remove() }
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let running = try RunningDiffRay(["render", "s.xml", "--spp", "65536", "-o", "out.png", "--hdr", "out.exr"], in: f.path)
            // The outputs are reserved (hidden temporary files) once the scene is loaded.
            #expect(waitUntil(seconds: 20) { f.contents.contains { $0.hasSuffix(".tmp") } })
            kill(running.process.processIdentifier, signal)
            let result = running.finish()
            #expect(result.status == status, "signal \(signal): status \(result.status): \(result.stderr)")
            #expect(f.contents == ["s.xml"], "signal \(signal): \(f.contents)")
        }
    }

    @Test("optimize killed (SIGKILL) or stopped (SIGTERM) and resumed = the uninterrupted run, bit for bit")
    func killAndResume() throws {
        guard let f = try folder(["s.xml": inverseScene(reflectance: "0.2", size: 24), "t.xml": inverseScene(reflectance: "0.6", size: 24)])
        else { return }
        defer { f.remove() }
        #expect(try diffray(["render", "t.xml", "--hdr", "t.exr"], in: f.path).status == 0)
        let optimize = ["optimize", "s.xml", "--target", "t.exr", "--param", "mat.reflectance.value", "--iters", "10", "--spp", "32",
                        "--threads", "2"]
        let whole = try diffray(optimize + ["--out-dir", "whole"], in: f.path)
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = FileManager.default.contents(atPath: f.path + "/whole/params.json")
        #expect(expected != nil)
        for signal in [SIGKILL, SIGTERM] {
            let dir = "cut\(signal)"
            let running = try RunningDiffRay(optimize + ["--out-dir", dir], in: f.path)
            let reached = waitUntil(seconds: 60) { (checkpointIteration(f.path + "/\(dir)/checkpoint.json") ?? 0) >= 3 }
            kill(running.process.processIdentifier, signal)
            let stopped = running.finish()
            if reached && signal == SIGTERM {
                #expect(stopped.status == 143, "\(stopped.stderr)")
                let last = stopped.stderr.split(separator: "\n").last.map(String.init) ?? ""
                #expect(last.contains("interrupted by SIGTERM") && last.contains("--resume"), "\(stopped.stderr)")
            }
            let resumed = try diffray(optimize + ["--out-dir", dir, "--resume"], in: f.path)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stdout.hasPrefix("resuming at iteration "), "\(resumed.stdout)")
            #expect(FileManager.default.contents(atPath: f.path + "/\(dir)/params.json") == expected,
                    "signal \(signal): the resumed run's parameters differ from the uninterrupted run's")
            #expect(!(f.contentsOf(dir).contains { $0.hasSuffix(".tmp") }), "\(f.contentsOf(dir))")
        }
    }

    @Test("-D with a name the scene does not know lists its defaults")
    func unknownDefine() throws {
        let scene = sceneXML("<shape type=\"sphere\"/>", spp: "$spp")
            .replacingOccurrences(of: "<scene version=\"3.0.0\">", with: "<scene version=\"3.0.0\"><default name=\"spp\" value=\"4\"/><default name=\"res\" value=\"8\"/>")
        guard let f = try folder(["s.xml": scene]) else { return }
        defer { f.remove() }
        let run = try diffray(["render", "s.xml", "-D", "nosuchkey=5", "-o", "out.png"], in: f.path)
        expectOneLine((run.status, run.stderr), mentions: ["-D nosuchkey", "res=8", "spp=4"], "-D")
        #expect(f.contents == ["s.xml"])
        // A name the scene uses as $name without a <default> is fine.
        let used = sceneXML("<shape type=\"sphere\"><float name=\"radius\" value=\"$r\"/></shape>")
        try Data(used.utf8).write(to: URL(fileURLWithPath: f.path + "/u.xml"))
        let ok = try diffray(["render", "u.xml", "-D", "r=0.5", "-o", "u.png"], in: f.path)
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("control characters from the input are escaped in the error line")
    func controlCharactersEscaped() throws {
        guard let f = try folder(["s.xml": sceneXML("<shape type=\"\u{1B}[2J\u{7}teapot\"/>")]) else { return }
        defer { f.remove() }
        let run = try diffray(["render", "s.xml", "-o", "out.png"], in: f.path)
        expectOneLine((run.status, run.stderr), mentions: ["s.xml:", "\\u{1B}[2J\\u{7}teapot"], "escape")
        #expect(!run.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    @Test("text formats name line and column: OBJ, ASCII PLY, model JSON")
    func linesAndColumns() throws {
        let obj = sceneXML("<shape type=\"obj\"><string name=\"filename\" value=\"bad.obj\"/></shape>")
        let ply = sceneXML("<shape type=\"ply\"><string name=\"filename\" value=\"bad.ply\"/></shape>")
        guard let f = try folder([
            "obj.xml": obj, "bad.obj": "v 0 0 0\nv 1 x 0\nv 0 1 0\nf 1 2 3\n",
            "ply.xml": ply, "bad.ply": "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
                + "element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 oops 0\n0 1 0\n3 0 1 2\n",
            "model.json": "{\"format\": \"diffray-network\", \"version\": 1,\n \"layers\": [{\"type\": \"dense\", \"inputs\": 4, \"outputs\": \"two\"}]}",
        ]) else { return }
        defer { f.remove() }
        let o = try diffray(["render", "obj.xml", "-o", "o.png"], in: f.path)
        expectOneLine((o.status, o.stderr), mentions: ["bad.obj:2:5:"], "OBJ")
        let p = try diffray(["render", "ply.xml", "-o", "p.png"], in: f.path)
        expectOneLine((p.status, p.stderr), mentions: ["bad.ply:11:3:"], "PLY")
        let m = try diffray(["eval", "cartpole", "--policy", "model.json"], in: f.path)
        expectOneLine((m.status, m.stderr), mentions: ["model.json:2:", "layers[0].outputs"], "model JSON")
    }
}

extension ScratchFolder {
    /// The names in a subfolder, sorted.
    func contentsOf(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + sub)) ?? []).sorted()
    }
}
