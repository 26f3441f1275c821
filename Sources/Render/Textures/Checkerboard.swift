import Geometry

/// A checkerboard of two colours with one square per half unit of texture
/// space (Mitsuba 3's rule: `color0` where the fractional parts of u and v
/// are both above 0.5 or both at most 0.5, `color1` elsewhere).
///
/// ```xml
/// <texture type="checkerboard" name="reflectance">
///     <rgb name="color0" value="0.4"/>
///     <rgb name="color1" value="0.2"/>
///     <transform name="to_uv"> <scale x="4" y="4"/> </transform>
/// </texture>
/// ```
public struct Checkerboard<T: Real> {
    public var color0: RGB<T>
    public var color1: RGB<T>
    public var toUV: UVTransform

    @inlinable
    public init(color0: RGB<T> = RGB(repeating: T(0.4)), color1: RGB<T> = RGB(repeating: T(0.2)),
                toUV: UVTransform = .identity) {
        self.color0 = color0; self.color1 = color1; self.toUV = toUV
    }

    /// Whether `uv` falls on a `color0` square (of `eval`).
    @inlinable
    func isFirstSquare(_ uv: (T, T)) -> Bool {
        let (u, v) = toUV.apply(uv)
        // Branch on primal values: which square.
        let fu = u.primal - u.primal.rounded(.down), fv = v.primal - v.primal.rounded(.down)
        return (fu > 0.5) == (fv > 0.5)
    }

    @inlinable
    public func eval(_ uv: (T, T)) -> RGB<T> { isFirstSquare(uv) ? color0 : color1 }

    /// The colour as one number reads it (Mitsuba's `eval_1`): Mitsuba's
    /// checkerboard gives `color1` where `eval` gives `color0` and the other way
    /// round, and every one-number lookup (principled weights, blend weights,
    /// mask opacity) sees that swapped pattern; so does DiffRay's.
    @inlinable
    public func evalOne(_ uv: (T, T)) -> RGB<T> { isFirstSquare(uv) ? color1 : color0 }

    /// The mean over a period: the average of the two colours.
    @inlinable
    public var mean: RGB<Double> { (color0.primal + color1.primal) * 0.5 }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> Checkerboard<U> {
        Checkerboard<U>(color0: lifter.rgb(prefix + "color0.value", color0.primal),
                        color1: lifter.rgb(prefix + "color1.value", color1.primal), toUV: toUV)
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        [ParameterInfo(key: prefix + "color0.value", values: [color0.r.primal, color0.g.primal, color0.b.primal]),
         ParameterInfo(key: prefix + "color1.value", values: [color1.r.primal, color1.g.primal, color1.b.primal])]
    }
}
