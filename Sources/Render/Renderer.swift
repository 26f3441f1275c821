import Cluster
import Foundation
import Geometry
import ImageIO

/// Options of one render.
public struct RenderOptions: Sendable {
    public var samplesPerPixel: Int
    public var seed: UInt64
    public var threads: Int
    /// Called with the fraction done, from worker threads, at most ~100 times
    /// (under MPI on rank 0 only, with the fraction of its own tiles).
    public var progress: (@Sendable (Double) -> Void)?
    /// The processes the tiles are spread over (`Communicator.world` under
    /// `mpirun`); every process returns the whole result, bit-identical to one
    /// process's. `local` by default: a render inside work that is already
    /// spread (one frame of many) stays in its process.
    public var communicator: Communicator
    /// The scalar the paths are traced in (`Precision`); the film sums in doubles either way.
    public var precision: Precision
    public init(samplesPerPixel: Int, seed: UInt64 = 0, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                progress: (@Sendable (Double) -> Void)? = nil, communicator: Communicator = .local,
                precision: Precision = .preferred) {
        self.samplesPerPixel = samplesPerPixel; self.seed = seed; self.threads = max(1, threads); self.progress = progress
        self.communicator = communicator; self.precision = precision
    }

    /// The scalar a primal render traces its paths in: `Scene<Double>` or the scene
    /// lifted to `Scene<Float>` (docs/design.md, "The primal's precision").
    public enum Precision: String, Sendable, CaseIterable, EnvironmentChoice {
        case single, double

        /// The environment variable that overrides `preferred`.
        public static let environmentVariable = "DIFFRAY_PRECISION"

        /// The precision of a render that does not say, `diffray render`'s
        /// included: `DIFFRAY_PRECISION` (`single` or `double`) when it names
        /// one, else double, whose bits the pixel environments' frames and the
        /// gradient renderers' images rest on. Single precision measured no
        /// faster (docs/results.md, "Single precision against double").
        public static let preferred: Precision = (try? fromEnvironment()) ?? .double

        /// `DIFFRAY_PRECISION`'s precision; nil when unset or empty; throws naming
        /// the variable when it is set to something else.
        public static func fromEnvironment() throws -> Precision? {
            try fromEnvironment { ParameterError($0) }
        }
    }

    /// The film's tiles spread over `communicator`.
    public func tiles(_ grid: TileGrid) -> WorkShards { WorkShards(count: grid.count, over: communicator) }
    /// The progress callback where it is reported: rank 0.
    public var reportedProgress: (@Sendable (Double) -> Void)? { communicator.isRoot ? progress : nil }
}

/// Statistics of a finished render.
public struct RenderStatistics: Sendable {
    public var seconds: Double
    public var paths: Int
    /// Samples whose radiance was NaN or infinite, dropped from the image.
    public var invalidSamples: Int
    public var pathsPerSecond: Double { Double(paths) / max(seconds, 1e-9) }
}

/// Square tiles of the film in row-major order: the unit of parallel work
/// and of deterministic merging.
public struct TileGrid: Sendable {
    public static let size = 16
    public let width: Int, height: Int
    public var columns: Int { (width + TileGrid.size - 1) / TileGrid.size }
    public var rows: Int { (height + TileGrid.size - 1) / TileGrid.size }
    public var count: Int { columns * rows }
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public func bounds(_ i: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        let x0 = (i % columns) * TileGrid.size, y0 = (i / columns) * TileGrid.size
        return (x0, y0, min(x0 + TileGrid.size, width), min(y0 + TileGrid.size, height))
    }
}

/// Runs `body(tile)` for every tile on `threads` threads, each pulling the
/// next tile from a shared counter.
public func forEachTile(_ count: Int, threads: Int, progress: (@Sendable (Double) -> Void)?, _ body: (Int) -> Void) {
    let lock = NSLock()
    var next = 0, done = 0, lastReported = -1
    func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        if next >= count { return nil }
        next += 1
        return next - 1
    }
    func finish() {
        lock.lock()
        done += 1
        let percent = done * 100 / max(count, 1)
        let report = percent != lastReported
        if report { lastReported = percent }
        lock.unlock()
        if report { progress?(Double(percent) / 100) }
    }
    DispatchQueue.concurrentPerform(iterations: min(threads, max(count, 1))) { _ in
        while let t = take() {
            body(t)
            finish()
        }
    }
}

extension Scene where T == Double {
    /// Renders the scene: `samplesPerPixel` paths per pixel, splatted through
    /// the film's filter. The image is bit-identical for a given seed whatever
    /// the number of threads. The paths are traced in `options.precision`:
    /// in this scene's doubles, or in the scene lifted to `Float` (the time
    /// reported includes the lifting).
    /// For an `aov` integrator this is the first AOV (see `renderAOVs` for all),
    /// in double precision.
    /// With `paths`, the samples of a frame they match (`StaticPaths.frame(for:_:)`)
    /// that meet no moving shape take their kept radiance instead of being traced:
    /// the same image to the bit.
    public func render(_ options: RenderOptions, reusing paths: StaticPaths? = nil) -> (Image, RenderStatistics) {
        if case .aov(let list) = integrator.kind {
            let (images, stats) = renderAOVs(options, only: Array(list.prefix(1)))
            return (images.first?.image ?? Image(width: film.width, height: film.height), stats)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        switch options.precision {
        case .double: return renderTiles(options, start: start, reusing: paths?.frame(for: self, options))
        case .single: return lifted(Lifter<Float>.constant).renderTiles(options, start: start)
        }
    }
}

extension Scene {
    /// `render`'s path tracing in `T` (`Double` or `Float`), tile by tile, each
    /// sample's radiance splatted in doubles; `start` is when the render began.
    /// `reuse` (a `Scene<Double>`'s) gives the radiance of the samples it keeps.
    func renderTiles(_ options: RenderOptions, start: UInt64, reusing reuse: StaticPaths.Frame? = nil) -> (Image, RenderStatistics) {
        let grid = TileGrid(width: film.width, height: film.height)
        var blocks = [ImageBlock?](repeating: nil, count: grid.count)
        var invalid = [Int](repeating: 0, count: grid.count)
        let spp = options.samplesPerPixel, seed = options.seed
        let shards = options.tiles(grid), owned = shards.owned
        blocks.withUnsafeMutableBufferPointer { blockBuffer in
            invalid.withUnsafeMutableBufferPointer { invalidBuffer in
                let blocksOut = blockBuffer, invalidOut = invalidBuffer
                let tanX = camera.tanHalfFov
                forEachTile(owned.count, threads: options.threads, progress: options.reportedProgress) { position in
                    let tile = owned[position]
                    let (x0, y0, x1, y1) = grid.bounds(tile)
                    let count = (x1 - x0) * (y1 - y0) * spp
                    if let reuse, reuse.reusesAll(tile, count: count), let kept = reuse.keptBlock(tile, filter: film.filter) {
                        // No moving shape reaches this tile's samples: the block their kept radiances make.
                        reuse.count(reused: count, of: count)
                        blocksOut[tile] = kept.block
                        invalidOut[tile] = kept.invalid
                        return
                    }
                    var block = ImageBlock(x0: x0, y0: y0, width: x1 - x0, height: y1 - y0, filter: film.filter)
                    var bad = 0, r = reuse?.start(tile) ?? 0, reused = 0
                    forEachSample(x0: x0, y0: y0, x1: x1, y1: y1, spp: spp, seed: seed) { filmX, filmY, sampler in
                        let l: RGB<Double>
                        if let reuse, reuse.reusable(r) {
                            l = reuse.radiance(r)
                            reused += 1
                        } else {
                            l = pathRadiance(cameraRay(filmX: filmX, filmY: filmY, tanHalfFov: tanX, sampler: &sampler), &sampler).primal
                        }
                        r += 1
                        if l.r.isFinite && l.g.isFinite && l.b.isFinite {
                            block.put(fx: filmX, fy: filmY, l)
                        } else {
                            bad += 1
                        }
                    }
                    reuse?.count(reused: reused, of: count)
                    blocksOut[tile] = block
                    invalidOut[tile] = bad
                }
            }
        }
        let (image, dropped) = develop(blocks, invalid: invalid, grid, shards)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (image, RenderStatistics(seconds: seconds, paths: film.width * film.height * spp, invalidSamples: dropped))
    }

    /// The image of the film's tiles (`blocks[tile]` for this process's own
    /// tiles, gathered from every process first under MPI), merged in tile
    /// order, and the number of samples dropped (`invalid`, per tile).
    func develop(_ blocks: [ImageBlock?], invalid: [Int], _ grid: TileGrid, _ shards: WorkShards) -> (image: Image, dropped: Int) {
        var blocks = blocks, invalid = invalid
        if shards.communicator.isDistributed {
            let owned = shards.owned
            // Every tile's block (and its count of dropped samples) on every process.
            let all = shards.allGather(owned.map { blocks[$0]!.data + [Double(invalid[$0])] })
            for (tile, values) in all.enumerated() {
                let (x0, y0, x1, y1) = grid.bounds(tile)
                var block = ImageBlock(x0: x0, y0: y0, width: x1 - x0, height: y1 - y0, filter: film.filter)
                block.data = Array(values.dropLast())
                blocks[tile] = block
                invalid[tile] = Int(values.last!)
            }
        }
        var accumulator = FilmAccumulator(width: film.width, height: film.height)
        for b in blocks { if let b { accumulator.add(b) } }
        return (accumulator.develop(), invalid.reduce(0, +))
    }
}
