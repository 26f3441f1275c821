import Autodiff
import Testing

/// Every elementary function of `Real`, applied generically, so one check
/// runs on `Double` (for finite differences), `Dual` and `Adjoint`.
enum Unary: String, CaseIterable, Sendable {
    case sqrt, cbrt, exp, log, sin, cos, tan, asin, acos, atan, tanh, sigmoid, softplus
    case abs, negate, reciprocal, square, floor, round, magnitude

    func apply<T: Real>(_ x: T) -> T {
        switch self {
        case .sqrt: return Autodiff.sqrt(x)
        case .cbrt: return Autodiff.cbrt(x)
        case .exp: return Autodiff.exp(x)
        case .log: return Autodiff.log(x)
        case .sin: return Autodiff.sin(x)
        case .cos: return Autodiff.cos(x)
        case .tan: return Autodiff.tan(x)
        case .asin: return Autodiff.asin(x)
        case .acos: return Autodiff.acos(x)
        case .atan: return Autodiff.atan(x)
        case .tanh: return Autodiff.tanh(x)
        case .sigmoid: return Autodiff.sigmoid(x)
        case .softplus: return Autodiff.softplus(x)
        case .abs: return Swift.abs(x)
        case .negate: return -x
        case .reciprocal: return 1 / x
        case .square: return x * x
        case .floor: return Autodiff.floor(x)
        case .round: return Autodiff.round(x)
        case .magnitude: return x.magnitude
        }
    }

    /// Points inside the domain, away from kinks and jumps.
    var points: [Double] {
        switch self {
        case .sqrt, .log: return [0.05, 0.3, 1, 2.5, 40]
        case .asin, .acos: return [-0.95, -0.4, 0, 0.3, 0.9]
        case .tan: return [-1.2, -0.3, 0.2, 1.1]
        case .reciprocal, .cbrt, .abs, .magnitude: return [-3, -0.2, 0.25, 1.7]
        case .floor, .round: return [-2.3, -0.2, 0.3, 1.7]
        default: return [-3, -0.7, 0, 0.4, 1.3, 5]
        }
    }
}

enum Binary: String, CaseIterable, Sendable {
    case add, subtract, multiply, divide, pow, atan2, min, max

    func apply<T: Real>(_ x: T, _ y: T) -> T {
        switch self {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide: return x / y
        case .pow: return Autodiff.pow(x, y)
        case .atan2: return Autodiff.atan2(x, y)
        case .min: return Swift.min(x, y)
        case .max: return Swift.max(x, y)
        }
    }

    var points: [(Double, Double)] {
        switch self {
        case .pow: return [(0.5, 2.3), (1.7, -0.6), (3, 0.5), (2, 3)]
        case .divide: return [(1, 2), (-3, 0.7), (0.2, -1.5)]
        default: return [(1, 2), (-3, 0.7), (0.2, -1.5), (2.5, 2.4)]
        }
    }
}

/// Central finite difference of a Double function.
func centralDifference(_ f: (Double) -> Double, at x: Double) -> Double {
    let h = 1e-5 * Swift.max(1, Swift.abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)
}

func close(_ a: Double, _ b: Double, tolerance: Double) -> Bool {
    Swift.abs(a - b) <= tolerance * Swift.max(1, Swift.abs(a), Swift.abs(b))
}

/// d/dx f(x) by forward mode (Dual2) and by reverse mode (Adjoint).
func forwardAndReverse(_ f: (Dual2) -> Dual2, _ g: (Adjoint) -> Adjoint, at x: Double)
    -> (value: Double, forward: Double, reverse: Double) {
    let d = f(Dual2(x, variable: 0))
    let r = valueWithGradient(at: x, of: g)
    return (d.value, d.partials[0], r.gradient)
}

@Suite("Elementary functions")
struct ElementaryFunctionTests {
    @Test("unary derivative matches central differences (Dual and Adjoint)", arguments: Unary.allCases)
    func unary(_ f: Unary) {
        for x in f.points {
            let fd = centralDifference({ f.apply($0) }, at: x)
            let (value, forward, reverse) = forwardAndReverse({ f.apply($0) }, { f.apply($0) }, at: x)
            #expect(value == f.apply(x), "\(f) value at \(x)")
            #expect(close(forward, fd, tolerance: 1e-6), "\(f)' at \(x): forward \(forward), fd \(fd)")
            #expect(close(reverse, fd, tolerance: 1e-6), "\(f)' at \(x): reverse \(reverse), fd \(fd)")
            #expect(close(forward, reverse, tolerance: 1e-14), "\(f)' at \(x): forward \(forward), reverse \(reverse)")
        }
    }

    @Test("binary partials match central differences (Dual and Adjoint)", arguments: Binary.allCases)
    func binary(_ f: Binary) {
        for (x, y) in f.points {
            let fdx = centralDifference({ f.apply($0, y) }, at: x)
            let fdy = centralDifference({ f.apply(x, $0) }, at: y)
            let d = f.apply(Dual2(x, variable: 0), Dual2(y, variable: 1))
            let (value, (rx, ry)) = valueWithGradient(at: x, y) { f.apply($0, $1) }
            #expect(d.value == f.apply(x, y) && value == f.apply(x, y), "\(f) value at \(x), \(y)")
            #expect(close(d.partials[0], fdx, tolerance: 1e-6), "\(f) ∂x at \(x), \(y): \(d.partials[0]) vs \(fdx)")
            #expect(close(d.partials[1], fdy, tolerance: 1e-6), "\(f) ∂y at \(x), \(y): \(d.partials[1]) vs \(fdy)")
            #expect(close(rx, fdx, tolerance: 1e-6), "\(f) reverse ∂x at \(x), \(y): \(rx) vs \(fdx)")
            #expect(close(ry, fdy, tolerance: 1e-6), "\(f) reverse ∂y at \(x), \(y): \(ry) vs \(fdy)")
        }
    }

    @Test("clamp and select take the chosen operand's derivative")
    func clampAndSelect() {
        #expect(derivative(at: 0.3) { x in clamp(x * 2, 0, 1) } == 2)
        #expect(derivative(at: 0.7) { x in clamp(x * 2, 0, 1) } == 0)
        #expect(gradient(at: 0.3) { x in clamp(x * 2, 0, 1) } == 2)
        #expect(gradient(at: -0.3) { x in clamp(x * 2, 0, 1) } == 0)
        #expect(gradient(at: 2.0) { x in select(x > 1, x * x, x) } == 4)
        #expect(derivative(at: 0.5) { x in select(x > 1, x * x, x) } == 1)
    }

    @Test("Float and Double run the same generic code")
    func plainTypes() {
        for f in Unary.allCases {
            for x in f.points {
                let d: Double = f.apply(x)
                let s: Float = f.apply(Float(x))
                #expect(Swift.abs(Double(s) - d) <= 1e-5 * Swift.max(1, Swift.abs(d)), "\(f) Float at \(x)")
            }
        }
    }
}

/// A tiny vector, as the renderer's would be, to check that normalising the
/// zero vector keeps derivatives finite.
struct Vec3<T: Real> {
    var x, y, z: T
    func dot(_ o: Vec3) -> T { x * o.x + y * o.y + z * o.z }
    /// The unit vector, or the vector itself when its length is 0
    /// (branch on the primal length).
    func normalized() -> Vec3 {
        let length = sqrt(dot(self))
        guard length.primal > 0 else { return self }
        return Vec3(x: x / length, y: y / length, z: z / length)
    }
}

@Suite("Derivatives at the edges are finite")
struct EdgeTests {
    static func allFinite(_ values: [Double]) -> Bool { values.allSatisfy(\.isFinite) }

    @Test("sqrt at 0, asin/acos at ±1, atan2 at the origin, pow at 0, saturated sigmoid")
    func edges() {
        let unary: [(String, (Dual2) -> Dual2, (Adjoint) -> Adjoint, Double)] = [
            ("sqrt(0)", { sqrt($0) }, { sqrt($0) }, 0),
            ("cbrt(0)", { cbrt($0) }, { cbrt($0) }, 0),
            ("asin(1)", { asin($0) }, { asin($0) }, 1),
            ("asin(-1)", { asin($0) }, { asin($0) }, -1),
            ("acos(1)", { acos($0) }, { acos($0) }, 1),
            ("acos(-1)", { acos($0) }, { acos($0) }, -1),
            ("acos(1.5)", { acos($0) }, { acos($0) }, 1.5),
            ("sqrt(x*x) at 0", { sqrt($0 * $0) }, { sqrt($0 * $0) }, 0),
            ("pow(x, 0.5) at 0", { pow($0, 0.5) }, { pow($0, 0.5) }, 0),
            ("pow(x, 2) at 0", { pow($0, 2) }, { pow($0, 2) }, 0),
            ("sigmoid(-800)", { sigmoid($0) }, { sigmoid($0) }, -800),
            ("softplus(800)", { softplus($0) }, { softplus($0) }, 800),
            ("tanh(400)", { tanh($0) }, { tanh($0) }, 400),
        ]
        for (name, f, g, x) in unary {
            let (value, forward, reverse) = forwardAndReverse(f, g, at: x)
            #expect(Self.allFinite([value, forward, reverse]), "\(name): \(value), \(forward), \(reverse)")
        }
        let d = atan2(Dual2(0, variable: 0), Dual2(0, variable: 1))
        let (_, (ry, rx)) = valueWithGradient(at: 0, 0) { atan2($0, $1) }
        #expect(Self.allFinite([d.value, d.partials[0], d.partials[1], ry, rx]))
    }

    @Test("normalising the zero vector gives finite derivatives")
    func zeroVector() {
        func length<T: Real>(_ v: Vec3<T>) -> T {
            let n = v.normalized()
            return n.x + 2 * n.y + 3 * n.z + sqrt(v.dot(v))
        }
        let d = length(Vec3(x: Dual4(0, variable: 0), y: Dual4(0, variable: 1), z: Dual4(0, variable: 2)))
        let (value, (gx, gy, gz)) = valueWithGradient(at: 0, 0, 0) { x, y, z in length(Vec3(x: x, y: y, z: z)) }
        #expect(Self.allFinite([d.value, d.partials[0], d.partials[1], d.partials[2], value, gx, gy, gz]))
        #expect(d.partials[0] == gx && d.partials[1] == gy && d.partials[2] == gz)
    }
}
