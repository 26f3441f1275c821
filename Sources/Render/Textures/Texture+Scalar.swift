import Geometry

extension Texture {
    /// The texture as one number at `uv` (Mitsuba's `eval_1`, for opacity,
    /// blend and principled weights): the value of a grey texture, the
    /// luminance of a coloured one. A `checkerboard` gives its two colours
    /// swapped here, as Mitsuba's `eval_1` does (`Checkerboard.evalOne`).
    @inlinable
    public func evalScalar(_ uv: (T, T)) -> T {
        if case .checkerboard(let c) = self { return Texture.scalar(c.evalOne(uv)) }
        return Texture.scalar(eval(uv))
    }

    /// `evalScalar` at surface point `si` (mesh attributes included).
    @inlinable
    public func evalScalar(_ si: SurfaceInteraction<T>) -> T {
        if case .meshAttribute = self { return Texture.scalar(eval(si)) }
        return evalScalar(si.uv)
    }

    @inlinable
    static func scalar(_ c: RGB<T>) -> T {
        // Branch on primal values: a grey colour's value exactly, with the
        // mean of the three channels' derivatives.
        if c.r.primal == c.g.primal && c.g.primal == c.b.primal { return c.g + ((c.r - c.g) + (c.b - c.g)) * T(1.0 / 3.0) }
        return c.luminance
    }
}

extension Real {
    /// The value clamped to [0, 1] (on its primal value; inside, the derivatives pass).
    @inlinable @inline(__always)
    public var clamped01: Self {
        if primal < 0 { return 0 }
        if primal > 1 { return 1 }
        return self
    }
}
