import Geometry

extension Scene where T == Double {
    /// The triangles of every mesh area light (world space), for guiding the
    /// secondary edge samples towards the lights; none when the lights hold
    /// more than `limit` triangles (every edge sample would test them all).
    func areaLightTriangles(limit: Int = 64) -> [(Vec3, Vec3, Vec3)] {
        var out = [(Vec3, Vec3, Vec3)]()
        for shape in shapes {
            guard let ei = shape.emitter, case .area = emitters[ei], case .mesh(let m) = shape.geometry else { continue }
            for t in 0..<m.triangleCount { out.append(shape.triangleVertices(m, t)) }
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
/// rarely land there and the few that do carry large weights. `sample` mixes
/// the uniform density with a uniform one over these intervals, half and half,
/// which keeps every point of the edge reachable (environment light and
/// indirect light arrive along the whole edge) and gives the density of the
/// point it draws.
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
        var raw = [(Double, Double)]()
        for (q0, q1, q2) in lights {
            // The segment where the plane cuts the triangle.
            let d = [dot(q0 - p, np), dot(q1 - p, np), dot(q2 - p, np)]
            let q = [q0, q1, q2]
            var cut = [Vec3]()
            for i in 0..<3 {
                let j = (i + 1) % 3
                if d[i] == 0 { cut.append(q[i]) }
                if (d[i] < 0 && d[j] > 0) || (d[i] > 0 && d[j] < 0) {
                    cut.append(q[i] + (q[j] - q[i]) * (d[i] / (d[i] - d[j])))
                }
            }
            guard cut.count >= 2 else { continue }
            // Each end seen from p, on the edge's line: a + t(b − a) collinear with p and x.
            var ts = [Double]()
            for x in cut {
                let px = x - p
                let den = dot(cross(ab, px), np)
                guard abs(den) > 1e-300 else { ts = []; break }
                let t = -dot(cross(pa, px), np) / den
                // The light must lie beyond the edge point, in front of p.
                let onEdge = pa + ab * t
                guard dot(onEdge, px) > 0, px.lengthSquared > onEdge.lengthSquared else { ts = []; break }
                ts.append(t)
            }
            guard let lo = ts.min(), let hi = ts.max() else { continue }
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

    /// The density of t under `sample`.
    func pdf(_ t: Double) -> Double {
        guard length > 0 else { return 1 }
        let inside = intervals.contains { t >= $0.0 && t <= $0.1 }
        return 0.5 + (inside ? 0.5 / length : 0)
    }

    /// A point t from one uniform number u (t = u exactly when no light lies
    /// behind the edge) and its density.
    func sample(_ u: Double) -> (t: Double, pdf: Double) {
        guard length > 0 else { return (u, 1) }
        var t: Double
        if u < 0.5 {
            t = 2 * u
        } else {
            var r = (2 * u - 1) * length
            t = intervals[intervals.count - 1].1
            for (lo, hi) in intervals {
                if r <= hi - lo { t = lo + r; break }
                r -= hi - lo
            }
        }
        t = min(max(t, 0), 1)
        return (t, pdf(t))
    }
}
