import Autodiff
import PropertyBased
import TestSupport
import Testing

/// A random composition of elementary functions of three inputs, built from
/// a seed. Each function gets arguments inside its domain (log of x² + ½,
/// asin of 0.9·tanh x, ...) so every value is finite.
indirect enum Formula: CustomStringConvertible {
    case input(Int)
    case constant(Double)
    case unary(Unary, Formula)
    case binary(Binary, Formula, Formula)

    typealias Generator = SplitMix64


    static func random(seed: Int, depth: Int = 5) -> Formula {
        var g = Generator(seed: UInt64(bitPattern: Int64(seed)))
        return random(&g, depth: depth)
    }

    static func random(_ g: inout Generator, depth: Int) -> Formula {
        let roll = g.below(10)
        if depth == 0 || roll == 0 {
            return g.below(4) == 0 ? .constant(Double(g.below(7)) / 4 - 0.75) : .input(g.below(3))
        }
        if roll < 5 {
            let f = Unary.allCases[g.below(Unary.allCases.count)]
            return .unary(f, random(&g, depth: depth - 1))
        }
        let f = Binary.allCases[g.below(Binary.allCases.count)]
        return .binary(f, random(&g, depth: depth - 1), random(&g, depth: depth - 1))
    }

    func evaluate<T: Real>(_ inputs: [T]) -> T {
        switch self {
        case .input(let i): return inputs[i]
        case .constant(let c): return T(c)
        case .unary(let f, let a):
            let x = a.evaluate(inputs)
            switch f {
            // Arguments kept in the domain and away from overflow.
            case .sqrt, .log: return f.apply(x * x + 0.5)
            case .asin, .acos: return f.apply(0.9 * tanh(x))
            case .tan, .exp: return f.apply(tanh(x))
            case .reciprocal: return f.apply(x * x + 1)
            case .square: return f.apply(tanh(x) * 2)
            default: return f.apply(x)
            }
        case .binary(let f, let a, let b):
            let x = a.evaluate(inputs), y = b.evaluate(inputs)
            switch f {
            case .divide: return x / (y * y + 1)
            case .pow: return pow(x * x + 0.5, tanh(y))
            case .multiply: return tanh(x) * tanh(y) * 3
            default: return f.apply(x, y)
            }
        }
    }

    var description: String {
        switch self {
        case .input(let i): return ["x", "y", "z"][i]
        case .constant(let c): return "\(c)"
        case .unary(let f, let a): return "\(f)(\(a))"
        case .binary(let f, let a, let b): return "\(f)(\(a), \(b))"
        }
    }
}

@Suite("Forward mode equals reverse mode")
struct ForwardEqualsReverseTests {
    @Test("on random compositions, to 1e-12 (property-based)")
    func randomCompositions() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...1_000_000),
                            Gen.double(in: -2...2), Gen.double(in: -2...2), Gen.double(in: -2...2)) { seed, a, b, c in
            let formula = Formula.random(seed: seed)
            let forward = formula.evaluate([Dual4(a, variable: 0), Dual4(b, variable: 1), Dual4(c, variable: 2)])
            let (value, gradient) = valueWithGradient(at: [a, b, c]) { formula.evaluate($0) }
            let primal: Double = formula.evaluate([a, b, c])
            #expect(forward.value == primal && value == primal, "\(formula) value")
            #expect(primal.isFinite, "\(formula) = \(primal) at (\(a), \(b), \(c))")
            for i in 0..<3 {
                #expect(close(forward.partials[i], gradient[i], tolerance: 1e-12),
                        "\(formula) ∂\(i) at (\(a), \(b), \(c)): forward \(forward.partials[i]), reverse \(gradient[i])")
            }
        }
    }

    @Test("and both match central differences on random compositions")
    func randomCompositionsAgainstFiniteDifferences() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...1_000_000),
                            Gen.double(in: -2...2), Gen.double(in: -2...2)) { seed, a, b in
            let formula = Formula.random(seed: seed, depth: 3)
            // Kinks (abs, min, max, floor, round) make differences meaningless
            // near them; compare only where the formula is smooth around the point.
            let g = gradient(at: [a, b, 0.3]) { formula.evaluate($0) }
            let fd = centralDifference({ formula.evaluate([$0, b, 0.3]) }, at: a)
            let fdh = centralDifference({ formula.evaluate([$0, b, 0.3]) }, at: a + 1e-3)
            if close(fd, fdh, tolerance: 1e-2) {
                #expect(close(g[0], fd, tolerance: 1e-4), "\(formula) ∂x at (\(a), \(b)): \(g[0]) vs \(fd)")
            }
        }
    }
}
