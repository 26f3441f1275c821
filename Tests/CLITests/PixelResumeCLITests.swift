import Foundation
import TestSupport
import Testing

/// `diffray train cartpole --pixels --resume` through the binary (tiny view, a
/// few episodes): stopped and resumed, the model file is byte for byte the
/// one of an uninterrupted run; a mismatched, missing or malformed checkpoint
/// is one line on stderr and exit status 2.
@Suite("diffray train --pixels --resume", .enabled(if: DiffRayBinary.isAvailable, Comment(rawValue: DiffRayBinary.missing)))
struct PixelResumeCLITests {
    static let root = Repository.root.path

    func train(_ extra: [String], model: String, in folder: String, trainer: String = "surrogate") throws -> Run {
        try diffray(["train", "cartpole", "--pixels", "--trainer", trainer, "--view-res", "8", "--view-spp", "1", "--seed", "2",
                     "--scenes", Self.root + "/scenes", "-o", folder + "/" + model] + extra, in: folder)
    }

    /// An empty folder for one test.
    func emptyFolder() -> ScratchFolder { ScratchFolder(prefix: "diffray-cli") }

    /// An empty folder holding m.json, a policy trained for `episodes` episodes.
    func folderWithPolicy(episodes: Int) throws -> ScratchFolder {
        let folder = emptyFolder()
        let t = try train(["--episodes", String(episodes)], model: "m.json", in: folder.path)
        #expect(t.status == 0, "\(t.stderr)")
        return folder
    }

    @Test("resumed = uninterrupted, byte for byte; bad checkpoints refused")
    func resume() throws {
        let folder = emptyFolder()
        defer { folder.remove() }
        let whole = try train(["--episodes", "6"], model: "whole.json", in: folder.path)
        #expect(whole.status == 0, "\(whole.stderr)")
        let part = try train(["--episodes", "3"], model: "res.json", in: folder.path)
        #expect(part.status == 0, "\(part.stderr)")
        let rest = try train(["--episodes", "6", "--resume"], model: "res.json", in: folder.path)
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(rest.stdout.contains("resuming \(folder.path)/res.checkpoint.json at episode 3"), "\(rest.stdout)")
        let a = FileManager.default.contents(atPath: folder.path + "/whole.json")
        let b = FileManager.default.contents(atPath: folder.path + "/res.json")
        #expect(a != nil && a == b, "the resumed model differs from the uninterrupted one")

        func refused(_ extra: [String], model: String, mentions: [String], trainer: String = "surrogate") throws {
            let before = folder.contents
            let r = try train(extra, model: model, in: folder.path, trainer: trainer)
            #expect(r.status == 2, "\(extra): exit \(r.status)")
            let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count == 1 && r.stderr.hasPrefix("diffray: "), "\(r.stderr)")
            for m in mentions { #expect(r.stderr.contains(m), "'\(m)' not in: \(r.stderr)") }
            #expect(folder.contents == before, "files changed: \(folder.contents)")
        }
        try refused(["--episodes", "8", "--resume", "--lr", "0.02"], model: "res.json", mentions: ["res.checkpoint.json", "--lr"])
        try refused(["--episodes", "8", "--resume", "--frames", "2"], model: "res.json", mentions: ["res.checkpoint.json", "--frames"])
        try refused(["--episodes", "8", "--resume", "--crop", "4"], model: "res.json", mentions: ["res.checkpoint.json", "--crop"])
        try refused(["--episodes", "8", "--resume", "--start-spread", "1"], model: "res.json", mentions: ["res.checkpoint.json", "--start-spread"])
        try refused(["--episodes", "8", "--resume", "--cost-to-go", "0"], model: "res.json", mentions: ["res.checkpoint.json", "--cost-to-go"])
        try refused(["--envs", "4"], model: "c.json", mentions: ["--envs", "from the state"])
        // a run of the learned critic is not resumed by a surrogate command
        let shac = try diffray(["train", "cartpole", "--pixels", "--trainer", "shac", "--view-res", "8", "--view-spp", "1", "--seed", "2", "--episodes", "2",
                                "--scenes", Self.root + "/scenes", "-o", folder.path + "/s.json"], in: folder.path)
        #expect(shac.status == 0, "\(shac.stderr)")
        try refused(["--episodes", "2", "--resume"], model: "s.json", mentions: ["s.checkpoint.json", "--trainer"])
        // nor with other critic settings or training episodes of another length
        try refused(["--episodes", "2", "--resume", "--discount", "0.5"], model: "s.json", mentions: ["s.checkpoint.json", "--discount", "0.99", "0.5"],
                    trainer: "shac")
        try refused(["--episodes", "2", "--resume", "--episode-steps", "0"], model: "s.json", mentions: ["s.checkpoint.json", "--episode-steps"],
                    trainer: "shac")
        try refused(["--episodes", "2", "--resume", "--cart-cost", "0"], model: "s.json", mentions: ["s.checkpoint.json", "--cart-cost", "0.1"],
                    trainer: "shac")
        try refused(["--cart-cost", "0.1"], model: "c.json", mentions: ["--cart-cost", "shac"])
        try refused(["--cart-cost", "nan"], model: "c.json", mentions: ["--cart-cost", "0...1000"], trainer: "shac")
        try refused(["--discount", "0.99"], model: "c.json", mentions: ["--discount", "shac"])
        try refused(["--horizon", "7"], model: "c.json", mentions: ["horizon", "divide"], trainer: "shac")
        try refused(["--crop", "17"], model: "c.json", mentions: ["--crop", "0...16"])
        try refused(["--cost-to-go", "nan"], model: "c.json", mentions: ["--cost-to-go"])
        try refused(["--cost-to-go", "2000"], model: "c.json", mentions: ["--cost-to-go", "0...1000"])
        try refused(["--start-spread", "nan"], model: "c.json", mentions: ["--start-spread"])
        try refused(["--start-spread", "3"], model: "c.json", mentions: ["--start-spread", "0...2.4"])
        try refused(["--resume"], model: "none.json", mentions: ["none.checkpoint.json", "missing"])
        try Data("{\"format\": ".utf8).write(to: URL(fileURLWithPath: folder.path + "/bad.checkpoint.json"))
        try refused(["--resume"], model: "bad.json", mentions: ["bad.checkpoint.json", "diffray-pixel-training-checkpoint"])
    }

    @Test("rollout --pixels writes the frames seen, the larger renders, the contact sheets and the states")
    func rolloutWritesFramesAndStates() throws {
        let folder = try folderWithPolicy(episodes: 1)
        defer { folder.remove() }
        let out = folder.path + "/roll"
        let r = try diffray(["rollout", "cartpole", "--pixels", "--policy", folder.path + "/m.json", "--frames", out, "--steps", "6",
                             "--every", "3", "--res", "16", "--spp", "1", "--scenes", Self.root + "/scenes"], in: folder.path)
        #expect(r.status == 0, "\(r.stderr)")
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [])
        for name in ["seen-0000.png", "seen-0005.png", "frame-0000.png", "seen-contact-sheet.png", "contact-sheet.png", "states.csv"] {
            #expect(files.contains(name), "\(name) missing: \(files.sorted())")
        }
        let rows = ((try? String(contentsOfFile: out + "/states.csv", encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(rows.first == "step,x,x_dot,theta,theta_dot,action", "\(rows.first ?? "")")
        #expect(rows.count >= 2 && rows.count <= 7, "\(rows.count) rows")
        #expect(rows.dropFirst().allSatisfy { $0.split(separator: ",").count == 6 && $0.split(separator: ",").allSatisfy { Double($0) != nil } },
                "\(rows)")
    }

    @Test("eval --pixels says how the episodes ended and where the pole fell")
    func evalReportsEndings() throws {
        let folder = try folderWithPolicy(episodes: 2)
        defer { folder.remove() }
        let r = try diffray(["eval", "cartpole", "--pixels", "--policy", folder.path + "/m.json", "--episodes", "6",
                             "--scenes", Self.root + "/scenes", "--json"], in: folder.path)
        #expect(r.status == 0, "\(r.stderr)")
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] ?? [:]
        let fell = object["pole_fell"] as? Int ?? -1, left = object["cart_left_track"] as? Int ?? -1
        #expect(fell >= 0 && left >= 0 && fell + left <= 6, "\(last)")
        // Two episodes of training do not balance the pole: it falls, and the report says where.
        #expect(fell > 0, "\(r.stdout)")
        if fell > 0 {
            let median = object["fall_abs_x_median"] as? Double ?? -1, maximum = object["fall_abs_x_max"] as? Double ?? -1
            let right = object["falls_right"] as? Int ?? -1
            #expect(median >= 0 && median <= maximum && right >= 0 && right <= fell, "\(last)")
            #expect(r.stdout.contains("pole fell with the cart"), "\(r.stdout)")
        }
    }
}
