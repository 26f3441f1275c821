import Cluster
import Foundation
import Geometry
import ImageIO

/// One differentiated scalar: a parameter key and a component of its value.
public struct ParameterComponent: Sendable, Hashable {
    public var key: String
    public var index: Int
    public init(key: String, index: Int) { self.key = key; self.index = index }
    public var name: String { "\(key)[\(index)]" }
}

extension Scene {
    /// The filter weight each pixel accumulates for (spp, seed): the film's
    /// normalisation, recomputed from the film samples without tracing.
    /// On `threads` threads, each summing a band of rows from the samples
    /// that reach it, in the order one thread takes them (sample pixels in
    /// row-major order): the same sums to the bit for any number of threads.
    public func filmWeights(spp: Int, seed: UInt64, threads: Int = 1) -> [Double] {
        let w = film.width, h = film.height
        if film.filter == .box { return [Double](repeating: Double(spp), count: w * h) }
        var weights = [Double](repeating: 0, count: w * h)
        let probe = ImageBlock(x0: 0, y0: 0, width: 1, height: 1, filter: film.filter)
        let r = film.filter.radius
        // A sample in pixel row y reaches the rows within the filter radius of y + [0, 1).
        let reach = Int(r.rounded(.up)) + 1
        // The most columns a sample reaches: ⌊fx + r − ½⌋ − ⌈fx − r − ½⌉ + 1 ≤ 2r + 1.
        let span = 2 * Int(r.rounded(.up)) + 2
        let bands = max(1, min(threads, h))
        weights.withUnsafeMutableBufferPointer { out in
          probe.table.withUnsafeBufferPointer { table in
            let out = out
            forEachTile(bands, threads: threads, progress: nil) { band in
                let ya = band * h / bands, yb = (band + 1) * h / bands
                // `forEachSample`'s film points of the rows that reach the band, and
                // `forEachWeight`'s pixels and products (the filter weight of each column
                // times that of each row), the rows clipped to the band, in place: each
                // pixel sums the same products in the same order, without a closure and a
                // test per pixel (a pixel's skipped zero weights added nothing).
                withUnsafeTemporaryAllocation(of: Double.self, capacity: span) { wx in
                    forEachSample(x0: 0, y0: max(0, ya - reach), x1: w, y1: min(h, yb + reach), spp: spp, seed: seed) { fx, fy, _ in
                        let xa = max(0, Int((fx - r - 0.5).rounded(.up))), xb = min(w - 1, Int((fx + r - 0.5).rounded(.down)))
                        let y0 = max(ya, Int((fy - r - 0.5).rounded(.up))), y1 = min(yb - 1, Int((fy + r - 0.5).rounded(.down)))
                        if xa > xb || y0 > y1 { return }
                        for x in xa...xb { wx[x - xa] = ImageBlock.tabulatedWeight(Double(x) + 0.5 - fx, table, radius: r) }
                        for y in y0...y1 {
                            let wy = ImageBlock.tabulatedWeight(Double(y) + 0.5 - fy, table, radius: r)
                            let row = out.baseAddress! + y * w
                            for x in xa...xb { row[x] += wx[x - xa] * wy }
                        }
                    }
                }
            }
          }
        }
        return weights
    }

    /// Visits every sample of a tile in the order the primal renderer takes
    /// them, with the sampler positioned after the film sample: a path is
    /// replayed with exactly the random numbers its primal used.
    @inlinable
    public func forEachSample(x0: Int, y0: Int, x1: Int, y1: Int, spp: Int, seed: UInt64,
                              _ body: (_ filmX: Double, _ filmY: Double, _ sampler: inout PathSampler) -> Void) {
        for y in y0..<y1 {
            for x in x0..<x1 {
                let pixel = y * film.width + x
                for s in 0..<spp {
                    var sampler = PathSampler(seed: seed, pixel: pixel, index: s)
                    let (fx, fy) = sampler.next2D()
                    body(Double(x) + fx, Double(y) + fy, &sampler)
                }
            }
        }
    }
}

extension Scene where T == Double {
    /// The components of the given keys, in order; throws on unknown keys.
    public func components(of keys: [String]) throws -> [ParameterComponent] {
        try validate(keys: keys)
        let all = parameters()
        return keys.flatMap { k in
            (0..<all.first(where: { $0.key == k })!.values.count).map { ParameterComponent(key: k, index: $0) }
        }
    }

    /// Forward mode: the image and its derivative with respect to each
    /// component of `keys` (one image each), by dual numbers carrying 8
    /// partials, in as many passes as there are chunks of 8 components.
    /// `boundary` adds the visibility term of geometry and camera parameters
    /// (edge sampling, see `BoundaryOptions`); `.interiorOnly` leaves it out.
    public func renderForward(keys: [String], _ options: RenderOptions, boundary: BoundaryOptions = .standard) throws
        -> (image: Image, derivatives: [(component: ParameterComponent, image: Image)]) {
        let comps = try components(of: keys)
        try checkBoundarySupported(keys, boundary)
        var image: Image? = nil
        var derivatives = [(component: ParameterComponent, image: Image)]()
        var start = 0
        repeat {
            let chunk = Array(comps[start..<min(start + 8, comps.count)])
            let (img, ders) = renderForwardChunk(chunk, options, boundary: boundary)
            if image == nil { image = img }
            for (k, c) in chunk.enumerated() { derivatives.append((c, ders[k])) }
            start += 8
        } while start < comps.count
        return (image!, derivatives)
    }

    /// One forward pass with up to 8 components as the dual partials.
    func renderForwardChunk(_ chunk: [ParameterComponent], _ options: RenderOptions,
                            boundary: BoundaryOptions = .standard) -> (Image, [Image]) {
        typealias D = Dual<SIMD8<Double>>
        var slot = [String: [Int: Int]]()
        for (k, c) in chunk.enumerated() { slot[c.key, default: [:]][c.index] = k }
        return renderForwardAlong(SIMD8<Double>.self, lanes: chunk.count, { slot[$0] != nil }, { key, values in
            values.enumerated().map { i, v in
                if let k = slot[key]?[i] { return D(v, variable: k) }
                return D(v)
            }
        }, options, boundary, geometryMayMove(chunk.map(\.key)))
    }

    /// Forward mode along caller-chosen directions, in ONE pass however many
    /// keys move: `tangent(key, values)` lifts a differentiated key's values to
    /// duals whose partials are the derivatives along each of the `P.scalarCount`
    /// directions (for instance ∂pose/∂state of a rigid body driven by a
    /// simulator). Returns the image and one derivative image for each of the
    /// first `lanes` directions (the partials of the others are not accumulated:
    /// a caller with one direction passes 1).
    /// `differentiates` names the keys `tangent` lifts; the others stay constant.
    /// (Concrete overloads for 2 and 4 directions: a generic entry point would
    /// run unspecialised across the module boundary, hundreds of times slower.)
    public func renderForward(directions: SIMD2<Double>.Type, lanes: Int = 2, differentiates: @escaping (String) -> Bool,
                              tangent: @escaping (_ key: String, _ values: [Double]) -> [Dual<SIMD2<Double>>],
                              _ options: RenderOptions, boundary: BoundaryOptions = .standard,
                              geometryMoves: Bool = true, reusing paths: StaticPaths? = nil) -> (image: Image, derivatives: [Image]) {
        precondition((1...2).contains(lanes), "renderForward: lanes must be 1 or 2, got \(lanes)")
        return renderForwardAlong(directions, lanes: lanes, differentiates, tangent, options, boundary, geometryMoves, paths)
    }

    /// See the two-direction overload (`lanes` in 1...4).
    public func renderForward(directions: SIMD4<Double>.Type, lanes: Int = 4, differentiates: @escaping (String) -> Bool,
                              tangent: @escaping (_ key: String, _ values: [Double]) -> [Dual<SIMD4<Double>>],
                              _ options: RenderOptions, boundary: BoundaryOptions = .standard,
                              geometryMoves: Bool = true, reusing paths: StaticPaths? = nil) -> (image: Image, derivatives: [Image]) {
        precondition((1...4).contains(lanes), "renderForward: lanes must be in 1...4, got \(lanes)")
        return renderForwardAlong(directions, lanes: lanes, differentiates, tangent, options, boundary, geometryMoves, paths)
    }

    /// The forward pass behind both: derivative images for the first `lanes`
    /// dual lanes (the others are unused and not accumulated).
    func renderForwardAlong<P: SIMD>(_ directions: P.Type, lanes k: Int, _ differentiates: @escaping (String) -> Bool,
                                     _ tangent: @escaping (_ key: String, _ values: [Double]) -> [Dual<P>],
                                     _ options: RenderOptions, _ boundary: BoundaryOptions,
                                     _ geometryMoves: Bool, _ paths: StaticPaths? = nil) -> (image: Image, derivatives: [Image])
        where P.Scalar == Double {
        var liftedKeys = Set<String>()
        let dual = lifted(Lifter<Dual<P>>(differentiates: differentiates) { key, values in
            if differentiates(key) {
                liftedKeys.insert(key)
                return tangent(key, values)
            }
            return values.map { Dual<P>($0) }
        })
        let marked = shapesVarying(with: liftedKeys)
        var boundary = boundary
        boundary.attachment = marked == nil ? nil : attachmentAndVariates(keys: Array(liftedKeys), boundary, seed: options.seed)
        let weights = filmWeights(spp: options.samplesPerPixel, seed: options.seed, threads: options.threads)
        let (image, interior) = renderDual(dual, lanes: k, options, marked: marked, attachment: boundary.attachment,
                                           filmWeights: weights, reusing: marked == nil ? nil : paths?.frame(for: self, options))
        guard boundary.isEnabled && geometryMoves else { return (image, interior) }
        let edges = boundaryDerivatives(dual: dual, width: k, options, boundary, filmWeights: weights, moving: marked)
        let sum = interior.enumerated().map { j, img in
            var pixels = img.pixels
            let n = pixels.count
            edges.withUnsafeBufferPointer { e in
                for i in 0..<n { pixels[i] += Float(e[j * n + i]) }
            }
            return Image(width: img.width, height: img.height, pixels: pixels)
        }
        return (image, sum)
    }

    /// Whether any of `keys` can move a visibility discontinuity (shape pose
    /// and geometry, camera pose and field of view, a point light's position);
    /// material and light values cannot, and skip the boundary pass.
    /// The boundary term projects silhouettes through a pinhole: with a thin
    /// lens or an orthographic sensor it would be wrong, so it is refused; so
    /// it is in a scene with an `sdfgrid`, whose silhouettes it does not sample.
    func checkBoundarySupported(_ keys: [String], _ boundary: BoundaryOptions) throws {
        if boundary.isEnabled && geometryMayMove(keys), let grid = shapes.first(where: \.isSDFGrid) {
            throw ParameterError("visibility gradients (edge sampling) of \(keys.joined(separator: ", ")) are not supported in a scene "
                                 + "with an sdfgrid ('\(grid.id)': its silhouettes are not sampled); pass --no-boundary for the interior term only")
        }
        if boundary.isEnabled && geometryMayMove(keys) && !camera.isPinhole {
            throw ParameterError("visibility gradients (edge sampling) of \(keys.joined(separator: ", ")) need a perspective sensor; "
                                 + "this scene's is \(camera.kind.rawValue) (pass --no-boundary for the interior term only, or use a perspective sensor)")
        }
    }

    /// Per BSDF, whether one of `keys` is its own: nil unless every key names
    /// a parameter of a `diffuse` BSDF (its reflectance, a constant colour or a
    /// texture's values) and no shape, sensor or emitter. Such keys move no
    /// geometry and no sampled direction, so the reverse pass replays a path with
    /// its geometry in doubles and only its colours on the tape
    /// (`pathRadiance(from:radiance:beta:_:colours:coloured:marked:touched:gathering:)`).
    func diffuseBSDFsVarying(with keys: Set<String>) -> [Bool]? {
        guard let owners = keyOwners(keys), !owners.shapes.contains(true) else { return nil }
        for b in owners.bsdfs.indices where owners.bsdfs[b] {
            guard case .diffuse = bsdfs[b] else { return nil }
        }
        return owners.bsdfs
    }

    /// The BSDFs and shapes that own one of `keys` (a key is a BSDF's when it
    /// starts with that BSDF's prefix, a shape's when it starts with its id and a
    /// dot), or nil when a key is the sensor's or an emitter's, falls under an
    /// empty prefix, or is owned by no BSDF and no shape.
    func keyOwners(_ keys: Set<String>) -> (bsdfs: [Bool], shapes: [Bool])? {
        var ownBSDFs = [Bool](repeating: false, count: bsdfs.count)
        var ownShapes = [Bool](repeating: false, count: shapes.count)
        for key in keys {
            if key.hasPrefix(sensorID + ".") { return nil }
            if emitterPrefixes.contains(where: { $0.isEmpty || key.hasPrefix($0) }) { return nil }
            var attributed = false
            for (b, prefix) in bsdfPrefixes.enumerated() where key.hasPrefix(prefix) {
                if prefix.isEmpty { return nil }
                ownBSDFs[b] = true
                attributed = true
            }
            for i in shapes.indices where key.hasPrefix(shapes[i].id + ".") {
                ownShapes[i] = true
                attributed = true
            }
            if !attributed { return nil }
        }
        return (ownBSDFs, ownShapes)
    }

    func geometryMayMove(_ keys: [String]) -> Bool {
        let suffixes = [".translate", ".rotate", ".vertex_positions", ".to_world", ".x_fov", ".center", ".radius", ".position"]
        return keys.contains { k in suffixes.contains { k.hasSuffix($0) } }
    }

    /// The shapes whose surface values depend on the differentiated `keys`
    /// (their own pose or geometry keys, or their BSDF's), or nil when a key
    /// may change light arriving anywhere (the sensor, an emitter, a moving or
    /// re-parametrised area light, or a key not attributed to a shape or a
    /// BSDF). A path none of whose vertices lies on a marked shape has zero
    /// derivatives (shadow rays only test visibility, whose change is the
    /// boundary term's), so the forward renderer takes it from the primal.
    func shapesVarying(with keys: Set<String>) -> [Bool]? {
        guard let owners = keyOwners(keys) else { return nil }
        let marked = shapes.indices.map { owners.shapes[$0] || owners.bsdfs[shapes[$0].bsdf] }
        for i in shapes.indices where marked[i] && shapes[i].emitter != nil { return nil }
        return marked
    }

    /// Renders radiance and `k` derivative images of `dual` (this scene lifted
    /// to dual numbers) in one pass over the film. With `marked` (see
    /// `shapesVarying(with:)`) each path is first traced in doubles and
    /// re-traced with dual numbers only if it touched a marked shape; the
    /// others contribute their primal radiance and zero derivatives. With an
    /// `attachment`, a path whose first vertex lies on an attached shape moves
    /// its film point with that vertex (`attachedCameraRay`): its radiance is
    /// splatted times the map's Jacobian, and the filter's slopes carry the
    /// film point's motion; with the attachment's `variates`, the derivative
    /// channels take the radiance relative to its shape's variate, as reverse
    /// mode sweeps it (`attachedVariates`). `filmWeights` is the film's
    /// normalisation (`filmWeights(spp:seed:threads:)`). With `reuse` (which needs `marked`), a sample that
    /// meets no moving shape (`StaticPaths.Frame.reusable`) contributes the
    /// kept radiance of the static scene's path instead of its probe's: the same
    /// number, since that path is the same.
    func renderDual<P: SIMD>(_ dual: Scene<Dual<P>>, lanes k: Int, _ options: RenderOptions,
                             marked: [Bool]?, attachment: FirstVertexAttachment? = nil, filmWeights weights: [Double],
                             reusing reuse: StaticPaths.Frame? = nil) -> (Image, [Image]) where P.Scalar == Double {
        let grid = TileGrid(width: film.width, height: film.height)
        let channels = 3 * (1 + k)
        var blocks = [[Double]?](repeating: nil, count: grid.count)
        let spp = options.samplesPerPixel, seed = options.seed
        let probe = ImageBlock(x0: 0, y0: 0, width: 1, height: 1, filter: film.filter)
        let w = film.width, h = film.height
        let shards = options.tiles(grid), owned = shards.owned
        blocks.withUnsafeMutableBufferPointer { out in
          (marked ?? []).withUnsafeBufferPointer { markedBuffer in
            let out = out, markedShapes = marked == nil ? nil : markedBuffer
            let tanX = camera.tanHalfFov, dualTanX = dual.camera.tanHalfFov
            forEachTile(owned.count, threads: options.threads, progress: options.reportedProgress) { position in
                let tile = owned[position]
                let (x0, y0, x1, y1) = grid.bounds(tile)
                let (bx0, by0, bw, bh) = StaticPaths.bordered(x0, y0, x1, y1, border: probe.border, filmWidth: w, filmHeight: h)
                var data = [Double](repeating: 0, count: bw * bh * channels)
                var r = reuse?.start(tile) ?? 0, reused = 0
                let count = (x1 - x0) * (y1 - y0) * spp
                /// A sample with zero derivatives: its finite radiance through the filter into the primal channels.
                @inline(__always)
                func splatPrimal(_ data: UnsafeMutableBufferPointer<Double>, _ fx: Double, _ fy: Double, _ v: RGB<Double>) {
                    StaticPaths.splat(data, channels: channels, x0: bx0, y0: by0, width: bw, probe, filmWidth: w, filmHeight: h, fx, fy, v)
                }
                if let reuse, reuse.reusesAll(tile, count: count), let kept = reuse.keptSums(tile, filter: film.filter) {
                    // No moving shape reaches this tile's samples: the sums their kept radiances
                    // make, splatted as below in the same order from zero, in the primal channels.
                    for p in 0..<bw * bh {
                        data[p * channels] = kept[3 * p]; data[p * channels + 1] = kept[3 * p + 1]; data[p * channels + 2] = kept[3 * p + 2]
                    }
                    reuse.count(reused: count, of: count)
                    out[tile] = data
                    return
                }
                data.withUnsafeMutableBufferPointer { data in
                    forEachSample(x0: x0, y0: y0, x1: x1, y1: y1, spp: spp, seed: seed) { fx, fy, sampler in
                        var l: RGB<Dual<P>>
                        var moved: (x: Dual<P>, y: Dual<P>)? = nil
                        // An attached path's film term relative to its shape's variate, times the Jacobian.
                        var relative: RGB<Dual<P>>? = nil
                        if let markedShapes {
                            defer { r += 1 }
                            // A kept sample touches no moving shape: its radiance, without a camera ray.
                            if reuse.map({ $0.reusable(r) }) ?? false {
                                splatPrimal(data, fx, fy, reuse!.radiance(r))
                                reused += 1
                                return
                            }
                            var state = PathState(cameraRay: camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX))
                            var replay = sampler, touched = false
                            let v = pathRadiance(from: &state, &replay, marked: markedShapes, touched: &touched)
                            if !touched {
                                splatPrimal(data, fx, fy, v)
                                return
                            }
                            // As in reverse mode: every number before the touched vertex is a constant,
                            // so the dual path continues from the probe's state there.
                            var resumed = PathState<Dual<P>>(constant: state)
                            var jacobian: Dual<P>? = nil, variate: RGB<Dual<P>>? = nil
                            if let attachment, state.depth == 0,
                               let a = attach(&resumed, filmX: fx, filmY: fy, in: dual, attachment) {
                                moved = (a.x, a.y)
                                jacobian = a.jacobian
                                variate = attachment.variates.map { $0[a.shape](a.x, a.y) }
                            }
                            l = dual.pathRadiance(from: &resumed, &replay, marked: nil, touched: &touched)
                            if let jacobian {
                                if let variate { relative = (l - variate) * jacobian }
                                l = l * jacobian
                            }
                        } else {
                            l = dual.pathRadiance(dual.camera.ray(filmX: fx, filmY: fy, tanHalfFov: dualTanX), &sampler)
                        }
                        let v = l.primal
                        if !(v.r.isFinite && v.g.isFinite && v.b.isFinite) { return }
                        // The primal channels take the radiance, the derivative channels its film term.
                        let d = relative ?? l
                        probe.forEachWeight(fx: fx, fy: fy, filmWidth: w, filmHeight: h) { x, y, wt in
                            var i = ((y - by0) * bw + (x - bx0)) * channels
                            data[i] += v.r * wt; data[i + 1] += v.g * wt; data[i + 2] += v.b * wt
                            for j in 0..<k {
                                i += 3
                                data[i] += d.r.partials[j] * wt; data[i + 1] += d.g.partials[j] * wt; data[i + 2] += d.b.partials[j] * wt
                            }
                        }
                        // The attached film point's motion through the filter's slopes.
                        guard let moved else { return }
                        let u = d.primal
                        probe.forEachSlope(fx: fx, fy: fy, filmWidth: w, filmHeight: h) { x, y, sx, sy in
                            var i = ((y - by0) * bw + (x - bx0)) * channels
                            for j in 0..<k {
                                i += 3
                                let m = sx * moved.x.partials[j] + sy * moved.y.partials[j]
                                data[i] += u.r * m; data[i + 1] += u.g * m; data[i + 2] += u.b * m
                            }
                        }
                    }
                }
                reuse?.count(reused: reused, of: count)
                out[tile] = data
            }
          }
        }
        if shards.communicator.isDistributed {
            for (tile, data) in shards.allGather(owned.map { blocks[$0]! }).enumerated() { blocks[tile] = data }
        }
        // Merge in tile order, then normalise by the film weights: in parallel
        // over bands of rows (each pixel still sums its tiles in tile order).
        let n = w * h * 3
        var images = [Float](repeating: 0, count: (1 + k) * n)
        let merged = blocks  // a `let`: the bands read it in place
        images.withUnsafeMutableBufferPointer { images in
            let images = images
            let bands = grid.rows
            forEachTile(bands, threads: options.threads, progress: nil) { band in
                let ya = band * TileGrid.size, yb = min(h, ya + TileGrid.size)
                var sums = [Double](repeating: 0, count: (yb - ya) * w * channels)
                sums.withUnsafeMutableBufferPointer { sums in
                    for tile in 0..<grid.count {
                        let (x0, y0, x1, y1) = grid.bounds(tile)
                        let (bx0, by0, bw, bh) = StaticPaths.bordered(x0, y0, x1, y1, border: probe.border, filmWidth: w, filmHeight: h)
                        let ry0 = max(by0, ya), ry1 = min(by0 + bh, yb)
                        if ry0 >= ry1 { continue }
                        merged[tile]!.withUnsafeBufferPointer { data in
                            // A row of the block is a run of bw pixels' channels in the band's row too.
                            for y in ry0..<ry1 {
                                let s = (y - by0) * bw * channels, d = ((y - ya) * w + bx0) * channels
                                for i in 0..<bw * channels { sums[d + i] += data[s + i] }
                            }
                        }
                    }
                    weights.withUnsafeBufferPointer { weights in
                        for p in ya * w..<yb * w where weights[p] > 0 {
                            let d = (p - ya * w) * channels
                            for j in 0...k {
                                for c in 0..<3 { images[j * n + p * 3 + c] = Float(sums[d + j * 3 + c] / weights[p]) }
                            }
                        }
                    }
                }
            }
        }
        let all = (0...k).map { j in Image(width: w, height: h, pixels: Array(images[j * n..<(j + 1) * n])) }
        return (all[0], Array(all.dropFirst()))
    }
}

extension Scene where T == Double {
    /// This scene over `Adjoint`: the components of `wanted` keys become
    /// variables on `tape` (returned as `leaves`, by key), everything else constants.
    func liftedOnTape(_ tape: Tape, differentiating wanted: Set<String>) -> (scene: Scene<Adjoint>, leaves: [String: [Adjoint]]) {
        var leaves = [String: [Adjoint]]()
        let scene = lifted(Lifter<Adjoint>(differentiates: { wanted.contains($0) }) { key, values in
            if wanted.contains(key) {
                let l = values.map { tape.variable($0) }
                leaves[key] = l
                return l
            }
            return values.map { Adjoint($0) }
        })
        return (scene, leaves)
    }

    /// Reverse mode by path replay: given ∂loss/∂image (linear RGB, row-major,
    /// `width·height·3` values), returns ∂loss/∂p for every component of
    /// `keys`. Each path is re-traced with the random numbers of its primal
    /// sample on a per-thread tape, seeded with its share of the pixel
    /// adjoints (through the film filter), swept backwards, and the tape cut
    /// back to the parameter leaves: memory does not grow with spp or depth.
    /// Per-tile gradients are summed in tile order, so the result does not
    /// depend on the number of threads.
    /// `boundary` adds the visibility term of geometry and camera parameters
    /// (edge sampling, see `BoundaryOptions`); `.interiorOnly` leaves it out.
    public func renderReverse(keys: [String], imageAdjoint: [Double], _ options: RenderOptions,
                              boundary: BoundaryOptions = .standard) throws -> [Double] {
        try reverse(keys: keys, imageAdjoint: imageAdjoint, options, boundary: boundary, splat: false).gradient
    }

    /// `render(options)` and `renderReverse` in ONE pass, for a loss whose
    /// ∂loss/∂image does not depend on the image (the mean): each path's
    /// radiance (its probe's in doubles, or its replay's primal on the tape)
    /// is splatted as `render` splats it (the same paths and the same
    /// arithmetic: the same image to the bit), and the replayed paths are
    /// swept as `renderReverse` sweeps them. A scene whose camera
    /// rays `render` draws otherwise (a moving camera, an open shutter) or
    /// with an `aov` integrator takes the two one after the other.
    public func renderReverseWithImage(keys: [String], imageAdjoint: [Double], _ options: RenderOptions,
                                       boundary: BoundaryOptions = .standard) throws -> (image: Image, gradient: [Double]) {
        var separate = camera.motion != nil || camera.shutter.isOpen
        if case .aov = integrator.kind { separate = true }
        if separate {
            let image = render(options).0
            return (image, try renderReverse(keys: keys, imageAdjoint: imageAdjoint, options, boundary: boundary))
        }
        let r = try reverse(keys: keys, imageAdjoint: imageAdjoint, options, boundary: boundary, splat: true)
        return (r.image!, r.gradient)
    }

    /// The reverse pass behind both; with `splat`, the image too (every path's
    /// radiance splatted, paths with zero adjoint seeds traced but not swept).
    func reverse(keys: [String], imageAdjoint: [Double], _ options: RenderOptions, boundary: BoundaryOptions,
                 splat: Bool) throws -> (gradient: [Double], image: Image?) {
        let comps = try components(of: keys)
        try checkBoundarySupported(keys, boundary)
        let w = film.width, h = film.height
        guard imageAdjoint.count == w * h * 3 else {
            throw ParameterError("image adjoint has \(imageAdjoint.count) values, expected \(w)x\(h)x3 = \(w * h * 3)")
        }
        let spp = options.samplesPerPixel, seed = options.seed
        let weights = filmWeights(spp: spp, seed: seed, threads: options.threads)
        let grid = TileGrid(width: w, height: h)
        var perTile = [[Double]](repeating: [], count: grid.count)
        var blocks = [ImageBlock?](repeating: nil, count: grid.count)
        var invalid = [Int](repeating: 0, count: grid.count)
        let probe = ImageBlock(x0: 0, y0: 0, width: 1, height: 1, filter: film.filter)
        let wanted = Set(keys)
        // As in forward mode: a path none of whose vertices lies on a shape the keys
        // vary has no derivative; it is traced in doubles first and replayed on the
        // tape only when it touched one (its probe stopped there). With `splat`, an
        // untouched path's probe is its whole radiance, and a replayed one's primal is.
        let marked = shapesVarying(with: wanted)
        let cameraVaries = wanted.contains { $0.hasPrefix(sensorID + ".") }
        // Keys of diffuse BSDFs only: the replay keeps its geometry in doubles.
        let coloured = marked == nil ? nil : diffuseBSDFsVarying(with: wanted)
        var boundary = boundary
        boundary.attachment = marked == nil || cameraVaries ? nil : attachmentAndVariates(keys: keys, boundary, seed: seed)
        let attachment = boundary.attachment
        let primalTanX = camera.tanHalfFov
        let shards = options.tiles(grid), owned = shards.owned
        perTile.withUnsafeMutableBufferPointer { out in
          blocks.withUnsafeMutableBufferPointer { blocksOut in
          invalid.withUnsafeMutableBufferPointer { invalidOut in
          (marked ?? []).withUnsafeBufferPointer { markedBuffer in
          (coloured ?? []).withUnsafeBufferPointer { colouredBuffer in
            let out = out, blocksOut = blocksOut, invalidOut = invalidOut, markedShapes = marked == nil ? nil : markedBuffer
            let colouredBSDFs = coloured == nil ? nil : colouredBuffer
            forEachTile(owned.count, threads: options.threads, progress: options.reportedProgress) { position in
                let tile = owned[position]
                let tape = Tape.current
                tape.reset()
                let (scene, leaves) = liftedOnTape(tape, differentiating: wanted)
                let mark = tape.count
                let tanX = scene.camera.tanHalfFov
                let (x0, y0, x1, y1) = grid.bounds(tile)
                var block = splat ? ImageBlock(x0: x0, y0: y0, width: x1 - x0, height: y1 - y0, filter: film.filter) : nil
                var bad = 0
                forEachSample(x0: x0, y0: y0, x1: x1, y1: y1, spp: spp, seed: seed) { fx, fy, sampler in
                    // The path's adjoint seeds: its share of the pixel adjoints through the filter.
                    var sr = 0.0, sg = 0.0, sb = 0.0, seeded = false
                    func seed() {
                        probe.forEachWeight(fx: fx, fy: fy, filmWidth: w, filmHeight: h) { x, y, wt in
                            let p = y * w + x
                            let s = wt / weights[p]
                            sr += imageAdjoint[3 * p] * s; sg += imageAdjoint[3 * p + 1] * s; sb += imageAdjoint[3 * p + 2] * s
                        }
                        seeded = !(sr == 0 && sg == 0 && sb == 0)
                    }
                    // Without `splat` a path with no seeds is not traced; with it, only a
                    // replayed path needs them (an untouched one is splatted alone).
                    if !splat {
                        seed()
                        if !seeded { return }
                    }
                    // The replay continues in `Adjoint` from a state of constants: the camera's (no ray
                    // traced yet) or, for a path that touched a marked shape, the probe's at that
                    // vertex (every number before it is a constant: no key reaches an unmarked shape,
                    // the sensor or an emitter). Only a differentiated sensor replays from its own ray.
                    var state = PathState(cameraRay: camera.ray(filmX: fx, filmY: fy, tanHalfFov: primalTanX))
                    var replay = sampler, touched = false
                    if let markedShapes {
                        // Without `splat` nothing reads the probe's radiance: it gathers none.
                        let v = pathRadiance(from: &state, &replay, marked: markedShapes, touched: &touched, gathering: splat)
                        if !touched {
                            if splat {
                                if v.r.isFinite && v.g.isFinite && v.b.isFinite { block!.put(fx: fx, fy: fy, v) } else { bad += 1 }
                            }
                            return
                        }
                    }
                    if splat { seed() }
                    let l: RGB<Adjoint>
                    // Attached: the pixel adjoints as functions of the moving film point, times the Jacobian.
                    var scale: (Adjoint, Adjoint, Adjoint)? = nil, variate = RGB<Adjoint>.zero
                    if cameraVaries {
                        l = scene.pathRadiance(scene.camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX), &sampler)
                    } else if let colouredBSDFs {
                        var radiance = RGB<Adjoint>(state.radiance), beta = RGB<Adjoint>(state.beta)
                        l = pathRadiance(from: &state, radiance: &radiance, beta: &beta, &replay, colours: scene,
                                         coloured: colouredBSDFs, marked: nil, touched: &touched, gathering: true)
                    } else {
                        var resumed = PathState<Adjoint>(constant: state)
                        if let attachment, state.depth == 0,
                           let a = attach(&resumed, filmX: fx, filmY: fy, in: scene, attachment) {
                            scale = attachedSeeds(fx: fx, fy: fy, a.x, a.y, a.jacobian, seeds: (sr, sg, sb), imageAdjoint: imageAdjoint,
                                                  weights: weights, probe)
                            if let v = attachment.variates { variate = v[a.shape](a.x, a.y) }
                        }
                        l = scene.pathRadiance(from: &resumed, &replay, marked: nil, touched: &touched)
                    }
                    let finite = l.r.value.isFinite && l.g.value.isFinite && l.b.value.isFinite
                    if splat {
                        if finite { block!.put(fx: fx, fy: fy, RGB(l.r.value, l.g.value, l.b.value)) } else { bad += 1 }
                    }
                    let varies = !(l.r.isConstant && l.g.isConstant && l.b.isConstant)
                    if let scale, seeded && finite {
                        // The film term relative to the shape's variate (`attachedVariates`).
                        tape.backward((l.r - variate.r) * scale.0, (l.g - variate.g) * scale.1, (l.b - variate.b) * scale.2,
                                      seeds: 1, 1, 1, from: mark)
                    } else if seeded && varies && finite {
                        tape.backward(l.r, l.g, l.b, seeds: sr, sg, sb, from: mark)
                    }
                    tape.truncate(to: mark)
                }
                // Carry what reached the lifted scene's intermediate values
                // (pose offsets built from the leaves) down to the leaves.
                tape.propagate(from: 0)
                out[tile] = comps.map { c in leaves[c.key].map { tape.adjoint(of: $0[c.index]) } ?? 0 }
                tape.reset()
                if splat { blocksOut[tile] = block; invalidOut[tile] = bad }
            }
          }
          }
          }
          }
        }
        // Summed in tile order on every process, whichever process traced each tile.
        var total = shards.sumInShardOrder(owned.map { perTile[$0] }, length: comps.count)
        if boundary.isEnabled && geometryMayMove(keys) {
            let edges = boundaryGradient(keys: keys, components: comps, imageAdjoint: imageAdjoint, options, boundary,
                                         filmWeights: weights)
            for i in total.indices { total[i] += edges[i] }
        }
        return (total, splat ? develop(blocks, invalid: invalid, grid, shards).image : nil)
    }
}

extension Scene where T == Double {
    /// A replay about to trace its camera ray (`state`, through film point
    /// (fx, fy)) whose first vertex lies on a shape `attachment` attaches:
    /// `state` then traces the attached camera ray in `scene` (this scene
    /// lifted), and the attached film point, the Jacobian and the shape are
    /// returned; nil leaves `state` as it is. Out of line: inlined, it made the
    /// replay loop's closure too large for the film weights' loop to be inlined into it.
    @inline(never)
    func attach<S: Real>(_ state: inout PathState<S>, filmX fx: Double, filmY fy: Double, in scene: Scene<S>,
                         _ attachment: FirstVertexAttachment) -> (x: S, y: S, jacobian: S, shape: Int)? {
        let ray = state.ray.primal
        guard let first = intersect(ray), attachment.attached[first.shape] else { return nil }
        let a = scene.attachedCameraRay(ray, filmX: fx, filmY: fy, point: first.p, normal: first.ng, shape: first.shape, attachment)
        state.ray = a.ray
        return (a.x, a.y, a.jacobian, first.shape)
    }

    /// The adjoint seeds of a path whose film point (x, y) is attached (primal
    /// (fx, fy), `attachedCameraRay`): each channel's Σ_p ∂loss/∂I_p f(x − p) / W_p
    /// to first order in the film point's motion (`seeds` at (fx, fy) plus the
    /// filter's slopes times the motion), times the Jacobian.
    @inline(never)
    func attachedSeeds(fx: Double, fy: Double, _ x: Adjoint, _ y: Adjoint, _ jacobian: Adjoint, seeds: (Double, Double, Double),
                       imageAdjoint: [Double], weights: [Double], _ probe: ImageBlock) -> (Adjoint, Adjoint, Adjoint) {
        let w = film.width, h = film.height
        var gx = (0.0, 0.0, 0.0), gy = (0.0, 0.0, 0.0)
        probe.forEachSlope(fx: fx, fy: fy, filmWidth: w, filmHeight: h) { px, py, sx, sy in
            let p = py * w + px
            guard weights[p] > 0 else { return }
            let a = (imageAdjoint[3 * p] / weights[p], imageAdjoint[3 * p + 1] / weights[p], imageAdjoint[3 * p + 2] / weights[p])
            gx.0 += a.0 * sx; gx.1 += a.1 * sx; gx.2 += a.2 * sx
            gy.0 += a.0 * sy; gy.1 += a.1 * sy; gy.2 += a.2 * sy
        }
        let dx = x - Adjoint(fx), dy = y - Adjoint(fy)
        return (jacobian * Adjoint(seeds.0) + dx * Adjoint(gx.0) + dy * Adjoint(gy.0),
                jacobian * Adjoint(seeds.1) + dx * Adjoint(gx.1) + dy * Adjoint(gy.1),
                jacobian * Adjoint(seeds.2) + dx * Adjoint(gx.2) + dy * Adjoint(gy.2))
    }
}
