import Autodiff

/// An axis-aligned box in plain doubles, for the acceleration structure.
@frozen
public struct Bounds3: Sendable {
    public var lower: Vec3, upper: Vec3
    @inlinable public init(lower: Vec3, upper: Vec3) { self.lower = lower; self.upper = upper }
    public static let empty = Bounds3(lower: Vec3(repeating: .infinity), upper: Vec3(repeating: -.infinity))
    @inlinable public init(point p: Vec3) { lower = p; upper = p }

    @inlinable @inline(__always)
    public func union(_ b: Bounds3) -> Bounds3 { Bounds3(lower: min(lower, b.lower), upper: max(upper, b.upper)) }
    @inlinable @inline(__always)
    public func union(_ p: Vec3) -> Bounds3 { Bounds3(lower: min(lower, p), upper: max(upper, p)) }
    @inlinable public var centroid: Vec3 { (lower + upper) * 0.5 }
    @inlinable public var extent: Vec3 { upper - lower }
    @inlinable public var isEmpty: Bool { lower.x > upper.x }
    @inlinable public var surfaceArea: Double {
        if isEmpty { return 0 }
        let d = extent
        return 2 * (d.x * d.y + d.y * d.z + d.z * d.x)
    }
    /// The index of the longest axis.
    @inlinable public var majorAxis: Int {
        let d = extent
        return d.x > d.y && d.x > d.z ? 0 : (d.y > d.z ? 1 : 2)
    }
}
