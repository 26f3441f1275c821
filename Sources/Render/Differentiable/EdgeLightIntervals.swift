import Geometry

extension Scene where T == Double {
    /// The triangles of every mesh area light (world space), for guiding the
    /// secondary edge samples towards the lights; none when the lights hold
    /// more than `limit` triangles (every edge sample would test them all).
    func areaLightTriangles(limit: Int = 64) -> [(Vec3, Vec3, Vec3)] {
        var out = [(Vec3, Vec3, Vec3)]()
        for shape in shapes {
            guard let ei = shape.emitter, case .area = emitters[ei], case .mesh(let m) = shape.geometry else { continue }
            for t in 0..<m.triangleCount { out.append(shape.triangleVertices(t)) }
            if out.count > limit { return [] }
        }
        return out
    }
}

/// Where, along a mesh edge a→b seen from a point p, an area light lies behind
/// the edge: the parameter intervals t ∈ [0, 1] of the edge points a + t(b − a)
/// whose ray from p goes on to meet a light triangle.
///
/// A shadow edge close to its receiver (a box just above a floor) covers a
/// small light over a tiny part of its length, so uniform points along the edge
/// rarely land there and the few that do carry large weights.
/// `chooseSecondaryCurvePoint` samples these intervals over all edges at once,
/// mixed with uniform points along whole edges.
struct EdgeLightIntervals {
    /// Disjoint, sorted intervals within [0, 1].
    private(set) var intervals: [(Double, Double)] = []
    /// Their total length.
    private(set) var length = 0.0

    init(p: Vec3, a: Vec3, b: Vec3, lights: [(Vec3, Vec3, Vec3)]) {
        guard !lights.isEmpty else { return }
        let pa = a - p, ab = b - a
        let normal = cross(pa, b - p)                     // of the plane through p and the edge
        let nl = normal.length
        guard nl > 0 else { return }
        let np = normal / nl
        // A light triangle whose plane holds the edge (the edge is its rim, or a
        // coplanar neighbour's) lies behind no point of it: the ray from p through
        // the edge leaves that plane there. By rounding the cut would be the whole edge.
        let inPlane = 1e-9 * (pa.length + (b - p).length)
        var raw = [(Double, Double)]()
        for (q0, q1, q2) in lights {
            let lightNormal = cross(q1 - q0, q2 - q0).normalized
            if abs(dot(a - q0, lightNormal)) <= inPlane && abs(dot(b - q0, lightNormal)) <= inPlane { continue }
            // The segment where the plane cuts the triangle (no arrays: this runs
            // for every edge of every secondary sample).
            let d0 = dot(q0 - p, np), d1 = dot(q1 - p, np), d2 = dot(q2 - p, np)
            if (d0 > 0 && d1 > 0 && d2 > 0) || (d0 < 0 && d1 < 0 && d2 < 0) { continue }
            var lo = Double.infinity, hi = -Double.infinity, cuts = 0, valid = true
            func add(_ x: Vec3) {
                // x seen from p, on the edge's line: a + t(b − a) collinear with p and x.
                let px = x - p
                let den = dot(cross(ab, px), np)
                guard abs(den) > 1e-300 else { valid = false; return }
                let t = -dot(cross(pa, px), np) / den
                // The light must lie beyond the edge point, in front of p.
                let onEdge = pa + ab * t
                guard dot(onEdge, px) > 0, px.lengthSquared > onEdge.lengthSquared else { valid = false; return }
                lo = min(lo, t); hi = max(hi, t); cuts += 1
            }
            func side(_ qi: Vec3, _ di: Double, _ qj: Vec3, _ dj: Double) {
                if di == 0 { add(qi) }
                if (di < 0 && dj > 0) || (di > 0 && dj < 0) { add(qi + (qj - qi) * (di / (di - dj))) }
            }
            side(q0, d0, q1, d1); side(q1, d1, q2, d2); side(q2, d2, q0, d0)
            guard valid, cuts >= 2 else { continue }
            let c0 = max(lo, 0), c1 = min(hi, 1)
            if c1 > c0 { raw.append((c0, c1)) }
        }
        raw.sort { $0.0 < $1.0 }
        for r in raw {
            if let last = intervals.last, r.0 <= last.1 {
                intervals[intervals.count - 1].1 = max(last.1, r.1)
            } else {
                intervals.append(r)
            }
        }
        length = intervals.reduce(0) { $0 + ($1.1 - $1.0) }
    }

    /// Whether t lies in one of the intervals.
    func contains(_ t: Double) -> Bool { intervals.contains { t >= $0.0 && t <= $0.1 } }

    /// A point t uniform over the intervals (density 1 / `length` there), from
    /// one uniform number u; needs `length` > 0.
    func sampleInside(_ u: Double) -> Double {
        var r = u * length
        for (lo, hi) in intervals {
            if r <= hi - lo { return min(max(lo + r, 0), 1) }
            r -= hi - lo
        }
        return intervals[intervals.count - 1].1
    }
}

/// The cone of directions from a point that holds one light triangle: the
/// direction to its centroid and the half-angle of its bounding sphere
/// (π when the point lies inside that sphere).
struct LightCone {
    var axis: Vec3
    var halfAngle: Double

    static func cones(from p: Vec3, lights: [(Vec3, Vec3, Vec3)]) -> [LightCone] {
        lights.map { q0, q1, q2 in
            let c = (q0 + q1 + q2) * (1.0 / 3)
            let r = max((q0 - c).length, (q1 - c).length, (q2 - c).length)
            let d = c - p, l = d.length
            return LightCone(axis: l > 0 ? d / l : Vec3(0, 0, 1), halfAngle: l > r ? asin(r / l) : .pi)
        }
    }
}

extension EdgeLightIntervals {
    /// Where, along an arc of an analytic outline (a sphere's silhouette, a disk's
    /// rim, a cylinder's circles and lines) seen from a point, a light may lie
    /// behind it: of the arc's two halves (t ∈ [0, ½] and [½, 1], the unit
    /// directions `d` to its start, middle and end), those whose directions come
    /// within a light triangle's cone (`LightCone`, widened by the half's own
    /// angular half-length). A superset by angle alone, not the exact part: the
    /// guided strategy only needs a density it can compute, and the uniform one
    /// keeps every point reachable.
    init(arcDirections d: (Vec3, Vec3, Vec3), cones: [LightCone]) {
        func angle(_ a: Vec3, _ b: Vec3) -> Double { acos(min(max(dot(a, b), -1), 1)) }
        func seesALight(_ a: Vec3, _ b: Vec3) -> Bool {
            let half = 0.5 * angle(a, b), mid = (a + b).normalized
            return cones.contains { angle(mid, $0.axis) <= $0.halfAngle + 1.1 * half }
        }
        let first = seesALight(d.0, d.1), second = seesALight(d.1, d.2)
        switch (first, second) {
        case (true, true): intervals = [(0, 1)]
        case (true, false): intervals = [(0, 0.5)]
        case (false, true): intervals = [(0.5, 1)]
        case (false, false): intervals = []
        }
        length = intervals.reduce(0) { $0 + ($1.1 - $1.0) }
    }
}
