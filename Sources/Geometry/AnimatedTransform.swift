import Autodiff
#if canImport(Glibc)
import Glibc
#endif

/// A transform that changes over time, as Mitsuba 3's `AnimatedTransform`:
/// key transforms at increasing times, each split into a scale (the diagonal
/// of the symmetric factor of its polar decomposition), a rotation
/// (a unit quaternion) and a translation; between two keys the scale and the
/// translation are interpolated linearly and the rotation spherically
/// (slerp along the shorter arc), and the result composed as
/// translation · rotation · scale. Before the first key and after the last
/// the end keys hold.
///
/// ```xml
/// <animation name="to_world">
///     <transform time="0"><translate x="-1"/></transform>
///     <transform time="1"><rotate y="1" angle="90"/><translate x="1"/></transform>
/// </animation>
/// ```
public struct AnimatedTransform: Sendable, Equatable {
    /// The keys' times, strictly increasing.
    public let times: [Double]
    /// Per key: scale along the local axes, rotation (w, x, y, z) and translation.
    public let scales: [Vec3]
    public let rotations: [SIMD4<Double>]
    public let translations: [Vec3]

    /// Why a key cannot be animated: shear, a singular matrix, projective terms.
    public struct KeyError: Error, Sendable, CustomStringConvertible {
        public let key: Int
        public let message: String
        public var description: String { message }
    }

    /// Decomposes each key; throws `KeyError` for a key with shear (an
    /// off-diagonal scale factor above 1e-6, Mitsuba's test), a singular
    /// linear part or a projective last row. `keys` must be sorted by time.
    public init(keys: [(time: Double, matrix: Matrix4)]) throws {
        var times = [Double](), scales = [Vec3](), rotations = [SIMD4<Double>](), translations = [Vec3]()
        for (k, key) in keys.enumerated() {
            let m = key.matrix
            guard m[3, 0] == 0, m[3, 1] == 0, m[3, 2] == 0, m[3, 3] == 1 else {
                throw KeyError(key: k, message: "a key's matrix must be affine (last row 0 0 0 1)")
            }
            let a = (0..<3).map { r in (0..<3).map { c in m[r, c] } }
            guard let (q, p) = AnimatedTransform.polarDecomposition(a) else {
                throw KeyError(key: k, message: "a key's matrix is singular")
            }
            for r in 0..<3 { for c in 0..<3 where r != c && abs(p[r][c]) > 1e-6 {
                throw KeyError(key: k, message: "a key's matrix contains shear, which an animation cannot interpolate")
            } }
            times.append(key.time)
            scales.append(Vec3(p[0][0], p[1][1], p[2][2]))
            rotations.append(AnimatedTransform.quaternion(q))
            translations.append(Vec3(m[0, 3], m[1, 3], m[2, 3]))
        }
        self.times = times; self.scales = scales; self.rotations = rotations; self.translations = translations
    }

    /// The transform at `time`.
    public func transform(at time: Double) -> Transform {
        let n = times.count
        var i = 0, f = 0.0
        if n > 1 {
            // The last key at or before `time`, kept to [0, n − 2]; the fraction clipped to [0, 1].
            var lo = 0, hi = n - 2
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if times[mid] <= time { lo = mid } else { hi = mid - 1 }
            }
            i = lo
            f = min(max((time - times[i]) / (times[i + 1] - times[i]), 0), 1)
        }
        let j = min(i + 1, n - 1)
        let s = scales[i] * (1 - f) + scales[j] * f
        let t = translations[i] * (1 - f) + translations[j] * f
        let q = AnimatedTransform.slerp(rotations[i], rotations[j], f)
        return AnimatedTransform.compose(scale: s, rotation: q, translation: t)
    }

    /// A box holding `box` under the transform at every time: the corners at
    /// the keys and at 64 steps between each two, widened by the largest
    /// distance a corner moves in one step (the chord of a step's arc
    /// bounds how far the path strays from the sampled points).
    public func bounds(of box: Bounds3) -> Bounds3 {
        if box.isEmpty { return box }
        let corners = (0..<8).map { k in
            Vec3(k & 1 == 0 ? box.lower.x : box.upper.x, k & 2 == 0 ? box.lower.y : box.upper.y,
                 k & 4 == 0 ? box.lower.z : box.upper.z)
        }
        var out = Bounds3.empty
        var step = 0.0
        let n = max(times.count - 1, 1), steps = 64
        var previous: [Vec3]? = nil
        for seg in 0..<n {
            for k in 0...steps {
                let t0 = times[seg], t1 = times[min(seg + 1, times.count - 1)]
                let x = transform(at: t0 + (t1 - t0) * Double(k) / Double(steps))
                let placed = corners.map { x.point($0) }
                for p in placed { out = out.union(p) }
                if let previous { for (a, b) in zip(previous, placed) { step = max(step, (a - b).length) } }
                previous = placed
            }
        }
        return Bounds3(lower: out.lower - Vec3(repeating: step), upper: out.upper + Vec3(repeating: step))
    }

    /// translation · rotation(q) · diag(scale), with its inverse.
    static func compose(scale s: Vec3, rotation q: SIMD4<Double>, translation t: Vec3) -> Transform {
        let (w, x, y, z) = (q[0], q[1], q[2], q[3])
        let r: [[Double]] = [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
        let sv = [s.x, s.y, s.z], tv = [t.x, t.y, t.z]
        var m = [Double](repeating: 0, count: 16), inv = [Double](repeating: 0, count: 16)
        for row in 0..<3 {
            for c in 0..<3 {
                m[4 * row + c] = r[row][c] * sv[c]
                inv[4 * row + c] = r[c][row] / sv[row]   // diag(1/s) · Rᵀ
            }
            m[4 * row + 3] = tv[row]
        }
        for row in 0..<3 { inv[4 * row + 3] = -(inv[4 * row] * tv[0] + inv[4 * row + 1] * tv[1] + inv[4 * row + 2] * tv[2]) }
        m[15] = 1; inv[15] = 1
        return Transform(uncheckedMatrix: m, inverse: inv)
    }

    /// Spherical linear interpolation of unit quaternions along the shorter
    /// arc; normalised linear interpolation where they nearly coincide.
    static func slerp(_ a: SIMD4<Double>, _ b0: SIMD4<Double>, _ f: Double) -> SIMD4<Double> {
        var cosTheta = (a * b0).sum()
        let b = cosTheta < 0 ? -b0 : b0
        cosTheta = abs(cosTheta)
        if cosTheta > 0.9995 {
            let q = a * (1 - f) + b * f
            return q / (q * q).sum().squareRoot()
        }
        let theta = acos(min(cosTheta, 1))
        var perp = b - a * cosTheta
        perp /= (perp * perp).sum().squareRoot()
        return a * cos(theta * f) + perp * sin(theta * f)
    }

    /// The polar decomposition A = Q P (Q a rotation, P symmetric) by Newton's
    /// iteration Q ← (Q + Q⁻ᵀ) / 2; a reflection is moved into P, as Dr.Jit's
    /// `transform_decompose` does. Nil when A is singular.
    static func polarDecomposition(_ a: [[Double]]) -> ([[Double]], [[Double]])? {
        var q = a
        for _ in 0..<100 {
            guard let inv = inverse3(q) else { return nil }
            var next = q, change = 0.0
            for r in 0..<3 { for c in 0..<3 {
                next[r][c] = 0.5 * (q[r][c] + inv[c][r])
                change = max(change, abs(next[r][c] - q[r][c]))
            } }
            q = next
            if change < 1e-15 { break }
        }
        if determinant3(q) < 0 { q = q.map { $0.map { -$0 } } }
        var p = [[Double]](repeating: [0, 0, 0], count: 3)
        for r in 0..<3 { for c in 0..<3 { p[r][c] = q[0][r] * a[0][c] + q[1][r] * a[1][c] + q[2][r] * a[2][c] } }
        return (q, p)
    }

    static func determinant3(_ m: [[Double]]) -> Double {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    static func inverse3(_ m: [[Double]]) -> [[Double]]? {
        let det = determinant3(m)
        guard det != 0, det.isFinite else { return nil }
        var r = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 { for j in 0..<3 {
            let a = m[(j + 1) % 3][(i + 1) % 3] * m[(j + 2) % 3][(i + 2) % 3]
            let b = m[(j + 1) % 3][(i + 2) % 3] * m[(j + 2) % 3][(i + 1) % 3]
            r[i][j] = (a - b) / det
        } }
        return r
    }

    /// The unit quaternion (w, x, y, z) of a rotation matrix (Shoemake's method).
    static func quaternion(_ m: [[Double]]) -> SIMD4<Double> {
        let trace = m[0][0] + m[1][1] + m[2][2]
        var q: SIMD4<Double>
        if trace > 0 {
            let s = (trace + 1).squareRoot() * 2
            q = SIMD4(s / 4, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s)
        } else if m[0][0] > m[1][1] && m[0][0] > m[2][2] {
            let s = (1 + m[0][0] - m[1][1] - m[2][2]).squareRoot() * 2
            q = SIMD4((m[2][1] - m[1][2]) / s, s / 4, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s)
        } else if m[1][1] > m[2][2] {
            let s = (1 + m[1][1] - m[0][0] - m[2][2]).squareRoot() * 2
            q = SIMD4((m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, s / 4, (m[1][2] + m[2][1]) / s)
        } else {
            let s = (1 + m[2][2] - m[0][0] - m[1][1]).squareRoot() * 2
            q = SIMD4((m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, s / 4)
        }
        return q / (q * q).sum().squareRoot()
    }
}
