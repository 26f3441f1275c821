import Foundation
import Learning

/// The stochastic actor of the maximum-entropy short-horizon actor-critic
/// (`SHACSettings.entropyTemperature`): a Gaussian in the pre-squash action u
/// with a state-dependent mean μ and standard deviation σ, squashed to the
/// action range, a = scale · tanh(u) (Haarnoja et al., "Soft Actor-Critic
/// Algorithms and Applications", 2018, appendix C; SAPO: Xing et al.,
/// "Stabilizing Reinforcement Learning in Differentiable Multiphysics
/// Simulation", ICLR 2025, which adds the entropy to SHAC's analytic gradients).
///
/// The network's two outputs are μ and ρ, log σ = lo + (hi − lo)·(tanh ρ + 1)/2
/// with [lo, hi] = `logStdRange` (σ from e⁻⁵ to e). A sample is reparameterised,
/// u = μ + σε with ε ~ N(0, 1) drawn by the trainer, so that the gradient of
/// what follows the action passes to μ and σ. Evaluation acts with the mean,
/// scale · tanh(μ).
public struct SquashedGaussian: Equatable, Sendable {
    /// Bounds of log σ.
    public static let logStdRange = -5.0...1.0

    /// μ and ρ (the network's outputs), the noise ε and the action's scale.
    public var mean: Double, rho: Double, noise: Double, scale: Double

    public init(output: [Double], noise: Double, scale: Double) {
        mean = output[0]; rho = output[1]; self.noise = noise; self.scale = scale
    }

    /// log σ.
    public var logStd: Double {
        let r = SquashedGaussian.logStdRange
        return r.lowerBound + (r.upperBound - r.lowerBound) * (tanh(rho) + 1) / 2
    }

    /// u = μ + σε.
    public var preSquash: Double { mean + exp(logStd) * noise }

    /// The action scale · tanh(u).
    public var action: Double { scale * tanh(preSquash) }

    /// log(1 − tanh²u) = 2(log 2 − u − softplus(−2u)), without cancellation for large |u|.
    static func logSquashSlope(_ u: Double) -> Double {
        let x = -2 * u
        let softplus = x > 30 ? x : log1p(exp(x))
        return 2 * (log(2) - u - softplus)
    }

    /// log π(a | s), the density of the action taken (per unit of torque):
    /// −ε²/2 − log σ − ½ log 2π − log scale − log(1 − tanh²u).
    public var logDensity: Double {
        -noise * noise / 2 - logStd - 0.5 * log(2 * Double.pi) - log(scale) - SquashedGaussian.logSquashSlope(preSquash)
    }

    /// ∂/∂(μ, ρ) of J(a) + α·log π(a | s) at fixed ε, given `dAction` = ∂J/∂a:
    /// with g = ∂J/∂a · scale(1 − tanh²u) + 2α·tanh u (the path through u),
    /// ∂/∂μ = g and ∂/∂log σ = g·σε − α, chained through log σ(ρ).
    public func pullback(dAction: Double, temperature alpha: Double) -> [Double] {
        let u = preSquash, t = tanh(u), sigma = exp(logStd)
        let g = dAction * scale * (1 - t * t) + 2 * alpha * t
        let dLogStd = g * sigma * noise - alpha
        let r = SquashedGaussian.logStdRange, tr = tanh(rho)
        return [g, dLogStd * (r.upperBound - r.lowerBound) / 2 * (1 - tr * tr)]
    }

    /// The layers of the Gaussian actor of a deterministic policy with `layers`
    /// (ending in a dense layer of one output and perhaps its activation): the same
    /// hidden layers, a last dense layer of two outputs (μ, ρ), no output activation.
    public static func layers(from layers: [Layer]) -> [Layer] {
        var l = layers
        if case .activation = l[l.count - 1] { l.removeLast() }
        if case let .dense(i, _) = l[l.count - 1] { l[l.count - 1] = .dense(inputs: i, outputs: 2) }
        return l
    }

    /// A policy network's output for evaluation in [−1, 1]: a deterministic policy's
    /// first output, a Gaussian actor's (two outputs) mean squashed, tanh μ.
    @inlinable
    public static func meanOutput(_ network: Network, input: [Double]) -> Double {
        let y = network.predict(input)
        return network.outputSize == 2 ? tanh(y[0]) : y[0]
    }
}

/// What a state policy file's `policy` metadata says it holds: a deterministic
/// network (files written before the key are), or a Gaussian actor whose two
/// outputs are μ and ρ (`SquashedGaussian`), evaluated by its mean.
public enum PolicyForm: String, Codable, CaseIterable, Sendable {
    case deterministic, gaussian

    /// The layers of this form of a policy whose deterministic layers are `layers`.
    public func layers(_ layers: [Layer]) -> [Layer] {
        self == .gaussian ? SquashedGaussian.layers(from: layers) : layers
    }
}
