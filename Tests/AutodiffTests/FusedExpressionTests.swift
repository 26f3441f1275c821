import Autodiff
import Testing

/// The fused expressions of `Real` (`dot3`, `normalized3`, `mulAdd`): one
/// operation on the tape in reverse mode, the unfused arithmetic elsewhere.
enum Fused: String, CaseIterable, Sendable {
    case dot, dotSelf, normalizedX, normalizedY, normalizedZ, mulAdd

    /// The expression on six inputs (a vector `a`, a vector `b`; `mulAdd` reads the first three).
    func apply<T: Real>(_ v: [T]) -> T {
        switch self {
        case .dot: return T.dot3(v[0], v[1], v[2], v[3], v[4], v[5])
        case .dotSelf: return T.dot3(v[0], v[1], v[2], v[0], v[1], v[2])
        case .normalizedX: return T.normalized3(v[0], v[1], v[2]).0
        case .normalizedY: return T.normalized3(v[0], v[1], v[2]).1
        case .normalizedZ: return T.normalized3(v[0], v[1], v[2]).2
        case .mulAdd: return T.mulAdd(v[0], v[1], v[2])
        }
    }

    /// The same expression written out with the four operations.
    func unfused<T: Real>(_ v: [T]) -> T {
        switch self {
        case .dot: return v[0] * v[3] + v[1] * v[4] + v[2] * v[5]
        case .dotSelf: return v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
        case .normalizedX, .normalizedY, .normalizedZ:
            let l2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
            let r = 1 / sqrt(l2)
            return v[self == .normalizedX ? 0 : (self == .normalizedY ? 1 : 2)] * r
        case .mulAdd: return v[0] * v[1] + v[2]
        }
    }
}

@Suite("Fused expressions")
struct FusedExpressionTests {
    static let points: [[Double]] = [
        [0.3, -0.8, 1.4, 2.0, 0.25, -1.1],
        [-2.5, 0.01, 0.7, -0.3, 3.0, 0.9],
        [1e-3, 4.0, -6.0, 1.5, -2.5, 0.5],
    ]

    @Test("values are Double's to the bit; forward = reverse to 1e-14; both match central differences", arguments: Fused.allCases)
    func derivatives(_ f: Fused) {
        for p in Self.points {
            let value: Double = f.apply(p)
            #expect(value == f.unfused(p), "\(f) at \(p): fused and written-out Double differ")
            let duals = (0..<6).map { Dual8(p[$0], variable: $0) }
            let forward = f.apply(duals)
            let written = f.unfused(duals)
            // Forward mode runs the written-out arithmetic: the same bits.
            #expect(forward.value == written.value && forward.partials == written.partials, "\(f): Dual not the written-out expression")
            let tape = Tape.current
            let mark = tape.count
            let leaves = p.map { tape.variable($0) }
            let y = f.apply(leaves)
            tape.backward(y, seed: 1, from: mark)
            let reverse = tape.adjoints(of: leaves)
            tape.truncate(to: mark)
            #expect(y.value == value, "\(f) at \(p): Adjoint's primal \(y.value), Double's \(value)")
            for i in 0..<6 {
                let fd = centralDifference({ x in var q = p; q[i] = x; return f.apply(q) }, at: p[i])
                #expect(close(forward.partials[i], reverse[i], tolerance: 1e-14), "\(f) ∂\(i): forward \(forward.partials[i]), reverse \(reverse[i])")
                #expect(close(reverse[i], fd, tolerance: 1e-7), "\(f) ∂\(i): reverse \(reverse[i]), fd \(fd)")
            }
        }
    }

    @Test("constant operands are left out, all-constant expressions are not recorded", arguments: Fused.allCases)
    func constants(_ f: Fused) {
        let p = Self.points[0]
        let tape = Tape.current
        for variable in 0..<6 {
            let mark = tape.count
            let x = tape.variable(p[variable])
            let inputs = (0..<6).map { $0 == variable ? x : Adjoint(p[$0]) }
            let y = f.apply(inputs)
            let reads = f.unfused((0..<6).map { $0 == variable ? Dual2(p[$0], variable: 0) : Dual2(p[$0]) })
            if reads.partials[0] == 0 {
                #expect(tape.count == mark + 1, "\(f): nothing should depend on input \(variable)")
            } else {
                tape.backward(y, seed: 1, from: mark)
                #expect(close(tape.adjoint(of: x), reads.partials[0], tolerance: 1e-14), "\(f) ∂\(variable) with constants")
            }
            tape.truncate(to: mark)
        }
        let mark = tape.count
        let c = f.apply(p.map { Adjoint($0) })
        #expect(c.isConstant && tape.count == mark && c.value == f.apply(p))
    }

    @Test("the zero vector normalises to itself, with finite derivatives")
    func zeroVector() {
        let (value, (gx, gy, gz)) = valueWithGradient(at: 0, 0, 0) { x, y, z in
            let n = Adjoint.normalized3(x, y, z)
            return n.0 + 2 * n.1 + 3 * n.2
        }
        #expect(value == 0 && gx == 1 && gy == 2 && gz == 3)
    }
}
