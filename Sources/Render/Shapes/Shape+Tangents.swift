import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// ∂p/∂u and ∂p/∂v of each shape's uv parametrisation, as Mitsuba 3 defines
/// them (checked against `SurfaceInteraction3f.dp_du` of Mitsuba 3.9.1):
/// the tangents that normal and bump maps build their frames from.
extension Shape {
    /// A triangle's: solved from its texture coordinates (dp = ∂p/∂u du + ∂p/∂v dv
    /// along two edges), or the edges p1 − p0 and p2 − p0 without texture
    /// coordinates or when they are degenerate (uv then are the barycentrics).
    @inlinable
    static func meshTangents(_ m: TriangleMesh.View, _ i0: Int, _ i1: Int, _ i2: Int,
                             _ p0: Vector3<T>, _ p1: Vector3<T>, _ p2: Vector3<T>) -> (Vector3<T>, Vector3<T>) {
        let dp0 = p1 - p0, dp1 = p2 - p0
        guard let uvs = m.uvs else { return (dp0, dp1) }
        let du0 = uvs[i1].0 - uvs[i0].0, dv0 = uvs[i1].1 - uvs[i0].1
        let du1 = uvs[i2].0 - uvs[i0].0, dv1 = uvs[i2].1 - uvs[i0].1
        let det = du0 * dv1 - dv0 * du1
        if det == 0 { return (dp0, dp1) }
        let inv = 1 / det
        return ((dp0 * T(dv1) - dp1 * T(dv0)) * T(inv), (dp1 * T(du0) - dp0 * T(du1)) * T(inv))
    }

    /// A sphere's, from the hit relative to the centre (u = φ / 2π, v = θ / π):
    /// ∂p/∂u = 2π (−y, x, 0), ∂p/∂v = π (z cos φ, z sin φ, −r sin θ).
    @inlinable
    static func sphereTangents(_ local: Vector3<T>) -> (Vector3<T>, Vector3<T>) {
        let rho = sqrt(local.x * local.x + local.y * local.y)
        let twoPi = T(2 * Double.pi), pi = T(Double.pi)
        let dpdu = Vector3(-local.y * twoPi, local.x * twoPi, 0)
        // Branch on the primal value: at the poles φ is undefined.
        if rho.primal == 0 { return (dpdu, Vector3(local.z * pi, 0, 0)) }
        return (dpdu, Vector3(local.z * local.x / rho * pi, local.z * local.y / rho * pi, -rho * pi))
    }

    /// A disk's, from its world axes `ax`, `ay` and the hit's local (x, y)
    /// (u = r, v = φ / 2π): ∂p/∂u = (cos φ, sin φ), ∂p/∂v = 2π (−y, x) in the disk's plane.
    @inlinable
    static func diskTangents(_ ax: Vector3<T>, _ ay: Vector3<T>, _ x: Double, _ y: Double) -> (Vector3<T>, Vector3<T>) {
        let r = (x * x + y * y).squareRoot()
        let (c, s) = r > 0 ? (x / r, y / r) : (1.0, 0.0)
        return (ax * T(c) + ay * T(s), (ax * T(-y) + ay * T(x)) * T(2 * Double.pi))
    }
}
