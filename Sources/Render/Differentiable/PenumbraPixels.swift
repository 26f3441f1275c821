import Geometry

// How many of the first surface's film-point secondary samples each pixel
// takes, where spheres, disks and cylinders cast shadows under area lights.
//
// A shadow sample at film point x adds something only where an area light lies
// behind an outline as seen from the surface point p(x): in the penumbrae,
// a small part of the film. The light side (`SecondaryFromLights`)
// lands there for mesh edges; the analytic outlines have no light side, and
// with film points spread evenly over the pixels most of their samples looked
// from lit or fully shadowed floor and found nothing, while the few in a
// penumbra carried the whole term (their spread over seeds was 40–50 % of the
// component at 64 spp on most of the visibility family's area-light outlines,
// docs/results.md).
//
// A pilot finds the penumbrae on the film: light points y by area, a point q
// on an analytic outline as seen from y (by angular length, as the film side's
// first strategy chooses it from a shading point), the first surface p beyond
// q and the pixel the camera sees p in. A quarter of the samples stay spread
// evenly (at least two a pixel, one below four); the rest go to the pixels in proportion to the
// pilot's hits in them and their eight neighbours. (With half spread evenly the
// black tube's shadow gradient spread 2.1 times as much in z once the points on
// the outlines were drawn where a light lies behind them, docs/results.md.) A sample in pixel j then has
// density n_j per unit film area instead of n / (W·H), which every density the
// first surface's samples divide by takes (`filmPointsDensity`), so the
// estimate stays unbiased for any counts: the pilot decides only where the
// samples go, with random numbers of its own. It costs a few thousand rays.

/// The number of first-surface film-point samples in each pixel and, for
/// sample i, its pixel and its index among that pixel's samples.
struct PenumbraPixels {
    /// counts[j]: samples in pixel j (at least 1); ends[j] = counts[0] + … + counts[j].
    private(set) var counts: [Int]
    private(set) var ends: [Double]
    /// The share of the samples the pilot places.
    static let guidedShare = 0.75

    init(counts: [Int]) {
        self.counts = counts
        var sum = 0
        ends = counts.map { sum += $0; return Double(sum) }
    }

    /// Sample `i`'s pixel stratum: its pixel and its place among that pixel's samples.
    func stratum(_ i: Int, seed: UInt64) -> PixelStratum {
        let pixel = min(ends.cdfBin(Double(i)), counts.count - 1)
        let start = pixel == 0 ? 0 : Int(ends[pixel - 1])
        return PixelStratum(pixel: pixel, index: i - start, count: counts[pixel], seed: seed)
    }

    /// The samples per unit film area at film point (`fx`, `fy`): its pixel's count.
    func count(atFilmX fx: Double, filmY fy: Double, width: Int) -> Double {
        let height = counts.count / width
        let x = min(max(Int(fx), 0), width - 1), y = min(max(Int(fy), 0), height - 1)
        return Double(counts[y * width + x])
    }
}

extension Scene where T == Double {
    /// The pixel counts for `n` first-surface film-point samples (see
    /// `PenumbraPixels`) from a pilot of `pilot` light points over the outlines
    /// of the shapes `analytic`; nil (samples spread evenly) without area
    /// lights or outlines, when n leaves fewer than two samples a pixel, or
    /// when the pilot lands on no pixel.
    func penumbraPixels(samples n: Int, analytic: [Int], lights: LightSideTriangles, pilot: Int, seed: UInt64,
                        tanX: Double) -> PenumbraPixels? {
        let W = film.width, H = film.height, pixels = W * H
        guard !analytic.isEmpty, lights.total > 0, pilot > 0 else { return nil }
        guard n >= 2 * pixels else { return nil }
        // At least two a pixel where the budget allows: with one, 64 spp (4 a pixel) spread more than with two.
        let perPixel = Double(n) / Double(pixels)
        let even = max(Int((perPixel * (1 - PenumbraPixels.guidedShare)).rounded(.down)), min(2, Int((perPixel / 2).rounded(.down))))
        var hits = [Double](repeating: 0, count: pixels)
        for j in 0..<pilot {
            var sampler = PathSampler(seed: seed ^ 0x9E1D_7A3C_55B0_0C11, pixel: j, index: 3)
            let (y, ny) = lights.point(sampler.next(), sampler.next())
            guard let c = secondaryCurveChoice(p: y, ng: ny, oneSided: false, edges: [], analytic: analytic, lightTriangles: []),
                  let chosen = chooseSecondaryCurvePoint(c, edges: [], p: y, u: sampler.next()) else { continue }
            let dq = chosen.point - y
            let l = dq.length
            guard l > 0, let hit = intersect(Ray(o: chosen.point + dq * (1e-5 * extent / l), d: dq / l)) else { continue }
            let f = camera.filmPosition(of: hit.p, tanHalfFov: tanX)
            if f.depth < max(camera.nearClip, 1e-6) || !(f.x >= 0 && f.x < Double(W) && f.y >= 0 && f.y < Double(H)) { continue }
            guard let seen = intersect(camera.ray(filmX: f.x, filmY: f.y, tanHalfFov: tanX)),
                  (seen.p - hit.p).length <= 1e-4 * extent else { continue }
            hits[min(Int(f.y), H - 1) * W + min(Int(f.x), W - 1)] += 1
        }
        // Each pixel's hits with its eight neighbours' (the film's filter reaches them).
        var weights = [Double](repeating: 0, count: pixels), total = 0.0
        for y in 0..<H {
            for x in 0..<W {
                var w = 0.0
                for v in max(y - 1, 0)...min(y + 1, H - 1) {
                    for u in max(x - 1, 0)...min(x + 1, W - 1) { w += hits[v * W + u] }
                }
                weights[y * W + x] = w
                total += w
            }
        }
        guard total > 0 else { return nil }
        // The rest by the weights, rounded by largest remainder.
        let rest = n - even * pixels
        var counts = [Int](repeating: even, count: pixels), placed = 0
        var remainders = [(Double, Int)]()
        for j in 0..<pixels {
            let share = Double(rest) * weights[j] / total
            let whole = Int(share.rounded(.down))
            counts[j] += whole
            placed += whole
            if share > Double(whole) { remainders.append((share - Double(whole), j)) }
        }
        remainders.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        for k in 0..<(rest - placed) { counts[remainders[k].1] += 1 }
        return PenumbraPixels(counts: counts)
    }

    /// The film-point samples per unit film area at the first surface `si`
    /// seen at (`fx`, `fy`) for `n` samples: (1 − s) times the pixel's count
    /// (n / (W·H) without `counts`) for those drawn in their pixel, plus those
    /// drawn by area on moving curved shapes (share s, `filmDensityRatio`).
    func filmPointsDensity(_ si: SurfaceInteraction<Double>, filmX fx: Double, filmY fy: Double, samples n: Int,
                           counts: PenumbraPixels?, _ points: SurfaceFilmPoints, tanX: Double) -> Double {
        let even = Double(n) / Double(film.width * film.height)
        let density = even * filmDensityRatio(si, points, tanX: tanX)
        guard let counts else { return density }
        return density + (1 - points.share) * (counts.count(atFilmX: fx, filmY: fy, width: film.width) - even)
    }
}
