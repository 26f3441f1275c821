import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// Warps from the unit square to common domains, with their densities.
public enum Warp {
    /// Concentric map of the unit square to the unit disk (Shirley–Chiu 1997).
    @inlinable
    public static func squareToUniformDiskConcentric(_ u: (Double, Double)) -> (Double, Double) {
        let x = 2 * u.0 - 1, y = 2 * u.1 - 1
        if x == 0 && y == 0 { return (0, 0) }
        let r: Double, phi: Double
        if abs(x) > abs(y) { r = x; phi = (Double.pi / 4) * (y / x) } else { r = y; phi = Double.pi / 2 - (Double.pi / 4) * (x / y) }
        return (r * cos(phi), r * sin(phi))
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
