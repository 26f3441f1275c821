/// Counter-based random numbers: the value for (seed, pixel, sample index,
/// dimension) is a pure hash of those four numbers, so any thread order gives
/// the same image and a path can be replayed exactly (reverse mode replays
/// each path with the numbers its primal used).
///
/// The hash is a 64-bit finaliser chain in the manner of SplitMix64
/// (Steele et al. 2014); each stream is decorrelated by hashing its key.
@frozen
public struct PathSampler: Sendable {
    @usableFromInline var key: UInt64
    @usableFromInline var dimension: UInt64

    /// A sampler for one path: `seed` of the render, `pixel` index (row-major),
    /// `index` of the sample within the pixel.
    @inlinable @inline(__always)
    public init(seed: UInt64, pixel: Int, index: Int) {
        var k = PathSampler.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        k = PathSampler.mix(k ^ UInt64(truncatingIfNeeded: pixel))
        k = PathSampler.mix(k ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        key = k
        dimension = 0
    }

    @inlinable @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next uniform number in [0, 1) (53 bits).
    @inlinable @inline(__always)
    public mutating func next() -> Double {
        dimension &+= 1
        let h = PathSampler.mix(key ^ (dimension &* 0x2545_F491_4F6C_DD1D))
        return Double(h >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    @inlinable @inline(__always)
    public mutating func next2D() -> (Double, Double) { (next(), next()) }
}
