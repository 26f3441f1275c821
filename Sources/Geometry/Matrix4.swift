import Foundation

/// A 4×4 matrix of doubles stored row-major: `elements[4 * row + column]`.
/// Points are column vectors: `p' = M p`. Transforms in a scene file compose
/// by left multiplication in document order (the last one written is applied last).
public struct Matrix4: Sendable, Hashable, CustomStringConvertible {
    /// 16 values, row-major.
    public var elements: [Double]

    /// A matrix from 16 row-major values.
    public init(rowMajor values: [Double]) {
        precondition(values.count == 16, "Matrix4 needs 16 values")
        elements = values
    }

    /// A matrix from four rows of four values.
    public init(rows: [[Double]]) {
        precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "Matrix4 needs 4 rows of 4")
        elements = rows.flatMap { $0 }
    }

    /// The affine matrix with linear part from 9 row-major values and no translation.
    public init(linear3x3 v: [Double]) {
        precondition(v.count == 9, "a 3x3 matrix needs 9 values")
        elements = [v[0], v[1], v[2], 0, v[3], v[4], v[5], 0, v[6], v[7], v[8], 0, 0, 0, 0, 1]
    }

    public static let identity = Matrix4(rowMajor: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

    public subscript(row: Int, column: Int) -> Double {
        get { elements[4 * row + column] }
        set { elements[4 * row + column] = newValue }
    }

    public var description: String {
        "[" + (0..<4).map { r in (0..<4).map { c in "\(self[r, c])" }.joined(separator: " ") }.joined(separator: "; ") + "]"
    }

    public var isFinite: Bool { elements.allSatisfy { $0.isFinite } }

    /// Matrix product `a * b` (apply `b` first, then `a`).
    public static func * (a: Matrix4, b: Matrix4) -> Matrix4 {
        var r = [Double](repeating: 0, count: 16)
        for i in 0..<4 {
            for j in 0..<4 {
                var s = 0.0
                for k in 0..<4 { s += a.elements[4 * i + k] * b.elements[4 * k + j] }
                r[4 * i + j] = s
            }
        }
        return Matrix4(rowMajor: r)
    }

    public var transposed: Matrix4 {
        var r = Matrix4.identity
        for i in 0..<4 { for j in 0..<4 { r[i, j] = self[j, i] } }
        return r
    }

    /// The inverse by Gauss-Jordan elimination with partial pivoting, or nil
    /// if the matrix is singular (a pivot below 1e-300 in magnitude).
    public func inverse() -> Matrix4? {
        var a = elements
        var inv = Matrix4.identity.elements
        for col in 0..<4 {
            var pivot = col
            for r in (col + 1)..<4 where abs(a[4 * r + col]) > abs(a[4 * pivot + col]) { pivot = r }
            let p = a[4 * pivot + col]
            if !(abs(p) > 1e-300) { return nil }
            if pivot != col {
                for c in 0..<4 {
                    a.swapAt(4 * pivot + c, 4 * col + c)
                    inv.swapAt(4 * pivot + c, 4 * col + c)
                }
            }
            let s = 1 / p
            for c in 0..<4 {
                a[4 * col + c] *= s
                inv[4 * col + c] *= s
            }
            for r in 0..<4 where r != col {
                let f = a[4 * r + col]
                if f == 0 { continue }
                for c in 0..<4 {
                    a[4 * r + c] -= f * a[4 * col + c]
                    inv[4 * r + c] -= f * inv[4 * col + c]
                }
            }
        }
        return Matrix4(rowMajor: inv)
    }

    /// `M (p, 1)` with the homogeneous divide.
    public func transformPoint(_ p: Vec3) -> Vec3 {
        let e = elements
        let x = e[0] * p.x + e[1] * p.y + e[2] * p.z + e[3]
        let y = e[4] * p.x + e[5] * p.y + e[6] * p.z + e[7]
        let z = e[8] * p.x + e[9] * p.y + e[10] * p.z + e[11]
        let w = e[12] * p.x + e[13] * p.y + e[14] * p.z + e[15]
        return w == 1 ? Vec3(x, y, z) : Vec3(x / w, y / w, z / w)
    }

    /// `M (v, 0)`: the linear part only.
    public func transformVector(_ v: Vec3) -> Vec3 {
        let e = elements
        return Vec3(e[0] * v.x + e[1] * v.y + e[2] * v.z,
                       e[4] * v.x + e[5] * v.y + e[6] * v.z,
                       e[8] * v.x + e[9] * v.y + e[10] * v.z)
    }

    /// The normal transformed by the inverse transpose of the linear part
    /// (not normalized). Uses the cofactor matrix divided by the determinant,
    /// so a singular linear part gives the cofactor direction unscaled.
    public func transformNormal(_ n: Vec3) -> Vec3 {
        let e = elements
        let a = e[0], b = e[1], c = e[2]
        let d = e[4], f = e[5], g = e[6]
        let h = e[8], i = e[9], j = e[10]
        // Cofactors C[r][c] of the 3x3 linear part; inverse transpose = C / det.
        let c00 = f * j - g * i, c01 = -(d * j - g * h), c02 = d * i - f * h
        let c10 = -(b * j - c * i), c11 = a * j - c * h, c12 = -(a * i - b * h)
        let c20 = b * g - c * f, c21 = -(a * g - c * d), c22 = a * f - b * d
        let det = a * c00 + b * c01 + c * c02
        let s = det != 0 ? 1 / det : 1
        return Vec3((c00 * n.x + c01 * n.y + c02 * n.z) * s,
                       (c10 * n.x + c11 * n.y + c12 * n.z) * s,
                       (c20 * n.x + c21 * n.y + c22 * n.z) * s)
    }

    // MARK: Elementary transforms (Mitsuba's conventions)

    public static func translation(_ t: Vec3) -> Matrix4 {
        Matrix4(rowMajor: [1, 0, 0, t.x, 0, 1, 0, t.y, 0, 0, 1, t.z, 0, 0, 0, 1])
    }

    public static func scaling(_ s: Vec3) -> Matrix4 {
        Matrix4(rowMajor: [s.x, 0, 0, 0, 0, s.y, 0, 0, 0, 0, s.z, 0, 0, 0, 0, 1])
    }

    /// A right-handed (counter-clockwise looking down the axis) rotation by
    /// `angleDegrees` about `axis` (normalized here), Rodrigues' formula.
    public static func rotation(axis: Vec3, angleDegrees: Double) -> Matrix4 {
        let u = axis.normalized
        let theta = angleDegrees * Double.pi / 180
        let s = sin(theta), c = cos(theta), t = 1 - c
        return Matrix4(rowMajor: [
            t * u.x * u.x + c, t * u.x * u.y - s * u.z, t * u.x * u.z + s * u.y, 0,
            t * u.x * u.y + s * u.z, t * u.y * u.y + c, t * u.y * u.z - s * u.x, 0,
            t * u.x * u.z - s * u.y, t * u.y * u.z + s * u.x, t * u.z * u.z + c, 0,
            0, 0, 0, 1,
        ])
    }

    /// Mitsuba's `Transform4f::look_at`: a camera-to-world matrix whose columns
    /// are x = normalize(cross(up, dir)), y = cross(dir, x), z = dir =
    /// normalize(target − origin), translation = origin. The camera looks
    /// down +Z in its local space. Returns nil if `up` is parallel to the
    /// viewing direction or origin == target.
    public static func lookAt(origin: Vec3, target: Vec3, up: Vec3) -> Matrix4? {
        let d = target - origin
        guard d.length > 0 else { return nil }
        let dir = d.normalized
        let l = cross(up, dir)
        guard l.length > 1e-12 * max(up.length, 1e-300) else { return nil }
        let left = l.normalized
        let newUp = cross(dir, left)
        return Matrix4(rowMajor: [
            left.x, newUp.x, dir.x, origin.x,
            left.y, newUp.y, dir.y, origin.y,
            left.z, newUp.z, dir.z, origin.z,
            0, 0, 0, 1,
        ])
    }
}
