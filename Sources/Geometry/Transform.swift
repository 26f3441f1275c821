import Autodiff

/// An affine transform as a row-major 4×4 matrix with its inverse, as
/// Mitsuba's `to_world`. Applied to any scalar type by lifting its entries.
public struct Transform: Sendable {
    /// Row-major 4×4 entries (inline storage: copying a transform never touches the heap).
    public var m: SIMD16<Double>
    /// Row-major 4×4 entries of the inverse.
    public var inv: SIMD16<Double>

    public static let identity = Transform(uncheckedMatrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
                                           inverse: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

    public init(uncheckedMatrix m: SIMD16<Double>, inverse: SIMD16<Double>) { self.m = m; self.inv = inverse }
    public init(uncheckedMatrix m: [Double], inverse: [Double]) { self.m = SIMD16(m); self.inv = SIMD16(inverse) }

    /// A transform from a row-major matrix; nil when it is singular or not finite.
    public init?(matrix m: [Double]) {
        precondition(m.count == 16)
        self.init(Matrix4(rowMajor: m))
    }

    /// A transform from a 4×4 matrix; nil when it is singular or not finite.
    public init?(_ matrix: Matrix4) {
        guard matrix.isFinite, let inverse = matrix.inverse() else { return nil }
        self.m = SIMD16(matrix.elements); self.inv = SIMD16(inverse.elements)
    }

    /// The row-major 4×4 matrix.
    public var matrix: Matrix4 { Matrix4(rowMajor: m.array) }

    public static func translate(_ v: Vec3) -> Transform {
        Transform(uncheckedMatrix: [1, 0, 0, v.x, 0, 1, 0, v.y, 0, 0, 1, v.z, 0, 0, 0, 1],
                  inverse: [1, 0, 0, -v.x, 0, 1, 0, -v.y, 0, 0, 1, -v.z, 0, 0, 0, 1])
    }

    public var inverse: Transform { Transform(uncheckedMatrix: inv, inverse: m) }

    /// `self ∘ other`: apply `other` first.
    public static func * (a: Transform, b: Transform) -> Transform {
        Transform(uncheckedMatrix: (a.matrix * b.matrix).elements,
                  inverse: (Matrix4(rowMajor: b.inv.array) * Matrix4(rowMajor: a.inv.array)).elements)
    }

    @inlinable @inline(__always)
    public func point<T: Real>(_ p: Vector3<T>) -> Vector3<T> {
        let x = T(m[0]) * p.x + T(m[1]) * p.y + T(m[2]) * p.z + T(m[3])
        let y = T(m[4]) * p.x + T(m[5]) * p.y + T(m[6]) * p.z + T(m[7])
        let z = T(m[8]) * p.x + T(m[9]) * p.y + T(m[10]) * p.z + T(m[11])
        let w = m[12] * p.x.primal + m[13] * p.y.primal + m[14] * p.z.primal + m[15]
        if w == 1 { return Vector3(x, y, z) }
        let iw = T(m[12]) * p.x + T(m[13]) * p.y + T(m[14]) * p.z + T(m[15])
        return Vector3(x / iw, y / iw, z / iw)
    }
    @inlinable @inline(__always)
    public func vector<T: Real>(_ v: Vector3<T>) -> Vector3<T> {
        Vector3(T(m[0]) * v.x + T(m[1]) * v.y + T(m[2]) * v.z,
                T(m[4]) * v.x + T(m[5]) * v.y + T(m[6]) * v.z,
                T(m[8]) * v.x + T(m[9]) * v.y + T(m[10]) * v.z)
    }
    /// Transforms a normal by the inverse transpose (not normalised).
    @inlinable @inline(__always)
    public func normal<T: Real>(_ n: Vector3<T>) -> Vector3<T> {
        Vector3(T(inv[0]) * n.x + T(inv[4]) * n.y + T(inv[8]) * n.z,
                T(inv[1]) * n.x + T(inv[5]) * n.y + T(inv[9]) * n.z,
                T(inv[2]) * n.x + T(inv[6]) * n.y + T(inv[10]) * n.z)
    }

    /// Whether the linear part flips orientation (negative determinant).
    public var flipsHandedness: Bool {
        let det = m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8]) + m[2] * (m[4] * m[9] - m[5] * m[8])
        return det < 0
    }
}

extension SIMD16 where Scalar == Double {
    /// The sixteen entries as an array.
    public var array: [Double] { (0..<16).map { self[$0] } }
}
