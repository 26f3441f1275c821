import Geometry

/// The closed set of BSDFs, one struct a file named like its Mitsuba plugin.
///
/// Conventions (Mitsuba 3's): directions are in the local shading frame with
/// the normal along +Z; `si.wi` points back along the path (towards the
/// camera), `wo` away from the surface (towards the light); `eval` returns
/// f(wi, wo) · |cos θo|; `pdf` is in solid angle; `sample` returns the weight
/// f · |cos θo| / pdf. One-sided BSDFs return zero when `wi` is below the
/// surface (use `twosided` for both sides), as Mitsuba does. Dielectrics are
/// active on both sides.
///
/// Differentiation: `pdf` and the sampled directions of non-delta lobes are
/// detached (plain doubles); `sample`'s weight is `eval / pdf` in `T`, so its
/// derivative is ∂f / pdf. Delta lobes keep the derivatives of their
/// directions (mirror, refraction) with respect to `wi` and `eta`.
public enum BSDF<T: Real> {
    case diffuse(Diffuse<T>)
    case conductor(Conductor<T>)
    case roughConductor(RoughConductor<T>)
    case dielectric(Dielectric<T>)
    case thinDielectric(ThinDielectric<T>)
    case roughDielectric(RoughDielectric<T>)
    case plastic(Plastic<T>)
    case roughPlastic(RoughPlastic<T>)
    case null(NullBSDF<T>)
    /// Boxed: it holds BSDFs itself.
    indirect case twoSided(TwoSided<T>)
    indirect case mask(Mask<T>)
    indirect case blend(BlendBSDF<T>)
    indirect case normalMap(NormalMap<T>)
    indirect case bumpMap(BumpMap<T>)
    case principled(Principled<T>)
    case principledThin(PrincipledThin<T>)

    /// f(wi, wo) · |cos θo| (zero for delta lobes).
    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        switch self {
        case .diffuse(let b): return b.eval(si, wo: wo)
        case .conductor(let b): return b.eval(si, wo: wo)
        case .roughConductor(let b): return b.eval(si, wo: wo)
        case .dielectric(let b): return b.eval(si, wo: wo)
        case .thinDielectric(let b): return b.eval(si, wo: wo)
        case .roughDielectric(let b): return b.eval(si, wo: wo)
        case .plastic(let b): return b.eval(si, wo: wo)
        case .twoSided(let b): return b.eval(si, wo: wo)
        case .roughPlastic(let b): return b.eval(si, wo: wo)
        case .null(let b): return b.eval(si, wo: wo)
        case .mask(let b): return b.eval(si, wo: wo)
        case .blend(let b): return b.eval(si, wo: wo)
        case .normalMap(let b): return b.eval(si, wo: wo)
        case .bumpMap(let b): return b.eval(si, wo: wo)
        case .principled(let b): return b.eval(si, wo: wo)
        case .principledThin(let b): return b.eval(si, wo: wo)
        }
    }

    /// The solid-angle density with which `sample` returns `wo` (zero for delta lobes).
    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        switch self {
        case .diffuse(let b): return b.pdf(si, wo: wo)
        case .conductor(let b): return b.pdf(si, wo: wo)
        case .roughConductor(let b): return b.pdf(si, wo: wo)
        case .dielectric(let b): return b.pdf(si, wo: wo)
        case .thinDielectric(let b): return b.pdf(si, wo: wo)
        case .roughDielectric(let b): return b.pdf(si, wo: wo)
        case .plastic(let b): return b.pdf(si, wo: wo)
        case .twoSided(let b): return b.pdf(si, wo: wo)
        case .roughPlastic(let b): return b.pdf(si, wo: wo)
        case .null(let b): return b.pdf(si, wo: wo)
        case .mask(let b): return b.pdf(si, wo: wo)
        case .blend(let b): return b.pdf(si, wo: wo)
        case .normalMap(let b): return b.pdf(si, wo: wo)
        case .bumpMap(let b): return b.pdf(si, wo: wo)
        case .principled(let b): return b.pdf(si, wo: wo)
        case .principledThin(let b): return b.pdf(si, wo: wo)
        }
    }

    /// Samples an outgoing direction with one uniform number for the lobe and
    /// two for the direction; nil when no valid direction was sampled.
    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        switch self {
        case .diffuse(let b): return b.sample(si, u1: u1, u2: u2)
        case .conductor(let b): return b.sample(si, u1: u1, u2: u2)
        case .roughConductor(let b): return b.sample(si, u1: u1, u2: u2)
        case .dielectric(let b): return b.sample(si, u1: u1, u2: u2)
        case .thinDielectric(let b): return b.sample(si, u1: u1, u2: u2)
        case .roughDielectric(let b): return b.sample(si, u1: u1, u2: u2)
        case .plastic(let b): return b.sample(si, u1: u1, u2: u2)
        case .twoSided(let b): return b.sample(si, u1: u1, u2: u2)
        case .roughPlastic(let b): return b.sample(si, u1: u1, u2: u2)
        case .null(let b): return b.sample(si, u1: u1, u2: u2)
        case .mask(let b): return b.sample(si, u1: u1, u2: u2)
        case .blend(let b): return b.sample(si, u1: u1, u2: u2)
        case .normalMap(let b): return b.sample(si, u1: u1, u2: u2)
        case .bumpMap(let b): return b.sample(si, u1: u1, u2: u2)
        case .principled(let b): return b.sample(si, u1: u1, u2: u2)
        case .principledThin(let b): return b.sample(si, u1: u1, u2: u2)
        }
    }

    /// Whether every lobe is a delta (mirror, smooth glass): next-event
    /// estimation is skipped there.
    @inlinable
    public var isDeltaOnly: Bool {
        switch self {
        case .conductor, .dielectric, .thinDielectric, .null: return true
        case .diffuse, .roughConductor, .roughDielectric, .plastic, .roughPlastic: return false
        case .twoSided(let b): return b.front.isDeltaOnly && (b.back?.isDeltaOnly ?? true)
        case .mask(let b): return b.nested.isDeltaOnly
        case .blend(let b): return b.first.isDeltaOnly && b.second.isDeltaOnly
        case .normalMap(let b): return b.nested.isDeltaOnly
        case .bumpMap(let b): return b.nested.isDeltaOnly
        case .principled, .principledThin: return false
        }
    }

    /// Whether the BSDF reads the surface's ∂p/∂u, ∂p/∂v (normal and bump
    /// maps, anisotropic lobes); hits on other surfaces skip computing them.
    @inlinable
    public var needsTangents: Bool {
        switch self {
        case .normalMap, .bumpMap: return true
        case .principled(let b): return b.isAnisotropic
        case .principledThin(let b): return b.isAnisotropic
        case .roughConductor(let b): return b.isAnisotropic
        case .twoSided(let b): return b.front.needsTangents || (b.back?.needsTangents ?? false)
        case .mask(let b): return b.nested.needsTangents
        case .blend(let b): return b.first.needsTangents || b.second.needsTangents
        case .diffuse, .conductor, .dielectric, .thinDielectric, .roughDielectric, .plastic, .roughPlastic, .null:
            return false
        }
    }

    /// Whether some lobe transmits light to the other side of the surface.
    @inlinable
    public var hasTransmission: Bool {
        switch self {
        case .dielectric, .thinDielectric, .roughDielectric, .null, .mask: return true
        case .diffuse, .conductor, .roughConductor, .plastic, .roughPlastic: return false
        case .twoSided(let b): return b.front.hasTransmission || (b.back?.hasTransmission ?? false)
        case .blend(let b): return b.first.hasTransmission || b.second.hasTransmission
        case .normalMap(let b): return b.nested.hasTransmission
        case .bumpMap(let b): return b.nested.hasTransmission
        case .principled(let b): return b.hasSpecTrans
        case .principledThin(let b): return b.hasSpecTrans || b.hasDiffTrans
        }
    }

    /// The diffuse colour the `aov` integrator's `albedo` reports, as
    /// Mitsuba's `eval_diffuse_reflectance`: the (diffuse) reflectance for
    /// diffuse, plastic and roughplastic, zero for smooth conductors and dielectrics,
    /// π · eval(wi, +Z) for the rough ones.
    @inlinable
    public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> {
        switch self {
        case .diffuse(let b): return b.reflectance.eval(si)
        case .plastic(let b): return b.diffuseReflectance.eval(si)
        case .conductor, .dielectric, .thinDielectric, .null: return .zero
        case .roughPlastic(let b): return b.diffuseReflectance.eval(si)
        case .mask(let b): return b.nested.albedo(si)
        case .normalMap(let b): return b.nested.albedo(si)
        case .bumpMap(let b): return b.nested.albedo(si)
        case .principled(let b): return b.baseColor.eval(si)
        case .principledThin(let b): return b.baseColor.eval(si)
        case .blend(let b):
            let w = b.w(si)
            return b.first.albedo(si) * (1 - w) + b.second.albedo(si) * w
        case .roughConductor(let b): return b.eval(si, wo: Vector3(0, 0, 1)) * T.pi
        case .roughDielectric(let b): return b.eval(si, wo: Vector3(0, 0, 1)) * T.pi
        case .twoSided(let b):
            // Branch on the primal value: which side wi is on.
            if si.wi.z.primal >= 0 { return b.front.albedo(si) }
            return (b.back ?? b.front).albedo(TwoSided.flipped(si))
        }
    }

    /// The same BSDF over `U`, every parameter passed through `lifter` under
    /// its `mi.traverse` key after `prefix` (the BSDF's id and a dot:
    /// `"red."` gives `red.reflectance.value`).
    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        switch self {
        case .diffuse(let b): return .diffuse(b.lifted(lifter, prefix: prefix))
        case .conductor(let b): return .conductor(b.lifted(lifter, prefix: prefix))
        case .roughConductor(let b): return .roughConductor(b.lifted(lifter, prefix: prefix))
        case .dielectric(let b): return .dielectric(b.lifted(lifter, prefix: prefix))
        case .thinDielectric(let b): return .thinDielectric(b.lifted(lifter, prefix: prefix))
        case .roughDielectric(let b): return .roughDielectric(b.lifted(lifter, prefix: prefix))
        case .plastic(let b): return .plastic(b.lifted(lifter, prefix: prefix))
        case .twoSided(let b): return .twoSided(b.lifted(lifter, prefix: prefix))
        case .roughPlastic(let b): return .roughPlastic(b.lifted(lifter, prefix: prefix))
        case .null(let b): return .null(b.lifted(lifter, prefix: prefix))
        case .mask(let b): return .mask(b.lifted(lifter, prefix: prefix))
        case .blend(let b): return .blend(b.lifted(lifter, prefix: prefix))
        case .normalMap(let b): return .normalMap(b.lifted(lifter, prefix: prefix))
        case .bumpMap(let b): return .bumpMap(b.lifted(lifter, prefix: prefix))
        case .principled(let b): return .principled(b.lifted(lifter, prefix: prefix))
        case .principledThin(let b): return .principledThin(b.lifted(lifter, prefix: prefix))
        }
    }

    /// The differentiable parameters with their current values, keys as in `lifted`.
    public func parameters(prefix: String) -> [ParameterInfo] {
        switch self {
        case .diffuse(let b): return b.parameters(prefix: prefix)
        case .conductor(let b): return b.parameters(prefix: prefix)
        case .roughConductor(let b): return b.parameters(prefix: prefix)
        case .dielectric(let b): return b.parameters(prefix: prefix)
        case .thinDielectric(let b): return b.parameters(prefix: prefix)
        case .roughDielectric(let b): return b.parameters(prefix: prefix)
        case .plastic(let b): return b.parameters(prefix: prefix)
        case .twoSided(let b): return b.parameters(prefix: prefix)
        case .roughPlastic(let b): return b.parameters(prefix: prefix)
        case .null(let b): return b.parameters(prefix: prefix)
        case .mask(let b): return b.parameters(prefix: prefix)
        case .blend(let b): return b.parameters(prefix: prefix)
        case .normalMap(let b): return b.parameters(prefix: prefix)
        case .bumpMap(let b): return b.parameters(prefix: prefix)
        case .principled(let b): return b.parameters(prefix: prefix)
        case .principledThin(let b): return b.parameters(prefix: prefix)
        }
    }
}
