import Geometry
import SceneFile

/// A bump map over a nested BSDF, as Mitsuba 3's `bumpmap`: the height
/// texture h (read as one number) displaces the surface along its shading
/// normal n, ignoring the change of n itself:
/// ∂p′/∂u = ∂p/∂u + n (scale · ∂h/∂u − n · ∂p/∂u), likewise for v, and the
/// shading normal becomes normalize(∂p′/∂u × ∂p′/∂v), turned to the side of
/// the geometric normal. ∂h/∂u, ∂h/∂v are the texture's own derivatives
/// (Mitsuba's `eval_1_grad`: those of the bilinear interpolation; zero for
/// nearest filtering and constants), so a constant offset of h changes nothing.
/// The nested BSDF is evaluated in the resulting frame (`PerturbedFrame`,
/// with `flip_invalid_normals` and `use_shadowing_function`, both on by default).
///
/// ```xml
/// <bsdf type="bumpmap">
///     <texture name="height" type="bitmap">
///         <boolean name="raw" value="true"/>
///         <string name="filename" value="textures/bumps.png"/>
///     </texture>
///     <float name="scale" value="0.5"/>
///     <bsdf type="roughplastic"/>
/// </bsdf>
/// ```
///
/// The texture may have any name. Parameters: the texture's under
/// `nested_texture.`, the nested BSDF's under `nested_bsdf.`; `scale` is not
/// differentiable (as in Mitsuba).
public struct BumpMap<T: Real>: PerturbedNormals {
    public var height: Texture<T>
    public var scale: Double
    public var nested: BSDF<T>
    /// Mitsuba's `flip_invalid_normals` and `use_shadowing_function` (both true by default).
    public var flipInvalidNormals: Bool
    public var shadowing: Bool

    @inlinable
    public init(height: Texture<T>, scale: Double, nested: BSDF<T>, flipInvalidNormals: Bool = true, shadowing: Bool = true) {
        self.height = height; self.scale = scale; self.nested = nested
        self.flipInvalidNormals = flipInvalidNormals; self.shadowing = shadowing
    }

    @inlinable
    public func frame(_ si: SurfaceInteraction<T>) -> PerturbedFrame<T> {
        let (gu, gv) = height.evalScalarGradient(si.uv)
        let n = si.shading.n
        let dpdu = si.dpdu + n * (T(scale) * gu - dot(n, si.dpdu))
        let dpdv = si.dpdv + n * (T(scale) * gv - dot(n, si.dpdv))
        var bumped = cross(dpdu, dpdv)
        // Branch on the primal value: the side of the geometric normal.
        if dot(si.ng, bumped).primal < 0 { bumped = -bumped }
        let tangent = PerturbedFrame.tangentFrame(si)
        return PerturbedFrame(si, tangent: tangent, normal: tangent.toLocal(bumped),
                              flipInvalidNormals: flipInvalidNormals, shadowing: shadowing)
    }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .bumpMap(BumpMap<U>(height: height.lifted(lifter, prefix: prefix + "nested_texture."), scale: scale,
                   nested: nested.lifted(lifter, prefix: prefix + "nested_bsdf."),
                   flipInvalidNormals: flipInvalidNormals, shadowing: shadowing))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        height.parameters(prefix: prefix + "nested_texture.") + nested.parameters(prefix: prefix + "nested_bsdf.")
    }
}

extension BumpMap where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        let textures = object.children(.texture)
        guard textures.count == 1 else {
            throw SceneFileError("bumpmap: expected one nested texture (the height field), found \(textures.count)", at: object.location)
        }
        let scale = try object.defaulted("scale", object.float)
        guard scale.isFinite else { throw SceneFileError("bumpmap: scale must be finite, got \(scale)", at: object.location(of: "scale")) }
        self.init(height: try Texture(textures[0]), scale: scale, nested: try BSDF.nestedBSDF(object),
                  flipInvalidNormals: try object.defaulted("flip_invalid_normals", object.boolean),
                  shadowing: try object.defaulted("use_shadowing_function", object.boolean))
    }
}
