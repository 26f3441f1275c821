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
/// of each (silhouettes as seen from the light) chosen by length.
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
                guard case .mesh(let m) = shapes[e.shape].geometry else { continue }
                let a = shapes[e.shape].vertex(m, e.v0), b = shapes[e.shape].vertex(m, e.v1)
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
            // Outlines of spheres and disks as seen from the light, by chord length.
            // (Cylinders' are left out: with them a cylinder's gradient under a
            // directional light moved away from central differences.)
            for s in analyticShapes {
                if case .cylinder = shapes[s].geometry { continue }
                guard let eye = deltaEye(k, shape: s) else { continue }
                var ranges = 2
                switch shapes[s].geometry {
                case .mesh: continue
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
                    let x2 = arcPoint(s, phi1, eye: eye)
                    let length = (x1 - x0).length + (x2 - x1).length
                    if !(length > 0) { continue }
                    total += length
                    pieces.append(.arc(shape: s, phi0: phi0, phi1: phi1))
                    cdf.append(total)
                }
            }
            if total > 0 { out.append(DeltaShadowLight(emitter: k, pieces: pieces, cdf: cdf)) }
        }
        return out
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

    /// One sample of the shadow edges of the delta lights, stratified over
    /// the lights and over their candidate edges' total length.
    func deltaShadowSample(edges: [MeshEdge], lights: [DeltaShadowLight], n: Int, stratum: Int, eps: Double,
                           tanX: Double, _ sampler: inout PathSampler) -> BoundarySample? {
        let W = Double(film.width), H = Double(film.height)
        let u = (Double(stratum) + sampler.next()) / Double(n) * Double(lights.count)
        let li = min(Int(u), lights.count - 1)
        let light = lights[li]
        let along = (u - Double(li)) * light.total
        let lo = light.cdf.cdfBin(along)
        let start = lo == 0 ? 0 : light.cdf[lo - 1]
        let length = light.cdf[lo] - start
        let t = min(max((along - start) / length, 0), 1)
        // The piece's point at parameter s ∈ [0, 1], its shape, and what `BoundarySample` records.
        let point: (Double) -> Vec3, edge: MeshEdge?, shape: Int, piece: Int, param: Double, curveShape: Int
        switch light.pieces[lo] {
        case .edge(let i):
            let e = edges[i]
            guard case .mesh(let m) = shapes[e.shape].geometry else { return nil }
            let a = shapes[e.shape].vertex(m, e.v0), b = shapes[e.shape].vertex(m, e.v1)
            point = { a + (b - a) * $0 }
            edge = e; shape = e.shape; piece = i; param = t; curveShape = -1
        case .arc(let s, let phi0, let phi1):
            guard let eye = deltaEye(light.emitter, shape: s) else { return nil }
            point = { self.arcPoint(s, phi0 + (phi1 - phi0) * min(max($0, 0), 1), eye: eye) }
            edge = nil; shape = s; piece = -1; param = phi0 + (phi1 - phi0) * t; curveShape = s
        }
        guard let (y, _) = shadowBoundaryPoint(light.emitter, edge: edge, shape: shape, q: point(t)) else { return nil }
        // Seen by the camera, inside the film.
        let f = camera.filmPosition(of: y.p, tanHalfFov: tanX)
        if f.depth < max(camera.nearClip, 1e-6) || !(f.x >= 0 && f.x < W && f.y >= 0 && f.y < H) { return nil }
        guard let seen = intersect(camera.ray(filmX: f.x, filmY: f.y, tanHalfFov: tanX)),
              seen.shape == y.shape, (seen.p - y.p).length <= 1e-4 * extent else { return nil }
        // The curve's film tangent per unit t: neighbouring edge points cast
        // onto the receiver's tangent plane at y, projected.
        func castFilm(_ s: Double) -> (Double, Double)? {
            let q = point(s)
            guard let (d, _) = deltaRay(light.emitter, through: q) else { return nil }
            let den = dot(d, y.ng)
            if abs(den) < 1e-12 { return nil }
            let p = q + d * (dot(y.p - q, y.ng) / den)
            let g = camera.filmPosition(of: p, tanHalfFov: tanX)
            return (g.x, g.y)
        }
        let h = 1e-4
        // Inside the piece (an arc's ends may start another curve).
        let ta = curveShape >= 0 ? max(t - h, 0) : t - h, tb = curveShape >= 0 ? min(t + h, 1) : t + h
        guard let fa = castFilm(ta), let fb = castFilm(tb) else { return nil }
        let tangent = ((fb.0 - fa.0) / (tb - ta), (fb.1 - fa.1) / (tb - ta))
        let speed = (tangent.0 * tangent.0 + tangent.1 * tangent.1).squareRoot()
        if !(speed > 0) || !speed.isFinite { return nil }
        // Density per film length: light 1/L, edge length/total, t uniform, / |∂x/∂t|.
        let pdf = (1 / Double(lights.count)) * (length / light.total) / speed
        let nx = -tangent.1 / speed, ny = tangent.0 / speed
        var sm = sampler, sp = sampler
        let lm = pathRadiance(camera.ray(filmX: f.x - eps * nx, filmY: f.y - eps * ny, tanHalfFov: tanX), &sm)
        let lp = pathRadiance(camera.ray(filmX: f.x + eps * nx, filmY: f.y + eps * ny, tanHalfFov: tanX), &sp)
        let d = lm - lp
        if !(d.r.isFinite && d.g.isFinite && d.b.isFinite) || d.isBlack { return nil }
        return BoundarySample(kind: .deltaShadow, piece: piece, s: param, filmX: f.x, filmY: f.y,
                              direction: Vec3(nx, ny, 0), weight: d * (1 / (pdf * Double(n))),
                              light: light.emitter, receiver: y.shape, curveShape: curveShape)
    }
}

extension Scene {
    /// The film position of a delta-shadow sample's boundary point, in `T`:
    /// the ray from the light through the edge point, continued to the
    /// receiver, projected. nil if the ray now meets another surface.
    func deltaShadowFilmPosition(_ b: BoundarySample, edges: [MeshEdge], tanX: T) -> (T, T)? {
        let q: Vector3<T>
        if b.curveShape >= 0 {
            guard let eye = deltaEye(b.light, shape: b.curveShape) else { return nil }
            q = arcPoint(b.curveShape, b.s, eye: eye)
        } else {
            let e = edges[b.piece]
            guard case .mesh(let m) = shapes[e.shape].geometry else { return nil }
            let a = shapes[e.shape].vertex(m, e.v0), c = shapes[e.shape].vertex(m, e.v1)
            q = a + (c - a) * T(b.s)
        }
        guard let light = deltaLightOrigin(b.light) else { return nil }
        let d = light.position.map { (q - $0).normalized } ?? light.direction
        let eps = 1e-5 * extent
        guard let y = intersect(Ray(o: q + d * T(eps), d: d)), y.shape == b.receiver else { return nil }
        let f = camera.filmPosition(of: y.p, tanHalfFov: tanX)
        return (f.x, f.y)
    }
}
