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
// projection of p's tangent plane onto the film (pixels² per unit area). The
// balance heuristic's weights of the two ends sum to one only where each end's
// density is that of its own draws: both decide whether the light side reaches
// a point by the same test (`surfaceBeyondEdge`), and the light side keeps only
// draws whose density that test makes positive.

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

    /// A point uniform over the triangles' area from two unit numbers: the
    /// triangle by area (the remainder of `u0` within its share gives one
    /// barycentric coordinate), and the triangle's unit normal.
    func point(_ u0: Double, _ u1: Double) -> (y: Vec3, normal: Vec3) {
        let target = u0 * total
        let ti = min(cdf.cdfBin(target), triangles.count - 1)
        let start = ti == 0 ? 0 : cdf[ti - 1]
        let area = cdf[ti] - start
        let r = area > 0 ? min(max((target - start) / area, 0), 1) : u1
        let su = r.squareRoot()
        let (q0, q1, q2) = triangles[ti]
        return (q0 * (1 - su) + q1 * (su * (1 - u1)) + q2 * (su * u1), cross(q1 - q0, q2 - q0).normalized)
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

    /// The first surface the light side reaches through edge point `q` along
    /// unit direction `d` (away from the light): the first hit beyond q that is
    /// not a face of edge `e` itself (a ray grazing them).
    func surfaceBeyondEdge(_ q: Vec3, _ d: Vec3, edge e: MeshEdge) -> SurfaceInteraction<Double>? {
        guard let hit = intersect(Ray(o: q + d * (1e-5 * extent), d: d)) else { return nil }
        if hit.shape == e.shape {
            let triangle = Int(accel.primitives[hit.primitive].index)
            if triangle == e.f0 || triangle == e.f1 { return nil }
        }
        return hit
    }

    /// The weights by which the light-side samples choose an edge seen from
    /// light point `y` on a light triangle of unit normal `ny`: length /
    /// squared distance of the silhouettes from y, but none for an edge in the
    /// triangle's own plane (its own rim, a coplanar neighbour's edges): from
    /// there the rays through the edge stay in that plane and cast the edge onto
    /// a line, a set of no area the light side never lands on. (The line from a
    /// receiver through such an edge point "meets" the triangle a rounding error
    /// beyond it; counted, it gave the film side a light-side density of about
    /// 10⁻³⁰ there, and `auditLightSideDensities` a shared set 37 times too large.)
    func lightSideEdgeWeights(_ y: Vec3, lightNormal ny: Vec3, edges: [MeshEdge]) -> (weights: [Double], total: Double) {
        var weights = [Double](repeating: 0, count: edges.count), total = 0.0
        let plane = lightPlane(y, lightNormal: ny)
        for (i, e) in edges.enumerated() {
            let w = lightSideEdgeWeight(e, from: plane)
            if w == 0 { continue }
            weights[i] = w
            total += w
        }
        return (weights, total)
    }

    /// The plane of a light triangle through light point `y` (unit normal
    /// `ny`) as the light side's edge choice sees it: two-sided, with edges
    /// within 10⁻⁹ of the scene's extent of it left out (`TangentPlane.inPlane`).
    func lightPlane(_ y: Vec3, lightNormal ny: Vec3) -> TangentPlane {
        TangentPlane(p: y, ng: ny, oneSided: false, inPlane: 1e-9 * extent)
    }

    /// The weight of edge `e` for the light side's choice from `plane.p` (a
    /// light point, `lightPlane`): its length over the squared distance of its
    /// midpoint (world units⁻¹) when it is a silhouette from there and not in
    /// the light's plane, else 0 (`lightSideEdgeWeights`).
    func lightSideEdgeWeight(_ e: MeshEdge, from plane: TangentPlane) -> Double {
        guard case .mesh = shapes[e.shape].geometry else { return 0 }
        let y = plane.p, ny = plane.ng
        let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
        if abs(dot(a - y, ny)) <= plane.inPlane && abs(dot(b - y, ny)) <= plane.inPlane { return 0 }
        if !isSilhouette(e, from: y) { return 0 }
        let mid = (a + b) * 0.5 - y
        return (b - a).length / max(mid.lengthSquared, 1e-12)
    }

    /// The probability with which the light side chooses edge `k` from light
    /// point `y` (unit normal `ny`): its share of every edge's weight
    /// (`lightSideEdgeWeights`), or with `tree` the probability of the walk
    /// from y (`EdgeTree.walk` by the same weights), by the climb from its leaf.
    func lightSideEdgeProbability(_ k: Int, from y: Vec3, lightNormal ny: Vec3, edges: [MeshEdge], tree: EdgeTree?) -> Double {
        if let tree {
            let plane = lightPlane(y, lightNormal: ny)
            return tree.probability(ofEdge: k, plane) { lightSideEdgeWeight(edges[$0], from: plane) }
        }
        let (weights, total) = lightSideEdgeWeights(y, lightNormal: ny, edges: edges)
        return total > 0 ? weights[k] / total : 0
    }

    /// The density per film area and unit edge parameter with which one
    /// light-side sample reaches edge `k` at parameter `t` (point `q`) from
    /// surface point `si`: summed over the light triangles the line from p
    /// through q meets beyond q. 0 where the light side cannot land on p: its
    /// ray through q, continued to the first surface beyond (`surfaceBeyondEdge`),
    /// must meet p. Both ends weigh their samples by this function, and the light
    /// side keeps only draws for which it is positive, so that the two ends'
    /// weights sum to one wherever either reaches (`auditLightSideDensities`
    /// measures whether they do). `tree`: the light side walks an edge tree
    /// (meshes above `BoundaryOptions.maxFlatSecondaryEdges`).
    func lightSideDensity(_ si: SurfaceInteraction<Double>, edge k: Int, q: Vec3, lights: LightSideTriangles,
                          edges: [MeshEdge], tanX: Double, tree: EdgeTree? = nil) -> Double {
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
            let ny = cross(e1, e2).normalized
            let choice = lightSideEdgeProbability(k, from: y, lightNormal: ny, edges: edges, tree: tree)
            if !(choice > 0) { continue }
            let cosY = abs(dot(ny, d)), cosP = abs(dot(si.ng, d))
            if !(cosY > 0) { continue }
            if filmJacobian == 0 {
                // The light side reaches p only where its own test lands there: the
                // first surface beyond q, away from the light, is p (`surfaceBeyondEdge`).
                guard let hit = surfaceBeyondEdge(q, -d, edge: edges[k]), hit.shape == si.shape,
                      (hit.p - p).length <= 1e-4 * extent else { return 0 }
                filmJacobian = filmAreaPerSurfaceArea(p, normal: si.ng, tanX: tanX)
                if !(filmJacobian > 0) { return 0 }
            }
            let yq = s - dpq
            let areaRatio = (yq * yq) / (dpq * dpq) * cosP / cosY       // dA_y / dA_p
            density += (1 / lights.total) * choice * areaRatio / filmJacobian
        }
        return density
    }
}

/// One draw of the light side before any radiance is traced: the first surface
/// `si` the camera sees at film point (`filmX`, `filmY`), the edge point
/// `chosen` (its `pdf` the film side's choice density at si), and the
/// densities in (film pixels², edge parameter) with which one film-side and
/// one light-side sample reach it.
struct LightSideDraw {
    var si: SurfaceInteraction<Double>
    /// The BSDF at `si`, by index (`bsdfs`).
    var bsdf: Int
    var filmX: Double, filmY: Double
    var chosen: SecondaryCurvePoint
    var filmDensity: Double, lightDensity: Double
}

extension Scene where T == Double {
    /// A point y on a light (by area), a silhouette edge seen from y (by
    /// length / distance²) and a point q uniform along it; the ray from y
    /// through q goes on to the first surface p, which the camera must see at
    /// film point x. `strata` stratifies the numbers over all light-side
    /// samples. `tree`: the edge by a walk of the edge tree from y
    /// (`EdgeTree.walk`, by the same weights), and the film side's density by
    /// the tree's choice (`secondaryEdgeDensity`).
    func drawFromLights(edges: [MeshEdge], strata: PixelStratum, tanX: Double, analytic: [Int], lights: LightSideTriangles,
                        tree: EdgeTree? = nil, _ sampler: inout PathSampler) -> LightSideDraw? {
        let W = Double(film.width), H = Double(film.height)
        // The light point, uniform over the lights' area.
        let (u0, u1, u2) = (strata.unit(0, sampler.next()), strata.unit(1, sampler.next()), strata.unit(2, sampler.next()))
        let (y, ny) = lights.point(u0, u1)
        // The edge and the point on it.
        let k: Int, t: Double
        if let tree {
            let plane = lightPlane(y, lightNormal: ny)
            guard let walk = tree.walk(plane, u: u2, weight: { lightSideEdgeWeight(edges[$0], from: plane) }) else { return nil }
            k = walk.edge
            t = walk.rest
        } else {
            let (weights, total) = lightSideEdgeWeights(y, lightNormal: ny, edges: edges)
            if !(total > 0) { return nil }
            var i = 0, acc = 0.0
            let pickAt = u2 * total
            while i < weights.count - 1 && acc + weights[i] <= pickAt { acc += weights[i]; i += 1 }
            if weights[i] == 0 { return nil }
            k = i
            t = min(max((pickAt - acc) / weights[i], 0), 1)
        }
        let e = edges[k]
        guard case .mesh = shapes[e.shape].geometry else { return nil }
        let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
        let q = a + (b - a) * t
        let dq = q - y
        let lq = dq.length
        if !(lq > 0) { return nil }
        // The receiver: the first surface beyond q, not a face of the edge itself.
        guard let hit = surfaceBeyondEdge(q, dq / lq, edge: e) else { return nil }
        // Seen by the camera at x, inside the film.
        let f = camera.filmPosition(of: hit.p, tanHalfFov: tanX)
        if f.depth < max(camera.nearClip, 1e-6) || !(f.x >= 0 && f.x < W && f.y >= 0 && f.y < H) { return nil }
        guard let si = intersect(camera.ray(filmX: f.x, filmY: f.y, tanHalfFov: tanX)),
              si.shape == hit.shape, (si.p - hit.p).length <= 1e-4 * extent else { return nil }
        let bsdf = shapes[si.shape].bsdf
        if deltaOnly[bsdf] { return nil }
        // The film side's density of the same (x, t): q must be one of its candidates from p.
        let pdf: Double
        if let tree {
            guard let choice = treeCurveChoice(tree: tree, p: si.p, ng: si.ng, oneSided: isOneSided(bsdf), edges: edges,
                                               analytic: analytic, lightTriangles: lights.triangles) else { return nil }
            pdf = secondaryEdgeDensity(choice, tree: tree, edges: edges, edge: k, t: t)
        } else {
            guard let choice = secondaryCurveChoice(p: si.p, ng: si.ng, oneSided: isOneSided(bsdf), edges: edges, analytic: analytic,
                                                    lightTriangles: lights.triangles) else { return nil }
            pdf = choice.pdf(piece: k, t: t)
        }
        if pdf == 0 { return nil }
        let chosen = SecondaryCurvePoint(edge: k, shape: e.shape, s: t, point: q, tangent: b - a, pdf: pdf)
        return LightSideDraw(si: si, bsdf: bsdf, filmX: f.x, filmY: f.y, chosen: chosen, filmDensity: pdf / (W * H),
                             lightDensity: lightSideDensity(si, edge: k, q: q, lights: lights, edges: edges, tanX: tanX, tree: tree))
    }

    /// One secondary sample at the first surface drawn from the lights' side
    /// (`drawFromLights`), evaluated there as a film-side one
    /// (`secondaryEdgeSample`) and weighted by both ends' densities.
    func lightSideSecondarySample(edges: [MeshEdge], nFilm: Int, counts: PenumbraPixels? = nil, nLight: Int, strata: PixelStratum,
                                  eps: Double, tanX: Double,
                                  second: Scene<Double>, analytic: [Int], lights: LightSideTriangles, points: SurfaceFilmPoints,
                                  tree: EdgeTree? = nil, _ sampler: inout PathSampler) -> BoundarySample? {
        guard let draw = drawFromLights(edges: edges, strata: strata, tanX: tanX, analytic: analytic, lights: lights, tree: tree,
                                        &sampler)
        else { return nil }
        // Only where the light side's own density says it reaches (see `lightSideDensity`).
        if !(draw.lightDensity > 0) { return nil }
        // The film side's samples per unit film area there: its pixel's count where they gather in penumbrae.
        let film = counts.map { draw.chosen.pdf * filmPointsDensity(draw.si, filmX: draw.filmX, filmY: draw.filmY, samples: nFilm,
                                                                       counts: $0, points, tanX: tanX) }
            ?? Double(nFilm) * draw.filmDensity * filmDensityRatio(draw.si, points, tanX: tanX)
        let density = film + Double(nLight) * draw.lightDensity
        return secondaryEdgeSample(si: draw.si, bsdf: draw.bsdf, filmX: draw.filmX, filmY: draw.filmY, throughput: .one, prefix: [],
                                   chosen: draw.chosen, density: density, eps: eps, second: second, &sampler)
    }
}

/// A check of the two ends of the first surface's shadow samples against each
/// other, from their own draws and no radiance: the measure (film pixels² ×
/// edge parameter) of the set of edge points that both reach, estimated from
/// each end (Σ 1 / p over its draws whose point the other end's density also
/// covers, divided by the draws), with the standard errors of both estimates.
/// Each end's density must be the density of its own draws, so the two
/// estimates agree in expectation; `unreached` counts light-side draws whose
/// computed light-side density is 0 (a point the light side reaches but its
/// density says it cannot), which would weigh such samples as if only the
/// film side drew them. Above `BoundaryOptions.maxFlatSecondaryEdges` both
/// ends choose their edges through the edge tree, and the densities each end
/// computes of the other's draws climb it.
public struct LightSideAudit: Sendable {
    public var filmEstimate: Double, filmError: Double
    public var lightEstimate: Double, lightError: Double
    /// Draws (of `samples` each) that reached a point both ends cover.
    public var filmHits: Int, lightHits: Int
    public var unreached: Int
    /// Whether the edges were chosen through the edge tree.
    public var throughTree: Bool
    /// The largest relative difference between a film-side draw's density and
    /// the film side's density of the same edge point computed without drawing
    /// (as the light side's draws compute it).
    public var largestFilmDensityError: Double
}

/// The mean of `v` (two or more values) and its standard error: the sample
/// standard deviation over √n. The density audits' estimates.
func meanAndStandardError(_ v: [Double]) -> (mean: Double, error: Double) {
    let m = v.reduce(0, +) / Double(v.count)
    let variance = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
    return (m, (variance / Double(v.count)).squareRoot())
}

extension Scene where T == Double {
    /// `LightSideAudit` from `samples` draws of each end (nil without mesh
    /// area lights), through the edge tree above `maxFlatEdges` mesh edges.
    public func auditLightSideDensities(samples n: Int, seed: UInt64,
                                        maxFlatEdges: Int = BoundaryOptions.standard.maxFlatSecondaryEdges) -> LightSideAudit? {
        let lights = LightSideTriangles(areaLightTriangles())
        guard lights.total > 0, n > 1 else { return nil }
        let edges = meshEdges()
        let tree = edges.count > maxFlatEdges ? EdgeTree(scene: self, edges: edges) : nil
        let analytic = analyticShapes.filter { !(shapes[$0].emitter != nil && shapes[$0].isConeSampled) }
        let tanX = camera.tanHalfFov
        let W = film.width, H = film.height
        var film = [Double](), light = [Double](), unreached = 0, densityError = 0.0
        for j in 0..<n {
            // The film side: a film point, its first surface, an edge point (as
            // `secondarySample`), and its density again without drawing.
            var sampler = PathSampler(seed: seed, pixel: j, index: 1)
            let strata = PixelStratum(j, of: n, pixels: W * H, seed: seed)
            var hit = 0.0
            if let (_, _, si, _, _, _) = pathToVertex(1, strata: strata, tanX: tanX, &sampler),
               !deltaOnly[shapes[si.shape].bsdf] {
                let oneSided = isOneSided(shapes[si.shape].bsdf)
                let u = strata.unit(2, sampler.next())
                var drawn: (point: SecondaryCurvePoint, again: Double)? = nil
                if let tree {
                    if let c = treeCurveChoice(tree: tree, p: si.p, ng: si.ng, oneSided: oneSided, edges: edges, analytic: analytic,
                                               lightTriangles: lights.triangles),
                       let chosen = chooseSecondaryCurvePoint(c, tree: tree, edges: edges, u: u), chosen.edge >= 0 {
                        drawn = (chosen, secondaryEdgeDensity(c, tree: tree, edges: edges, edge: chosen.edge, t: chosen.s))
                    }
                } else if let c = secondaryCurveChoice(p: si.p, ng: si.ng, oneSided: oneSided, edges: edges, analytic: analytic,
                                                       lightTriangles: lights.triangles),
                          let chosen = chooseSecondaryCurvePoint(c, edges: edges, p: si.p, u: u), chosen.edge >= 0 {
                    drawn = (chosen, c.pdf(piece: chosen.edge, t: chosen.s))
                }
                if let (chosen, again) = drawn {
                    densityError = max(densityError, abs(again / chosen.pdf - 1))
                    if lightSideDensity(si, edge: chosen.edge, q: chosen.point, lights: lights, edges: edges, tanX: tanX, tree: tree) > 0 {
                        hit = Double(W * H) / chosen.pdf
                    }
                }
            }
            film.append(hit)
            var lightSampler = PathSampler(seed: seed, pixel: j, index: 2)
            if let draw = drawFromLights(edges: edges, strata: PixelStratum(j, of: n, pixels: 1, seed: seed), tanX: tanX,
                                         analytic: analytic, lights: lights, tree: tree, &lightSampler) {
                if draw.lightDensity > 0 { light.append(1 / draw.lightDensity) } else { unreached += 1; light.append(0) }
            } else {
                light.append(0)
            }
        }
        let (fm, fe) = meanAndStandardError(film), (lm, le) = meanAndStandardError(light)
        return LightSideAudit(filmEstimate: fm, filmError: fe, lightEstimate: lm, lightError: le,
                              filmHits: film.filter { $0 > 0 }.count, lightHits: light.filter { $0 > 0 }.count, unreached: unreached,
                              throughTree: tree != nil, largestFilmDensityError: densityError)
    }
}
