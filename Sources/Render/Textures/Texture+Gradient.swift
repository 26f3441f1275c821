import Geometry

extension Texture {
    /// The derivatives (∂/∂u, ∂/∂v) of the texture read as one number
    /// (luminance), as Mitsuba 3's `eval_1_grad`: zero for constants,
    /// checkerboards, mesh attributes and nearest filtering; for bilinear filtering the slopes
    /// of the interpolation between the four texels around `uv`.
    @inlinable
    public func evalScalarGradient(_ uv: (T, T)) -> (T, T) {
        switch self {
        case .constant, .checkerboard, .meshAttribute: return (0, 0)
        case .bitmap(let b): return b.luminanceGradient(uv)
        }
    }
}

extension Bitmap {
    /// ∂/∂u and ∂/∂v of the bilinearly interpolated luminance. The texel-space
    /// slopes are taken back through `to_uv` as Mitsuba does it: each scaled
    /// by the resolution along its own axis after the transposed 2×2 part of
    /// the transform (exact without rotation or shear).
    @inlinable
    public func luminanceGradient(_ uv: (T, T)) -> (T, T) {
        guard filter == .bilinear else { return (0, 0) }
        let (u, v) = toUV.apply(uv)
        let px = u * T(Double(width)) - T(0.5), py = v * T(Double(height)) - T(0.5)
        // Branch on primal values: the texel cell.
        let fx = px.primal.rounded(.down), fy = py.primal.rounded(.down)
        guard let x0 = Int(exactly: fx), let y0 = Int(exactly: fy) else { return (0, 0) }
        let tx = px - T(fx), ty = py - T(fy)
        let f00 = texel(x0, y0).luminance, f10 = texel(x0 + 1, y0).luminance
        let f01 = texel(x0, y0 + 1).luminance, f11 = texel(x0 + 1, y0 + 1).luminance
        let dx = (1 - ty) * (f10 - f00) + ty * (f11 - f01)
        let dy = (1 - tx) * (f01 - f00) + tx * (f11 - f10)
        return ((T(toUV.a) * dx + T(toUV.d) * dy) * T(Double(width)),
                (T(toUV.b) * dx + T(toUV.e) * dy) * T(Double(height)))
    }
}
