import Geometry

/// The BSDF calls of the boundary samples, read as the path tracer reads them
/// (`scatter(bsdf:at:in:...)`): a constant-colour diffuse BSDF from plain data,
/// a textured diffuse one from its `Diffuse`, any other copied out of `bsdfs`.
/// `bsdfs[b].eval(...)` copied the `BSDF` enum (sized for its largest case,
/// holding textures) and destroyed it again for every call: on a sunlit scene
/// about 5 % of a geometry gradient's instructions (docs/results.md). The same
/// arithmetic either way (`Diffuse.eval(constant:)` and its siblings).
extension Scene where T == Double {
    /// BSDF `b`'s value times cos θo at `si` for direction `wo` (shading frame).
    @inline(__always)
    func bsdfEval(_ b: Int, _ si: SurfaceInteraction<Double>, wo: Vec3) -> RGB<Double> {
        if let c = diffuseReflectance[b] { return ConstantDiffuse(reflectance: c).eval(si, wo: wo) }
        if let d = texturedDiffuse[b] { return d.eval(si, wo: wo) }
        return bsdfs[b].eval(si, wo: wo)
    }

    /// BSDF `b`'s solid-angle density of sampling `wo` at `si` (shading frame).
    @inline(__always)
    func bsdfPdf(_ b: Int, _ si: SurfaceInteraction<Double>, wo: Vec3) -> Double {
        if let c = diffuseReflectance[b] { return ConstantDiffuse(reflectance: c).pdf(si, wo: wo) }
        if let d = texturedDiffuse[b] { return d.pdf(si, wo: wo) }
        return bsdfs[b].pdf(si, wo: wo)
    }

    /// A direction sampled from BSDF `b` at `si` with the random numbers `u1`, `u2`.
    @inline(__always)
    func bsdfSample(_ b: Int, _ si: SurfaceInteraction<Double>, u1: Double, u2: (Double, Double)) -> BSDFSample<Double>? {
        if let c = diffuseReflectance[b] { return ConstantDiffuse(reflectance: c).sample(si, u1: u1, u2: u2) }
        if let d = texturedDiffuse[b] { return d.sample(si, u1: u1, u2: u2) }
        return bsdfs[b].sample(si, u1: u1, u2: u2)
    }

    /// Whether BSDF `b` only reflects (the curves behind the tangent plane are not seen).
    func isOneSided(_ b: Int) -> Bool {
        if diffuseReflectance[b] != nil || texturedDiffuse[b] != nil { return true }
        switch bsdfs[b] {
        case .diffuse, .conductor, .roughConductor, .plastic: return true
        default: return false
        }
    }
}
