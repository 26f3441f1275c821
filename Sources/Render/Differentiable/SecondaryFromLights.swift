import Geometry

// Shadow edges of area lights at the first surface, sampled from the light's side.
//
// The secondary samples at the first surface choose a film point x first and
// then a point on an edge as seen from the surface point p(x). Where an edge
// hangs just above its receiver (a box 0.1 above a floor) the penumbra on the
// receiver is a fraction of a pixel wide: few film points land in it, and those
// carry large weights. The same boundary, (x, t) with t the edge parameter, is
// reached from the other end by choosing a point y on a light and a point q(t)
// on an edge seen from y: the ray from y through q continues to the receiver p,
// which the camera sees at x. Every such sample lies where a light is behind the
// edge. Both ends combine through their densities in (x, t) (Veach's multi-sample
// balance heuristic): a film-side sample weighs by n_F p_F + n_L p_L, as does a
// light-side one, so the estimate stays unbiased wherever either end reaches.
//
// From the light, p_L(x, t) = p(y) p(edge, t | y) |dA_y / dA_p| / |dA_x / dA_p|:
// y uniform over the lights' area, the edge by its length over its squared
// distance from y, t uniform along it; dA_y / dA_p = (|y − q| / |p − q|)² cos θ_p /
// cos θ_y (the central projection through q), and dA_x / dA_p the camera's
// projection of p's tangent plane onto the film (pixels² per unit area).

/// The area lights' triangles for the light-side secondary samples, chosen by area.
struct LightSideTriangles {
    var triangles: [(Vec3, Vec3, Vec3)]
    var cdf: [Double]
    var total: Double { cdf.last ?? 0 }

    init(_ triangles: [(Vec3, Vec3, Vec3)]) {
        self.triangles = triangles
        var sum = 0.0
        cdf = triangles.map { t in sum += cross(t.1 - t.0, t.2 - t.0).length / 2; return sum }
    }
}

extension Scene where T == Double {
    /// Film pixels² per unit area of the tangent plane at `p` (normal `n`)
    /// under the camera's projection, by central differences of `filmPosition`.
    func filmAreaPerSurfaceArea(_ p: Vec3, normal n: Vec3, tanX: Double) -> Double {
        let helper: Vec3 = abs(n.x) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
        let u = cross(n, helper).normalized, v = cross(n, u)
        let h = 1e-6 * max((p - camera.toWorld.origin).length, 1e-9)
        func film(_ q: Vec3) -> (Double, Double) {
            let f = camera.filmPosition(of: q, tanHalfFov: tanX)
            return (f.x, f.y)
        }
        let up = film(p + u * h), um = film(p - u * h), vp = film(p + v * h), vm = film(p - v * h)
        let a = ((up.0 - um.0) / (2 * h), (up.1 - um.1) / (2 * h)), b = ((vp.0 - vm.0) / (2 * h), (vp.1 - vm.1) / (2 * h))
        return abs(a.0 * b.1 - a.1 * b.0)
    }

    /// The weights by which the light-side samples choose an edge seen from
    /// light point `y`: length / squared distance of the silhouettes from y.
    func lightSideEdgeWeights(_ y: Vec3, edges: [MeshEdge]) -> (weights: [Double], total: Double) {
        var weights = [Double](repeating: 0, count: edges.count), total = 0.0
        for (i, e) in edges.enumerated() {
            guard case .mesh(let m) = shapes[e.shape].geometry else { continue }
            let a = shapes[e.shape].vertex(m, e.v0), b = shapes[e.shape].vertex(m, e.v1)
            if !isSilhouette(e, from: y) { continue }
            let mid = (a + b) * 0.5 - y
            let w = (b - a).length / max(mid.lengthSquared, 1e-12)
            weights[i] = w
            total += w
        }
        return (weights, total)
    }

    /// The density per film area and unit edge parameter with which one
    /// light-side sample reaches edge `k` at parameter `t` (point `q`) from
    /// surface point `si`: summed over the light triangles the line from p
    /// through q meets beyond q. 0 when q is hidden from p (the light side
    /// continues its ray to the first surface beyond q).
    func lightSideDensity(_ si: SurfaceInteraction<Double>, edge k: Int, q: Vec3, lights: LightSideTriangles,
                          edges: [MeshEdge], tanX: Double) -> Double {
        let p = si.p
        let pq = q - p
        let dpq = pq.length
        if !(dpq > 0) || lights.total <= 0 { return 0 }
        let d = pq / dpq
        var density = 0.0
        var filmJacobian = 0.0
        for (q0, q1, q2) in lights.triangles {
            // The line p + s d meets the triangle beyond q (Möller–Trumbore).
            let e1 = q1 - q0, e2 = q2 - q0
            let h = cross(d, e2)
            let det = dot(e1, h)
            if abs(det) < 1e-300 { continue }
            let sv = p - q0
            let b1 = dot(sv, h) / det
            if b1 < 0 || b1 > 1 { continue }
            let qv = cross(sv, e1)
            let b2 = dot(d, qv) / det
            if b2 < 0 || b1 + b2 > 1 { continue }
            let s = dot(e2, qv) / det
            if !(s > dpq) { continue }
            let y = p + d * s
            let (weights, total) = lightSideEdgeWeights(y, edges: edges)
            if !(total > 0) || weights[k] == 0 { continue }
            let ny = cross(e1, e2).normalized
            let cosY = abs(dot(ny, d)), cosP = abs(dot(si.ng, d))
            if !(cosY > 0) { continue }
            if filmJacobian == 0 {
                // q must be the first surface beyond which the ray from y goes on to p.
                if occluded(si, d, distance: dpq * (1 - 1e-6)) { return 0 }
                filmJacobian = filmAreaPerSurfaceArea(p, normal: si.ng, tanX: tanX)
                if !(filmJacobian > 0) { return 0 }
            }
            let yq = s - dpq
            let areaRatio = (yq * yq) / (dpq * dpq) * cosP / cosY       // dA_y / dA_p
            density += (1 / lights.total) * (weights[k] / total) * areaRatio / filmJacobian
        }
        return density
    }
}

extension Scene where T == Double {
    /// One secondary sample at the first surface drawn from the lights' side:
    /// a point y on a light (by area), a silhouette edge seen from y (by
    /// length / distance²) and a point q uniform along it; the ray from y
    /// through q goes on to the first surface p, which the camera must see at
    /// film point x, and the sample is then evaluated there as a film-side one
    /// (`secondaryEdgeSample`), weighted by both ends' densities. `strata`
    /// stratifies the sample's numbers over all `nLight` light-side samples.
    func lightSideSecondarySample(edges: [MeshEdge], nFilm: Int, nLight: Int, strata: PixelStratum, eps: Double, tanX: Double,
                                  second: Scene<Double>, analytic: [Int], lights: LightSideTriangles,
                                  _ sampler: inout PathSampler) -> BoundarySample? {
        let W = Double(film.width), H = Double(film.height)
        // The light point: the triangle by area (the remainder of the same number
        // gives one barycentric coordinate), uniform on it.
        let (u0, u1, u2) = (strata.unit(0, sampler.next()), strata.unit(1, sampler.next()), strata.unit(2, sampler.next()))
        let target = u0 * lights.total
        let ti = min(lights.cdf.cdfBin(target), lights.triangles.count - 1)
        let start = ti == 0 ? 0 : lights.cdf[ti - 1]
        let area = lights.cdf[ti] - start
        let r = area > 0 ? min(max((target - start) / area, 0), 1) : u1
        let su = r.squareRoot()
        let (q0, q1, q2) = lights.triangles[ti]
        let y = q0 * (1 - su) + q1 * (su * (1 - u1)) + q2 * (su * u1)
        // The edge and the point on it.
        let (weights, total) = lightSideEdgeWeights(y, edges: edges)
        if !(total > 0) { return nil }
        var k = 0, acc = 0.0
        let pickAt = u2 * total
        while k < weights.count - 1 && acc + weights[k] <= pickAt { acc += weights[k]; k += 1 }
        if weights[k] == 0 { return nil }
        let t = min(max((pickAt - acc) / weights[k], 0), 1)
        let e = edges[k]
        guard case .mesh(let m) = shapes[e.shape].geometry else { return nil }
        let a = shapes[e.shape].vertex(m, e.v0), b = shapes[e.shape].vertex(m, e.v1)
        let q = a + (b - a) * t
        let dq = q - y
        let lq = dq.length
        if !(lq > 0) { return nil }
        let d = dq / lq
        // The receiver: the first surface beyond q, not a face of the edge itself.
        guard let hit = intersect(Ray(o: q + d * (1e-5 * extent), d: d)) else { return nil }
        if hit.shape == e.shape {
            let triangle = Int(accel.primitives[hit.primitive].index)
            if triangle == e.f0 || triangle == e.f1 { return nil }
        }
        // Seen by the camera at x, inside the film.
        let f = camera.filmPosition(of: hit.p, tanHalfFov: tanX)
        if f.depth < max(camera.nearClip, 1e-6) || !(f.x >= 0 && f.x < W && f.y >= 0 && f.y < H) { return nil }
        guard let si = intersect(camera.ray(filmX: f.x, filmY: f.y, tanHalfFov: tanX)),
              si.shape == hit.shape, (si.p - hit.p).length <= 1e-4 * extent else { return nil }
        let bsdf = bsdfs[shapes[si.shape].bsdf]
        if bsdf.isDeltaOnly { return nil }
        // The film side's density of the same (x, t): q must be one of its candidates from p.
        guard let choice = secondaryCurveChoice(p: si.p, ng: si.ng, oneSided: isOneSided(bsdf), edges: edges, analytic: analytic,
                                                lightTriangles: lights.triangles) else { return nil }
        let pFilm = choice.pdf(piece: k, t: t) / (W * H)
        if pFilm == 0 { return nil }
        let density = Double(nFilm) * pFilm
            + Double(nLight) * lightSideDensity(si, edge: k, q: q, lights: lights, edges: edges, tanX: tanX)
        if !(density > 0) { return nil }
        let chosen = SecondaryCurvePoint(edge: k, shape: e.shape, s: t, point: q, tangent: b - a, pdf: choice.pdf(piece: k, t: t))
        return secondaryEdgeSample(si: si, bsdf: bsdf, filmX: f.x, filmY: f.y, throughput: .one, prefix: [], chosen: chosen,
                                   density: density, eps: eps, second: second, &sampler)
    }
}
