import Foundation
import Autodiff
import Learning

/// How the members of a critic ensemble (`SHACSettings.critics` > 1) combine
/// their cost-to-go estimates into the one that bootstraps both the critics'
/// TD(λ) targets and the actor's window.
///
/// The critics estimate a cost (the discounted sum of `lossScale` · loss), so the
/// pessimistic estimate is the highest: `max` is TD3's clipped double estimate
/// (Fujimoto et al., "Addressing Function Approximation Error in Actor-Critic
/// Methods", ICML 2018, the minimum of two Q values of a reward) written in costs.
/// `mean` is the ensemble average the actor of REDQ follows (Chen et al.,
/// "Randomized Ensembled Double Q-Learning", ICLR 2021).
public enum CriticReduction: String, Codable, CaseIterable, Sendable {
    case max, mean
}

extension SHACSettings {
    /// Members of the critic ensemble: `criticCount`, 1 when absent.
    public var critics: Int { criticCount ?? 1 }

    /// How the ensemble's estimates combine: `criticReduction`, `max` when absent.
    public var reduction: CriticReduction { criticReduction ?? .max }

    /// The ensemble's cost-to-go of `observation` from the target critics
    /// `targets` (one network: its own estimate, bit for bit).
    public func ensembleValue(_ targets: [Network], _ observation: [Double]) -> Double {
        if targets.count == 1 { return targets[0].predict(observation)[0] }
        let values = targets.map { $0.predict(observation)[0] }
        switch reduction {
        case .max: return values.max()!
        case .mean: return values.reduce(0, +) / Double(values.count)
        }
    }

    /// ∂(ensemble value)/∂observation at `observation`: with `max`, the gradient of
    /// the member whose estimate is highest there (chosen on primal values, as
    /// the derivative of a maximum almost everywhere); with `mean`, the mean of
    /// the members' gradients.
    public func ensembleObservationGradient(_ targets: [Network], _ observation: [Double]) -> [Double] {
        func gradient(_ net: Network) -> [Double] {
            var trace = Network.Trace()
            net.forward(observation, trace: &trace)
            var unused = [Double]()
            return net.backward([1], trace: trace, gradient: &unused)
        }
        if targets.count == 1 { return gradient(targets[0]) }
        switch reduction {
        case .max:
            let values = targets.map { $0.predict(observation)[0] }
            return gradient(targets[values.indices.max { values[$0] < values[$1] }!])
        case .mean:
            var sum = [Double](repeating: 0, count: observation.count)
            for net in targets { for (i, d) in gradient(net).enumerated() { sum[i] += d } }
            return sum.map { $0 / Double(targets.count) }
        }
    }
}

extension SHACState {
    /// The critic, then the ensemble's further members (`ensemble`), as networks.
    func criticNetworks() throws -> (critics: [Network], targets: [Network]) {
        let all = try ([learned] + ensemble).map { try $0.networks() }
        return (all.map(\.critic), all.map(\.target))
    }
}
