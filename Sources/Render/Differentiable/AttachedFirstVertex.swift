import Geometry
#if canImport(Glibc)
import Glibc
#endif

// The interior term's first vertex attached to a moving surface.
//
// The path replay holds a camera ray fixed: on a moving curved surface its
// first vertex slides over the surface as 1 / cos θ (θ between the camera ray
// and the normal) and the shading frame turns with it, so the derivative of a
// pixel grows without bound towards the surface's silhouette (a variance that
// diverges logarithmically over the film). Attached, the replay keeps the
// material point the primal ray found and moves the film point with it
// instead: the pixel integral is taken over the surface (Zhang et al. 2020's
// material form; Loubet et al. 2019, Bangaru et al. 2020 reparametrise it the
// same way), so the film filter's slope and the Jacobian of the map from the
// surface to the film enter, and the camera's boundary samples keep only the
// part of each side's radiance that the attached film points do not carry
// (docs/design.md, "The first vertex attached to a moving surface").

/// Which first vertices a gradient attaches to their surface, and the film
/// quantities the attachment needs. Built by `Scene.firstVertexAttachment`.
public struct FirstVertexAttachment: Sendable {
    /// Per shape: whether a first vertex on it moves with it (a rigid pose key
    /// of the shape, or a sphere's centre, is differentiated).
    public let attached: [Bool]
    /// A film rectangle (pixels: x0, y0, x1, y1) holding every film point the
    /// attached shapes cover (their projected bounding boxes).
    var filmBounds: (Double, Double, Double, Double)
    /// Film size (pixels).
    var width: Double, height: Double
    /// The boundary samples' offset from a curve on the film (pixels; `BoundaryOptions.offset`).
    var offset: Double
    /// Per shape, the radiance (linear RGB, a function of the film point) an
    /// attached path's film term is taken relative to, and that the attached
    /// sides of camera silhouette samples add back (`attachedVariates`,
    /// `attachmentAndVariates`); nil: none.
    var variates: [FilmQuadratic]? = nil

    /// Width (pixels) of the band along the film's border over which the
    /// attachment fades to none: film points there move less than their
    /// material point and not at all on the border, so the border, where the
    /// film's domain ends, needs no boundary term of its own.
    static let band = 4.0

    /// The attachment's strength at film point (fx, fy) (1 inside, 0 on the
    /// border, a smoothstep across the band) and its gradient (per pixel).
    func strength(_ fx: Double, _ fy: Double) -> (w: Double, dx: Double, dy: Double) {
        @inline(__always) func step(_ t: Double) -> (Double, Double) {
            if t >= 1 { return (1, 0) }
            if t <= 0 { return (0, 0) }
            return (t * t * (3 - 2 * t), 6 * t * (1 - t))
        }
        let b = FirstVertexAttachment.band
        let l = step(fx / b), r = step((width - fx) / b), t = step(fy / b), u = step((height - fy) / b)
        let wx = l.0 * r.0, wy = t.0 * u.0
        return (wx * wy, (l.1 * r.0 - l.0 * r.1) / b * wy, wx * (t.1 * u.0 - t.0 * u.1) / b)
    }
}

extension Scene where T == Double {
    /// The attachment of a gradient of `keys` with `boundary`'s options, or nil
    /// when it does not apply: unless `boundary.attachesFirstVertex`, with a box
    /// filter (its steps have no slope), a camera that is not a still pinhole,
    /// moving groups, or a key that moves geometry other than rigidly (only
    /// `<shape>.translate`, `<shape>.rotate` and a sphere's `<id>.center` move a
    /// shape's points without deforming it). Only spheres and cylinders are
    /// attached: a flat face has no slide to cancel (cos θ is constant over it),
    /// and attached it would only add the filter slope's noise. Shapes with only
    /// delta lobes (mirrors, glass) are not attached either: silhouettes seen
    /// through them are sampled on their own (`SpecularImages`).
    public func firstVertexAttachment(keys: [String], _ boundary: BoundaryOptions) -> FirstVertexAttachment? {
        guard boundary.attachesFirstVertex, film.filter != .box, camera.isPinhole, camera.motion == nil,
              !camera.shutter.isOpen, movingGroups.isEmpty else { return nil }
        var attached = [Bool](repeating: false, count: shapes.count)
        for key in keys where geometryMayMove([key]) {
            guard !key.hasPrefix(sensorID + "."),
                  let s = shapes.indices.first(where: { i in
                      let id = shapes[i].id
                      if key == id + ".translate" || key == id + ".rotate" { return true }
                      if case .sphere = shapes[i].geometry { return key == id + ".center" }
                      return false
                  }),
                  shapes[s].emitter == nil else { return nil }
            switch shapes[s].geometry {
            case .sphere, .cylinder: attached[s] = !deltaOnly[shapes[s].bsdf]
            case .mesh, .disk, .sdfGrid: break
            }
        }
        guard attached.contains(true) else { return nil }
        // The projected bounding boxes (the whole film if one reaches behind the eye).
        let W = Double(film.width), H = Double(film.height), tanX = camera.tanHalfFov
        var x0 = Double.infinity, y0 = Double.infinity, x1 = -Double.infinity, y1 = -Double.infinity
        for s in shapes.indices where attached[s] {
            guard let (lo, hi) = worldBox(ofShape: s) else { x0 = 0; y0 = 0; x1 = W; y1 = H; break }
            for k in 0..<8 {
                let c = Vec3(k & 1 == 0 ? lo.x : hi.x, k & 2 == 0 ? lo.y : hi.y, k & 4 == 0 ? lo.z : hi.z)
                let f = camera.filmPosition(of: c, tanHalfFov: tanX)
                if !(f.depth > 0) || !f.x.isFinite || !f.y.isFinite { x0 = 0; y0 = 0; x1 = W; y1 = H; break }
                x0 = min(x0, f.x); y0 = min(y0, f.y); x1 = max(x1, f.x); y1 = max(y1, f.y)
            }
        }
        let margin = 1.0
        return FirstVertexAttachment(attached: attached, filmBounds: (x0 - margin, y0 - margin, x1 + margin, y1 + margin),
                                     width: W, height: H, offset: boundary.offset)
    }

    /// Shape `s`'s world-space bounding box (its pose applied), or nil for a
    /// shape without one here (a disk, an sdfgrid).
    func worldBox(ofShape s: Int) -> (Vec3, Vec3)? {
        let shape = shapes[s]
        switch shape.geometry {
        case .mesh(let m):
            var lo = Vec3(repeating: .infinity), hi = Vec3(repeating: -.infinity)
            for i in 0..<m.positions.count {
                let p = shape.vertex(i)
                lo = Vec3(min(lo.x, p.x), min(lo.y, p.y), min(lo.z, p.z)); hi = Vec3(max(hi.x, p.x), max(hi.y, p.y), max(hi.z, p.z))
            }
            return (lo, hi)
        case .sphere:
            let c = shape.placedCenter, r = Vec3(repeating: shape.radius)
            return (c - r, c + r)
        case .cylinder(let c):
            let f = Shape<Double>.cylinderFrame(c, shape.offset)
            let top = f.base + f.axis * c.length, r = Vec3(repeating: shape.radius)
            return (Vec3(min(f.base.x, top.x), min(f.base.y, top.y), min(f.base.z, top.z)) - r,
                    Vec3(max(f.base.x, top.x), max(f.base.y, top.y), max(f.base.z, top.z)) + r)
        case .disk, .sdfGrid:
            return nil
        }
    }

    /// Whether a camera silhouette piece may have an attached surface on one
    /// side: its film extent meets the attached shapes' (`filmBounds`). A
    /// piece that cannot move then still bounds a region whose film points
    /// move (a fixed shape in front of a moving one), so its samples count.
    func mayBorderAttached(_ piece: SilhouettePiece, _ a: FirstVertexAttachment) -> Bool {
        guard case .edge(_, _, _, let s0, let s1, let pa, let pb) = piece else { return true }
        let ax = pa.x + (pb.x - pa.x) * s0, bx = pa.x + (pb.x - pa.x) * s1
        let ay = pa.y + (pb.y - pa.y) * s0, by = pa.y + (pb.y - pa.y) * s1
        let (x0, y0, x1, y1) = a.filmBounds
        return max(ax, bx) >= x0 && min(ax, bx) <= x1 && max(ay, by) >= y0 && min(ay, by) <= y1
    }
}

extension Scene {
    /// The point `p0` of shape `s` (a point of it at the primal parameters)
    /// carried with the shape's rigid motion, in `T`: the same material point.
    func attachedPoint(_ p0: Vec3, shape s: Int) -> Vector3<T> {
        shapes.withUnsafeBufferPointer { shapes in
            let offset = shapes[s].offset
            var local = p0
            if let o = offset {
                let q = p0 - o.origin.primal
                local = Vec3(dot(o.x.primal, q), dot(o.y.primal, q), dot(o.z.primal, q))
            }
            if case .sphere = shapes[s].geometry {
                let c = shapes[s].center
                return Shape.placed(c + Vector3<T>(local - c.primal), offset)
            }
            return Shape.placed(Vector3<T>(local), offset)
        }
    }

    /// The camera's projection at `p` (primal): the film position's and the
    /// depth's gradients with respect to the point (pixels, and depth, per unit
    /// length), from `filmPosition`'s Cramer's rule.
    func projectionGradients(at p: Vec3) -> (x: Vec3, y: Vec3, depth: Vec3, z: Double) {
        let frame = camera.toWorld
        let X = frame.x.primal, Y = frame.y.primal, Z = frame.z.primal
        let det = dot(X, cross(Y, Z))
        let a = cross(Y, Z) / det, b = cross(Z, X) / det, c = cross(X, Y) / det
        let d = p - frame.origin.primal
        let qx = dot(d, a), qy = dot(d, b), qz = dot(d, c)
        let tanX = camera.tanHalfFov.primal, aspect = Double(camera.width) / Double(camera.height)
        let sx = (a * qz - c * qx) / (qz * qz * tanX), sy = (b * qz - c * qy) / (qz * qz * tanX)
        return (sx * (-Double(camera.width) / 2), sy * (-aspect * Double(camera.height) / 2), c, qz)
    }

    /// The film point of a first vertex attached to its surface: the film
    /// point (fx, fy) whose camera ray met shape `s` at `p0`, moved as far as
    /// the projection of that material point moves (times the attachment's
    /// strength there), to first order (only its derivative is used). Its
    /// primal is (fx, fy) exactly; `moved` is the projection's own
    /// displacement and `p` the moved material point.
    func attachedFilmPoint(filmX fx: Double, filmY fy: Double, point p0: Vec3, shape s: Int, _ a: FirstVertexAttachment)
        -> (x: T, y: T, moved: (x: T, y: T), p: Vector3<T>, projection: (x: Vec3, y: Vec3, depth: Vec3, z: Double)) {
        let p = attachedPoint(p0, shape: s)
        let g = projectionGradients(at: p0)
        let dp = p - Vector3<T>(p.primal)
        let dx = dot(dp, Vector3<T>(g.x)), dy = dot(dp, Vector3<T>(g.y))
        let w = T(a.strength(fx, fy).w)
        return (T(fx) + dx * w, T(fy) + dy * w, (dx, dy), p, g)
    }

    /// The replay's first vertex (`p0` on shape `s`, geometric normal `n0`,
    /// found in doubles along `ray`, the camera ray through film point (fx,
    /// fy)) attached to its shape: the camera ray through the attached film
    /// point (to first order: `ray`'s direction turned towards the moved point
    /// by the attachment's strength; its primal is `ray`'s to the bit, so the
    /// recomputed hit is the moved material point), and the Jacobian
    /// determinant of the map from film points to attached film points
    /// (primal 1): the ratio of film area per surface area, |n · (p − e)| /
    /// depth³, to its primal, blended with the attachment's strength and its
    /// gradient.
    func attachedCameraRay(_ ray: Ray<Double>, filmX fx: Double, filmY fy: Double, point p0: Vec3, normal n0: Vec3, shape s: Int,
                           _ a: FirstVertexAttachment) -> (ray: Ray<T>, x: T, y: T, jacobian: T) {
        let f = attachedFilmPoint(filmX: fx, filmY: fy, point: p0, shape: s, a)
        let w = a.strength(fx, fy)
        let e = ray.o
        let towards = (f.p - Vector3<T>(e)).normalized
        let d = Vector3<T>(ray.d) + (towards - Vector3<T>(towards.primal)) * T(w.w)
        // The geometric normal carried with the shape's rotation.
        let n: Vector3<T> = shapes.withUnsafeBufferPointer { shapes in
            guard let o = shapes[s].offset else { return Vector3<T>(n0) }
            let local = Vec3(dot(o.x.primal, n0), dot(o.y.primal, n0), dot(o.z.primal, n0))
            return o.vector(Vector3<T>(local))
        }
        // d log A = d(n · (p − e)) / (n · (p − e)) − 3 d depth / depth, to first order.
        let dp = f.p - Vector3<T>(f.p.primal)
        let nd = dot(n0, p0 - e)
        let logArea = (dot(n - Vector3<T>(n0), Vector3<T>(p0 - e)) + dot(dp, Vector3<T>(n0))) / T(nd)
            - dot(dp, Vector3<T>(f.projection.depth)) * T(3 / f.projection.z)
        let jacobian = 1 + logArea * T(w.w) + f.moved.x * T(w.dx) + f.moved.y * T(w.dy)
        return (Ray(o: Vector3<T>(e), d: d), f.x, f.y, jacobian)
    }

    /// The motions of a camera silhouette sample's sides whose first vertex is
    /// attached (`attachedFilmPoint` of the side's film point, along the
    /// curve's film normal), each with its side's share of the weight: the
    /// side's region moves by the curve's motion less its film points' own,
    /// L₋ (V − v₋ · n) − L₊ (V − v₊ · n) in all; the curve's V is
    /// `boundarySpeeds`' motion. With `variates`, an attached side's L is
    /// taken relative to its shape's variate φ at the side's film point, as
    /// the interior takes it: (L − φ)(−v · n) on the side's region, whose
    /// outward normal is n on the minus side and −n on the plus side, adds
    /// back ∮ f φ v · n (`attachedVariates`). Each (weight, motion) goes to `body`.
    func attachedSides(_ b: BoundarySample, _ a: FirstVertexAttachment, tanX: T, _ body: (RGB<Double>, T) -> Void) {
        let nx = b.direction.x, ny = b.direction.y
        let (x0, y0, x1, y1) = a.filmBounds
        for side in 0..<2 {
            let sign = side == 0 ? -1.0 : 1.0, radiance = side == 0 ? b.sides.minus : b.sides.plus
            let fx = b.filmX + sign * a.offset * nx, fy = b.filmY + sign * a.offset * ny
            if (radiance.isBlack && a.variates == nil) || !(fx >= x0 && fx <= x1 && fy >= y0 && fy <= y1) { continue }
            let ray = camera.ray(filmX: fx, filmY: fy, tanHalfFov: T(tanX.primal)).primal
            guard let hit = accel.intersect(o: ray.o, d: ray.d, tMin: tMin(ray)) else { continue }
            let shape = Int(accel.primitives.primitive(Int(hit.primitive)).shape)
            guard a.attached[shape] else { continue }
            let relative = a.variates.map { radiance - $0[shape](fx, fy) * b.sideScale } ?? radiance
            if relative.isBlack { continue }
            let f = attachedFilmPoint(filmX: fx, filmY: fy, point: ray.o + ray.d * hit.t, shape: shape, a)
            // L₋ enters with +(−v · n), L₊ with −(−v · n).
            body(relative * -sign, -(f.x * T(nx) + f.y * T(ny)))
        }
    }
}

extension ReconstructionFilter {
    /// The filter's slope d eval / dx (per pixel) where it is differentiable;
    /// 0 for the box (its steps move image weight by a line integral that an
    /// attached film point does not estimate: `firstVertexAttachment` refuses it).
    @inlinable
    public func slope(_ x: Double) -> Double {
        switch self {
        case .box: return 0
        case .tent(let r): return abs(x) < r ? (x > 0 ? -1 / r : 1 / r) : 0
        case .gaussian(let s):
            let alpha = -1 / (2 * s * s), r = 4 * s
            return abs(x) < r ? 2 * alpha * x * exp(alpha * x * x) : 0
        }
    }

    /// `eval(x)` and `slope(x)` together (one exponential for the Gaussian).
    @inlinable
    public func valueAndSlope(_ x: Double) -> (Double, Double) {
        guard case .gaussian(let s) = self else { return (eval(x), slope(x)) }
        let alpha = -1 / (2 * s * s), r = 4 * s
        let e = exp(alpha * x * x)
        return (max(0, e - exp(alpha * r * r)), abs(x) < r ? 2 * alpha * x * e : 0)
    }
}

extension ImageBlock {
    /// Calls `body(x, y, ∂w/∂fx, ∂w/∂fy)` for every film pixel within the
    /// filter's radius of (fx, fy): the slopes of the analytic filter weight
    /// f(x + ½ − fx) f(y + ½ − fy) with respect to the sample's position.
    @inlinable
    public func forEachSlope(fx: Double, fy: Double, filmWidth: Int, filmHeight: Int, _ body: (Int, Int, Double, Double) -> Void) {
        let r = filter.radius
        let xa = max(0, Int((fx - r - 0.5).rounded(.up))), xb = min(filmWidth - 1, Int((fx + r - 0.5).rounded(.down)))
        let ya = max(0, Int((fy - r - 0.5).rounded(.up))), yb = min(filmHeight - 1, Int((fy + r - 0.5).rounded(.down)))
        if xa > xb || ya > yb { return }
        // Each column's value and slope once, not once a row.
        withUnsafeTemporaryAllocation(of: (Double, Double).self, capacity: xb - xa + 1) { columns in
            for x in xa...xb {
                let dx = Double(x) + 0.5 - fx
                columns[x - xa] = filter.valueAndSlope(dx)
            }
            for y in ya...yb {
                let dy = Double(y) + 0.5 - fy
                let (fy0, sy) = filter.valueAndSlope(dy)
                for x in xa...xb {
                    let (fx0, sx) = columns[x - xa]
                    let gx = -sx * fy0, gy = -fx0 * sy
                    if gx != 0 || gy != 0 { body(x, y, gx, gy) }
                }
            }
        }
    }
}
