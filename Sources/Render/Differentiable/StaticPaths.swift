import Foundation
import Geometry

/// The paths of a scene's static part at one seed, kept for frames that
/// differ from the scene only in the pose of a few shapes (the pixel views:
/// every frame a policy sees is rendered at the same seed, and only the rod
/// and bob, or the cart and pole, move between two of them).
///
/// A path sample is a deterministic function of its random numbers and the
/// scene. The cache traces every sample once in the scene with the moving
/// shapes left out (`moving`) and keeps its radiance and its segments: the
/// camera ray up to its first hit (or the ray itself when it escapes), and
/// from that hit a shadow segment to every light. In a posed frame, a sample
/// none of whose segments meets a moving shape's world bounds (padded by
/// `margin`) traces the same hits, the same lights and the same occlusion as
/// in the static scene, so its radiance is the kept one to the bit, and its
/// derivative with respect to the pose is zero (a path that touches no moving
/// shape has none; the boundary term, which samples the silhouettes and shadow
/// edges, is computed as without the cache). Every other sample is traced
/// again, in the order the film accumulates them, so frames and Jacobians are
/// bit-identical to an uncached render at the same seed (docs/design.md,
/// "Reusing the static part's paths").
///
/// The segments are known without the path tracer's help only for paths of at
/// most two segments that never continue past their first vertex: the cache
/// is refused (`init` throws) unless the integrator's depth is 1 or 2, no
/// light can be hit (no area light, no environment), every light is a point,
/// spot, projector or directional light, the sensor is a still pinhole, the
/// accelerator is the double-precision BVH (whose hits on the same
/// primitives are the same numbers in any tree), nothing is animated, and no
/// moving shape emits. A frame that differs from the cache elsewhere than in
/// the moving shapes (`frame(for:_:)`: film, samples per pixel, seed, depth,
/// the ray-offset scale, every other parameter, the lights) reuses nothing.
public final class StaticPaths: @unchecked Sendable {
    /// The render the samples belong to.
    public let samplesPerPixel: Int
    public let seed: UInt64
    let width: Int, height: Int
    let maxDepth: Int
    /// The scene's size in ray offsets (`Scene.extent`): a posed scene built by
    /// `Scene.updated(_:)` keeps its source's, and every kept hit rests on it.
    let extent: Double
    /// The shapes whose parameters the keys vary (`Scene.shapesVarying(with:)`), left out of the static scene.
    public let moving: [Int]
    /// Every parameter of the scene but the moving shapes' own, and the lights'
    /// positions and directions: a frame must match them to reuse a sample.
    let fingerprint: [ParameterInfo]
    let lights: (points: [Vec3], directions: [Vec3])
    /// Per moving shape, its bounds without its pose offset (`Shape.offset`), when its
    /// posed geometry is that offset applied to them; and the parameters that fix that
    /// geometry besides the pose (`translate`, `rotate`), which a frame must match to use them.
    let unposed: [Bounds3?]
    let shapeFingerprint: [ParameterInfo]
    /// How far a segment may lie outside the kept one and still be covered (metres):
    /// 10⁻⁵ of the scene's size plus its largest coordinate, a hundred times the
    /// largest ray offset (`Scene.epsilon`) of a point on a static surface.
    let margin: Double
    /// Where each film tile's samples start in the per-sample arrays (tile by
    /// tile in `TileGrid` order, each tile's samples in `forEachSample`'s order).
    let tileStart: [Int]
    /// The per-sample arrays, held by the cache and by each `Frame`.
    let samples: Samples

    /// Per sample: the radiance (linear RGB, 3 values), the camera ray's origin
    /// and its first hit or, when it escapes, its direction (6 values), and
    /// `Kind` as its raw value, and its film point (2 values: `forEachSample`'s
    /// filmX, filmY), where a tile reused whole splats it without drawing it again.
    struct Samples {
        let radiance: [Double]
        let rays: [Double]
        let kinds: [UInt8]
        let filmPoints: [Double]
    }
    /// Per film tile (`TileGrid` order), whether one of its samples is `Kind.traceAgain`.
    let tileTracesAgain: [Bool]
    /// The film's reconstruction filter, and per tile this process traced what its samples'
    /// kept radiances add up to, splatted in `forEachSample`'s order from zero: for the
    /// forward renderer, r, g, b per pixel of the tile's bordered block (`splat`); for
    /// `Scene.render`, the tile's `ImageBlock` and its count of non-finite samples. A tile
    /// reused whole (`Frame.reusesAll`) takes them instead of splatting its samples again.
    let filter: ReconstructionFilter
    let keptSums: [[Double]]
    let keptBlocks: [(block: ImageBlock, invalid: Int)?]

    /// What a sample's record holds.
    enum Kind: UInt8 {
        /// Never reused: a tile this process did not trace, or a hit within 10⁻⁹ (barycentric) of a
        /// triangle's edge, where a tree built otherwise may break a tie between two equal distances the other way.
        case traceAgain = 0
        /// The camera ray ends at its first hit (the record's second point).
        case hit = 1
        /// The camera ray escapes (the record's second point is its direction).
        case escaped = 2
    }

    /// Counts of the samples `frame(for:_:)`'s frames reused and of those they
    /// saw, since the last `resetCounts()` (each frame adds its own once per tile).
    public var counts: (reused: Int, samples: Int) { lock.lock(); defer { lock.unlock() }; return (reused, seen) }
    public func resetCounts() { lock.lock(); reused = 0; seen = 0; lock.unlock() }
    private var reused = 0, seen = 0
    private let lock = NSLock()

    /// Traces every sample of `options` (samples per pixel, seed, threads; the
    /// tiles this process owns under MPI) in `scene` without the shapes that
    /// `keys` vary. Throws a `ParameterError` saying why when the scene is not
    /// one whose segments the cache knows (see the type's description).
    public init(scene: Scene<Double>, varying keys: [String], _ options: RenderOptions) throws {
        func refuse(_ why: String) -> ParameterError { ParameterError("static paths: \(why)") }
        guard let marked = scene.shapesVarying(with: Set(keys)), marked.contains(true) else {
            throw refuse("the keys \(keys.joined(separator: ", ")) move no shape, or move an emitting one")
        }
        guard scene.accel.kind == .bvh else { throw refuse("the accelerator is \(scene.accel.kind), not the BVH") }
        guard !scene.isAnimated, !scene.camera.shutter.isOpen, scene.camera.isPinhole else {
            throw refuse("the sensor is not a still pinhole, or something is animated")
        }
        guard let depth = StaticPaths.depth(of: scene) else {
            throw refuse("paths may be longer than two segments (the integrator's depth must be 1 or 2)")
        }
        guard !scene.hasAreaEmitter && scene.environment.isEmpty else { throw refuse("a path may hit a light (an area light or an environment)") }
        guard let lights = StaticPaths.lights(of: scene) else {
            throw refuse("a light is neither a point, spot, projector nor directional light")
        }
        let moving = marked.indices.filter { marked[$0] }
        self.moving = moving
        samplesPerPixel = options.samplesPerPixel
        seed = options.seed
        width = scene.film.width
        height = scene.film.height
        maxDepth = depth
        extent = scene.extent
        self.lights = lights
        fingerprint = StaticPaths.fingerprint(of: scene, moving: moving)
        // Each moving shape's bounds before its pose offset, where its geometry is a rigid
        // motion of them (no per-vertex override): a frame tests the segments in the shape's frame.
        unposed = moving.map { i in
            var shape = scene.shapes[i]
            if shape.vertices != nil { return nil }
            shape.offset = nil
            return (try? Scene<Double>.buildAccelerator([shape], kind: .bvh).bounds).flatMap { $0.isEmpty ? nil : $0 }
        }
        shapeFingerprint = StaticPaths.shapeFingerprint(of: scene, moving: moving)

        // The static scene: the moving shapes hold no primitive (their indices, and every other shape's, stay).
        var still = scene
        let empty = TriangleMesh(positions: [], normals: nil, uvs: nil, indices: [])
        for i in moving { still.shapes[i].geometry = .mesh(empty); still.shapes[i].offset = nil; still.shapes[i].vertices = nil }
        still.accel = try Scene<Double>.buildAccelerator(Array(still.shapes[0..<still.staticShapeCount]), kind: .bvh)
        let frozen = still  // a `let`: the per-sample closure below would copy a captured `var` scene once a sample
        let b = frozen.accel.bounds
        let largest = b.isEmpty ? 0 : max(max(abs(b.lower.x), abs(b.lower.y), abs(b.lower.z)), max(abs(b.upper.x), abs(b.upper.y), abs(b.upper.z)))
        margin = 1e-5 * (scene.extent + largest)

        let grid = TileGrid(width: scene.film.width, height: scene.film.height), spp = options.samplesPerPixel
        var start = [Int](), total = 0
        for tile in 0..<grid.count {
            start.append(total)
            let (x0, y0, x1, y1) = grid.bounds(tile)
            total += (x1 - x0) * (y1 - y0) * spp
        }
        tileStart = start
        var radiance = [Double](repeating: 0, count: 3 * total)
        var rays = [Double](repeating: 0, count: 6 * total)
        var kinds = [UInt8](repeating: Kind.traceAgain.rawValue, count: total)
        var filmPoints = [Double](repeating: 0, count: 2 * total)
        let owned = options.tiles(grid).owned
        let tanX = frozen.camera.tanHalfFov, seed = options.seed
        radiance.withUnsafeMutableBufferPointer { radianceOut in
          rays.withUnsafeMutableBufferPointer { raysOut in
          kinds.withUnsafeMutableBufferPointer { kindsOut in
          filmPoints.withUnsafeMutableBufferPointer { filmOut in
            let radianceOut = radianceOut, raysOut = raysOut, kindsOut = kindsOut, filmOut = filmOut
            forEachTile(owned.count, threads: options.threads, progress: nil) { position in
                let tile = owned[position]
                let (x0, y0, x1, y1) = grid.bounds(tile)
                var r = start[tile]
                frozen.forEachSample(x0: x0, y0: y0, x1: x1, y1: y1, spp: spp, seed: seed) { fx, fy, sampler in
                    defer { r += 1 }
                    filmOut[2 * r] = fx; filmOut[2 * r + 1] = fy
                    // The ray and the radiance `Scene.render` and the forward renderer's probe compute.
                    let ray = frozen.camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)
                    let l = frozen.pathRadiance(ray, &sampler)
                    radianceOut[3 * r] = l.r; radianceOut[3 * r + 1] = l.g; radianceOut[3 * r + 2] = l.b
                    let o = ray.o, d = ray.d
                    raysOut[6 * r] = o.x; raysOut[6 * r + 1] = o.y; raysOut[6 * r + 2] = o.z
                    guard let hit = frozen.accel.intersect(o: o, d: d) else {
                        raysOut[6 * r + 3] = d.x; raysOut[6 * r + 4] = d.y; raysOut[6 * r + 5] = d.z
                        kindsOut[r] = Kind.escaped.rawValue
                        return
                    }
                    if frozen.accel.primitives.primitive(Int(hit.primitive)).kind == .triangle
                        && min(hit.u, hit.v, 1 - hit.u - hit.v) < 1e-9 { return }
                    let p = o + d * hit.t
                    raysOut[6 * r + 3] = p.x; raysOut[6 * r + 4] = p.y; raysOut[6 * r + 5] = p.z
                    kindsOut[r] = Kind.hit.rawValue
                }
            }
          }
          }
          }
        }
        samples = Samples(radiance: radiance, rays: rays, kinds: kinds, filmPoints: filmPoints)
        tileTracesAgain = (0..<grid.count).map { tile in
            let end = tile + 1 < grid.count ? start[tile + 1] : total
            return kinds[start[tile]..<end].contains(Kind.traceAgain.rawValue)
        }
        filter = scene.film.filter
        var sums = [[Double]](repeating: [], count: grid.count)
        var blocks = [(block: ImageBlock, invalid: Int)?](repeating: nil, count: grid.count)
        let probe = ImageBlock(x0: 0, y0: 0, width: 1, height: 1, filter: filter)
        let w = scene.film.width, h = scene.film.height
        for tile in owned {
            let (x0, y0, x1, y1) = grid.bounds(tile)
            let (bx0, by0, bw, bh) = StaticPaths.bordered(x0, y0, x1, y1, border: probe.border, filmWidth: w, filmHeight: h)
            var sum = [Double](repeating: 0, count: bw * bh * 3)
            var block = ImageBlock(x0: x0, y0: y0, width: x1 - x0, height: y1 - y0, filter: filter)
            var invalid = 0
            sum.withUnsafeMutableBufferPointer { sum in
                for r in start[tile]..<(start[tile] + (x1 - x0) * (y1 - y0) * spp) {
                    let fx = filmPoints[2 * r], fy = filmPoints[2 * r + 1]
                    let l = RGB(radiance[3 * r], radiance[3 * r + 1], radiance[3 * r + 2])
                    StaticPaths.splat(sum, channels: 3, x0: bx0, y0: by0, width: bw, probe, filmWidth: w, filmHeight: h, fx, fy, l)
                    if l.r.isFinite && l.g.isFinite && l.b.isFinite { block.put(fx: fx, fy: fy, l) } else { invalid += 1 }
                }
            }
            sums[tile] = sum
            blocks[tile] = (block, invalid)
        }
        (keptSums, keptBlocks) = (sums, blocks)
    }

    /// A film tile's block with the filter's border (`border` pixels) clipped to the film:
    /// its first pixel, width and height.
    static func bordered(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, border b: Int, filmWidth w: Int, filmHeight h: Int)
        -> (x0: Int, y0: Int, width: Int, height: Int) {
        let bx0 = max(0, x0 - b), by0 = max(0, y0 - b), bx1 = min(w, x1 + b), by1 = min(h, y1 + b)
        return (bx0, by0, bx1 - bx0, by1 - by0)
    }

    /// Adds radiance `v` of a sample at film point (fx, fy), if finite, through `probe`'s
    /// filter to the first three of every pixel's `channels` values in `data`, a block of
    /// film pixels whose first is (x0, y0) and which is `width` pixels wide: the forward
    /// renderer's splat of a sample with zero derivatives, and the kept tiles' (`keptSums`).
    @inline(__always)
    static func splat(_ data: UnsafeMutableBufferPointer<Double>, channels: Int, x0 bx0: Int, y0 by0: Int, width bw: Int,
                      _ probe: ImageBlock, filmWidth w: Int, filmHeight h: Int, _ fx: Double, _ fy: Double, _ v: RGB<Double>) {
        if !(v.r.isFinite && v.g.isFinite && v.b.isFinite) { return }
        probe.forEachWeight(fx: fx, fy: fy, filmWidth: w, filmHeight: h) { x, y, wt in
            let i = ((y - by0) * bw + (x - bx0)) * channels
            data[i] += v.r * wt; data[i + 1] += v.g * wt; data[i + 2] += v.b * wt
        }
    }

    /// The depth the path tracer gives `scene`'s paths, if it is 1 or 2.
    static func depth(of scene: Scene<Double>) -> Int? {
        switch scene.integrator.kind {
        case .aov: return nil
        case .direct: return 2
        case .path: return (1...2).contains(scene.integrator.maxDepth) ? scene.integrator.maxDepth : nil
        }
    }

    /// The points shadow rays aim at (point, spot and projector lights, less
    /// those at the camera's centre of projection, whose shadow segments are
    /// the camera rays) and the directions towards directional lights; nil
    /// when another kind of light shines.
    static func lights(of scene: Scene<Double>) -> (points: [Vec3], directions: [Vec3])? {
        var points = [Vec3](), directions = [Vec3]()
        let eye = scene.camera.toWorld.origin
        for e in scene.emitters {
            switch e {
            case .point(let l): points.append(l.position)
            case .spot(let l): points.append(l.toWorld.origin)
            case .projector(let l): points.append(l.toWorld.origin)
            case .directional(let l): directions.append(-l.direction.normalized)
            case .area, .constant, .envmap: return nil
            }
        }
        return (points.filter { $0 != eye }, directions)
    }

    /// `scene`'s parameters but those of the `moving` shapes.
    static func fingerprint(of scene: Scene<Double>, moving: [Int]) -> [ParameterInfo] {
        let prefixes = moving.map { scene.shapes[$0].id + "." }
        return scene.parameters().filter { p in !prefixes.contains { p.key.hasPrefix($0) } }
    }

    /// The moving shapes' parameters but their pose.
    static func shapeFingerprint(of scene: Scene<Double>, moving: [Int]) -> [ParameterInfo] {
        let prefixes = moving.map { scene.shapes[$0].id + "." }
        return scene.parameters().filter { p in
            prefixes.contains { p.key.hasPrefix($0) } && !p.key.hasSuffix(".translate") && !p.key.hasSuffix(".rotate")
        }
    }

    /// The samples a frame of `scene` (this cache's scene with the moving
    /// shapes posed anew) reuses, or nil when the frame differs from the
    /// cache elsewhere (then every sample is traced).
    public func frame(for scene: Scene<Double>, _ options: RenderOptions) -> Frame? {
        guard options.samplesPerPixel == samplesPerPixel, options.seed == seed, options.precision == .double,
              scene.film.width == width, scene.film.height == height, scene.extent == extent, scene.accel.kind == .bvh,
              !scene.isAnimated, !scene.camera.shutter.isOpen, StaticPaths.depth(of: scene) == maxDepth,
              moving.allSatisfy({ $0 < scene.shapes.count && scene.shapes[$0].emitter == nil }),
              let l = StaticPaths.lights(of: scene), l.points == lights.points, l.directions == lights.directions,
              StaticPaths.fingerprint(of: scene, moving: moving).elementsEqual(fingerprint, by: { $0.key == $1.key && $0.values == $1.values })
        else { return nil }
        let rigid = StaticPaths.shapeFingerprint(of: scene, moving: moving)
            .elementsEqual(shapeFingerprint, by: { $0.key == $1.key && $0.values == $1.values })
        let pad = Vec3(repeating: margin)
        func padded(_ b: Bounds3) -> Bounds3 { Bounds3(lower: b.lower - pad, upper: b.upper + pad) }
        var movers = [Mover](), union = Bounds3.empty
        for (k, i) in moving.enumerated() {
            guard let b = try? Scene<Double>.buildAccelerator([scene.shapes[i]], kind: .bvh).bounds else { return nil }
            if b.isEmpty { continue }
            var mover = Mover(world: padded(b), unposed: nil, offset: scene.shapes[i].offset ?? .identity)
            if rigid && scene.shapes[i].vertices == nil, let u = unposed[k] { mover.unposed = padded(u) }
            movers.append(mover)
            union = union.union(mover.world)
        }
        let shadows = !(lights.points.isEmpty && lights.directions.isEmpty)
        return Frame(paths: self, movers: movers, union: union, samples: samples, lights: lights,
                     shadows: shadows, onFilm: shadows || !scene.camera.isPinhole ? nil : StaticPaths.filmRectangle(of: union, scene.camera))
    }

    /// A film rectangle (pixels: x0, x1, y0, y1) outside which no camera ray meets box
    /// `b`: the bounds of its eight corners' film positions, widened by 10⁻³ pixel, when
    /// every corner lies in front of the camera's centre of projection (then so does the
    /// whole box, and each of its points projects inside the corners' convex hull; every
    /// point of a camera ray projects to the ray's film point). Nil otherwise.
    static func filmRectangle(of b: Bounds3, _ camera: PerspectiveCamera<Double>) -> (x0: Double, x1: Double, y0: Double, y1: Double)? {
        if b.isEmpty { return (1, 0, 1, 0) }
        let tanX = camera.tanHalfFov
        var x0 = Double.infinity, x1 = -Double.infinity, y0 = Double.infinity, y1 = -Double.infinity
        for k in 0..<8 {
            let p = Vec3(k & 1 == 0 ? b.lower.x : b.upper.x, k & 2 == 0 ? b.lower.y : b.upper.y, k & 4 == 0 ? b.lower.z : b.upper.z)
            let f = camera.filmPosition(of: p, tanHalfFov: tanX)
            guard f.depth > 0, f.x.isFinite, f.y.isFinite else { return nil }
            x0 = min(x0, f.x); x1 = max(x1, f.x); y0 = min(y0, f.y); y1 = max(y1, f.y)
        }
        let pad = 1e-3
        return (x0 - pad, x1 + pad, y0 - pad, y1 + pad)
    }

    /// A moving shape in one frame: its world bounds and, when its geometry is a
    /// rigid motion (`offset`) of bounds known before it, those bounds (both padded).
    struct Mover {
        var world: Bounds3
        var unposed: Bounds3?
        var offset: RigidFrame<Double>

        /// Whether the segment o + t d, t in [0, tMax], meets both boxes (the
        /// unposed one in the shape's own frame, where the segment is R⁻¹(o − origin) + t R⁻¹ d).
        @inline(__always)
        func meets(_ o: Vec3, _ d: Vec3, _ tMax: Double) -> Bool {
            guard StaticPaths.meets(world, o, d, tMax) else { return false }
            guard let unposed else { return true }
            let f = offset, q = o - f.origin
            return StaticPaths.meets(unposed, Vec3(dot(q, f.x), dot(q, f.y), dot(q, f.z)), Vec3(dot(d, f.x), dot(d, f.y), dot(d, f.z)), tMax)
        }
    }

    /// One posed frame's view of the cache: the moving shapes (and the cache's `samples`,
    /// held here so that reading them retains nothing per sample).
    public struct Frame {
        let paths: StaticPaths
        let movers: [Mover]
        /// The union of the movers' world bounds: a sample whose segments miss it is reused at once.
        let union: Bounds3
        let samples: Samples
        let lights: (points: [Vec3], directions: [Vec3])
        /// Whether a sample has shadow segments besides its camera segment (a light not at the camera).
        let shadows: Bool
        /// Without shadow segments, a film rectangle outside which every camera segment misses
        /// `union` (`StaticPaths.filmRectangle(of:_:)`): a sample whose film point lies outside
        /// it is reused without testing its segment, and a tile outside it takes every sample.
        let onFilm: (x0: Double, x1: Double, y0: Double, y1: Double)?

        /// Where `tile`'s samples start (their index runs on in `forEachSample`'s order).
        public func start(_ tile: Int) -> Int { paths.tileStart[tile] }

        /// Whether sample `r` meets no moving shape: its radiance is then `radiance(r)`.
        @inline(__always)
        func reusable(_ r: Int) -> Bool {
            let kind = samples.kinds[r]
            if kind == Kind.traceAgain.rawValue { return false }
            if let f = onFilm {
                let x = samples.filmPoints[2 * r], y = samples.filmPoints[2 * r + 1]
                if x < f.x0 || x > f.x1 || y < f.y0 || y > f.y1 { return true }
            }
            let rays = samples.rays
            let o = Vec3(rays[6 * r], rays[6 * r + 1], rays[6 * r + 2]), e = Vec3(rays[6 * r + 3], rays[6 * r + 4], rays[6 * r + 5])
            if kind == Kind.escaped.rawValue {
                return !StaticPaths.meets(union, o, e, .infinity) || !movers.contains { $0.meets(o, e, .infinity) }
            }
            if !segments(o, e) { return true }
            return !movers.contains { m in
                m.meets(o, e - o, 1) || (shadows && (lights.points.contains { m.meets(e, $0 - e, 1) }
                                                     || lights.directions.contains { m.meets(e, $0, .infinity) }))
            }
        }

        /// Whether a segment of a sample whose camera ray runs from `o` to its hit `e` meets `union`.
        @inline(__always)
        func segments(_ o: Vec3, _ e: Vec3) -> Bool {
            if StaticPaths.meets(union, o, e - o, 1) { return true }
            if !shadows { return false }
            for q in lights.points where StaticPaths.meets(union, e, q - e, 1) { return true }
            for d in lights.directions where StaticPaths.meets(union, e, d, .infinity) { return true }
            return false
        }

        /// Whether all `count` samples of `tile` are reusable: the tile then takes every
        /// sample's kept radiance at its kept film point (`forEachReused`), drawing none.
        public func reusesAll(_ tile: Int, count: Int) -> Bool {
            if let f = onFilm, !paths.tileTracesAgain[tile] {
                // The tile's film points lie in [x0, x1) × [y0, y1).
                let (x0, y0, x1, y1) = TileGrid(width: paths.width, height: paths.height).bounds(tile)
                if Double(x1) < f.x0 || Double(x0) > f.x1 || Double(y1) < f.y0 || Double(y0) > f.y1 { return true }
            }
            let r0 = start(tile)
            for r in r0..<(r0 + count) where !reusable(r) { return false }
            return true
        }

        /// For a tile that `reusesAll`, under film filter `filter`: the r, g, b sums its samples
        /// splat into its bordered block (`StaticPaths.keptSums`), nil for another filter.
        func keptSums(_ tile: Int, filter: ReconstructionFilter) -> [Double]? {
            filter == paths.filter && !paths.keptSums[tile].isEmpty ? paths.keptSums[tile] : nil
        }

        /// For a tile that `reusesAll`, under film filter `filter`: its `ImageBlock` and its
        /// count of non-finite samples (`StaticPaths.keptBlocks`), nil for another filter.
        func keptBlock(_ tile: Int, filter: ReconstructionFilter) -> (block: ImageBlock, invalid: Int)? {
            filter == paths.filter ? paths.keptBlocks[tile] : nil
        }

        /// The kept radiance of sample `r`.
        @inline(__always)
        func radiance(_ r: Int) -> RGB<Double> {
            RGB(samples.radiance[3 * r], samples.radiance[3 * r + 1], samples.radiance[3 * r + 2])
        }

        /// Adds a tile's counts to the cache's (`StaticPaths.counts`).
        public func count(reused: Int, of samples: Int) {
            paths.lock.lock(); paths.reused += reused; paths.seen += samples; paths.lock.unlock()
        }
    }

    /// Whether the segment o + t d, t in [0, tMax], meets box `b` (slabs; an axis
    /// the segment runs parallel to is met only from inside the slab).
    @inline(__always)
    static func meets(_ b: Bounds3, _ o: Vec3, _ d: Vec3, _ tMax: Double) -> Bool {
        var t0 = 0.0, t1 = tMax
        @inline(__always) func slab(_ oa: Double, _ da: Double, _ lo: Double, _ hi: Double) -> Bool {
            if da == 0 { return oa >= lo && oa <= hi }
            let inv = 1 / da
            let ta = (lo - oa) * inv, tb = (hi - oa) * inv
            t0 = max(t0, min(ta, tb))
            t1 = min(t1, max(ta, tb))
            return t0 <= t1
        }
        return slab(o.x, d.x, b.lower.x, b.upper.x) && slab(o.y, d.y, b.lower.y, b.upper.y) && slab(o.z, d.z, b.lower.z, b.upper.z)
    }
}
