import Cluster
import Foundation
import Geometry
import ImageIO

/// Mitsuba 3's `aov` integrator: arbitrary output variables at the first
/// surface a camera ray meets, each developed into its own image.
///
/// ```xml
/// <integrator type="aov">
///     <string name="aovs" value="dd.y:depth,nn:sh_normal,albedo:albedo"/>
/// </integrator>
/// ```
///
/// As in Mitsuba (`aov.cpp`): `depth` is the distance along the (unit) camera
/// ray, `sh_normal` / `geo_normal` the world-space shading / geometric normal
/// in [−1, 1] (not remapped), `albedo` the BSDF's diffuse reflectance
/// (`BSDF.albedo`, Mitsuba's `eval_diffuse_reflectance`), `position` the world
/// position, `uv` the texture coordinates (u, v, 0). A ray that escapes gives
/// zero. Samples are splatted through the film's reconstruction filter and
/// normalised by the filter weights, as Mitsuba's `SamplingIntegrator` does
/// for every channel of its film.
extension Scene {
    /// The value of one AOV along a camera ray (three channels; depth is
    /// repeated in all three, uv is (u, v, 0)); zero where the ray escapes.
    @inlinable
    public func aovValue(_ kind: AOV.Kind, at hit: SurfaceInteraction<T>?) -> RGB<T> {
        guard let si = hit else { return .zero }
        switch kind {
        case .depth: return RGB(si.t, si.t, si.t)
        case .normal: let n = si.shading.n; return RGB(n.x, n.y, n.z)
        case .geometricNormal: let n = si.ng; return RGB(n.x, n.y, n.z)
        case .position: return RGB(si.p.x, si.p.y, si.p.z)
        case .uv: return RGB(si.uv.0, si.uv.1, 0)
        case .albedo:
            let b = shapes.withUnsafeBufferPointer { $0[si.shape].bsdf }
            return bsdfs[b].albedo(si)
        }
    }
}

extension Scene where T == Double {
    /// The AOVs of an `aov` integrator scene (empty for `path` and `direct`).
    public var aovs: [AOV] {
        if case .aov(let list) = integrator.kind { return list }
        return []
    }

    /// Renders every AOV of `list` (default: the scene's) as its own image,
    /// in the order given: `samplesPerPixel` film samples per pixel, each
    /// tracing one camera ray. Bit-identical for a seed whatever the number
    /// of threads, as `render`.
    public func renderAOVs(_ options: RenderOptions, only list: [AOV]? = nil) -> ([(name: String, image: Image)], RenderStatistics) {
        let list = list ?? aovs
        let start = DispatchTime.now().uptimeNanoseconds
        let grid = TileGrid(width: film.width, height: film.height)
        let count = list.count
        var blocks = [[ImageBlock]?](repeating: nil, count: grid.count)
        let spp = options.samplesPerPixel, seed = options.seed
        let shards = options.tiles(grid), owned = shards.owned
        blocks.withUnsafeMutableBufferPointer { blockBuffer in
            let blocksOut = blockBuffer
            let tanX = camera.tanHalfFov
            forEachTile(owned.count, threads: options.threads, progress: options.reportedProgress) { position in
                let tile = owned[position]
                let (x0, y0, x1, y1) = grid.bounds(tile)
                var tileBlocks = (0..<count).map { _ in
                    ImageBlock(x0: x0, y0: y0, width: x1 - x0, height: y1 - y0, filter: film.filter)
                }
                forEachSample(x0: x0, y0: y0, x1: x1, y1: y1, spp: spp, seed: seed) { filmX, filmY, sampler in
                    let si = intersect(cameraRay(filmX: filmX, filmY: filmY, tanHalfFov: tanX, sampler: &sampler))
                    for k in 0..<count {
                        tileBlocks[k].put(fx: filmX, fy: filmY, aovValue(list[k].kind, at: si))
                    }
                }
                blocksOut[tile] = tileBlocks
            }
        }
        if shards.communicator.isDistributed {
            let all = shards.allGather(owned.map { blocks[$0]!.flatMap(\.data) })
            for (tile, values) in all.enumerated() {
                let (x0, y0, x1, y1) = grid.bounds(tile)
                var tileBlocks = [ImageBlock]()
                for k in 0..<count {
                    var block = ImageBlock(x0: x0, y0: y0, width: x1 - x0, height: y1 - y0, filter: film.filter)
                    let n = block.data.count
                    block.data = Array(values[k * n..<(k + 1) * n])
                    tileBlocks.append(block)
                }
                blocks[tile] = tileBlocks
            }
        }
        var images = [(name: String, image: Image)]()
        for k in 0..<count {
            var accumulator = FilmAccumulator(width: film.width, height: film.height)
            for b in blocks { if let b { accumulator.add(b[k]) } }
            images.append((list[k].name, accumulator.develop()))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (images, RenderStatistics(seconds: seconds, paths: film.width * film.height * spp, invalidSamples: 0))
    }
}
