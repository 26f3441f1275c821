import Foundation

/// The random numbers of the paths of the boundary samples numbered along
/// curves on the film (the camera's silhouettes, delta lights' shadows on the
/// surfaces the camera sees), with the emitter choices of their first path
/// vertices stratified along the curves.
///
/// Such a sample traces one path from the camera on each side of the curve,
/// both with one sampler (common random numbers), and neighbouring samples
/// along a curve see nearly the same two sides. Each path vertex picks one of
/// the m emitters uniformly (`Scene.emitterIndex`): under a sun beside a dim
/// sky, a sample whose vertex found the sun and its neighbour whose vertex
/// found the sky differ by the sun's whole contribution, and the one-path
/// estimates of the two sides differ from sample to sample by more than their
/// mean difference (docs/results.md, "Cylinder-sun's y").
///
/// Here the choices of the first `vertices` vertices come from a grid of
/// m^k cells (m strata of the selection number per vertex): camera sample i
/// takes cell (i + offset) mod m^k, the first vertex's stratum varying
/// fastest, `offset` uniform per render. The samples are numbered along the
/// curves' length, so any m^k consecutive samples, neighbours on one curve,
/// pick every combination of emitters once, and a pixel's samples carry
/// every emitter's contribution in its share.
///
/// The sampler is found by rejection: the sample's candidate samplers (its
/// own stream, in order) until one whose selection numbers fall in its cell.
/// Within the cell those numbers are uniform, the other numbers are the
/// sampler's untouched hashes, and with the uniform offset the cell is
/// uniform too: each sample's numbers are uniform, and both sides' estimates
/// stay unbiased. A candidate costs a few hashes (m^k of them on average,
/// m^k ≤ `maxCells`), nothing next to the paths.
public struct SelectionStrata: Sendable {
    /// The emitters (strata per choice, m).
    public var emitters: Int
    /// The vertices whose choices are stratified (k; 0 stratifies nothing).
    public var vertices: Int
    /// The dimension (1-based, `PathSampler.next` order) of each stratified
    /// vertex's selection number.
    public var dimensions: [UInt64]
    /// The random cell of sample 0.
    public var offset: Int
    /// The grid's size, m^k.
    public var cells: Int

    /// The largest grid searched by rejection (expected candidates per sample).
    public static let maxCells = 16
    /// The vertices whose choices are stratified where the grid allows: the
    /// first two (on cylinder-sun the camera samples' standard deviation over
    /// seeds fell 2.6–3.7× with the first vertex's choice alone, 3.3–4.6×
    /// with the second's too; docs/results.md).
    public static let vertices = 2

    /// Strata for the paths of `scene` (its emitters, `max_depth` and
    /// `rr_depth`), choices stratified at up to `vertices` vertices (fewer
    /// where m^k would pass `maxCells` or the path ends sooner), offset keyed
    /// by `seed`.
    public init<T>(scene: Scene<T>, vertices wanted: Int, seed: UInt64) {
        emitters = scene.emitters.count
        var k = 0, cells = 1
        // A path with `max_depth` d has d − 1 vertices that sample a light (unbounded: any number).
        let depth = scene.integrator.kind == .direct ? 2 : scene.integrator.maxDepth
        let lit = depth < 0 ? wanted : min(wanted, max(depth - 1, 0))
        if emitters > 1 {
            while k < lit && cells * emitters <= SelectionStrata.maxCells { k += 1; cells *= emitters }
        }
        vertices = k
        self.cells = cells
        // `Scene.scatter` reads 1 number for the emitter choice, 2 for the light sample and 3 for the
        // BSDF's; after the bounce from vertex v, Russian roulette reads one more once v ≥ `rr_depth`.
        var dims = [UInt64](), d: UInt64 = 1
        for v in 0..<k {
            dims.append(d)
            d += 6 + (v + 1 >= scene.integrator.rrDepth ? 1 : 0)
        }
        dimensions = dims
        offset = Int(PathSampler.mix(seed ^ 0xA076_1D64_78BD_642F) % UInt64(cells))
    }

    /// The sampler for both paths of camera sample `stratum` (its place in the
    /// order along the silhouettes), drawn from the stream keyed by `base`
    /// (the sample's own sampler; `base` itself where nothing is stratified).
    public func sampler(stratum: Int, base: PathSampler) -> PathSampler {
        // Nothing to stratify (one emitter): the sample's own sampler, as it stands.
        guard vertices > 0 else { return base }
        let key = PathSampler.mix(base.key ^ 0xE703_7ED1_A0B4_28DB)
        func candidate(_ t: Int) -> PathSampler { PathSampler(seed: key, pixel: t, index: 0) }
        let cell = (stratum % cells + offset) % cells
        // 64 · m^k candidates miss a cell with probability about e^−64: never, in practice.
        for t in 0..<(64 * cells) {
            let s = candidate(t)
            // The wanted stratum of each vertex's selection number: the cell's digits, the first vertex's lowest.
            var inCell = true, rest = cell
            for d in dimensions {
                var probe = s
                probe.dimension = d - 1
                if min(Int(probe.next() * Double(emitters)), emitters - 1) != rest % emitters { inCell = false; break }
                rest /= emitters
            }
            if inCell { return s }
        }
        return candidate(0)
    }
}
