import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// Warps from the unit square to common domains, with their densities.
public enum Warp {
    /// Concentric map of the unit square to the unit disk (Shirley–Chiu 1997).
    /// The angle from the nearer axis lies within ±π/4, where `sinCosEighthTurn`
    /// needs no argument reduction (cos(π/2 − a) = sin a for the y axis).
    @inlinable
    public static func squareToUniformDiskConcentric(_ u: (Double, Double)) -> (Double, Double) {
        let x = 2 * u.0 - 1, y = 2 * u.1 - 1
        if x == 0 && y == 0 { return (0, 0) }
        if abs(x) > abs(y) {
            let (s, c) = sinCosEighthTurn((Double.pi / 4) * (y / x))
            return (x * c, x * s)
        }
        let (s, c) = sinCosEighthTurn((Double.pi / 4) * (x / y))
        return (y * s, y * c)
    }

    /// sin a and cos a for |a| ≤ π/4 (radians), by the minimax polynomials of
    /// FreeBSD's `__kernel_sin` and `__kernel_cos` (fdlibm, Sun Microsystems
    /// 1993; error under 1 ulp on this interval), without the argument
    /// reduction and the call of libm's `sin` and `cos`, whose results they
    /// match to the last bit or one ulp. Outside the interval the error grows.
    @inlinable @inline(__always)
    public static func sinCosEighthTurn(_ a: Double) -> (sin: Double, cos: Double) {
        let z = a * a, w = z * z
        let rs = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 + z * 2.75573137070700676789e-06)
            + z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)
        let sine = a + z * a * (-1.66666666666666324348e-01 + z * rs)
        let rc = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05))
            + w * w * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11))
        let hz = 0.5 * z, v = 1 - hz
        return (sine, v + (((1 - v) - hz) + z * rc))
    }

    /// Cosine-weighted hemisphere around +Z; pdf cos θ / π.
    @inlinable
    public static func squareToCosineHemisphere(_ u: (Double, Double)) -> Vec3 {
        let (x, y) = squareToUniformDiskConcentric(u)
        let z = (max(0, 1 - x * x - y * y)).squareRoot()
        return Vec3(x, y, z)
    }

    /// Uniform direction on the unit sphere; pdf 1 / 4π.
    @inlinable
    public static func squareToUniformSphere(_ u: (Double, Double)) -> Vec3 {
        let z = 1 - 2 * u.1
        let r = max(0, 1 - z * z).squareRoot()
        let phi = 2 * Double.pi * u.0
        return Vec3(r * cos(phi), r * sin(phi), z)
    }

    /// Uniform direction in the cone around +Z with cos θ ≥ `cosMax`; pdf 1 / (2π (1 − cosMax)).
    @inlinable
    public static func squareToUniformCone(_ u: (Double, Double), cosMax: Double) -> Vec3 {
        let z = 1 - u.1 * (1 - cosMax)
        let r = max(0, 1 - z * z).squareRoot()
        let phi = 2 * Double.pi * u.0
        return Vec3(r * cos(phi), r * sin(phi), z)
    }

    /// Uniform barycentrics on a triangle (b1, b2) with p = (1−b1−b2) p0 + b1 p1 + b2 p2.
    @inlinable
    public static func squareToUniformTriangle(_ u: (Double, Double)) -> (Double, Double) {
        let t = (1 - u.0).squareRoot()
        return (1 - t, u.1 * t)
    }
}

extension RandomAccessCollection where Element == Double, Index == Int {
    /// The bin of a cumulative distribution that holds `u`: the index of the first
    /// entry above `u` (the last index when none is), by binary search.
    @inlinable
    public func cdfBin(_ u: Double) -> Int {
        var lo = startIndex, hi = endIndex - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] <= u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
