import Foundation
import Geometry

// Shadow edges of delta lights (point, spot, directional) on the surfaces the
// camera sees.
//
// A delta light's shadow boundary is a curve on the film: on one side the
// first surface is lit, on the other it is not. Next-event estimation traces
// the shadow ray in plain doubles, so the interior derivative misses its
// motion. The curve is sampled from the other end: a point q on a mesh edge
// that is a silhouette as seen from the light, the ray from the light through
// q continued to the receiver y (the shadow boundary point), y projected to
// the film at x. The film-space derivative of the image gains
// (L₋ − L₊) (∂x/∂θ · n) / pdf, with n the film normal of the curve; the
// motion x(θ) is recomputed in the differentiating scalar (the light, the
// occluder, the receiver and the camera may all move).

/// The delta lights whose shadow edges are sampled, with the candidate edges
/// of each (silhouettes as seen from the light) chosen by length, less where
/// their shadow falls on nothing (`castingShare`).
struct DeltaShadowLight {
    /// A candidate: a mesh edge, or an arc φ0...φ1 of a sphere's, disk's or
    /// cylinder's outline as seen from the light (`arcPoint`, `deltaEye`).
    enum Piece { case edge(Int), arc(shape: Int, phi0: Double, phi1: Double) }
    /// Emitter index.
    var emitter: Int
    /// Candidates and the cumulative sum of their lengths.
    var pieces: [Piece]
    var cdf: [Double]
    var total: Double { cdf.last ?? 0 }
}

extension Scene {
    /// Delta light `k`'s position, or nil for a directional light (then its unit
    /// `direction`); nil for other emitters. In `T`, so that a moving light moves its shadows.
    func deltaLightOrigin(_ k: Int) -> (position: Vector3<T>?, direction: Vector3<T>)? {
        switch emitters[k] {
        case .point(let l): return (l.position, .zero)
        case .spot(let l): return (l.toWorld.origin, .zero)
        case .directional(let l):
            let d = l.direction.normalized
            return d.lengthSquared.primal > 0 ? (nil, d) : nil
        default: return nil
        }
    }

    /// Where analytic shape `s`'s outline is seen from by delta light `k`:
    /// its position, or for a directional light a point far back along the
    /// light's direction from the shape (the silhouette from infinity, to
    /// within 1e-12 of its size).
    func deltaEye(_ k: Int, shape s: Int) -> Vector3<T>? {
        guard let light = deltaLightOrigin(k) else { return nil }
        if let p = light.position { return p }
        let anchor: Vector3<T>
        switch shapes[s].geometry {
        case .cylinder(let c): anchor = Shape.cylinderFrame(c, shapes[s].offset).base
        default: anchor = shapes[s].placedCenter
        }
        return anchor - light.direction * T(1e6 * extent)
    }
}

extension Scene where T == Double {

    /// Every delta light with at least one candidate edge.
    func deltaShadowLights(edges: [MeshEdge]) -> [DeltaShadowLight] {
        var out = [DeltaShadowLight]()
        for k in emitters.indices {
            guard let light = deltaLightOrigin(k) else { continue }
            var chosen = [Int](), cdf = [Double](), total = 0.0
            for (i, e) in edges.enumerated() {
                guard case .mesh = shapes[e.shape].geometry else { continue }
                let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
                // Seen from the light: a point at its position, or far along -direction.
                let eye = light.position ?? ((a + b) * 0.5 - light.direction * (1e6 * extent))
                if !isSilhouette(e, from: eye) { continue }
                let length = (b - a).length
                if !(length > 0) { continue }
                total += length
                chosen.append(i)
                cdf.append(total)
            }
            var pieces = chosen.map { DeltaShadowLight.Piece.edge($0) }
            // Outlines of spheres, disks and cylinders as seen from the light, by chord length.
            for s in analyticShapes {
                guard let eye = deltaEye(k, shape: s) else { continue }
                var ranges = 2
                switch shapes[s].geometry {
                case .mesh, .sdfGrid: continue
                case .sphere:
                    if (eye - shapes[s].placedCenter).length <= shapes[s].radius * (1 + 1e-6) { continue }
                    ranges = 1
                case .disk: ranges = 1
                case .cylinder(let c):
                    let (base, axis, _, _) = Shape.cylinderFrame(c, shapes[s].offset)
                    let q = eye - base, radial = q - axis * dot(q, axis)
                    ranges = radial.length > shapes[s].radius * (1 + 1e-6) ? 3 : 2
                }
                let arcs = SecondaryCurves.arcs
                for j in 0..<ranges * arcs {
                    let phi0 = 2 * Double.pi * Double(j) / Double(arcs), phi1 = 2 * Double.pi * Double(j + 1) / Double(arcs)
                    let x0 = arcPoint(s, phi0, eye: eye), x1 = arcPoint(s, 0.5 * (phi0 + phi1), eye: eye)
                    let x2 = arcPoint(s, insideArc(s, phi1, below: phi1), eye: eye)
                    let length = (x1 - x0).length + (x2 - x1).length
                    if !(length > 0) { continue }
                    total += length
                    pieces.append(.arc(shape: s, phi0: phi0, phi1: phi1))
                    cdf.append(total)
                }
            }
            // Each piece by its length times the share of it that casts a shadow on
            // some surface (a floor's outer edges under the sun cast none and held
            // most of the length), at least 5 %, so that every piece stays reachable.
            var lengths = [Double](), last = 0.0
            for c in cdf { lengths.append(c - last); last = c }
            var weighted = [Double](), sum = 0.0
            for (i, piece) in pieces.enumerated() {
                sum += lengths[i] * (0.05 + 0.95 * castingShare(k, piece, edges: edges))
                weighted.append(sum)
            }
            if sum > 0 { out.append(DeltaShadowLight(emitter: k, pieces: pieces, cdf: weighted)) }
        }
        return out
    }

    /// The share of eight evenly spaced points of `piece` whose shadow from light
    /// `k` falls on a surface (`shadowBoundaryPoint`): a deterministic guess of
    /// where the piece casts a shadow edge, for weighting the choice of pieces.
    func castingShare(_ k: Int, _ piece: DeltaShadowLight.Piece, edges: [MeshEdge]) -> Double {
        let probes = 8
        var hits = 0
        for m in 0..<probes {
            let t = (Double(m) + 0.5) / Double(probes)
            switch piece {
            case .edge(let i):
                let e = edges[i]
                guard case .mesh = shapes[e.shape].geometry else { continue }
                let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
                if shadowBoundaryPoint(k, edge: e, shape: e.shape, q: a + (b - a) * t) != nil { hits += 1 }
            case .arc(let s, let phi0, let phi1):
                guard let eye = deltaEye(k, shape: s) else { continue }
                if shadowBoundaryPoint(k, edge: nil, shape: s, q: arcPoint(s, phi0 + (phi1 - phi0) * t, eye: eye)) != nil { hits += 1 }
            }
        }
        return Double(hits) / Double(probes)
    }

    /// The direction from light `k` through `q` (unit), and the distance from
    /// the light to q (∞ for a directional light); nil where the light sends
    /// nothing that way (outside a spot's cone).
    func deltaRay(_ k: Int, through q: Vec3) -> (d: Vec3, distance: Double)? {
        guard let light = deltaLightOrigin(k) else { return nil }
        guard let p = light.position else { return (light.direction, .infinity) }
        let v = q - p
        let dist = v.length
        if !(dist > 0) { return nil }
        let d = v / dist
        if case .spot(let s) = emitters[k], s.falloff(d) <= 0 { return nil }
        return (d, dist)
    }

    /// The shadow-boundary point of edge point `q` for light `k`: the first
    /// surface beyond q along the light's ray, if the light reaches q and the
    /// hit is not a face of the edge itself (`edge`), or for an outline point
    /// of analytic shape `shape` (`edge` nil), not that shape just beyond q.
    func shadowBoundaryPoint(_ k: Int, edge e: MeshEdge?, shape: Int, q: Vec3) -> (hit: SurfaceInteraction<Double>, d: Vec3)? {
        guard let (d, dist) = deltaRay(k, through: q) else { return nil }
        let eps = 1e-5 * extent
        // Nothing between the light and q (else q's shadow lies inside another one).
        if dist.isFinite {
            if accel.occluded(o: q - d * dist, d: d, tMin: 0, tMax: dist - eps) { return nil }
        } else if accel.occluded(o: q - d * eps, d: -d, tMin: 0, tMax: .infinity) {
            return nil
        }
        guard let hit = intersect(Ray(o: q + d * eps, d: d)) else { return nil }
        if hit.shape == shape {
            if let e {
                let triangle = Int(accel.primitives[hit.primitive].index)
                if triangle == e.f0 || triangle == e.f1 { return nil }  // grazing its own faces
            } else if (hit.p - q).length <= 1e-3 * extent {
                return nil  // grazing its own surface
            }
        }
        return (hit, d)
    }

    /// A point on a candidate of `lights` for the unit number `u`: the light
    /// by `u`'s integer part after scaling by the number of lights, the piece
    /// by length, the point uniform along it (so that stratified `u` stratify
    /// all three).
    func pickDeltaShadowPoint(edges: [MeshEdge], lights: [DeltaShadowLight], u: Double) -> DeltaShadowPoint? {
        let scaled = u * Double(lights.count)
        let li = min(Int(scaled), lights.count - 1)
        let light = lights[li]
        let along = (scaled - Double(li)) * light.total
        let lo = light.cdf.cdfBin(along)
        let start = lo == 0 ? 0 : light.cdf[lo - 1]
        let length = light.cdf[lo] - start
        let t = min(max((along - start) / length, 0), 1)
        let pdf = (1 / Double(lights.count)) * (length / light.total)
        switch light.pieces[lo] {
        case .edge(let i):
            let e = edges[i]
            guard case .mesh = shapes[e.shape].geometry else { return nil }
            let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
            return DeltaShadowPoint(emitter: light.emitter, curve: .segment(a, b), t: t, edge: e, shape: e.shape,
                                    piece: i, param: t, curveShape: -1, pdf: pdf)
        case .arc(let s, let phi0, let phi1):
            guard let eye = deltaEye(light.emitter, shape: s) else { return nil }
            // Inside the arc: its upper end may be the next curve's start (`insideArc`).
            return DeltaShadowPoint(emitter: light.emitter, curve: .arc(shape: s, phi0: phi0, phi1: phi1, eye: eye),
                                    t: t, edge: nil, shape: s, piece: -1, param: insideArc(s, phi0 + (phi1 - phi0) * t, below: phi1),
                                    curveShape: s, pdf: pdf)
        }
    }

    /// The shadow boundary on the receiver near `y` (normal `ng`), per unit
    /// parameter of the chosen piece: neighbouring points of the piece cast
    /// along the light's rays onto y's tangent plane (`ends`: the two points
    /// and their parameter distance).
    func receiverNeighbours(_ c: DeltaShadowPoint, y: Vec3, ng: Vec3) -> (Vec3, Vec3, Double)? {
        func cast(_ s: Double) -> Vec3? {
            let q = point(on: c, s)
            guard let (d, _) = deltaRay(c.emitter, through: q) else { return nil }
            let den = dot(d, ng)
            if abs(den) < 1e-12 { return nil }
            return q + d * (dot(y - q, ng) / den)
        }
        let h = 1e-4
        // Inside the piece (an arc's ends may start another curve).
        let ta = c.curveShape >= 0 ? max(c.t - h, 0) : c.t - h, tb = c.curveShape >= 0 ? min(c.t + h, 1) : c.t + h
        guard let a = cast(ta), let b = cast(tb) else { return nil }
        return (a, b, tb - ta)
    }

    /// One sample of the shadow edges of the delta lights on the surfaces the
    /// camera sees, stratified over the lights and over their candidate
    /// edges' total length.
    func deltaShadowSample(edges: [MeshEdge], lights: [DeltaShadowLight], n: Int, stratum: Int, eps: Double,
                           tanX: Double, selection: SelectionStrata? = nil, _ sampler: inout PathSampler) -> BoundarySample? {
        let W = Double(film.width), H = Double(film.height)
        guard let c = pickDeltaShadowPoint(edges: edges, lights: lights, u: (Double(stratum) + sampler.next()) / Double(n)),
              let (y, _) = shadowBoundaryPoint(c.emitter, edge: c.edge, shape: c.shape, q: point(on: c, c.t)) else { return nil }
        // Seen by the camera, inside the film.
        let f = camera.filmPosition(of: y.p, tanHalfFov: tanX)
        if f.depth < max(camera.nearClip, 1e-6) || !(f.x >= 0 && f.x < W && f.y >= 0 && f.y < H) { return nil }
        guard let seen = intersect(camera.ray(filmX: f.x, filmY: f.y, tanHalfFov: tanX)),
              seen.shape == y.shape, (seen.p - y.p).length <= 1e-4 * extent else { return nil }
        // The curve's film tangent per unit t: neighbouring edge points cast
        // onto the receiver's tangent plane at y, projected.
        guard let (a, b, dt) = receiverNeighbours(c, y: y.p, ng: y.ng) else { return nil }
        let fa = camera.filmPosition(of: a, tanHalfFov: tanX), fb = camera.filmPosition(of: b, tanHalfFov: tanX)
        let tangent = ((fb.x - fa.x) / dt, (fb.y - fa.y) / dt)
        let speed = (tangent.0 * tangent.0 + tangent.1 * tangent.1).squareRoot()
        if !(speed > 0) || !speed.isFinite { return nil }
        // Density per film length: the choice per unit t, / |∂x/∂t|.
        let pdf = c.pdf / speed
        let nx = -tangent.1 / speed, ny = tangent.0 / speed
        // Both sides with one sampler, its emitter choices stratified along the shadows (`SelectionStrata`).
        let paths = selection?.sampler(stratum: stratum, base: sampler) ?? sampler
        var sm = paths, sp = paths
        let lm = pathRadiance(camera.ray(filmX: f.x - eps * nx, filmY: f.y - eps * ny, tanHalfFov: tanX), &sm)
        let lp = pathRadiance(camera.ray(filmX: f.x + eps * nx, filmY: f.y + eps * ny, tanHalfFov: tanX), &sp)
        let d = lm - lp
        if !(d.r.isFinite && d.g.isFinite && d.b.isFinite) || d.isBlack { return nil }
        return BoundarySample(kind: .deltaShadow, piece: c.piece, s: c.param, filmX: f.x, filmY: f.y,
                              direction: Vec3(nx, ny, 0), weight: d * (1 / (pdf * Double(n))),
                              light: c.emitter, receiver: y.shape, curveShape: c.curveShape)
    }

    /// One sample of the shadow edges of the delta lights seen after a
    /// bounce: a film point, a path from it to a vertex chosen uniformly
    /// among 1 ... `after.count` (BSDF samples, as `secondarySample`), a point
    /// y on a shadow boundary (as `deltaShadowSample`) that the vertex sees,
    /// and the paths from the vertex just on either side of the direction to
    /// y. As seen from the vertex, the boundary is a curve of directions
    /// (those whose next vertex is lit on one side only); its motion is the
    /// direction to y, measured in the vertex's shading frame as the path
    /// replay parametrises the bounce. `after[i]` continues paths from vertex i + 1.
    func deltaShadowBeyondSample(edges: [MeshEdge], lights: [DeltaShadowLight], n: Int, strata: PixelStratum, eps: Double,
                                 tanX: Double, after: [Scene<Double>], points: SurfaceFilmPoints,
                                 _ sampler: inout PathSampler) -> BoundarySample? {
        let W = Double(film.width), H = Double(film.height)
        let k = after.count
        let vertex = 1 + min(Int(strata.unit(3, sampler.next()) * Double(k)), k - 1)
        guard let (fx, fy, si, throughput, prefix, filmDensity) = pathToVertex(vertex, strata: strata, tanX: tanX, points: points, &sampler)
        else { return nil }
        let bsdf = shapes[si.shape].bsdf
        if deltaOnly[bsdf] { return nil }
        // The boundary point, stratified over the pixel's samples like the film point.
        guard let c = pickDeltaShadowPoint(edges: edges, lights: lights, u: strata.unit(2, sampler.next())),
              let (y, _) = shadowBoundaryPoint(c.emitter, edge: c.edge, shape: c.shape, q: point(on: c, c.t)) else { return nil }
        let dvec = y.p - si.p
        let dist = dvec.length
        if !(dist > 0) { return nil }
        let w = dvec / dist
        // The vertex sees y.
        guard let seen = intersect(spawn(si, w)), seen.shape == y.shape, (seen.p - y.p).length <= 1e-4 * extent,
              let (a, b, dt) = receiverNeighbours(c, y: y.p, ng: y.ng) else { return nil }
        let wt = ((b - a) / dt - w * dot(w, (b - a) / dt)) / dist   // ∂ω/∂t
        let cw = cross(w, wt)                                        // |cw| = |∂ω/∂t|, cw/|cw| the curve's normal
        let cl = cw.length
        if !(cl > 0) || !cl.isFinite { return nil }
        let ns = cw / cl
        let f = bsdfEval(bsdf, si, wo: si.toLocal(w)) * throughput
        if f.isBlack { return nil }
        let second = after[vertex - 1]
        var sm = sampler, sp = sampler
        let lm = second.pathRadiance(spawn(si, (w - ns * eps).normalized), &sm)
        let lp = second.pathRadiance(spawn(si, (w + ns * eps).normalized), &sp)
        let d = (lm - lp) * f
        if !(d.r.isFinite && d.g.isFinite && d.b.isFinite) || d.isBlack { return nil }
        // pdf: film point 1/(W·H) times `filmDensity`, vertex 1/k, the point on the piece per unit t.
        let scale = W * H * Double(k) / (c.pdf * Double(n) * filmDensity)
        return BoundarySample(kind: .deltaShadowBeyond, piece: c.piece, s: c.param, filmX: fx, filmY: fy, direction: cw,
                              weight: d * scale, prefix: prefix, light: c.emitter, receiver: y.shape, curveShape: c.curveShape)
    }
}

/// A point on a candidate of a delta light's shadow edges, chosen for one sample.
struct DeltaShadowPoint {
    /// The chosen piece as a curve of unit parameter s ∈ [0, 1]: a mesh edge
    /// from its first end to its second, or the arc φ0...φ1 of shape `shape`'s
    /// outline as seen from `eye` (`arcPoint`). Stored as values, not as a
    /// closure: a closure capturing the scene boxed a copy of it per sample.
    enum Curve { case segment(Vec3, Vec3), arc(shape: Int, phi0: Double, phi1: Double, eye: Vec3) }
    var emitter: Int
    var curve: Curve
    /// The chosen unit parameter.
    var t: Double
    /// The mesh edge (nil on an outline) and the shape.
    var edge: MeshEdge?
    var shape: Int
    /// What `BoundarySample` records: the edge index (−1 on an outline), the
    /// position (t along an edge, φ on an outline) and the outline's shape (−1 on an edge).
    var piece: Int, param: Double, curveShape: Int
    /// The density of the choice per unit t.
    var pdf: Double
}

extension Scene where T == Double {
    /// The point of `c`'s piece at unit parameter `s` (on an arc, held in
    /// [0, 1] and inside the arc's own curve, `insideArc`).
    func point(on c: DeltaShadowPoint, _ s: Double) -> Vec3 {
        switch c.curve {
        case .segment(let a, let b): return a + (b - a) * s
        case .arc(let shape, let phi0, let phi1, let eye):
            return arcPoint(shape, insideArc(shape, phi0 + (phi1 - phi0) * min(max(s, 0), 1), below: phi1), eye: eye)
        }
    }
}

extension Scene {
    /// The shadow-boundary point of a delta-shadow sample, in `T`: the ray
    /// from the light through the edge point, continued to the receiver. nil
    /// if the ray now meets another surface.
    func deltaShadowReceiverPoint(_ b: BoundarySample, edges: [MeshEdge]) -> Vector3<T>? {
        let q: Vector3<T>
        if b.curveShape >= 0 {
            guard let eye = deltaEye(b.light, shape: b.curveShape) else { return nil }
            q = arcPoint(b.curveShape, b.s, eye: eye)
        } else {
            let e = edges[b.piece]
            guard case .mesh = shapes[e.shape].geometry else { return nil }
            let a = shapes[e.shape].vertex(e.v0), c = shapes[e.shape].vertex(e.v1)
            q = a + (c - a) * T(b.s)
        }
        guard let light = deltaLightOrigin(b.light) else { return nil }
        let d = light.position.map { (q - $0).normalized } ?? light.direction
        let eps = 1e-5 * extent
        guard let y = intersect(Ray(o: q + d * T(eps), d: d)), y.shape == b.receiver else { return nil }
        return y.p
    }
}
