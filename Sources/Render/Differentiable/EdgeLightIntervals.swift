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
/// mixed with uniform points along whole edges; the curves of spheres', disks'
/// and cylinders' outlines take theirs from `init(p:centre:a:b:lights:)` (a
/// cylinder's silhouette lines are segments).
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
        merge(raw)
    }

    init() {}

    /// Sets the intervals to the union of `raw`, sorted and merged.
    private mutating func merge(_ raw: [(Double, Double)]) {
        intervals = []
        for r in raw.sorted(by: { $0.0 < $1.0 }) {
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
    /// Where, along the circle x(φ) = `centre` + `a` cos φ + `b` sin φ (φ ∈
    /// [0, 2π)) seen from p, an area light lies behind it: the intervals of t =
    /// φ / 2π whose ray from p through x(φ) goes on to meet a light triangle.
    /// Exact: x(φ) lies in a triangle's cone of directions from p, and on p's
    /// side of its plane, where four expressions A + B cos φ + C sin φ (one a
    /// plane through p and a triangle edge, one the light's plane) are not
    /// negative, each an interval of φ in closed form. A sphere's silhouette
    /// circle as seen from p, a disk's rim and a cylinder's end circles are such
    /// circles; `slice` cuts out one arc's part.
    init(p: Vec3, centre: Vec3, a: Vec3, b: Vec3, lights: [(Vec3, Vec3, Vec3)]) {
        let twoPi = 2 * Double.pi
        var raw = [(Double, Double)]()
        for (q0, q1, q2) in lights {
            let orientation = dot(q0 - p, cross(q1 - p, q2 - p))
            if !(abs(orientation) > 0) { continue }                       // p in the light's plane
            let o = orientation > 0 ? 1.0 : -1.0
            let nl = cross(q1 - q0, q2 - q0) * (dot(p - q0, cross(q1 - q0, q2 - q0)) > 0 ? 1.0 : -1.0)
            // (A, B, C) of each condition: the three planes through p and an edge, the light's plane.
            var conditions = [(Vec3, Vec3)]()                              // (normal, origin)
            for (qi, qj) in [(q0, q1), (q1, q2), (q2, q0)] { conditions.append((cross(qi - p, qj - p) * o, p)) }
            conditions.append((nl, q0))
            var set: [(Double, Double)] = [(0, twoPi)]
            for (n, origin) in conditions {
                let A = dot(centre - origin, n), B = dot(a, n), C = dot(b, n)
                set = Self.intersect(set, Self.nonNegative(A, B, C))
                if set.isEmpty { break }
            }
            raw.append(contentsOf: set.map { ($0.0 / twoPi, $0.1 / twoPi) })
        }
        merge(raw)
    }

    /// The intervals of [0, 2π) where A + B cos φ + C sin φ ≥ 0.
    static func nonNegative(_ A: Double, _ B: Double, _ C: Double) -> [(Double, Double)] {
        let twoPi = 2 * Double.pi
        let r = (B * B + C * C).squareRoot()
        if A >= r { return [(0, twoPi)] }
        if !(r > 0) || A < -r { return [] }
        // B cos φ + C sin φ = r cos(φ − ψ) ≥ −A: |φ − ψ| ≤ β.
        let beta = acos(min(max(-A / r, -1), 1)), psi = atan2(C, B)
        var lo = (psi - beta).truncatingRemainder(dividingBy: twoPi)
        if lo < 0 { lo += twoPi }
        let hi = lo + 2 * beta
        if hi <= twoPi { return [(lo, hi)] }
        return [(0, hi - twoPi), (lo, twoPi)]
    }

    /// The intersection of two sorted lists of disjoint intervals.
    static func intersect(_ x: [(Double, Double)], _ y: [(Double, Double)]) -> [(Double, Double)] {
        var out = [(Double, Double)](), i = 0, j = 0
        while i < x.count && j < y.count {
            let lo = max(x[i].0, y[j].0), hi = min(x[i].1, y[j].1)
            if hi > lo { out.append((lo, hi)) }
            if x[i].1 < y[j].1 { i += 1 } else { j += 1 }
        }
        return out
    }

    /// The part of these intervals within [t0, t1], rescaled to [0, 1] (one arc of a curve).
    func slice(_ t0: Double, _ t1: Double) -> EdgeLightIntervals {
        let span = t1 - t0
        var out = EdgeLightIntervals()
        guard span > 0 else { return out }
        for (lo, hi) in intervals {
            let a = max(lo, t0), b = min(hi, t1)
            if b > a { out.intervals.append(((a - t0) / span, (b - t0) / span)) }
        }
        out.length = out.intervals.reduce(0) { $0 + ($1.1 - $1.0) }
        return out
    }
}
