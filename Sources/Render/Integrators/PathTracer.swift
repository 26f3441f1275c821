import Geometry

extension Scene {
    /// Radiance along a camera ray by unidirectional path tracing with
    /// next-event estimation, multiple importance sampling (power heuristic)
    /// and Russian roulette, following Mitsuba 3's `path` integrator: depth
    /// counts path segments, `max_depth` 1 shows emitters only, Russian
    /// roulette from `rr_depth` with probability min(max β · η², 0.95).
    ///
    /// Generic over the scalar: with `Double` it renders; with `Dual` or
    /// `Adjoint` and the same sampler it replays the same path and carries
    /// derivatives. Every branch is taken on primal values.
    @inlinable
    public func pathRadiance(_ cameraRay: Ray<T>, _ sampler: inout PathSampler) -> RGB<T> {
        var touched = false
        return pathRadiance(cameraRay, &sampler, marked: nil, touched: &touched)
    }

    /// `pathRadiance(_:_:)` that also sets `touched` when a vertex of the path
    /// (a hit of the camera ray or of a continuation ray; shadow rays do not
    /// count) lies on a shape `s` with `marked[s]`. The forward-mode renderer
    /// traces the primal path first and re-traces it with dual numbers only
    /// if it touched a shape whose parameters are differentiated. A path that
    /// touches one stops there: its radiance is then partial, and the callers
    /// (which replay such a path) do not use it.
    @inlinable
    public func pathRadiance(_ cameraRay: Ray<T>, _ sampler: inout PathSampler,
                             marked: UnsafeBufferPointer<Bool>?, touched: inout Bool) -> RGB<T> {
        var state = PathState(cameraRay: cameraRay)
        return pathRadiance(from: &state, &sampler, marked: marked, touched: &touched)
    }

    /// The path tracer's loop from `state` (a path about to trace
    /// `state.ray`), with `sampler` where the path's random numbers stand
    /// there; returns the radiance gathered by the end of the path. A path
    /// that touches a marked shape (see `pathRadiance(_:_:marked:touched:)`)
    /// stops before that vertex's emission, with `state` and `sampler` as they
    /// are there: continuing from them (in any scalar type, `PathState(constant:)`)
    /// traces the rest of the path exactly as one traced from the camera.
    ///
    /// With `gathering` false the path gathers no radiance (no emission, no
    /// light sample: no shadow ray) and returns zero, but draws the same random
    /// numbers and takes the same vertices, throughput and state: a probe whose
    /// radiance nobody reads (reverse mode without an image) finds the
    /// vertex where its replay starts at the cost of the path's hits and
    /// BSDF samples alone. The replay's derivative does not depend on the
    /// constant radiance gathered before that vertex.
    @inlinable @inline(__always)
    public func pathRadiance(from state: inout PathState<T>, _ sampler: inout PathSampler,
                             marked: UnsafeBufferPointer<Bool>?, touched: inout Bool, gathering: Bool = true) -> RGB<T> {
        var radiance = state.radiance, beta = state.beta
        defer { state.radiance = radiance; state.beta = beta }
        return pathRadiance(from: &state, radiance: &radiance, beta: &beta, &sampler, colours: self, coloured: nil,
                            marked: marked, touched: &touched, gathering: gathering)
    }

    /// The path tracer's loop with the path's geometry (rays, hits, frames,
    /// directions, pdfs, multiple-importance weights) in `T` and its colours
    /// (`radiance` and the throughput `beta`, which replace `state`'s, the
    /// BSDF values and sample weights, emitted radiance) in `C`. The BSDFs
    /// `coloured[b]` are read from `colours` (this scene lifted to `C`) and
    /// evaluated at the hit as a constant of `C`; every other value is
    /// computed in `T` and enters the colour products as a constant.
    ///
    /// With `C` = `T` and `colours` this scene, it is the path tracer (every
    /// conversion the identity). Reverse mode with keys of diffuse BSDFs only
    /// runs it with `T` = `Double` and `C` = `Adjoint` (Mitsuba 3's `prb`
    /// likewise detaches the geometry): the tape records the colour products
    /// alone, the same products in the same order as a replay with every number
    /// in `Adjoint`, whose geometry would be constants. Only a BSDF whose sampled
    /// direction does not depend on its parameters (a `diffuse`) may be coloured:
    /// the direction is taken back to `T` as a constant.
    @inlinable @inline(__always)
    public func pathRadiance<C: Real>(from state: inout PathState<T>, radiance: inout RGB<C>, beta: inout RGB<C>,
                                      _ sampler: inout PathSampler, colours: Scene<C>, coloured: UnsafeBufferPointer<Bool>?,
                                      marked: UnsafeBufferPointer<Bool>?, touched: inout Bool, gathering: Bool) -> RGB<C> {
        // `if case`, not `==`: comparing the enum (its `aov` case holds an array) ran its
        // synthesised equality per path.
        var maxDepth = integrator.maxDepth < 0 ? Int.max : integrator.maxDepth
        if case .direct = integrator.kind { maxDepth = 2 }
        if maxDepth == 0 { return .zero }
        let hide = integrator.hideEmitters
        let canHitEmitters = !environment.isEmpty || hasAreaEmitter
        // In locals, stored back once the path ends (fields of `state` in the loop cost the
        // primal instructions).
        var ray = state.ray, eta = state.eta, depth = state.depth
        var previousPdf = state.previousPdf, previousDelta = state.previousDelta, previousPoint = state.previousPoint
        defer {
            state.ray = ray; state.eta = eta; state.depth = depth
            state.previousPdf = previousPdf; state.previousDelta = previousDelta; state.previousPoint = previousPoint
        }
        while true {
            guard let si = intersect(ray) else {
                if gathering && !(depth == 0 && hide) {
                    // Read from the plain table: copying the `Emitter` retained an environment map's storage.
                    for k in environment {
                        guard let e = environmentEmitters[k] else { continue }
                        let le = e.radiance(ray.d)
                        let w = previousDelta ? 1 : misWeight(previousPdf, environmentPdf(k, ray.d.primal))
                        radiance += beta * RGB<C>(converting: le) * C(w)
                    }
                }
                break
            }
            if let marked, marked[si.shape] {
                touched = true
                break
            }
            // Emitted radiance, on the side the normal points to.
            let (bsdfIndex, emitterIndex) = shapes.withUnsafeBufferPointer { ($0[si.shape].bsdf, $0[si.shape].emitter) }
            if gathering, let e = emitterIndex, !(depth == 0 && hide), dot(si.ng.primal, ray.d.primal) < 0 {
                // A constant area light from plain data; only a textured one is copied out of `emitters`.
                let constant = constantAreaLights[e]
                var textured: AreaLight<T>?
                if constant == nil, case .area(let light) = emitters[e] { textured = light }
                if constant != nil || textured != nil {
                    // In `T`: the light's pdf moves with the hit and the previous vertex (the BSDF's pdf of
                    // the direction, fixed in its vertex's frame, does not).
                    let w: T = previousDelta ? 1
                        : misWeight(T(previousPdf), movingAreaEmitterPdf(si, from: previousPoint, direction: ray.d))
                    let le = constant?.radiance ?? textured!.radiance(at: si.uv)
                    radiance += beta * RGB<C>(converting: le) * (converted(w) as C)
                }
            }
            if depth + 1 >= maxDepth { break }
            // Next-event estimation, then the BSDF sample that continues the path
            // (`scatter(bsdf:at:in:...)`). The next vertex would be the last, where only emission counts: with
            // no emitting surface and no environment it adds nothing, so its ray
            // is not traced (direct lighting under point lights: one ray in three).
            // Nor is it without `gathering`: a replay from a marked vertex there (marked shapes do
            // not emit) would add nothing.
            let stop = depth + 2 >= maxDepth && (!canHitEmitters || !gathering)
            // The first vertex is the closest hit of the path's first ray, the camera ray: nothing lies
            // between it and that ray's origin.
            let seenFrom: Vec3? = depth == 0 ? ray.o.primal : nil
            let next: BSDFSample<C>?
            if let coloured, coloured[bsdfIndex] {
                next = colours.scatter(bsdf: bsdfIndex, at: si, in: self, &sampler, &radiance, beta: beta, stop: stop,
                                       seenFrom: seenFrom, gathering: gathering)
            } else {
                next = scatter(bsdf: bsdfIndex, at: si, in: self, &sampler, &radiance, beta: beta, stop: stop,
                               seenFrom: seenFrom, gathering: gathering)
            }
            guard let bs = next else { break }
            beta *= bs.weight
            eta *= bs.eta
            previousPdf = bs.pdf
            previousDelta = bs.isDelta
            previousPoint = si.p
            ray = spawn(si, si.toWorld(Vector3<T>(converting: bs.wo)).normalized)
            depth += 1
            if beta.isBlack { break }
            if depth >= integrator.rrDepth {
                let q = Swift.min(beta.maxComponent.primal * eta * eta, 0.95)
                if sampler.next() >= q { break }
                beta = beta / C(q)
            }
        }
        return radiance
    }

    /// BSDF `b` of this scene at vertex `si` of a path traced in `geometry`
    /// (this scene, or the one this scene lifts): `geometry.scatter` with that
    /// BSDF as its model. A constant-colour diffuse BSDF (the common case) is
    /// evaluated from plain data, with no `BSDF` or `Texture` value built per
    /// vertex; a textured diffuse one from its `Diffuse` (the `BSDF` enum, sized
    /// for its largest case, was copied and then copied again by every call that
    /// switched on it); any other is copied out of `bsdfs` once. The same
    /// arithmetic either way. Without `gathering` no light is sampled (as for a
    /// delta-only BSDF: its random numbers are still drawn).
    @inlinable @inline(__always)
    func scatter<G: Real, C: Real>(bsdf b: Int, at si: SurfaceInteraction<G>, in geometry: Scene<G>, _ sampler: inout PathSampler,
                                   _ radiance: inout RGB<C>, beta: RGB<C>, stop: Bool, seenFrom: Vec3?,
                                   gathering: Bool) -> BSDFSample<C>? {
        if let c = diffuseReflectance[b] {
            return geometry.scatter(si, &sampler, &radiance, beta: beta, stop: stop, seenFrom: seenFrom,
                                    model: ConstantDiffuse(reflectance: c), isDeltaOnly: !gathering)
        } else if let diffuse = texturedDiffuse[b] {
            return geometry.scatter(si, &sampler, &radiance, beta: beta, stop: stop, seenFrom: seenFrom, model: diffuse,
                                    isDeltaOnly: !gathering)
        }
        // Borrowed in place: `bsdfs[b]` copied the enum (through its value witnesses) at every vertex.
        let isDeltaOnly = !gathering || deltaOnly[b]
        return bsdfs.withUnsafeBufferPointer {
            geometry.scatter(si, &sampler, &radiance, beta: beta, stop: stop, seenFrom: seenFrom, model: $0[b],
                             isDeltaOnly: isDeltaOnly)
        }
    }

    /// One vertex's next-event estimate (added to `radiance` with throughput
    /// `beta`) and, unless `stop`, the BSDF sample continuing the path; nil
    /// ends the path. The BSDF is `model`, whose methods take `si` as a
    /// parameter (closures capturing `si` copied its 272 bytes once a vertex).
    /// `seenFrom` is the origin of the ray whose closest hit `si` is, if
    /// known: a point light exactly there (a light at the camera) sees `si`
    /// along the segment that ray crossed, so no shadow ray is traced to it.
    /// Where `model.pdfInT` gives the BSDF's pdf in `T`, the light sample's
    /// importance weight is differentiated. The model's scalar is `T` or, for a
    /// BSDF whose colours are differentiated, `C`: it is then evaluated at `si`
    /// lifted to constants, and its sampled direction must be a constant.
    /// Random numbers: 3 for the light sample, 3 for the BSDF sample.
    // Out of line: inlined into `scatter(bsdf:at:in:...)` beside the other models' it cost the
    // primal render 20 instructions a vertex of register spills.
    @inlinable @inline(never)
    func scatter<B: VertexBSDF, C: Real>(_ si: SurfaceInteraction<T>, _ sampler: inout PathSampler, _ radiance: inout RGB<C>,
                                         beta: RGB<C>, stop: Bool, seenFrom: Vec3?, model: B, isDeltaOnly: Bool) -> BSDFSample<C>? {
        let uSelect = sampler.next(), uLight = sampler.next2D()
        // The hit in the model's scalar: `T`'s, or a constant of the colours' (`pathRadiance(from:radiance:beta:...)`).
        let at = SurfaceInteraction<B.T>(converting: si)
        if !isDeltaOnly, let es = sampleEmitter(from: si, uSelect, uLight), !es.weight.isBlack {
            let d = es.wi.primal
            let visible = seenFrom != nil && emitterMotions.isEmpty && pointLights[emitterIndex(uSelect)]?.position.primal == seenFrom
            if visible || !occluded(si, d, distance: es.distance) {
                let wo = Vector3<B.T>(converting: si.toLocal(es.wi))
                let f = model.eval(at, wo: wo)
                if !f.isBlack {
                    let w: B.T
                    if es.isDelta {
                        w = 1
                    } else if let pdf = model.pdfInT(at, wo: wo) {
                        w = misWeight(es.movingPdf.map { converted($0) } ?? B.T(es.pdf), pdf)
                    } else {
                        w = B.T(misWeight(es.pdf, model.pdf(at, wo: wo)))
                    }
                    radiance += beta * RGB<C>(converting: f) * RGB<C>(converting: es.weight) * (converted(w) as C)
                }
            }
        }
        if stop { return nil }
        let u1 = sampler.next(), u2 = sampler.next2D()
        let sample = model.sample(at, u1: u1, u2: u2)
        // The same type: returned as it is (mapping the optional copied it once more per vertex).
        if B.T.self == C.self { return unsafeBitCast(sample, to: BSDFSample<C>?.self) }
        return sample.map { BSDFSample<C>(converting: $0) }
    }
}

/// What `Scene.scatter` needs of the BSDF at a path vertex: a `BSDFModel`'s
/// `eval`, `pdf` and `sample`, and optionally the pdf in `T`.
@usableFromInline
protocol VertexBSDF {
    associatedtype T: Real
    func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T>
    func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double
    func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>?
    /// The solid-angle density of `wo` in `T`, when the light sample's
    /// importance weight is to be differentiated through it; else nil.
    func pdfInT(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> T?
}

extension VertexBSDF {
    @inlinable @inline(__always)
    func pdfInT(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> T? { nil }
}

extension BSDF: VertexBSDF {}
extension Diffuse: VertexBSDF {}
