// What the cart-pole's rendered frames tell a policy.
//
//   swift run -c release cartpole-observation noise
//       Trains the state policy (`diffray train cartpole`'s recipe, seed 0) and
//       evaluates it on 100 episodes with Gaussian noise of a given σ added to
//       one state variable of its observation: how precisely a controller must
//       know each variable.
//   swift run -c release cartpole-observation estimate [res] [spp] [gap] [pairs]
//       Renders `pairs` (default 4000) frame pairs of random states from
//       the built-in cartpole template (`res` px wide, default 64; `spp` samples per pixel,
//       default 4; the earlier frame `gap` steps of 0.02 s before, default 1, with
//       the pixel policies' fixed frame seed) and fits a 18→64→64→4 regressor
//       from the frames' spatial moments (each RGB plane's mass and centroid, in
//       the current frame minus the rest pose and in the change between the
//       frames) to the state; prints the held-out rms error of each variable.
//       The regressor is supervised by the state: a diagnostic, not a policy.
import Foundation
import DiffRay

let names = ["x", "x_dot", "theta", "theta_dot"]
let arguments = Array(CommandLine.arguments.dropFirst())

func noiseStudy() throws {
    var run = TrainingRun(problem: .cartpole, seed: 0)
    try run.train(totalEpisodes: CartPoleTask.defaultEpisodes, report: { _ in }, checkpoint: { _ in })
    let net = try run.network.network(path: "state policy", expecting: ControlProblem.cartpole.layers)
    print("state policy trained in \(run.episodes) episodes; mean return over 100 episodes with observation noise:")
    let levels: [[Double]] = [[0, 0.05, 0.1, 0.2], [0.1, 0.3, 0.6], [0.01, 0.03, 0.05], [0.05, 0.1, 0.2, 0.3, 0.6]]
    for (v, sigmas) in levels.enumerated() {
        for sigma in sigmas {
            var g = SeededGenerator(seed: 9)
            let noisy = ObservationPolicy<CartPoleDynamics> { o in
                var noisy = o
                noisy[v] += sigma * g.normal()
                return net.predict(noisy)[0]
            }
            let e = try evaluate(policy: noisy, task: CartPoleTask.self, episodes: 100, seed: 5)
            print("  " + names[v].padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "sigma %.2f: %6.1f", sigma, e.mean))
        }
    }
}

func estimationStudy(res: Int, spp: Int, gap: Int, pairs: Int) throws {
    let view = try PixelObservation(problem: .cartpole, resolution: res, samples: spp)
    let w = view.width, h = view.height, n = w * h
    func planes(_ state: [Double]) throws -> [Double] {
        let image = try view.render(state: state, seed: PixelObservation.frameSeed)
        var out = [Double](repeating: 0, count: 3 * n)
        for i in 0..<n { for c in 0..<3 { out[c * n + i] = Double(image.pixels[3 * i + c]) } }
        return out
    }
    let rest = try planes([0, 0, 0, 0])
    // mass, u-moment and v-moment of each plane, (u, v) ∈ [−1, 1]²
    func moments(_ p: [Double]) -> [Double] {
        var f = [Double]()
        for c in 0..<(p.count / n) {
            var m = 0.0, mu = 0.0, mv = 0.0
            for y in 0..<h {
                for x in 0..<w {
                    let v = p[c * n + y * w + x]
                    m += v; mu += v * (2 * Double(x) / Double(w - 1) - 1); mv += v * (2 * Double(y) / Double(h - 1) - 1)
                }
            }
            f += [m, mu, mv].map { $0 / Double(n) }
        }
        return f
    }
    var g = SeededGenerator(seed: 1)
    var X = [[Double]](), Y = [[Double]]()
    let start = Date()
    for _ in 0..<pairs {
        let s = [g.uniform(-2, 2), g.uniform(-1.5, 1.5), g.uniform(-0.2, 0.2), g.uniform(-1.5, 1.5)]
        let dt = 0.02 * Double(gap)
        let cur = try planes(s), prev = try planes([s[0] - dt * s[1], s[1], s[2] - dt * s[3], s[3]])
        X.append(moments(zip(cur, rest).map(-)) + moments(zip(cur, prev).map(-)))
        Y.append(s)
    }
    let nf = X[0].count
    for j in 0..<nf {  // standardise the features
        let v = X.map { $0[j] }, mean = v.reduce(0, +) / Double(pairs)
        let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(pairs)).squareRoot() + 1e-12
        for i in X.indices { X[i][j] = (X[i][j] - mean) / sd }
    }
    let scale = [1, 1, 0.1, 1.0]
    let train = pairs * 85 / 100
    var net = Network.mlp([nf, 64, 64, 4], hidden: .tanh, generator: &g)
    var adam = Adam(learningRate: 0.003)
    for _ in 0..<20_000 {
        var grad = [Double](repeating: 0, count: net.parameterCount)
        for _ in 0..<32 {
            let i = Int(g.uniform(0, Double(train)))
            var trace = Network.Trace()
            let y = net.forward(X[i], trace: &trace)
            net.backward((0..<4).map { (y[$0] - Y[i][$0] / scale[$0]) / 16 }, trace: trace, gradient: &grad)
        }
        adam.update(&net.parameters, gradient: grad)
    }
    print("\(w)x\(h), \(spp) spp, frames \(gap) step(s) apart, \(pairs) pairs (\(train) fitted), "
          + String(format: "%.0f s", Date().timeIntervalSince(start)) + "; held-out rms error (rms value):")
    for k in 0..<4 {
        var e2 = 0.0, v2 = 0.0
        for r in train..<pairs {
            let p = net.predict(X[r])[k] * scale[k]
            e2 += (p - Y[r][k]) * (p - Y[r][k]); v2 += Y[r][k] * Y[r][k]
        }
        let m = Double(pairs - train)
        print("  " + names[k].padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "%.4f (%.4f)", (e2 / m).squareRoot(), (v2 / m).squareRoot()))
    }
}

do {
    switch arguments.first {
    case "noise": try noiseStudy()
    case "estimate":
        let v = arguments.dropFirst().map { Int($0) }
        guard v.allSatisfy({ $0 != nil && $0! > 0 }) else { throw ControlError("estimate: expected positive integers [res] [spp] [gap] [pairs]") }
        let n = v.map { $0! }
        try estimationStudy(res: n.count > 0 ? n[0] : 64, spp: n.count > 1 ? n[1] : 4, gap: n.count > 2 ? n[2] : 1,
                            pairs: n.count > 3 ? n[3] : 4000)
    default: throw ControlError("expected `noise` or `estimate [res] [spp] [gap] [pairs]`")
    }
} catch {
    FileHandle.standardError.write("cartpole-observation: \(error)\n".data(using: .utf8)!)
    exit(2)
}
