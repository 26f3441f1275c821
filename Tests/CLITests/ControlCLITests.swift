import DiffRay
import Foundation
import TestSupport
import Testing

/// `diffray train|eval|rollout` run as a user runs them: from a folder that
/// holds no scenes/ (the templates ship with the program), each environment's
/// defaults in its help, an explicit option honoured, the JSON line parsed.
@Suite("diffray train, eval and rollout from any folder", .enabled(if: DiffRayBinary.isAvailable, Comment(rawValue: DiffRayBinary.missing)))
struct ControlCLITests {
    /// An empty folder for one test.
    func emptyFolder() -> ScratchFolder { ScratchFolder(prefix: "diffray-cli") }

    /// The last line of standard output as a JSON object.
    func lastJSON(_ r: Run) throws -> [String: Any] {
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] ?? [:]
    }

    /// The options a pixel checkpoint recorded.
    func checkpointOptions(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return object["options"] as? [String: Any] ?? [:]
    }

    @Test("pixel training, evaluation and rollout need no scenes folder")
    func pixelsFromAnEmptyFolder() throws {
        let folder = emptyFolder()
        defer { folder.remove() }
        let t = try diffray(["train", "cartpole", "--pixels", "--view-res", "8", "--view-spp", "1", "--episodes", "1", "--seed", "3",
                             "-o", "m.json", "--json"], in: folder.path)
        #expect(t.status == 0, "\(t.stderr)")
        let trained = try lastJSON(t)
        #expect(trained["environment"] as? String == "cartpole" && trained["episodes"] as? Int == 1 && trained["model"] as? String == "m.json",
                "\(t.stdout)")
        #expect(try checkpointOptions(folder.path + "/m.checkpoint.json")["scenes"] as? String == "built-in")
        let e = try diffray(["eval", "cartpole", "--pixels", "--policy", "m.json", "--episodes", "2", "--json"], in: folder.path)
        #expect(e.status == 0, "\(e.stderr)")
        #expect(try lastJSON(e)["mean_reward"] as? Double != nil, "\(e.stdout)")
        #expect(!e.stderr.contains("warning"), "\(e.stderr)")
        // the policy run on another view (the sun-lit one) is evaluated, with a warning naming its own
        let sun = try diffray(["eval", "cartpole", "--pixels", "--policy", "m.json", "--episodes", "1",
                               "--scenes", Repository.scenes.appendingPathComponent("sunlit").path], in: folder.path)
        #expect(sun.status == 0 && sun.stderr.contains("m.json: trained on another cartpole.xml"), "\(sun.stderr)")
        let r = try diffray(["rollout", "cartpole", "--pixels", "--policy", "m.json", "--frames", "roll", "--steps", "3", "--res", "16", "--spp", "1"],
                            in: folder.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/roll/contact-sheet.png"))
    }

    @Test("each environment's help shows its own defaults")
    func helpShowsPerEnvironmentDefaults() throws {
        let folder = emptyFolder()
        defer { folder.remove() }
        let pendulum = try diffray(["train", "pendulum", "--help"], in: folder.path)
        let cartpole = try diffray(["train", "cartpole", "--help"], in: folder.path)
        let trebuchet = try diffray(["eval", "trebuchet", "--help"], in: folder.path)
        // --lr: the learned critic's actor rate (the default trainer) and the surrogate's (the help's lines joined)
        func joined(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        #expect(joined(pendulum.stdout).contains("(default: 0.01 with the learned critic (the default), 0.003 with --trainer surrogate)")
                && pendulum.stdout.contains("--open-loop"), "\(pendulum.stdout)")
        #expect(joined(cartpole.stdout).contains("(default: 0.005 with the learned critic (the default), 0.01 with --trainer surrogate)")
                && cartpole.stdout.contains("--crop") && cartpole.stdout.contains("--cart-cost"), "\(cartpole.stdout)")
        // the learned critic's settings that differ between the state and the pixels recipes show both, those that agree one
        #expect(CartPoleTask.hyperparameters.shac.horizon == CartPolePixels.hyperparameters.shac.horizon)
        #expect(joined(cartpole.stdout).contains("steps of each BPTT window (default \(CartPoleTask.hyperparameters.shac.horizon));")
                && joined(cartpole.stdout).contains("the discount γ (default 0.9, with --pixels 0.99)"), "\(cartpole.stdout)")
        #expect(!pendulum.stdout.contains("--crop"))
        #expect(trebuchet.stdout.contains("default: 1000"), "\(trebuchet.stdout)")
    }

    @Test("an explicit --lr is honoured and --open-loop is an option, recorded in the checkpoint")
    func explicitOptionsAreHonoured() throws {
        let folder = emptyFolder()
        defer { folder.remove() }
        let t = try diffray(["train", "pendulum", "--pixels", "--trainer", "surrogate", "--view-res", "8", "--view-spp", "1", "--episodes", "1",
                             "--lr", "0.01", "--open-loop", "-o", "p.json"], in: folder.path)
        #expect(t.status == 0, "\(t.stderr)")
        let options = try checkpointOptions(folder.path + "/p.checkpoint.json")
        #expect(options["learningRate"] as? Double == 0.01, "\(options)")
        #expect(options["rendererGradient"] as? Bool == false, "\(options)")
        #expect(t.stdout.contains("open loop"), "\(t.stdout)")
        // the frame cache is reused by a second run with the same view
        let again = try diffray(["train", "pendulum", "--pixels", "--trainer", "surrogate", "--view-res", "8", "--view-spp", "1", "--episodes", "1",
                                 "-o", "p.json", "--json"], in: folder.path)
        #expect(again.status == 0, "\(again.stderr)")
        let rendered = try lastJSON(again)["frames"] as? Int
        #expect(again.stdout.contains("reused") && rendered == 0, "\(again.stdout)")
        #expect(try checkpointOptions(folder.path + "/p.checkpoint.json")["learningRate"] as? Double == 0.003)
    }

    @Test("train from the state runs its whole budget, counts every step and evaluates after training only")
    func stateTrainingCountsItsBudget() throws {
        let folder = emptyFolder()
        defer { folder.remove() }
        let t = try diffray(["train", "cartpole", "--episodes", "2", "--seed", "1", "-o", "c.json", "--json"], in: folder.path)
        #expect(t.status == 0, "\(t.stderr)")
        let r = try lastJSON(t)
        #expect(r["trainer"] as? String == "shac" && r["episodes"] as? Int == 2 && r["env_steps"] as? Int == 1000, "\(t.stdout)")
        #expect(r["evaluation_seed"] as? Int == 12345 && r["final_evaluation"] as? Double != nil, "\(t.stdout)")
        let bad = try diffray(["train", "cartpole", "--horizon", "7", "-o", "d.json"], in: folder.path)
        #expect(bad.status == 2 && bad.stderr.contains("divide"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/d.json"))
        let restart = try diffray(["train", "pendulum", "--restart-every", "201", "-o", "e.json"], in: folder.path)
        #expect(restart.status == 2 && restart.stderr.contains("restart steps must be in 1...200"), "\(restart.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/e.json"))
        let replay = try diffray(["train", "pendulum", "--critic-replay=-3", "-o", "f.json"], in: folder.path)
        #expect(replay.status == 2 && replay.stderr.contains("replay must keep 0...1000000 windows, got -3"), "\(replay.stderr)")
        let pixels = try diffray(["train", "pendulum", "--pixels", "--replay-draws", "8", "-o", "g.json"], in: folder.path)
        #expect(pixels.status == 2 && pixels.stderr.contains("--critic-replay, --replay-draws, --average-actor, --select-* and --recipe are for training from the state"),
                "\(pixels.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/f.json") && !FileManager.default.fileExists(atPath: folder.path + "/g.json"))
        // the selection's settings and the named recipes, each refused with its reason
        let refusals: [([String], String)] = [
            (["train", "cartpole", "--recipe", "4000"], "unknown --recipe '4000', expected none"),
            (["train", "pendulum", "--recipe", "400"], "unknown --recipe '400', expected one of: 4000, 4000-select"),
            (["train", "pendulum", "--recipe", "4000", "--trainer", "surrogate"], "--recipe names an actor-critic recipe"),
            (["train", "pendulum", "--recipe", "4000-select", "--select-steps", "750"], "a multiple of 200"),
            (["train", "pendulum", "--recipe", "4000-select", "--select-length", "0"], "rollouts must last 1...200 steps, got 0"),
            (["train", "pendulum", "--recipe", "4000-select", "--average-actor", "0"], "needs the actor's averaged share"),
            (["train", "pendulum", "--recipe", "4000-select", "--episodes", "2"], "leave 0 of the budget's 400 for training"),
        ]
        // a selecting run as a user starts it: 3 episodes, 400 of their 600 steps the two candidates' rollouts
        let selecting = try diffray(["train", "pendulum", "--recipe", "4000-select", "--episodes", "3", "-o", "s.json", "--json"], in: folder.path)
        #expect(selecting.status == 0 && selecting.stdout.contains("the policy chosen among 2 span means by 400 counted steps"), "\(selecting.stderr)")
        let chosen = try lastJSON(selecting)
        #expect(chosen["env_steps"] as? Int == 600 && chosen["selection_steps"] as? Int == 400 && (chosen["candidate_returns"] as? [Double])?.count == 2
                && chosen["selected_candidate"] as? Int != nil, "\(selecting.stdout)")
        for (arguments, reason) in refusals {
            let r = try diffray(arguments + ["-o", "h.json"], in: folder.path)
            #expect(r.status == 2 && r.stderr.contains(reason) && r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.path + "/h.json"))
        }
    }

    /// A run with an earlier default's settings, as its checkpoint was written before the budget was recorded:
    /// the environment, those settings, what the refusal names, an episode's steps and the resumed run's settings line.
    static let earlierDefaults: [(String, [String], String, Int, String)] = [
        // the pendulum's: windows of one step, the critic's replay, the actor's average over the last quarter
        ("pendulum", ["--horizon", "1", "--restart-every", "1", "--critic-passes", "4", "--critic-replay", "4000", "--replay-draws", "159",
                      "--average-actor", "0.25"], "--horizon is 1 in the checkpoint, 5 in the command", 200, "1 environment, windows of 1 step, "),
        // the cart-pole's: 2 environments × 10 steps, the last weights
        ("cartpole", ["--envs", "2", "--horizon", "10", "--average-actor", "0"], "--envs is 2 in the checkpoint, 1 in the command", 500,
         "2 environments, windows of 10 steps"),
    ]

    @Test("a checkpoint that records no budget resumes only with --episodes if its settings are not the default's",
          arguments: 0..<2)
    func resumeWithoutABudgetNeedsEpisodes(_ k: Int) throws {
        let (environment, settings, mismatch, steps, line) = Self.earlierDefaults[k]
        let folder = emptyFolder()
        defer { folder.remove() }
        let first = try diffray(["train", environment, "--episodes", "1"] + settings + ["-o", "p.json"], in: folder.path)
        #expect(first.status == 0, "\(first.stderr)")
        let path = folder.path + "/p.checkpoint.json"
        var checkpoint = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(checkpoint["budget"] as? Int == 1)
        checkpoint["budget"] = nil
        try JSONSerialization.data(withJSONObject: checkpoint).write(to: URL(fileURLWithPath: path))
        let refused = try diffray(["train", environment, "--resume", "-o", "p.json"], in: folder.path)
        #expect(refused.status == 2 && refused.stderr.contains("p.checkpoint.json") && refused.stderr.contains(mismatch)
                && refused.stderr.contains("--episodes") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        let resumed = try diffray(["train", environment, "--resume", "--episodes", "2", "-o", "p.json", "--json"], in: folder.path)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let r = try lastJSON(resumed)
        #expect(r["episodes"] as? Int == 2 && r["env_steps"] as? Int == 2 * steps && resumed.stdout.contains(line), "\(resumed.stdout)")
    }

    @Test("aim says when a target is out of reach, with the nearest reachable distance and its settings")
    func aimFlagsUnreachableTargets() throws {
        let folder = emptyFolder()
        defer { folder.remove() }
        let far = try diffray(["aim", "--wind", "0", "--target", "300", "--json"], in: folder.path)
        #expect(far.status == 0, "\(far.stderr)")
        let r = try lastJSON(far)
        #expect(r["reachable"] as? Bool == false && far.stdout.contains("out of reach"), "\(far.stdout)")
        let nearest = try #require(r["nearest_distance"] as? Double)
        #expect(nearest > 50 && nearest < 300, "\(far.stdout)")
        #expect(r["nearest_angle"] as? Double != nil && r["nearest_weight"] as? Double != nil)
        let near = try diffray(["aim", "--wind", "-2", "--target", "74.7", "--json"], in: folder.path)
        let n = try lastJSON(near)
        #expect(n["reachable"] as? Bool == true && n["nearest_distance"] == nil, "\(near.stdout)")
    }
}
