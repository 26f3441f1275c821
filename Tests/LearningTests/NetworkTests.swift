import Testing
import Foundation
import Autodiff
import Learning

/// A small conv + dense network that exercises every layer kind.
func smallNetwork(seed: UInt64 = 7) -> Network {
    var g = SeededGenerator(seed: seed)
    let conv = Conv2DShape(channels: 2, height: 6, width: 5, filters: 3, kernel: 3, stride: 2, padding: 1)
    var net = Network(layers: [
        .conv2d(conv), .activation(.softplus, size: conv.outputSize),
        .spatialSoftArgmax(channels: conv.filters, height: conv.outputHeight, width: conv.outputWidth),
        .dense(inputs: 2 * conv.filters, outputs: 5), .activation(.tanh, size: 5),
        .dense(inputs: 5, outputs: 4), .activation(.sigmoid, size: 4),
        .dense(inputs: 4, outputs: 2),
    ], generator: &g)
    for i in net.parameters.indices { net.parameters[i] += 0.05 * g.normal() }  // non-zero biases
    return net
}

@Test func pullbackMatchesFiniteDifferences() {
    var net = smallNetwork()
    var g = SeededGenerator(seed: 3)
    let x = (0..<net.inputSize).map { _ in g.uniform(-1, 1) }
    let target = [0.3, -0.2]
    func loss(_ n: Network, _ x: [Double]) -> Double { Loss.mse(n.predict(x), target) }
    var trace = Network.Trace()
    let y = net.forward(x, trace: &trace)
    var grad = [Double]()
    let dx = net.backward(Loss.mseGradient(y, target), trace: trace, gradient: &grad)
    let h = 1e-6
    for i in stride(from: 0, to: net.parameterCount, by: 7) {
        let p = net.parameters[i]
        net.parameters[i] = p + h; let a = loss(net, x)
        net.parameters[i] = p - h; let b = loss(net, x)
        net.parameters[i] = p
        #expect(abs((a - b) / (2 * h) - grad[i]) <= 1e-6 + 1e-4 * abs(grad[i]), "parameter \(i)")
    }
    for i in x.indices {
        var xp = x, xm = x
        xp[i] += h; xm[i] -= h
        let fd = (loss(net, xp) - loss(net, xm)) / (2 * h)
        #expect(abs(fd - dx[i]) <= 1e-6 + 1e-4 * abs(dx[i]), "input \(i)")
    }
}

@Test func genericForwardAgreesWithFastPathAndReverseMode() {
    let net = smallNetwork()
    var g = SeededGenerator(seed: 4)
    let x = (0..<net.inputSize).map { _ in g.uniform(-1, 1) }
    let fast = net.predict(x)
    let generic: [Double] = net(x)
    for i in fast.indices { #expect(abs(fast[i] - generic[i]) < 1e-12) }
    // Inputs carrying forward-mode derivatives: ∂out₀/∂x₀ equals the pullback's.
    var xd = x.map { Dual2($0) }
    xd[0] = Dual2(x[0], variable: 0)
    let yd = net(xd)
    var trace = Network.Trace()
    net.forward(x, trace: &trace)
    var grad = [Double]()
    let dx = net.backward([1, 0], trace: trace, gradient: &grad)
    #expect(abs(yd[0].partial(0) - dx[0]) < 1e-10)
    // Weights on the reverse-mode tape: the same parameter gradient as the pullback.
    let (value, weightGradient) = valueWithGradient(at: net.parameters) { p in
        net.apply(x.map { Adjoint($0) }, parameters: p)[0]
    }
    #expect(abs(value - fast[0]) < 1e-12)
    for i in grad.indices { #expect(abs(weightGradient[i] - grad[i]) < 1e-10) }
}

@Test func glorotInitialisationIsSeededAndBounded() {
    var g1 = SeededGenerator(seed: 42), g2 = SeededGenerator(seed: 42), g3 = SeededGenerator(seed: 43)
    let a = Network.mlp([4, 24, 48, 1], hidden: .relu, output: .tanh, generator: &g1)
    let b = Network.mlp([4, 24, 48, 1], hidden: .relu, output: .tanh, generator: &g2)
    let c = Network.mlp([4, 24, 48, 1], hidden: .relu, output: .tanh, generator: &g3)
    #expect(a == b)
    #expect(a != c)
    #expect(a.parameterCount == 4 * 24 + 24 + 24 * 48 + 48 + 48 + 1)
    let limit = (6.0 / 28).squareRoot()
    #expect(a.parameters[0..<96].allSatisfy { abs($0) <= limit })
    #expect(a.parameters[96..<120].allSatisfy { $0 == 0 })
}

@Test func generatorIsDeterministicAndUniform() {
    var g = SeededGenerator(seed: 1)
    var h = SeededGenerator(seed: 1)
    #expect((0..<10).map { _ in g.next() } == (0..<10).map { _ in h.next() })
    var s = 0.0, s2 = 0.0
    let n = 20000
    for _ in 0..<n { let v = g.normal(); s += v; s2 += v * v }
    #expect(abs(s / Double(n)) < 0.03)
    #expect(abs(s2 / Double(n) - 1) < 0.05)
    let u = (0..<n).map { _ in g.uniform() }
    #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
    #expect(abs(u.reduce(0, +) / Double(n) - 0.5) < 0.01)
}

@Test func lossGradientsMatchFiniteDifferences() {
    let p = [0.3, -1.7, 2.5], t = [0.0, 0.2, 0.4]
    let h = 1e-6
    for (loss, grad) in [({ (q: [Double]) in Loss.mse(q, t) }, Loss.mseGradient(p, t)),
                         ({ (q: [Double]) in Loss.huber(q, t, delta: 1) }, Loss.huberGradient(p, t, delta: 1))] {
        for i in p.indices {
            var a = p, b = p
            a[i] += h; b[i] -= h
            #expect(abs((loss(a) - loss(b)) / (2 * h) - grad[i]) < 1e-6)
        }
    }
    #expect(abs(Loss.huber([3.0], [0.0], delta: 1) - 2.5) < 1e-12)
}

@Test func optimisersMinimiseAQuadratic() {
    for useAdam in [true, false] {
        var x = [3.0, -2.0]
        var adam = Adam(learningRate: 0.1)
        var sgd = SGD(learningRate: 0.1, momentum: 0.5)
        for _ in 0..<500 {
            let g = [2 * (x[0] - 1), 20 * (x[1] + 0.5)]
            if useAdam { adam.update(&x, gradient: g) } else { sgd.update(&x, gradient: g.map { $0 / 10 }) }
        }
        #expect(abs(x[0] - 1) < 1e-2 && abs(x[1] + 0.5) < 1e-2, "\(useAdam ? "Adam" : "SGD") ended at \(x)")
    }
}
