import Foundation
import TestSupport
import Testing

/// Open MPI's launcher, if installed (`make deps` installs openmpi-bin).
enum MPIRun {
    static let path: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var isAvailable: Bool { path != nil && DiffRayBinary.isAvailable }
    static let missing = "needs mpirun (make deps installs openmpi-bin) and the diffray binary"
}

/// `diffray ARGUMENTS` in `directory`: plainly for 1 process, under `mpirun -np N` otherwise.
func diffray(ranks: Int, _ arguments: [String], in directory: String) throws -> Run {
    if ranks == 1 { return try diffray(arguments, in: directory) }
    return try launch(MPIRun.path!, ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks), DiffRayBinary.path!] + arguments,
                      in: directory)
}

/// The bytes of `path`, or nil.
func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// The JSON object of `path` (or of text), or nil.
func json(_ data: Data?) -> [String: Any]? {
    data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
}

/// Every mode under mpirun against one process: the same bytes for 1, 2 and 3 ranks
/// (3 splits the tiles, episodes and shots unevenly).
@Suite("diffray under mpirun", .serialized, .enabled(if: MPIRun.isAvailable, Comment(rawValue: MPIRun.missing)))
struct MPIRunTests {
    let cornell = Repository.scenes.appendingPathComponent("cornell-box.xml").path

    func expectSuccess(_ run: Run, _ what: String) {
        #expect(run.status == 0, "\(what): status \(run.status): \(run.stderr)")
    }

    @Test("render: the image is bit-identical for 1, 2 and 3 ranks; rank 0 alone prints and writes")
    func render() throws {
        let folder = ScratchFolder(prefix: "diffray-mpi")
        defer { folder.remove() }
        for n in 1...3 {
            let run = try diffray(ranks: n, ["render", cornell, "-D", "res=40", "--spp", "3", "--threads", "1",
                                             "-o", "r\(n).png", "--hdr", "r\(n).exr"], in: folder.path)
            expectSuccess(run, "render on \(n) ranks")
            #expect(run.stdout.split(separator: "\n").count == 1, "one summary line from rank 0, got: \(run.stdout)")
        }
        #expect(bytes(folder.file("r1.exr")) != nil)
        #expect(bytes(folder.file("r1.exr")) == bytes(folder.file("r2.exr")))
        #expect(bytes(folder.file("r1.exr")) == bytes(folder.file("r3.exr")))
        #expect(bytes(folder.file("r1.png")) == bytes(folder.file("r3.png")))
        #expect(folder.contents == ["r1.exr", "r1.png", "r2.exr", "r2.png", "r3.exr", "r3.png"])
    }

    @Test("grad: reverse and forward gradients (a colour, a light and a pose with its boundary term) identical for 1, 2 and 3 ranks")
    func grad() throws {
        let folder = ScratchFolder(prefix: "diffray-mpi")
        defer { folder.remove() }
        for (mode, params) in [("reverse", ["red.reflectance.value", "small-box.translate"]), ("forward", ["light.emitter.radiance.value"])] {
            var results = [NSDictionary]()
            for n in 1...3 {
                let run = try diffray(ranks: n, ["grad", cornell, "-D", "res=24", "--spp", "2", "--threads", "1", "--mode", mode, "--json"]
                                         + params.flatMap { ["--param", $0] }, in: folder.path)
                expectSuccess(run, "grad --mode \(mode) on \(n) ranks")
                let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
                var object = try #require(json(line.data(using: .utf8)), "grad --json printed: \(run.stdout)")
                object["seconds"] = nil
                object["cpu_seconds"] = nil
                results.append(object as NSDictionary)
            }
            let gradients = try #require(results[0]["gradients"] as? [String: [Double]])
            #expect(gradients.values.allSatisfy { $0.contains { $0 != 0 } }, "\(mode): \(gradients)")
            #expect(results[1] == results[0], "\(mode): 2 ranks \(results[1]) against 1: \(results[0])")
            #expect(results[2] == results[0], "\(mode): 3 ranks \(results[2]) against 1: \(results[0])")
        }
    }

    @Test("optimize: 3 iterations identical for 1, 2 and 3 ranks; a run checkpointed on 3 ranks resumes on 2 as on 1")
    func optimize() throws {
        let folder = ScratchFolder(prefix: "diffray-mpi")
        defer { folder.remove() }
        expectSuccess(try diffray(["render", cornell, "-D", "res=24", "--spp", "8", "--hdr", "target.exr", "-o", "target.png"], in: folder.path),
                      "target")
        let common = ["optimize", cornell, "-D", "res=24", "--spp", "2", "--threads", "1", "--target", "target.exr",
                      "--param", "red.reflectance.value", "--init", "red.reflectance.value=0.3,0.3,0.3"]
        func checkpoint(_ dir: String) -> NSDictionary? {
            guard var c = json(bytes(folder.file(dir + "/checkpoint.json"))) else { return nil }
            c["seconds"] = nil
            return c as NSDictionary
        }
        for n in 1...3 {
            expectSuccess(try diffray(ranks: n, common + ["--iters", "3", "--out-dir", "o\(n)"], in: folder.path), "optimize on \(n) ranks")
        }
        #expect(checkpoint("o1") != nil)
        #expect(checkpoint("o2") == checkpoint("o1"))
        #expect(checkpoint("o3") == checkpoint("o1"))
        #expect(bytes(folder.file("o1/params.json")) == bytes(folder.file("o3/params.json")))
        #expect(bytes(folder.file("o1/final.png")) == bytes(folder.file("o2/final.png")))
        // 2 iterations, then --resume to 3: on 1 rank throughout, and on 3 ranks then 2.
        expectSuccess(try diffray(ranks: 1, common + ["--iters", "2", "--out-dir", "s"], in: folder.path), "first half on 1 rank")
        expectSuccess(try diffray(ranks: 1, common + ["--iters", "3", "--out-dir", "s", "--resume"], in: folder.path), "resume on 1 rank")
        expectSuccess(try diffray(ranks: 3, common + ["--iters", "2", "--out-dir", "m"], in: folder.path), "first half on 3 ranks")
        expectSuccess(try diffray(ranks: 2, common + ["--iters", "3", "--out-dir", "m", "--resume"], in: folder.path), "resume on 2 ranks")
        #expect(checkpoint("m") != nil)
        #expect(checkpoint("m") == checkpoint("s"))
    }

    @Test("train, eval, rollout: the trebuchet's shots and the cart-pole's evaluation episodes spread over ranks give the same weights, figures and frames")
    func train() throws {
        let folder = ScratchFolder(prefix: "diffray-mpi")
        defer { folder.remove() }
        func parameters(_ file: String) -> [Double]? { json(bytes(folder.file(file)))?["parameters"] as? [Double] }
        var evaluations = [NSDictionary]()
        for n in 1...3 {
            expectSuccess(try diffray(ranks: n, ["train", "trebuchet", "--episodes", "192", "--seed", "3", "-o", "t\(n).json"], in: folder.path),
                          "train trebuchet on \(n) ranks")
            expectSuccess(try diffray(ranks: n, ["train", "cartpole", "--episodes", "2", "--seed", "3", "-o", "c\(n).json"],
                                      in: folder.path), "train cartpole on \(n) ranks")
            let eval = try diffray(ranks: n, ["eval", "trebuchet", "--policy", "t1.json", "--episodes", "50", "--json"], in: folder.path)
            expectSuccess(eval, "eval on \(n) ranks")
            var figures = json(eval.stdout.split(separator: "\n").last.flatMap { $0.data(using: .utf8) }) ?? [:]
            figures["seconds"] = nil
            evaluations.append(figures as NSDictionary)
            expectSuccess(try diffray(ranks: n, ["rollout", "trebuchet", "--policy", "t1.json", "--frames", "f\(n)", "--res", "16",
                                                 "--spp", "1", "--every", "40"], in: folder.path), "rollout on \(n) ranks")
        }
        let trebuchet = try #require(parameters("t1.json"))
        #expect(parameters("t2.json") == trebuchet)
        #expect(parameters("t3.json") == trebuchet)
        #expect(bytes(folder.file("t1.checkpoint.json")) != nil)
        let cartpole = try #require(parameters("c1.json"))
        #expect(parameters("c2.json") == cartpole)
        #expect(parameters("c3.json") == cartpole)
        #expect(evaluations.count == 3 && evaluations[0]["mean_rel_miss"] != nil)
        #expect(evaluations.allSatisfy { $0 == evaluations[0] }, "\(evaluations)")
        let frames = (try? FileManager.default.contentsOfDirectory(atPath: folder.file("f1")))?.sorted() ?? []
        #expect(frames.count > 3, "rollout wrote \(frames)")
        for n in 2...3 {
            #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.file("f\(n)")))?.sorted() == frames)
            for f in frames { #expect(bytes(folder.file("f\(n)/\(f)")) == bytes(folder.file("f1/\(f)")), "f\(n)/\(f)") }
        }
    }

    @Test("train cartpole and pendulum: the actor-critic's environments, the surrogate's batches and the pixel trainers give the same weights and checkpoints for 1, 2 and 3 ranks")
    func trainEnvironments() throws {
        let folder = ScratchFolder(prefix: "diffray-mpi")
        defer { folder.remove() }
        // five environments (spread over 2 ranks; on 3 each rank's share is too small and all run whole), with
        // episodes ending (and restarting) inside windows; twenty-five, whose critic mini-batches are spread as
        // well; the pixel pendulum's batches are spread
        let runs: [(name: String, arguments: [String])] = [
            ("cartpole-shac", ["train", "cartpole", "--episodes", "1", "--envs", "5", "--horizon", "10", "--seed", "1"]),
            ("cartpole-shac-batches", ["train", "cartpole", "--episodes", "1", "--envs", "25", "--horizon", "20", "--seed", "1"]),
            ("pendulum-surrogate", ["train", "pendulum", "--episodes", "1", "--seed", "2"]),
            ("pendulum-shac", ["train", "pendulum", "--trainer", "shac", "--envs", "4", "--horizon", "25", "--episodes", "1", "--seed", "2"]),
            ("pendulum-pixels", ["train", "pendulum", "--pixels", "--trainer", "surrogate", "--episodes", "1", "--view-res", "16", "--view-spp", "1"]),
            ("cartpole-pixels", ["train", "cartpole", "--pixels", "--trainer", "surrogate", "--episodes", "1", "--view-res", "16", "--view-spp", "1"]),
            ("cartpole-pixels-shac", ["train", "cartpole", "--pixels", "--episodes", "1", "--episode-steps", "60", "--view-res", "16", "--view-spp", "1"]),
        ]
        func checkpoint(_ file: String) -> NSDictionary? {
            guard var c = json(bytes(folder.file(file))) else { return nil }
            c["seconds"] = nil
            return c as NSDictionary
        }
        for (name, arguments) in runs {
            for n in 1...3 {
                expectSuccess(try diffray(ranks: n, arguments + ["-o", "\(name)-\(n).json"], in: folder.path), "\(name) on \(n) ranks")
            }
            let weights = try #require(json(bytes(folder.file("\(name)-1.json")))?["parameters"] as? [Double], "\(name)")
            let first = try #require(checkpoint("\(name)-1.checkpoint.json"), "\(name)")
            for n in 2...3 {
                #expect(json(bytes(folder.file("\(name)-\(n).json")))?["parameters"] as? [Double] == weights, "\(name) on \(n) ranks")
                #expect(checkpoint("\(name)-\(n).checkpoint.json") == first, "\(name) on \(n) ranks: the checkpoint")
            }
        }
    }

    @Test("a rank killed mid-run ends the job with an error naming it; no output or temporary file is left, and optimize and train keep their last checkpoint",
          arguments: ["render", "optimize", "train"])
    func killedRank(_ mode: String) throws {
        let folder = ScratchFolder(prefix: "diffray-mpi")
        defer { folder.remove() }
        var arguments = ["render", cornell, "-D", "res=64", "--spp", "4096", "--threads", "1", "-o", "out.png"]
        if mode == "optimize" {
            expectSuccess(try diffray(["render", cornell, "-D", "res=24", "--spp", "4", "--hdr", "target.exr"], in: folder.path), "target")
            arguments = ["optimize", cornell, "-D", "res=24", "--spp", "4", "--threads", "1", "--target", "target.exr",
                         "--param", "red.reflectance.value", "--iters", "100000", "--out-dir", "run"]
        } else if mode == "train" {
            arguments = ["train", "pendulum", "--episodes", "100000", "-o", "run/model.json"]
            try FileManager.default.createDirectory(atPath: folder.file("run"), withIntermediateDirectories: false)
        }
        let before = folder.contents
        let mpirun = Process()
        mpirun.executableURL = URL(fileURLWithPath: MPIRun.path!)
        mpirun.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", DiffRayBinary.path!] + arguments
        mpirun.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        let err = Pipe()
        mpirun.standardOutput = FileHandle.nullDevice
        mpirun.standardError = err
        try mpirun.run()
        // Rank 1: the child of mpirun whose environment says OMPI_COMM_WORLD_RANK=1.
        var victim: Int32?
        let deadline = Date().addingTimeInterval(20)
        while victim == nil && Date() < deadline {
            victim = childProcess(of: mpirun.processIdentifier, environment: "OMPI_COMM_WORLD_RANK=1")
            if victim == nil { usleep(50_000) }
        }
        let pid = try #require(victim, "no rank 1 found")
        if mode == "optimize" {
            // Once a few iterations have been checkpointed.
            _ = waitUntil(seconds: 20) { (json(bytes(folder.file("run/checkpoint.json")))?["iteration"] as? Int ?? 0) >= 3 }
        } else if mode == "train" {
            _ = waitUntil(seconds: 20) { (json(bytes(folder.file("run/model.checkpoint.json")))?["episodes"] as? Int ?? 0) >= 2 }
        } else {
            usleep(1_000_000)   // let it start rendering
        }
        kill(pid, SIGKILL)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        mpirun.waitUntilExit()
        #expect(mpirun.terminationStatus != 0, "mpirun ended with \(mpirun.terminationStatus)")
        #expect(stderr.contains("rank 1") && stderr.contains("signal 9"), "stderr: \(stderr)")
        if mode == "optimize" {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.file("run"))) ?? []
            #expect(left.allSatisfy { $0 == "checkpoint.json" || $0.hasPrefix("iter-") && $0.hasSuffix(".png") }, "left behind: \(left)")
            #expect((json(bytes(folder.file("run/checkpoint.json")))?["iteration"] as? Int ?? 0) >= 3)
        } else if mode == "train" {
            // the last whole checkpoint, and neither the model nor its plot
            let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.file("run"))) ?? []
            #expect(left == ["model.checkpoint.json"], "left behind: \(left)")
            #expect((json(bytes(folder.file("run/model.checkpoint.json")))?["episodes"] as? Int ?? 0) >= 2)
        } else {
            #expect(folder.contents == before, "left behind: \(folder.contents)")
        }
    }
}

/// A child of `parent` whose environment holds `entry`.
func childProcess(of parent: Int32, environment entry: String) -> Int32? {
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(name),
              let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        // Fields after the command name: state, then the parent's pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, Int32(fields[1]) == parent,
              let environ = FileManager.default.contents(atPath: "/proc/\(name)/environ") else { continue }
        if environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == entry }) { return pid }
    }
    return nil
}
