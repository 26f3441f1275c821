import Autodiff

/// Losses over a prediction and a target of equal length, generic (for the tape
/// and dual numbers) and with their plain `Double` gradients.
public enum Loss {
    /// Mean squared error: Σ (p − t)² / n.
    @inlinable
    public static func mse<T: Real>(_ prediction: [T], _ target: [T]) -> T {
        precondition(prediction.count == target.count && !prediction.isEmpty)
        var s = T(0)
        for i in prediction.indices { let d = prediction[i] - target[i]; s += d * d }
        return s / T(Double(prediction.count))
    }

    /// ∂mse/∂prediction.
    @inlinable
    public static func mseGradient(_ prediction: [Double], _ target: [Double]) -> [Double] {
        let n = Double(prediction.count)
        return prediction.indices.map { 2 * (prediction[$0] - target[$0]) / n }
    }

    /// Mean Huber loss: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond (Huber 1964).
    @inlinable
    public static func huber<T: Real>(_ prediction: [T], _ target: [T], delta: Double = 1) -> T {
        precondition(prediction.count == target.count && !prediction.isEmpty)
        var s = T(0)
        let dl = T(delta)
        for i in prediction.indices {
            let d = prediction[i] - target[i]
            // branch on the primal |d|
            if Swift.abs(d.primal) <= delta { s += T(0.5) * d * d } else { s += dl * (d.magnitude - T(0.5) * dl) }
        }
        return s / T(Double(prediction.count))
    }

    /// ∂huber/∂prediction.
    @inlinable
    public static func huberGradient(_ prediction: [Double], _ target: [Double], delta: Double = 1) -> [Double] {
        let n = Double(prediction.count)
        return prediction.indices.map { i in
            let d = prediction[i] - target[i]
            return (Swift.abs(d) <= delta ? d : (d > 0 ? delta : -delta)) / n
        }
    }
}
