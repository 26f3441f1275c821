import Geometry
import SceneFile

/// A normal map over a nested BSDF, as Mitsuba 3's `normalmap`: the texture's
/// colour c gives the shading normal n = normalize(2c − 1) in the tangent
/// frame (s, t, n) of the surface, s along ∂p/∂u made orthogonal to the
/// shading normal, t = n × s (Mitsuba's shading frame); the nested BSDF is
/// evaluated in the frame of that normal (`PerturbedFrame`, with Mitsuba
/// 3.9's `flip_invalid_normals` and `use_shadowing_function`, both on by default).
///
/// ```xml
/// <bsdf type="normalmap">
///     <texture name="normalmap" type="bitmap">
///         <boolean name="raw" value="true"/>
///         <string name="filename" value="textures/normalmap.png"/>
///     </texture>
///     <bsdf type="roughplastic"/>
/// </bsdf>
/// ```
///
/// The texture must have three channels. Parameters: `normalmap.data` (or the texture's), the nested BSDF's under `nested_bsdf.`.
public struct NormalMap<T: Real>: PerturbedNormals {
    public var normalmap: Texture<T>
    public var nested: BSDF<T>
    /// Mitsuba's `flip_invalid_normals` and `use_shadowing_function` (both true by default).
    public var flipInvalidNormals: Bool
    public var shadowing: Bool

    @inlinable
    public init(normalmap: Texture<T>, nested: BSDF<T>, flipInvalidNormals: Bool = true, shadowing: Bool = true) {
        self.normalmap = normalmap; self.nested = nested; self.flipInvalidNormals = flipInvalidNormals; self.shadowing = shadowing
    }

    /// The perturbed frame at the hit.
    @inlinable
    public func frame(_ si: SurfaceInteraction<T>) -> PerturbedFrame<T> {
        let c = normalmap.eval(si)
        return PerturbedFrame(si, tangent: PerturbedFrame.tangentFrame(si), normal: Vector3(2 * c.r - 1, 2 * c.g - 1, 2 * c.b - 1),
                              flipInvalidNormals: flipInvalidNormals, shadowing: shadowing)
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .normalMap(NormalMap<U>(normalmap: normalmap.lifted(lifter, prefix: prefix + "normalmap."),
                     nested: nested.lifted(lifter, prefix: prefix + "nested_bsdf."),
                     flipInvalidNormals: flipInvalidNormals, shadowing: shadowing))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        normalmap.parameters(prefix: prefix + "normalmap.") + nested.parameters(prefix: prefix + "nested_bsdf.")
    }
}

/// `normalmap` and `bumpmap`: a nested BSDF evaluated in a perturbed shading
/// frame; everything but the frame is shared.
public protocol PerturbedNormals: BSDFModel {
    var nested: BSDF<T> { get }
    /// The perturbed frame at the hit.
    func frame(_ si: SurfaceInteraction<T>) -> PerturbedFrame<T>
}

extension PerturbedNormals {
    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> { frame(si).eval(nested, wo: wo) }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double { frame(si).pdf(nested, wo: wo) }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        frame(si).sample(nested, u1: u1, u2: u2)
    }

    @inlinable public var isDeltaOnly: Bool { nested.isDeltaOnly }
    @inlinable public var needsTangents: Bool { true }
    @inlinable public var hasTransmission: Bool { nested.hasTransmission }
    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { nested.albedo(si) }
}

/// The shading frame of a normal or bump map, as Mitsuba 3.9 builds it, and
/// the nested BSDF evaluated in it.
///
/// Three frames are involved. DiffRay's shading frame F (in which `si.wi`
/// and `wo` are given); Mitsuba's M, with the same normal and s along ∂p/∂u
/// (Gram–Schmidt), t = n × s, in which the map's normal is expressed; and
/// the perturbed frame P, in M's coordinates: n_P the map's normal (with
/// `flip_invalid_normals`, its tangential part negated when wi would see it
/// from behind; then normalised), s_P = normalize(x − n_P (n_P · x)),
/// t_P = n_P × s_P. The nested BSDF sees directions in P. eval and pdf are
/// zero when `wo` is on opposite sides of the original and the perturbed
/// surface (a sampled direction is dropped then); with
/// `use_shadowing_function`, eval and sample weights are multiplied by the
/// shadowing term of Estevez et al., "A Microfacet-Based Shadowing Function
/// to Solve the Bump Terminator Problem" (Ray Tracing Gems, 2019):
/// 2 / (1 + √(1 + α² tan² θo)), α² = min(tan² θ(n_P) / 8, 1).
public struct PerturbedFrame<T: Real> {
    /// Mitsuba's tangent frame M in world space.
    public var tangent: Frame<T>
    /// P in M's coordinates.
    public var perturbed: Frame<T>
    /// The interaction the nested BSDF sees (its frame P in world space, `wi` in P).
    public var si: SurfaceInteraction<T>
    /// The original interaction.
    public var original: SurfaceInteraction<T>
    public var shadowing: Bool

    /// Mitsuba's shading frame M at the hit: s along ∂p/∂u orthogonalised
    /// against the shading normal (DiffRay's s when ∂p/∂u is zero or along the normal).
    @inlinable
    public static func tangentFrame(_ si: SurfaceInteraction<T>) -> Frame<T> {
        let n = si.shading.n, d = si.dpdu
        let sRaw = d - n * dot(n, d)
        // Branch on the primal value: a degenerate tangent.
        let s = sRaw.lengthSquared.primal > 1e-30 ? sRaw.normalized : si.shading.s
        return Frame(s: s, t: cross(n, s), n: n)
    }

    /// `normal` is the perturbed normal in the coordinates of `tangent` (M),
    /// not necessarily of unit length.
    @inlinable
    public init(_ si: SurfaceInteraction<T>, tangent: Frame<T>, normal: Vector3<T>, flipInvalidNormals: Bool, shadowing: Bool) {
        self.tangent = tangent
        self.shadowing = shadowing
        let wi = tangent.toLocal(si.toWorld(si.wi))
        var n = normal
        // Branch on primal values: which side wi sees the normal from; degenerate normals.
        if flipInvalidNormals && (wi.z * dot(wi, n)).primal <= 0 { n = Vector3(-n.x, -n.y, n.z) }
        let length2 = n.lengthSquared.primal
        n = length2 > 0 && length2.isFinite ? n.normalized : Vector3(0, 0, 1)
        let sRaw = Vector3<T>(1, 0, 0) - n * n.x
        let s = sRaw.lengthSquared.primal > 0 ? sRaw.normalized : Vector3<T>(0, 1, 0)
        perturbed = Frame(s: s, t: cross(n, s), n: n)
        let world = Frame(s: tangent.toWorld(perturbed.s), t: tangent.toWorld(perturbed.t), n: tangent.toWorld(perturbed.n))
        original = si
        var p = si
        p.shading = world
        p.wi = perturbed.toLocal(wi)
        // A nested anisotropic BSDF aligns its frame with ∂p/∂u: give it s_P.
        p.dpdu = world.s
        self.si = p
    }

    /// The shadowing term for `wo` in M's coordinates.
    @inlinable
    func shadowingTerm(_ wo: Vector3<T>) -> T {
        let n = perturbed.n
        let nz2 = n.z * n.z, wz2 = wo.z * wo.z
        // Branch on primal values: grazing directions.
        if wz2.primal == 0 { return 0 }
        var alpha2 = (1 - nz2) / nz2 * T(0.125)
        if !(alpha2.primal < 1) { alpha2 = 1 }
        let tan2 = Swift.max(1 - wz2, 0) / wz2
        return 2 / (1 + sqrt(1 + alpha2 * tan2))
    }

    @inlinable
    public func eval(_ nested: BSDF<T>, wo: Vector3<T>) -> RGB<T> {
        let woM = tangent.toLocal(original.toWorld(wo))
        let w = perturbed.toLocal(woM)
        // Branch on primal values: both surfaces see wo on the same side.
        if (woM.z * w.z).primal <= 0 { return .zero }
        let value = nested.eval(si, wo: w)
        return shadowing ? value * shadowingTerm(woM) : value
    }

    @inlinable
    public func pdf(_ nested: BSDF<T>, wo: Vector3<T>) -> Double {
        let woM = tangent.toLocal(original.toWorld(wo))
        let w = perturbed.toLocal(woM)
        if (woM.z * w.z).primal <= 0 { return 0 }
        return nested.pdf(si, wo: w)
    }

    @inlinable
    public func sample(_ nested: BSDF<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        guard var s = nested.sample(si, u1: u1, u2: u2) else { return nil }
        let woM = perturbed.toWorld(s.wo)
        if (woM.z * s.wo.z).primal <= 0 { return nil }
        if shadowing { s.weight = s.weight * shadowingTerm(woM) }
        s.wo = original.toLocal(tangent.toWorld(woM))
        return s
    }
}

extension NormalMap where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        self.init(normalmap: try BSDF.normalMapTexture(object), nested: try BSDF.nestedBSDF(object),
                  flipInvalidNormals: try object.defaulted("flip_invalid_normals", object.boolean),
                  shadowing: try object.defaulted("use_shadowing_function", object.boolean))
    }
}
