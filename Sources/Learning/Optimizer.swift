#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A first-order optimiser over a flat parameter vector.
public protocol Optimizer: Codable {
    /// Takes one step against `gradient` (∂loss/∂parameters).
    mutating func update(_ parameters: inout [Double], gradient: [Double])
}

/// Stochastic gradient descent with optional momentum.
public struct SGD: Optimizer, Equatable {
    public var learningRate: Double
    public var momentum: Double
    public var velocity: [Double] = []

    public init(learningRate: Double, momentum: Double = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public mutating func update(_ parameters: inout [Double], gradient: [Double]) {
        precondition(parameters.count == gradient.count)
        if velocity.count != parameters.count { velocity = [Double](repeating: 0, count: parameters.count) }
        for i in parameters.indices {
            velocity[i] = momentum * velocity[i] + gradient[i]
            parameters[i] -= learningRate * velocity[i]
        }
    }
}

/// Adam (Kingma & Ba 2015) with bias correction.
public struct Adam: Optimizer, Equatable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var step: Int = 0
    public var m: [Double] = []
    public var v: [Double] = []

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public mutating func update(_ parameters: inout [Double], gradient: [Double]) {
        precondition(parameters.count == gradient.count)
        if m.count != parameters.count || v.count != parameters.count {
            m = [Double](repeating: 0, count: parameters.count)
            v = m
        }
        step += 1
        let c1 = 1 - pow(beta1, Double(step)), c2 = 1 - pow(beta2, Double(step))
        let a = learningRate * c2.squareRoot() / c1
        let b1 = beta1, b2 = beta2, eps = epsilon * c2.squareRoot()
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                parameters.withUnsafeMutableBufferPointer { p in
                    gradient.withUnsafeBufferPointer { g in
                        for i in 0..<p.count {
                            m[i] = b1 * m[i] + (1 - b1) * g[i]
                            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                            p[i] -= a * m[i] / (v[i].squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }
}

/// Scales `gradient` down to Euclidean norm `maxNorm` if it is longer
/// (gradient clipping); `maxNorm` ≤ 0 leaves it alone.
public func clip(_ gradient: inout [Double], toNorm maxNorm: Double) {
    guard maxNorm > 0 else { return }
    let norm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
    if norm > maxNorm { for i in gradient.indices { gradient[i] *= maxNorm / norm } }
}
