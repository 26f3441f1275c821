/// Where one of the boundary samples that are spread over the film's pixels
/// falls, and its unit numbers stratified over that pixel's samples.
///
/// Sample `stratum` of n goes to pixel `stratum` mod P (P pixels), as the
/// `index`-th of that pixel's `count` samples. A pixel's samples then share
/// their strata (Latin hypercube sampling, one random permutation of the
/// strata per pixel and dimension): in each dimension sample i takes stratum
/// π_d(i) of `count`, jittered within it. Each sample's numbers stay uniform
/// on their own, so every estimate built on them stays unbiased; together a
/// pixel's samples cover the film point and the choice of an edge point
/// evenly instead of clumping.
struct PixelStratum {
    var pixel: Int
    var index: Int
    var count: Int
    /// Keys the pixel's permutations.
    var key: UInt64

    init(_ stratum: Int, of n: Int, pixels: Int, seed: UInt64) {
        let pixel = stratum % pixels
        self.init(pixel: pixel, index: stratum / pixels, count: n / pixels + (pixel < n % pixels ? 1 : 0), seed: seed)
    }

    /// Sample `index` of the `count` that pixel `pixel` takes (`PenumbraPixels`).
    init(pixel: Int, index: Int, count: Int, seed: UInt64) {
        self.pixel = pixel
        self.index = index
        self.count = count
        key = PathSampler.mix(seed ^ 0x5851_F42D_4C95_7F2D ^ UInt64(truncatingIfNeeded: pixel))
    }

    /// The unit number of dimension `dimension` for this sample, from the
    /// uniform `xi` that jitters it inside its stratum.
    func unit(_ dimension: UInt64, _ xi: Double) -> Double {
        guard count > 1 else { return xi }
        let p = UInt32(truncatingIfNeeded: PathSampler.mix(key &+ dimension &* 0x9E37_79B9_7F4A_7C15) >> 32)
        let s = PixelStratum.permute(UInt32(index), UInt32(count), p)
        return min((Double(s) + xi) / Double(count), 1.0.nextDown)
    }

    /// Element `i` of a pseudo-random permutation of 0 ..< `l` chosen by `p`,
    /// without tables (Kensler 2013, "Correlated Multi-Jittered Sampling",
    /// Pixar Technical Memo 13-01): a bijective hash on the next power of two,
    /// walked until it lands below `l`.
    static func permute(_ i: UInt32, _ l: UInt32, _ p: UInt32) -> UInt32 {
        var w = l - 1
        w |= w >> 1; w |= w >> 2; w |= w >> 4; w |= w >> 8; w |= w >> 16
        var i = i
        repeat {
            i ^= p; i &*= 0xE170_893D; i ^= p >> 16; i ^= (i & w) >> 4; i ^= p >> 8; i &*= 0x0929_EB3F; i ^= p >> 23
            i ^= (i & w) >> 1; i &*= 1 | p >> 27; i &*= 0x6935_FA69; i ^= (i & w) >> 11; i &*= 0x74DC_B303
            i ^= (i & w) >> 2; i &*= 0x9E50_1CC3; i ^= (i & w) >> 2; i &*= 0xC860_A3DF; i &= w; i ^= i >> 5
        } while i >= l
        return (i &+ p) % l
    }
}
