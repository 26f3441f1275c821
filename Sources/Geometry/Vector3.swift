import Autodiff

/// A 3-vector generic over the scalar: points, directions and normals alike.
/// Three stored scalars rather than `SIMD3<T>`, because a dual or adjoint
/// number is not a `SIMDScalar`.
@frozen
public struct Vector3<T: Real> {
    public var x: T, y: T, z: T

    @inlinable @inline(__always)
    public init(_ x: T, _ y: T, _ z: T) { self.x = x; self.y = y; self.z = z }
    @inlinable @inline(__always)
    public init(repeating v: T) { self.init(v, v, v) }
    /// Lifts a plain vector to constants of `T`.
    @inlinable @inline(__always)
    public init(_ v: Vector3<Double>) { self.init(T(v.x), T(v.y), T(v.z)) }

    @inlinable public static var zero: Vector3 { Vector3(0, 0, 0) }

    /// The primal values.
    @inlinable @inline(__always)
    public var primal: Vector3<Double> { Vector3<Double>(x.primal, y.primal, z.primal) }

    @inlinable @inline(__always)
    public subscript(i: Int) -> T {
        get { i == 0 ? x : (i == 1 ? y : z) }
        set { if i == 0 { x = newValue } else if i == 1 { y = newValue } else { z = newValue } }
    }

    @inlinable @inline(__always) public static func + (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x + b.x, a.y + b.y, a.z + b.z) }
    @inlinable @inline(__always) public static func - (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x - b.x, a.y - b.y, a.z - b.z) }
    @inlinable @inline(__always) public static prefix func - (a: Vector3) -> Vector3 { Vector3(-a.x, -a.y, -a.z) }
    @inlinable @inline(__always) public static func * (a: Vector3, s: T) -> Vector3 { Vector3(a.x * s, a.y * s, a.z * s) }
    @inlinable @inline(__always) public static func * (s: T, a: Vector3) -> Vector3 { Vector3(a.x * s, a.y * s, a.z * s) }
    /// Component-wise product.
    @inlinable @inline(__always) public static func * (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x * b.x, a.y * b.y, a.z * b.z) }
    @inlinable @inline(__always) public static func / (a: Vector3, s: T) -> Vector3 { let r = 1 / s; return Vector3(a.x * r, a.y * r, a.z * r) }
    @inlinable @inline(__always) public static func += (a: inout Vector3, b: Vector3) { a = a + b }
    @inlinable @inline(__always) public static func -= (a: inout Vector3, b: Vector3) { a = a - b }
    @inlinable @inline(__always) public static func *= (a: inout Vector3, s: T) { a = a * s }

    /// `x * x + y * y + z * z` (one operation on the tape in reverse mode).
    @inlinable @inline(__always) public var lengthSquared: T { T.lengthSquared3(x, y, z) }
    @inlinable @inline(__always) public var length: T { T.sqrt(lengthSquared) }
    /// The unit vector along `self`, `self * (1 / length)`; the zero vector
    /// stays zero (finite derivatives). One operation a component on the tape.
    @inlinable @inline(__always)
    public var normalized: Vector3 {
        let (nx, ny, nz) = T.normalized3(x, y, z)
        return Vector3(nx, ny, nz)
    }
    @inlinable @inline(__always) public var maxComponent: T { Swift.max(x, Swift.max(y, z)) }
    @inlinable @inline(__always) public var minComponent: T { Swift.min(x, Swift.min(y, z)) }
}

extension Vector3: CustomStringConvertible {
    public var description: String { "(\(x), \(y), \(z))" }
}

extension Vector3: Equatable where T: Equatable {}
extension Vector3: Hashable where T: Hashable {}

extension Vector3 where T == Double {
    /// Whether all three components are finite.
    public var isFinite: Bool { x.isFinite && y.isFinite && z.isFinite }
}

/// `a.x * b.x + a.y * b.y + a.z * b.z` (one operation on the tape in reverse mode).
@inlinable @inline(__always)
public func dot<T>(_ a: Vector3<T>, _ b: Vector3<T>) -> T { T.dot3(a.x, a.y, a.z, b.x, b.y, b.z) }

@inlinable @inline(__always)
public func cross<T>(_ a: Vector3<T>, _ b: Vector3<T>) -> Vector3<T> {
    Vector3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

@inlinable @inline(__always)
public func min<T>(_ a: Vector3<T>, _ b: Vector3<T>) -> Vector3<T> {
    Vector3(Swift.min(a.x, b.x), Swift.min(a.y, b.y), Swift.min(a.z, b.z))
}

@inlinable @inline(__always)
public func max<T>(_ a: Vector3<T>, _ b: Vector3<T>) -> Vector3<T> {
    Vector3(Swift.max(a.x, b.x), Swift.max(a.y, b.y), Swift.max(a.z, b.z))
}

/// Mirror reflection of `v` about `n` (both pointing away from the surface).
@inlinable @inline(__always)
public func reflect<T>(_ v: Vector3<T>, _ n: Vector3<T>) -> Vector3<T> { n * (2 * dot(v, n)) - v }

public typealias Vec3 = Vector3<Double>
extension Vector3: Sendable where T: Sendable {}
