import Autodiff

/// A ray `o + t d`. Traversal uses `Ray<Double>`; the differentiable part
/// of a renderer recomputes the chosen hit with `Ray<T>`.
@frozen
public struct Ray<T: Real> {
    public var o: Vector3<T>
    public var d: Vector3<T>
    @inlinable @inline(__always)
    public init(o: Vector3<T>, d: Vector3<T>) { self.o = o; self.d = d }
    @inlinable @inline(__always)
    public func at(_ t: T) -> Vector3<T> { o + d * t }
    @inlinable @inline(__always)
    public var primal: Ray<Double> { Ray<Double>(o: o.primal, d: d.primal) }
}
