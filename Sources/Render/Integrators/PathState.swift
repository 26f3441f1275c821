import Geometry

/// What the path tracer carries from one vertex of a path to the next
/// (`Scene.pathRadiance(from:_:marked:touched:)`): the ray to trace next, the
/// radiance gathered so far, the throughput, and what the next vertex's
/// emission needs for its multiple-importance weight.
///
/// A path that stops at a vertex on a marked shape (the probe of forward and
/// reverse mode) leaves its state there; a path with every number before that
/// vertex a constant can then be continued from it in another scalar type
/// (`init(constant:)`) instead of being traced again from the camera.
@frozen
public struct PathState<T: Real> {
    /// The ray whose closest hit is the next vertex.
    public var ray: Ray<T>
    /// The radiance gathered so far.
    public var radiance: RGB<T>
    /// The throughput: the product of the BSDF samples' weights (and Russian roulette's 1 / q).
    public var beta: RGB<T>
    /// The product of the relative indices of refraction crossed (Russian roulette scales by η²).
    public var eta: Double
    /// The segments traced before `ray`.
    public var depth: Int
    /// The solid-angle pdf of `ray`'s direction, and whether it was a delta sample (no MIS).
    public var previousPdf: Double
    public var previousDelta: Bool
    /// The vertex `ray` leaves from (the camera's origin for the first ray).
    public var previousPoint: Vector3<T>

    /// The state of a path about to trace its camera ray.
    @inlinable @inline(__always)
    public init(cameraRay: Ray<T>) {
        ray = cameraRay
        radiance = .zero
        beta = .one
        eta = 1
        depth = 0
        previousPdf = 1
        previousDelta = true
        previousPoint = cameraRay.o
    }
}

extension PathState {
    /// `state`'s values as constants of `T` (no derivative flows through them).
    @inlinable
    public init(constant state: PathState<Double>) {
        ray = Ray(o: Vector3<T>(state.ray.o), d: Vector3<T>(state.ray.d), time: state.ray.time)
        radiance = RGB<T>(state.radiance)
        beta = RGB<T>(state.beta)
        eta = state.eta
        depth = state.depth
        previousPdf = state.previousPdf
        previousDelta = state.previousDelta
        previousPoint = Vector3<T>(state.previousPoint)
    }
}
