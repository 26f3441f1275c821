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
    @inlinable @inline(__always)
    public func pathRadiance(from state: inout PathState<T>, _ sampler: inout PathSampler,
                             marked: UnsafeBufferPointer<Bool>?, touched: inout Bool) -> RGB<T> {
        // `if case`, not `==`: comparing the enum (its `aov` case holds an array) ran its
        // synthesised equality per path.
        var maxDepth = integrator.maxDepth < 0 ? Int.max : integrator.maxDepth
        if case .direct = integrator.kind { maxDepth = 2 }
        if maxDepth == 0 { return .zero }
        let hide = integrator.hideEmitters
        let canHitEmitters = !environment.isEmpty || hasAreaEmitter
        // In locals, stored back once the path ends (fields of `state` in the loop cost the
        // primal instructions).
        var radiance = state.radiance, beta = state.beta, ray = state.ray, eta = state.eta, depth = state.depth
        var previousPdf = state.previousPdf, previousDelta = state.previousDelta, previousPoint = state.previousPoint
        defer {
            state.radiance = radiance; state.beta = beta; state.ray = ray; state.eta = eta; state.depth = depth
            state.previousPdf = previousPdf; state.previousDelta = previousDelta; state.previousPoint = previousPoint
        }
        while true {
            guard let si = intersect(ray) else {
                if !(depth == 0 && hide) {
                    // Read from the plain table: copying the `Emitter` retained an environment map's storage.
                    for k in environment {
                        guard let e = environmentEmitters[k] else { continue }
                        let le = e.radiance(ray.d)
                        let w = previousDelta ? 1 : misWeight(previousPdf, environmentPdf(k, ray.d.primal))
                        radiance += beta * le * T(w)
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
            if let e = emitterIndex, !(depth == 0 && hide), dot(si.ng.primal, ray.d.primal) < 0 {
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
                    radiance += beta * le * w
                }
            }
            if depth + 1 >= maxDepth { break }
            // Next-event estimation, then the BSDF sample that continues the path.
            // A constant-colour diffuse BSDF (the common case) is evaluated from
            // plain data, with no `BSDF` or `Texture` value built per vertex; a
            // textured diffuse one from its `Diffuse` (the `BSDF` enum, sized for its
            // largest case, was copied and then copied again by every call that
            // switched on it); any other is copied out of `bsdfs` once. The same
            // arithmetic either way.
            // The next vertex would be the last, where only emission counts: with
            // no emitting surface and no environment it adds nothing, so its ray
            // is not traced (direct lighting under point lights: one ray in three).
            let stop = depth + 2 >= maxDepth && !canHitEmitters
            // The first vertex is the closest hit of the path's first ray, the camera ray: nothing lies
            // between it and that ray's origin.
            let seenFrom: Vec3? = depth == 0 ? ray.o.primal : nil
            let next: BSDFSample<T>?
            if let c = diffuseReflectance[bsdfIndex] {
                next = scatter(si, &sampler, &radiance, beta: beta, stop: stop, seenFrom: seenFrom,
                               model: ConstantDiffuse(reflectance: c), isDeltaOnly: false)
            } else if let diffuse = texturedDiffuse[bsdfIndex] {
                next = scatter(si, &sampler, &radiance, beta: beta, stop: stop, seenFrom: seenFrom, model: diffuse, isDeltaOnly: false)
            } else {
                next = scatter(si, &sampler, &radiance, beta: beta, stop: stop, seenFrom: seenFrom, model: bsdfs[bsdfIndex],
                               isDeltaOnly: deltaOnly[bsdfIndex])
            }
            guard let bs = next else { break }
            beta *= bs.weight
            eta *= bs.eta
            previousPdf = bs.pdf
            previousDelta = bs.isDelta
            previousPoint = si.p
            ray = spawn(si, si.toWorld(bs.wo).normalized)
            depth += 1
            if beta.isBlack { break }
            if depth >= integrator.rrDepth {
                let q = Swift.min(beta.maxComponent.primal * eta * eta, 0.95)
                if sampler.next() >= q { break }
                beta = beta / T(q)
            }
        }
        return radiance
    }

    /// One vertex's next-event estimate (added to `radiance` with throughput
    /// `beta`) and, unless `stop`, the BSDF sample continuing the path; nil
    /// ends the path. The BSDF is `model`, whose methods take `si` as a
    /// parameter (closures capturing `si` copied its 272 bytes once a vertex).
    /// `seenFrom` is the origin of the ray whose closest hit `si` is, if
    /// known: a point light exactly there (a light at the camera) sees `si`
    /// along the segment that ray crossed, so no shadow ray is traced to it.
    /// Where `model.pdfInT` gives the BSDF's pdf in `T`, the light sample's
    /// importance weight is differentiated.
    /// Random numbers: 3 for the light sample, 3 for the BSDF sample.
    @inlinable @inline(__always)
    func scatter<B: VertexBSDF>(_ si: SurfaceInteraction<T>, _ sampler: inout PathSampler, _ radiance: inout RGB<T>, beta: RGB<T>,
                                stop: Bool, seenFrom: Vec3?, model: B, isDeltaOnly: Bool) -> BSDFSample<T>? where B.T == T {
        let uSelect = sampler.next(), uLight = sampler.next2D()
        if !isDeltaOnly, let es = sampleEmitter(from: si, uSelect, uLight), !es.weight.isBlack {
            let d = es.wi.primal
            let visible = seenFrom != nil && emitterMotions.isEmpty && pointLights[emitterIndex(uSelect)]?.position.primal == seenFrom
            if visible || !occluded(si, d, distance: es.distance) {
                let wo = si.toLocal(es.wi)
                let f = model.eval(si, wo: wo)
                if !f.isBlack {
                    let w: T
                    if es.isDelta {
                        w = 1
                    } else if let pdf = model.pdfInT(si, wo: wo) {
                        w = misWeight(es.movingPdf ?? T(es.pdf), pdf)
                    } else {
                        w = T(misWeight(es.pdf, model.pdf(si, wo: wo)))
                    }
                    radiance += beta * f * es.weight * w
                }
            }
        }
        if stop { return nil }
        let u1 = sampler.next(), u2 = sampler.next2D()
        return model.sample(si, u1: u1, u2: u2)
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
