import Autodiff

/// Element-wise activation functions.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case identity, relu, tanh, sigmoid, softplus

    /// The activation applied to one generic scalar (composes with `Dual`/`Adjoint`).
    @inlinable
    public func callAsFunction<T: Real>(_ x: T) -> T {
        switch self {
        case .identity: return x
        // branch on the primal: derivative 1 above zero, 0 below.
        case .relu: return x > 0 ? x : T(0)
        case .tanh: return T.tanh(x)
        case .sigmoid: return Autodiff.sigmoid(x)
        case .softplus: return Autodiff.softplus(x)
        }
    }

    /// The activation of a plain `Double` (the fast path).
    @inlinable
    public func value(_ x: Double) -> Double {
        switch self {
        case .identity: return x
        case .relu: return x > 0 ? x : 0
        case .tanh: return Double.tanh(x)
        case .sigmoid: return x >= 0 ? 1 / (1 + Double.exp(-x)) : Double.exp(x) / (1 + Double.exp(x))
        case .softplus: return Swift.max(x, 0) + Double.log(1 + Double.exp(-Swift.abs(x)))
        }
    }

    /// The derivative, written in terms of the output `y = f(x)` (all five allow it).
    @inlinable
    public func derivative(output y: Double) -> Double {
        switch self {
        case .identity: return 1
        case .relu: return y > 0 ? 1 : 0
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .softplus: return 1 - Double.exp(-y)
        }
    }
}
