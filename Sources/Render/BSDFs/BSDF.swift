import Geometry

/// What every BSDF plugin provides. A BSDF is one struct in one file, named
/// like its Mitsuba plugin and generic over the scalar, so the same code
/// serves plain rendering (`Double`), forward mode (`Dual`) and reverse mode
/// (`Adjoint`). Adding one: the struct conforming to `BSDFModel`, its
/// scene-file initialiser `init(_ object: SceneObject)` in the same file, a
/// case of `BSDF` with its arm in `BSDF.visit(_:)`, a line in
/// `BSDF.plugins`, and its property list in `Schema` (which the scene
/// reader checks files against, defaults included).
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
public protocol BSDFModel {
    associatedtype T: Real
    /// f(wi, wo) · |cos θo| (zero for delta lobes).
    func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T>
    /// The solid-angle density with which `sample` returns `wo` (zero for delta lobes).
    func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double
    /// Samples an outgoing direction with one uniform number for the lobe and
    /// two for the direction; nil when no valid direction was sampled.
    func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>?
    /// Whether every lobe is a delta (mirror, smooth glass): next-event
    /// estimation is skipped there.
    var isDeltaOnly: Bool { get }
    /// Whether the BSDF reads the surface's ∂p/∂u, ∂p/∂v (normal and bump
    /// maps, anisotropic lobes); hits on other surfaces skip computing them.
    var needsTangents: Bool { get }
    /// Whether some lobe transmits light to the other side of the surface.
    var hasTransmission: Bool { get }
    /// The diffuse colour the `aov` integrator's `albedo` reports, as
    /// Mitsuba's `eval_diffuse_reflectance`.
    func albedo(_ si: SurfaceInteraction<T>) -> RGB<T>
    /// The same BSDF over `U`, every parameter passed through `lifter` under
    /// its `mi.traverse` key after `prefix` (the BSDF's id and a dot:
    /// `"red."` gives `red.reflectance.value`).
    func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U>
    /// The differentiable parameters with their current values, keys as in `lifted`.
    func parameters(prefix: String) -> [ParameterInfo]
}

/// An operation applied to whichever BSDF a `BSDF` holds (`BSDF.visit(_:)`).
public protocol BSDFVisitor {
    associatedtype T: Real
    associatedtype Result
    func callAsFunction<B: BSDFModel>(_ bsdf: B) -> Result where B.T == T
}

/// The closed set of BSDFs a scene holds (a tagged union, switched on once per
/// call in `visit(_:)`; no existential boxes in the path tracer's loop).
public enum BSDF<T: Real>: BSDFModel {
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

    /// `visitor` applied to the BSDF this case holds.
    @inlinable
    public func visit<V: BSDFVisitor>(_ visitor: V) -> V.Result where V.T == T {
        switch self {
        case .diffuse(let b): return visitor(b)
        case .conductor(let b): return visitor(b)
        case .roughConductor(let b): return visitor(b)
        case .dielectric(let b): return visitor(b)
        case .thinDielectric(let b): return visitor(b)
        case .roughDielectric(let b): return visitor(b)
        case .plastic(let b): return visitor(b)
        case .roughPlastic(let b): return visitor(b)
        case .null(let b): return visitor(b)
        case .twoSided(let b): return visitor(b)
        case .mask(let b): return visitor(b)
        case .blend(let b): return visitor(b)
        case .normalMap(let b): return visitor(b)
        case .bumpMap(let b): return visitor(b)
        case .principled(let b): return visitor(b)
        case .principledThin(let b): return visitor(b)
        }
    }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> { visit(Eval(si: si, wo: wo)) }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double { visit(PDF(si: si, wo: wo)) }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        visit(Sample(si: si, u1: u1, u2: u2))
    }

    @inlinable public var isDeltaOnly: Bool { visit(Flags(flag: .deltaOnly)) }
    @inlinable public var needsTangents: Bool { visit(Flags(flag: .tangents)) }
    @inlinable public var hasTransmission: Bool { visit(Flags(flag: .transmission)) }

    @inlinable
    public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { visit(Albedo(si: si)) }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> { visit(LiftedBSDF<T, U>(lifter: lifter, prefix: prefix)) }

    public func parameters(prefix: String) -> [ParameterInfo] { visit(Parameters(prefix: prefix)) }

    // The visitors behind the methods above.

    @usableFromInline struct Eval: BSDFVisitor {
        @usableFromInline let si: SurfaceInteraction<T>, wo: Vector3<T>
        @inlinable init(si: SurfaceInteraction<T>, wo: Vector3<T>) { self.si = si; self.wo = wo }
        @inlinable func callAsFunction<B: BSDFModel>(_ b: B) -> RGB<T> where B.T == T { b.eval(si, wo: wo) }
    }

    @usableFromInline struct PDF: BSDFVisitor {
        @usableFromInline let si: SurfaceInteraction<T>, wo: Vector3<T>
        @inlinable init(si: SurfaceInteraction<T>, wo: Vector3<T>) { self.si = si; self.wo = wo }
        @inlinable func callAsFunction<B: BSDFModel>(_ b: B) -> Double where B.T == T { b.pdf(si, wo: wo) }
    }

    @usableFromInline struct Sample: BSDFVisitor {
        @usableFromInline let si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)
        @inlinable init(si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) { self.si = si; self.u1 = u1; self.u2 = u2 }
        @inlinable func callAsFunction<B: BSDFModel>(_ b: B) -> BSDFSample<T>? where B.T == T { b.sample(si, u1: u1, u2: u2) }
    }

    @usableFromInline enum Flag { case deltaOnly, tangents, transmission }

    @usableFromInline struct Flags: BSDFVisitor {
        @usableFromInline let flag: Flag
        @inlinable init(flag: Flag) { self.flag = flag }
        @inlinable func callAsFunction<B: BSDFModel>(_ b: B) -> Bool where B.T == T {
            switch flag {
            case .deltaOnly: b.isDeltaOnly
            case .tangents: b.needsTangents
            case .transmission: b.hasTransmission
            }
        }
    }

    @usableFromInline struct Albedo: BSDFVisitor {
        @usableFromInline let si: SurfaceInteraction<T>
        @inlinable init(si: SurfaceInteraction<T>) { self.si = si }
        @inlinable func callAsFunction<B: BSDFModel>(_ b: B) -> RGB<T> where B.T == T { b.albedo(si) }
    }

    @usableFromInline struct Parameters: BSDFVisitor {
        @usableFromInline let prefix: String
        @inlinable init(prefix: String) { self.prefix = prefix }
        @inlinable func callAsFunction<B: BSDFModel>(_ b: B) -> [ParameterInfo] where B.T == T { b.parameters(prefix: prefix) }
    }
}

extension BSDFModel {
    // The common case; BSDFs with delta lobes, tangent frames or transmission say so.
    @inlinable public var isDeltaOnly: Bool { false }
    @inlinable public var needsTangents: Bool { false }
    @inlinable public var hasTransmission: Bool { false }
}

/// The visitor behind `BSDF.lifted` (outside `BSDF`: a visitor nested there
/// with a second generic parameter does not satisfy `BSDFVisitor.T`).
@usableFromInline struct LiftedBSDF<T: Real, U: Real>: BSDFVisitor {
    @usableFromInline let lifter: Lifter<U>, prefix: String
    @inlinable init(lifter: Lifter<U>, prefix: String) { self.lifter = lifter; self.prefix = prefix }
    @inlinable func callAsFunction<B: BSDFModel>(_ b: B) -> BSDF<U> where B.T == T { b.lifted(lifter, prefix: prefix) }
}

/// A BSDF whose every lobe is a delta (mirror, smooth glass, null): `eval` and
/// `pdf` are zero, next-event estimation skips it, and it has no diffuse colour.
public protocol DeltaLobes: BSDFModel {}

extension DeltaLobes {
    @inlinable public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> { .zero }
    @inlinable public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double { 0 }
    @inlinable public var isDeltaOnly: Bool { true }
    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { .zero }
}
