import Autodiff

/// An orthonormal frame (s, t, n): shading frames and local BSDF coordinates,
/// where the normal is +Z, as in pbrt and Mitsuba.
@frozen
public struct Frame<T: Real> {
    public var s: Vector3<T>, t: Vector3<T>, n: Vector3<T>

    @inlinable @inline(__always)
    public init(s: Vector3<T>, t: Vector3<T>, n: Vector3<T>) { self.s = s; self.t = t; self.n = n }

    /// A frame around a unit normal: the branchless construction of
    /// Duff et al., "Building an Orthonormal Basis, Revisited" (JCGT 2017).
    @inlinable @inline(__always)
    public init(normal n: Vector3<T>) {
        let sign: T = n.z.primal >= 0 ? 1 : -1
        let a = -1 / (sign + n.z)
        let b = n.x * n.y * a
        self.s = Vector3(1 + sign * n.x * n.x * a, sign * b, -sign * n.x)
        self.t = Vector3(b, sign + n.y * n.y * a, -n.y)
        self.n = n
    }

    @inlinable @inline(__always)
    public func toLocal(_ v: Vector3<T>) -> Vector3<T> { Vector3(dot(v, s), dot(v, t), dot(v, n)) }
    @inlinable @inline(__always)
    public func toWorld(_ v: Vector3<T>) -> Vector3<T> { s * v.x + t * v.y + n * v.z }
}

extension Frame: Sendable where T: Sendable {}
