import Testing
import Foundation
import Autodiff
import Learning
import Control

/// Each problem name leads to its task, and the task back to the name.
@Test(arguments: ControlProblem.allCases)
func everyProblemHasItsTask(problem: ControlProblem) throws {
    #expect(problem.task.problem == problem)
    #expect(try ControlProblem(name: problem.rawValue.uppercased()) == problem)
    #expect(problem.layers == problem.task.layers && problem.defaultEpisodes == problem.task.defaultEpisodes)
    #expect(TrainingRun(problem: problem, seed: 0).optimizer.learningRate == problem.task.learningRate)
}

/// The hyperparameters are Codable: a recipe written out reads back the same.
@Test func hyperparametersRoundTrip() throws {
    let c = try JSONDecoder().decode(CartPoleTask.Hyperparameters.self, from: JSONEncoder().encode(CartPoleTask.hyperparameters))
    let p = try JSONDecoder().decode(PendulumTask.Hyperparameters.self, from: JSONEncoder().encode(PendulumTask.hyperparameters))
    let t = try JSONDecoder().decode(TrebuchetTask.Hyperparameters.self, from: JSONEncoder().encode(TrebuchetTask.hyperparameters))
    #expect(c == CartPoleTask.hyperparameters && p == PendulumTask.hyperparameters && t == TrebuchetTask.hyperparameters)
}

/// Model metadata: a Codable type written as the flat map of strings model files
/// hold, and read back; a missing or malformed value is one line naming the file and key.
@Test func modelMetadataRoundTripsAndNamesBadValues() throws {
    let m = StateModelMetadata(environment: .pendulum, seed: 7, episodes: 12, environmentSteps: 2400)
    let flat = ModelMetadata.encode(m)
    #expect(flat == ["environment": "pendulum", "seed": "7", "episodes": "12", "environment_steps": "2400"])
    #expect(try ModelMetadata.decode(StateModelMetadata.self, from: flat, path: "m.json") == m)
    var bad = flat; bad["seed"] = "seven"
    do {
        _ = try ModelMetadata.decode(StateModelMetadata.self, from: bad, path: "m.json")
        Issue.record("a seed of 'seven' was accepted")
    } catch {
        #expect("\(error)".contains("m.json") && "\(error)".contains("seed") && !"\(error)".contains("\n"), "\(error)")
    }
    bad = flat; bad["environment"] = "moon"
    #expect(throws: ModelFileError.self) { try ModelMetadata.decode(StateModelMetadata.self, from: bad, path: "m.json") }
    bad = flat; bad.removeValue(forKey: "episodes")
    #expect(throws: ModelFileError.self) { try ModelMetadata.decode(StateModelMetadata.self, from: bad, path: "m.json") }
}

/// The shared sweep of BPTT equals finite differences of a window's loss
/// (the pendulum as the trainer simulates it: smooth away from the clips).
@Test func bpttSweepMatchesFiniteDifferences() throws {
    typealias D = PendulumTrainingDynamics
    var g = SeededGenerator(seed: 3)
    let net = Network(layers: Network.mlpLayers([3, 8, 1], hidden: .tanh, output: .tanh), generator: &g)
    let start = [0.5, 0.2]
    func windowLoss(_ parameters: [Double]) -> Double {
        var n = net; n.parameters = parameters
        var s = start, total = 0.0
        for _ in 0..<5 {
            let a = n.predict(D.observation(s))[0]
            total += PendulumSurrogate.loss(state: s, action: a, next: D.step(s, action: a))
            s = D.step(s, action: a)
        }
        return total
    }
    // the same window, linearised by forward mode and swept back
    var steps = [LinearizedStep](), traces = [Network.Trace]()
    var s = start
    for _ in 0..<5 {
        var trace = Network.Trace()
        let a = net.forward(D.observation(s), trace: &trace)[0]
        steps.append(LinearizedStep.at(D.self, PendulumSurrogate.self, state: s, action: a))
        traces.append(trace)
        s = steps.last!.next
    }
    var gradient = [Double](repeating: 0, count: net.parameterCount)
    backpropagate(steps, from: [0, 0]) { t, dA, dS in
        let dObs = net.backward([dA], trace: traces[t], gradient: &gradient)
        for i in 0..<3 { for j in 0..<2 { dS[j] += dObs[i] * steps[t].dObsdState[i * 2 + j] } }
    }
    for k in [0, 7, net.parameterCount - 1] {
        var p = net.parameters, m = net.parameters
        p[k] += 1e-6; m[k] -= 1e-6
        let fd = (windowLoss(p) - windowLoss(m)) / 2e-6
        #expect(abs(fd - gradient[k]) <= 1e-5 * max(1, abs(fd)), "parameter \(k): sweep \(gradient[k]), finite difference \(fd)")
    }
}

/// A quadratic cost on the state reached (`LinearizedStep.addStateCost`) joins the
/// step's loss with its derivatives: ∂loss/∂state and ∂loss/∂action against central
/// differences of the pendulum's step (smooth away from its clips).
@Test func stateCostDerivativesMatchFiniteDifferences() throws {
    typealias D = PendulumTrainingDynamics
    let weights = [0.3, 0.05]
    func loss(_ s: [Double], _ a: Double) -> Double {
        let next = D.step(s, action: a)
        return PendulumSurrogate.loss(state: s, action: a, next: next) + zip(weights, next).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }
    }
    let s = [0.7, -1.3], a = 0.4, h = 1e-6
    var step = LinearizedStep.at(D.self, PendulumSurrogate.self, state: s, action: a)
    step.addStateCost(weights)
    #expect(abs(step.loss - loss(s, a)) <= 1e-12 * max(1, abs(step.loss)))
    for j in 0..<2 {
        var p = s, m = s
        p[j] += h; m[j] -= h
        let fd = (loss(p, a) - loss(m, a)) / (2 * h)
        #expect(abs(fd - step.dLossdState[j]) <= 1e-6 * max(1, abs(fd)), "state \(j): \(step.dLossdState[j]) against \(fd)")
    }
    let fd = (loss(s, a + h) - loss(s, a - h)) / (2 * h)
    #expect(abs(fd - step.dLossdAction) <= 1e-6 * max(1, abs(fd)), "action: \(step.dLossdAction) against \(fd)")
}

/// One evaluation loop for every policy: a policy's memory is cleared each episode,
/// the start states follow the seed, and a rollout is the first episode.
@Test func evaluateRunsEpisodesFromTheSeed() throws {
    struct Counting: Policy {
        var calls = 0
        mutating func startEpisode(_ episode: Int) { calls = 0 }
        // pushes right while its count of the episode's steps is right, left otherwise
        mutating func action(state: [Double], step: Int) -> Double { calls += 1; return step == calls - 1 ? 1 : -1 }
    }
    let a = try evaluate(policy: Counting(), task: CartPoleTask.self, episodes: 3, seed: 9)
    let right = try evaluate(policy: ObservationPolicy<CartPoleDynamics> { _ in 1 }, task: CartPoleTask.self, episodes: 3, seed: 9)
    #expect(a == right && a.returns.count == 3 && a.returns.allSatisfy { $0 >= 1 && $0 < 500 })
    let r = try record(policy: Counting(), task: CartPoleTask.self, seed: 9)
    #expect(r.reward == a.returns[0] && r.states.count == r.steps + 1 && r.states.last == a.finalStates[0])
    let e = CartPoleEndings(finalStates: a.finalStates)
    #expect(e.poleFell + e.cartLeftTrack + e.ranToLimit == 3)
}
