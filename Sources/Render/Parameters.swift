import Geometry

/// Lifts a plain (`Double`) scene into another scalar type, one named
/// parameter at a time. Keys follow Mitsuba's `mi.traverse` names
/// (`red.reflectance.value`, `light.emitter.radiance.value`, `sensor.x_fov`).
/// A lifter for forward mode turns the chosen keys' components into dual
/// variables; for reverse mode into tape leaves; everything else into
/// constants.
public struct Lifter<U: Real> {
    /// Given a key and its plain components, returns the lifted components.
    public var lift: (_ key: String, _ values: [Double]) -> [U]
    /// Whether a key is being differentiated (so structures that are skipped
    /// when at rest, such as a zero pose offset, are kept).
    public var differentiates: (_ key: String) -> Bool

    public init(differentiates: @escaping (_ key: String) -> Bool = { _ in false },
                _ lift: @escaping (_ key: String, _ values: [Double]) -> [U]) {
        self.lift = lift; self.differentiates = differentiates
    }

    /// Lifts every value to a constant.
    public static var constant: Lifter<U> { Lifter { _, values in values.map { U($0) } } }

    public func scalar(_ key: String, _ v: Double) -> U { lift(key, [v])[0] }
    public func rgb(_ key: String, _ c: RGB<Double>) -> RGB<U> {
        let l = lift(key, [c.r, c.g, c.b]); return RGB(l[0], l[1], l[2])
    }
    public func vector(_ key: String, _ v: Vec3) -> Vector3<U> {
        let l = lift(key, [v.x, v.y, v.z]); return Vector3(l[0], l[1], l[2])
    }
}

/// A named differentiable parameter and its current value, for `diffray params`.
public struct ParameterInfo: Sendable {
    public var key: String
    public var values: [Double]
    public init(key: String, values: [Double]) { self.key = key; self.values = values }
}
