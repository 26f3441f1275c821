import Autodiff
import Dispatch
import Glibc
import Testing

/// A small shading-like function of several parameters, generic over the scalar.
func shading<T: Real>(_ p: [T]) -> T {
    var s = T(0)
    for i in 0..<p.count {
        let a = p[i], b = p[(i + 1) % p.count]
        s += sigmoid(a * b) + sqrt(a * a + 1) * cos(b) - exp(-a * a) / (1 + b * b)
    }
    return s
}

@Suite("Tape")
struct TapeTests {
    @Test("the README example: d/dx (3x² + 2x + 1) at 5 is 32")
    func example() {
        #expect(gradient(at: 5.0) { x in 3 * x * x + 2 * x + 1 } == 32.0)
        #expect(derivative(at: 5.0) { x in 3 * x * x + 2 * x + 1 } == 32.0)
        let (value, g) = valueWithGradient(at: 5.0) { x in 3 * x * x + 2 * x + 1 }
        #expect(value == 86 && g == 32)
    }

    @Test("several arguments return a tuple; arrays return an array")
    func severalArguments() {
        let (a, b) = gradient(at: 2.0, 3.0) { x, y in x * y + y }
        #expect(a == 3 && b == 3)
        let (c, d, e) = gradient(at: 1.0, 2.0, 3.0) { x, y, z in x * y * z }
        #expect(c == 6 && d == 3 && e == 2)
        let (f, g, h, i) = gradient(at: 1.0, 2.0, 3.0, 4.0) { x, y, z, w in x + 2 * y + 3 * z + 4 * w }
        #expect(f == 1 && g == 2 && h == 3 && i == 4)
        #expect(gradient(at: [1.0, 2.0, 3.0]) { v in v[0] * v[1] - v[2] } == [2, 1, -1])
    }

    @Test("Jacobian: forward in chunks of 8 = reverse = finite differences")
    func jacobians() {
        let x = (0..<21).map { Double($0) * 0.1 - 1 }
        func f<T: Real>(_ v: [T]) -> [T] {
            [shading(v), v.reduce(T(0)) { $0 + $1 * $1 }, sin(v[3]) * v[20]]
        }
        let forward = jacobian(at: x) { f($0) }
        let reverse = reverseJacobian(at: x) { f($0) }
        #expect(forward.count == 3 && forward.allSatisfy { $0.count == 21 })
        for i in 0..<3 {
            for j in 0..<21 {
                #expect(close(forward[i][j], reverse[i][j], tolerance: 1e-12), "J[\(i)][\(j)]")
                let fd = centralDifference({ t in var y = x; y[j] = t; return f(y)[i] }, at: x[j])
                #expect(close(forward[i][j], fd, tolerance: 1e-6), "J[\(i)][\(j)] \(forward[i][j]) vs fd \(fd)")
            }
        }
    }

    @Test("calls nest and leave the tape as they found it, also when they throw")
    func nestingAndThrowing() {
        struct Boom: Error {}
        let before = Tape.current.count
        let g = gradient(at: 2.0) { x in
            let inner = gradient(at: 3.0) { y in y * y * x }  // = 2·3·x primal = 12
            return x * x * Adjoint(inner)  // d/dx (x² · 12) = 48 (inner is a constant)
        }
        #expect(g == 48)
        #expect(Tape.current.count == before)
        #expect(throws: Boom.self) {
            try gradient(at: 1.0) { x -> Adjoint in
                let y = x * x
                if y > 0 { throw Boom() }
                return y
            }
        }
        #expect(Tape.current.count == before)
    }

    @Test("constants are not recorded")
    func constantsNotRecorded() {
        let tape = Tape.current
        let before = tape.count
        let c = Adjoint(2) * Adjoint(3) + sin(Adjoint(1)) - Adjoint(4) / 2
        #expect(c.isConstant && tape.count == before)
        #expect(c.value == 6 + Double.sin(1) - 2)
    }

    @Test("seeding several outputs = sum of single seeds; path replay accumulates below a mark")
    func seedsAndReplay() {
        let tape = Tape.current
        tape.reset()
        let p = [tape.variable(0.3), tape.variable(-0.8), tape.variable(1.4)]
        let r = p[0] * p[1], g = sin(p[1] + p[2]), b = exp(p[0]) * p[2]
        tape.backward(seeds: [(r, 0.5), (g, -2.0), (b, 0.25)])
        let combined = tape.adjoints(of: p)
        var separate = [0.0, 0, 0]
        for (y, s) in [(r, 0.5), (g, -2.0), (b, 0.25)] {
            tape.backward(y, seed: s)
            for i in 0..<3 { separate[i] += tape.adjoint(of: p[i]) }
        }
        tape.backward(r, g, b, seeds: 0.5, -2.0, 0.25)
        for i in 0..<3 {
            #expect(close(combined[i], separate[i], tolerance: 1e-15))
            #expect(tape.adjoint(of: p[i]) == combined[i])
        }

        // Path replay: parameters at the bottom, one short recording a path.
        tape.reset()
        let q = [tape.variable(0.3), tape.variable(-0.8)]
        let mark = tape.count
        for k in 1...5 {
            let y = q[0] * q[1] * Adjoint(Double(k)) + q[1]
            tape.backward(y, seed: 1, from: mark)
            tape.truncate(to: mark)
        }
        // Σ_k (k·q0·q1 + q1): ∂/∂q0 = 15·q1, ∂/∂q1 = 15·q0 + 5.
        #expect(close(tape.adjoint(of: q[0]), 15 * -0.8, tolerance: 1e-15))
        #expect(close(tape.adjoint(of: q[1]), 15 * 0.3 + 5, tolerance: 1e-15))
        tape.reset()
    }

    @Test("slots: an operation of one or two operands takes 2, a leaf 1, a fused expression its recorded operands + 1")
    func slotCounts() {
        let tape = Tape.current
        let mark = tape.count
        let x = tape.variable(0.3), y = tape.variable(-1.2), z = tape.variable(2.0)
        #expect(tape.count == mark + 3)
        var before = tape.count
        let sum = x + y
        #expect(tape.count == before + 2 && sum.index == Int32(before + 1))
        before = tape.count
        let scaled = x * Adjoint(4)
        #expect(tape.count == before + 2 && scaled.index == Int32(before + 1))
        before = tape.count
        let dot = Adjoint.dot3(x, y, z, Adjoint(1), y, Adjoint(3))  // 4 of 6 operands recorded
        #expect(tape.count == before + 5 && dot.index == Int32(before + 4))
        // Pairs and lists interleaved on one tape sweep to the right adjoints.
        let f = sum * scaled + dot - exp(z)
        tape.backward(f, seed: 1, from: mark)
        // f = 4x(x + y) + x + y² + 3z − e^z
        #expect(close(tape.adjoint(of: x), 8 * 0.3 + 4 * -1.2 + 1, tolerance: 1e-14))
        #expect(close(tape.adjoint(of: y), 4 * 0.3 + 2 * -1.2, tolerance: 1e-14))
        #expect(close(tape.adjoint(of: z), 3 - Double.exp(2.0), tolerance: 1e-14))
        tape.truncate(to: mark)
    }

    @Test("an infinite adjoint through a one-operand operation reaches its parent only, also on a second sweep")
    func infiniteAdjointOneOperand() {
        let tape = Tape.current
        let mark = tape.count
        let x = tape.variable(0.5)
        let y = -x
        tape.backward(y, seed: .infinity, from: mark)
        #expect(tape.adjoint(of: x) == -.infinity)
        tape.backward(y, seed: 2, from: mark)  // the first sweep left no NaN on the tape's path
        #expect(tape.adjoint(of: x) == -2)
        tape.truncate(to: mark)
    }

    @Test("reusing the tape does not grow its memory")
    func reuse() {
        let tape = Tape.current
        func work() {
            tape.reset()
            let p = (0..<8).map { tape.variable(Double($0) * 0.1) }
            let y = shading(p)
            tape.backward(y)
        }
        work()
        let capacity = tape.capacity, bytes = tape.memoryFootprint
        for _ in 0..<500 { work() }
        #expect(tape.capacity == capacity && tape.memoryFootprint == bytes)
        let count = tape.count
        for _ in 0..<500 { _ = gradient(at: (0..<8).map { Double($0) }) { shading($0) } }
        #expect(tape.count == count && tape.capacity == capacity)
        tape.reset()
    }

    @Test("several threads differentiating at once give the same results as one")
    func threads() {
        let n = 32
        func job(_ i: Int) -> [Double] {
            let x = (0..<12).map { Double(($0 * 7 + i) % 11) * 0.2 - 1 }
            var out = gradient(at: x) { shading($0) }
            out.append(gradient(at: Double(i) * 0.1) { t in sign(t - 1) * t + tanh(t * t) })
            return out
        }
        let serial = (0..<n).map(job)
        let results = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: n)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: n) { i in
            var r = job(i)
            for _ in 0..<20 { r = job(i) }  // keep threads busy at the same time
            results[i] = r
        }
        for i in 0..<n { #expect(results[i] == serial[i], "job \(i)") }
    }

    @Test("a thread's tape is freed when the thread exits")
    func threadTapeFreedAtExit() throws {
        let seen = WeakTape()
        let box = Unmanaged.passRetained(seen)
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            let seen = Unmanaged<WeakTape>.fromOpaque(argument!).takeUnretainedValue()
            #expect(gradient(at: 3.0) { x in x * x } == 6)
            seen.tape = Tape.current
            return nil
        }, box.toOpaque())
        try #require(status == 0)
        pthread_join(thread, nil)
        box.release()
        #expect(seen.tape == nil, "the exited thread's tape is still alive")
    }

    @Test("straight-through sign: forward sign, derivative 1")
    func straightThroughSign() {
        let (value, g) = valueWithGradient(at: -0.3) { x in sign(x) * 3 }
        #expect(value == -3 && g == 3)
        #expect(derivative(at: 0.7) { x in sign(x) * 3 } == 3)
        #expect(sign(0.0) == 0 && sign(2.5) == 1 && sign(-1e-9) == -1)
        #expect(gradient(at: 1.26) { x in straightThrough(x, { $0.rounded() }) * x } == 1 * 1.26 + 1)
        #expect(derivative(at: 1.26) { x in straightThrough(x, { $0.rounded() }, backward: 0.5) } == 0.5)
        #expect(gradient(at: 0.4) { x in straightThrough(Adjoint(1), backward: x * x) } == 0.8)
        #expect(gradient(at: 0.4) { x in withoutDerivative(at: x) * x } == 0.4)
    }
}

/// Holds a thread's tape without keeping it alive.
private final class WeakTape { weak var tape: Tape? }
