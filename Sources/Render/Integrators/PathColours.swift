import Geometry

// Conversions between the scalar a path's geometry is traced in and the scalar
// its colours are carried in (`Scene.pathRadiance(from:radiance:beta:_:colours:coloured:marked:touched:gathering:)`).
// Either the two are one type (the primal, a replay with geometry on the tape),
// and a conversion is the identity, which specialisation folds away; or the
// geometry is in plain doubles and the colours in a differentiable scalar, and a
// conversion makes a constant of the value (or, back, takes its primal, which
// is then a constant by construction: a diffuse BSDF's sampled direction).

/// `x` as a `Y`: itself when `X` is `Y`, else the constant `Y(x.primal)`.
@inlinable @inline(__always)
func converted<X: Real, Y: Real>(_ x: X) -> Y {
    if X.self == Y.self { return unsafeBitCast(x, to: Y.self) }
    return Y(x.primal)
}

extension Vector3 {
    /// `v` componentwise `converted`.
    @inlinable @inline(__always)
    init<U: Real>(converting v: Vector3<U>) {
        if U.self == T.self { self = unsafeBitCast(v, to: Vector3<T>.self); return }
        self.init(converted(v.x), converted(v.y), converted(v.z))
    }
}

extension RGB {
    /// `c` componentwise `converted`.
    @inlinable @inline(__always)
    init<U: Real>(converting c: RGB<U>) {
        if U.self == T.self { self = unsafeBitCast(c, to: RGB<T>.self); return }
        self.init(converted(c.r), converted(c.g), converted(c.b))
    }
}

extension SurfaceInteraction {
    /// `si` itself when `U` is `T`, else (`U` is `Double`) its constant (`init(constant:)`).
    @inlinable @inline(__always)
    init<U: Real>(converting si: SurfaceInteraction<U>) {
        if U.self == T.self { self = unsafeBitCast(si, to: SurfaceInteraction<T>.self); return }
        precondition(U.self == Double.self, "a hit converts to another scalar only from doubles")
        self.init(constant: unsafeBitCast(si, to: SurfaceInteraction<Double>.self))
    }
}

extension BSDFSample {
    /// `s` with its direction and weight `converted`.
    @inlinable @inline(__always)
    init<U: Real>(converting s: BSDFSample<U>) {
        if U.self == T.self { self = unsafeBitCast(s, to: BSDFSample<T>.self); return }
        self.init(wo: Vector3(converting: s.wo), pdf: s.pdf, weight: RGB(converting: s.weight), eta: s.eta, isDelta: s.isDelta)
    }
}
