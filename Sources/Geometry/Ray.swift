import Autodiff

/// A ray `o + t d`. Traversal uses `Ray<Double>`; the differentiable part
/// of a renderer recomputes the chosen hit with `Ray<T>`.
@frozen
public struct Ray<T: Real> {
    public var o: Vector3<T>
    public var d: Vector3<T>
    /// The scene time the ray travels at (`Shutter`): animated shapes, lights
    /// and sensors are where they are at this time. 0 in scenes without motion.
    public var time: Double
    @inlinable @inline(__always)
    public init(o: Vector3<T>, d: Vector3<T>, time: Double = 0) { self.o = o; self.d = d; self.time = time }
    @inlinable @inline(__always)
    public func at(_ t: T) -> Vector3<T> { o + d * t }
    @inlinable @inline(__always)
    public var primal: Ray<Double> { Ray<Double>(o: o.primal, d: d.primal, time: time) }
}
