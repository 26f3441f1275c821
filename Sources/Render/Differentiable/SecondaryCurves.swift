import Foundation
import Geometry

/// The outlines of spheres, disks and cylinders as secondary visibility
/// curves (seen from a shading point rather than the camera), and the choice
/// of a curve point for a secondary edge sample.
///
/// Each outline is cut into arcs as `arcPoint` parametrises it (φ ∈ [0, 2π)
/// for a sphere's silhouette circle as seen from the point and a disk's rim;
/// a cylinder's two end circles in [0, 4π) and its two silhouette lines in
/// [4π, 6π), see `arcPoint`), `SecondaryCurves.arcs` arcs to each 2π.
enum SecondaryCurves {
    static let arcs = 16

    /// An angle of an outline's parametrisation with its cosine and sine.
    struct Angle {
        var phi: Double, cosine: Double, sine: Double
        init(_ phi: Double) { self.phi = phi; cosine = cos(phi); sine = sin(phi) }
    }

    /// The three angles at which `secondaryCurveChoice` evaluates arc k of
    /// the 3 · `arcs` (a cylinder's three ranges; spheres and disks use the
    /// first `arcs`): φ0 = 2π k / arcs, the middle, and φ1 = 2π (k + 1) / arcs,
    /// the last also as the largest double below it (a cylinder's arcs stay
    /// inside their own curve, `insideArc`). cos and sin of each are computed
    /// once, by the same functions `arcPoint` calls, so the points are the same
    /// to the bit; they were half the cost of weighing an outline's arcs.
    static let angles: [(start: Angle, middle: Angle, end: Angle, endInside: Angle)] = (0..<3 * arcs).map { k in
        let phi0 = 2 * Double.pi * Double(k) / Double(arcs), phi1 = 2 * Double.pi * Double(k + 1) / Double(arcs)
        return (Angle(phi0), Angle(0.5 * (phi0 + phi1)), Angle(phi1), Angle(phi1.nextDown))
    }
}

extension Scene where T == Double {
    /// `phi` on the arc of shape `s`'s outline that ends at `phi1` (`arcPoint`),
    /// held inside the arc's own curve: unchanged on a sphere's or disk's circle
    /// (φ wraps around), at most the largest double below `phi1` on a cylinder,
    /// whose curves meet at 2π, 4π and 5π (there `phi1` is already the next
    /// curve's first point: an end circle's 2π is the other circle's 0, its 4π
    /// the first line's start). Evaluated at a piece's upper end, or in a
    /// difference quotient across it, a cylinder's piece jumped to the next
    /// curve: the tangent of a few delta-light shadow samples (those within
    /// 10⁻⁴ of such an end) came from points on two curves, and with it their
    /// film normal and weight (docs/results.md).
    func insideArc(_ s: Int, _ phi: Double, below phi1: Double) -> Double {
        if case .cylinder = shapes[s].geometry { return min(phi, phi1.nextDown) }
        return phi
    }
}

/// The part of `arcPoint` on a sphere's or cylinder's outline that depends on
/// the eye alone (a sphere's silhouette circle, a cylinder's frame and the
/// tangent points of its silhouette lines), computed once for all the arcs
/// `secondaryCurveChoice` weighs from one shading point. `point` evaluates
/// `arcPoint`'s own expressions on these values: the same points to the bit.
/// A struct read in place, not an enum with payloads: evaluated through an
/// enum it cost more per point than `arcPoint` (docs/results.md).
struct OutlineFrame {
    /// 1: a sphere's silhouette circle; 2: a cylinder; 0: neither (a disk:
    /// `point` returns nil and the caller calls `arcPoint`).
    var kind = 0
    /// Sphere: the circle's centre and radius and its basis (u, v).
    /// Cylinder: `base`, `axis`, the frame's x and y, radius, length.
    var centre = Vec3.zero, u = Vec3.zero, v = Vec3.zero, radius = 0.0
    var axis = Vec3.zero, length = 0.0
    /// A cylinder's silhouette lines in its cross-section (`arcPoint`'s px, py):
    /// the first line (φ in [4π, 5π)) and the second.
    var line0 = (0.0, 0.0), line1 = (0.0, 0.0)

    init(_ shape: UnsafePointer<Shape<Double>>, eye: Vec3) {
        let offset = shape.pointee.offset
        switch shape.pointee.geometry {
        case .sphere:
            let placedCenter = Shape.placed(shape.pointee.center, offset)
            let w = eye - placedCenter
            let d2 = w.lengthSquared
            let radius = shape.pointee.radius
            let r2 = radius * radius
            centre = placedCenter + w * (r2 / d2)
            self.radius = Double.sqrt(r2 * (1 - r2 / d2))
            let wn = w / Double.sqrt(d2)
            let helper: Vec3 = abs(wn.x) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
            u = (helper - wn * dot(wn, helper)).normalized
            v = cross(wn, u)
            kind = 1
        case .cylinder(let cyl):
            let (base, axis, x, y) = Shape.cylinderFrame(cyl, offset)
            let r = shape.pointee.radius
            centre = base; self.axis = axis; u = x; v = y; radius = r; length = cyl.length
            let q = eye - base
            let ex = dot(q, x), ey = dot(q, y)
            let d2 = ex * ex + ey * ey
            func tangentPoint(_ sign: Double) -> (Double, Double) {
                let root = Double.sqrt(Swift.max(d2 - r * r, 0)) * sign
                return ((r * r * ex - r * root * ey) / d2, (r * r * ey + r * root * ex) / d2)
            }
            line0 = tangentPoint(1)
            line1 = tangentPoint(-1)
            kind = 2
        case .disk, .mesh, .sdfGrid:
            kind = 0
        }
    }

    /// `arcPoint` at angle `a` (its cosine and sine from the table), or nil on a disk.
    @inline(__always)
    func point(_ a: SecondaryCurves.Angle) -> Vec3? {
        let phi = a.phi, c = a.cosine, sn = a.sine
        switch kind {
        case 1:
            return centre + (u * c + v * sn) * radius
        case 2:
            if phi < 4 * Double.pi {
                return centre + axis * (phi < 2 * Double.pi ? 0 : length) + (u * c + v * sn) * radius
            }
            let (px, py) = phi < 5 * Double.pi ? line0 : line1
            let z = length * ((phi < 5 * Double.pi ? phi - 4 * Double.pi : phi - 5 * Double.pi) / Double.pi)
            return centre + axis * z + u * px + v * py
        default:
            return nil
        }
    }
}

/// The tangent plane at a shading point p (geometric normal `ng`), as the
/// secondary samples see it: a curve is seen when some of its points lie in
/// front of the plane, or for BSDFs that transmit (`oneSided` false) off it.
struct TangentPlane {
    var p: Vec3, ng: Vec3
    var oneSided: Bool
    /// Seen from a light point (the light side's walks, `oneSided` false, `ng`
    /// the light's normal): an edge whose ends both lie within this distance
    /// of the plane is no candidate (`lightSideEdgeWeight`), and the edge
    /// tree gives no importance to a box within half of it. Negative (the film
    /// side's planes): no such test.
    var inPlane = -1.0

    /// Whether some of the points lie in front of the plane (off it, when not one-sided), by more than 10⁻⁹ of their distance.
    func sees(_ x: Vec3, _ y: Vec3, _ z: Vec3? = nil) -> Bool {
        var front = false, off = false
        func look(_ q: Vec3) {
            let d = q - p, h = dot(d, ng), tol = 1e-9 * d.length
            if h > tol { front = true }
            if abs(h) > tol { off = true }
        }
        look(x); look(y)
        if let z { look(z) }
        return oneSided ? front : off
    }
}

/// A piece of a secondary visibility curve chosen for one sample.
struct SecondaryCurvePoint {
    /// Mesh edge index, or −1 for an arc of shape `shape`.
    var edge: Int
    var shape: Int
    /// Along the edge, t ∈ [0, 1] from v0 to v1; on an arc, φ.
    var s: Double
    /// The point, and its derivative with respect to the unit parameter the
    /// density is measured in (t along an edge, (φ − φ0) / (φ1 − φ0) on an arc).
    var point: Vec3, tangent: Vec3
    /// The density of the choice (piece and position), per unit parameter.
    var pdf: Double
}

extension Scene where T == Double {
    /// The shapes whose outlines the secondary samples look at: spheres, disks, cylinders.
    var analyticShapes: [Int] {
        shapes.indices.filter { if case .mesh = shapes[$0].geometry { return false } else { return !shapes[$0].isSDFGrid } }
    }

    /// The pieces of the secondary visibility curves seen from surface point
    /// `p` (geometric normal `ng`) with the weights of both strategies of
    /// `chooseSecondaryCurvePoint`: silhouette mesh edges and arcs of analytic
    /// outlines, in front of the tangent plane (`oneSided`: BSDFs that do not
    /// transmit). nil when none is in view.
    func secondaryCurveChoice(p: Vec3, ng: Vec3, oneSided: Bool, edges: [MeshEdge], analytic: [Int],
                              lightTriangles: [(Vec3, Vec3, Vec3)]) -> SecondaryCurveChoice? {
        let nEdges = edges.count
        let arcs = SecondaryCurves.arcs, angles = SecondaryCurves.angles
        // Pieces: the mesh edges, then per analytic shape its arcs (φ0 = 2π k / arcs);
        // room for every arc, so that the arrays grow once.
        let room = nEdges + 3 * arcs * analytic.count
        var c = SecondaryCurveChoice(nEdges: nEdges, uniform: [], guided: [], intervals: [])
        c.uniform.reserveCapacity(room); c.guided.reserveCapacity(room); c.intervals.reserveCapacity(room)
        c.uniform.append(contentsOf: repeatElement(0, count: nEdges))
        c.guided.append(contentsOf: repeatElement(0, count: nEdges))
        c.intervals.append(contentsOf: repeatElement(nil, count: nEdges))
        c.arcShape.reserveCapacity(room - nEdges); c.arcIndex.reserveCapacity(room - nEdges)
        let plane = TangentPlane(p: p, ng: ng, oneSided: oneSided)
        for (i, e) in edges.enumerated() {
            guard let (w, li) = secondaryEdgeWeight(e, from: plane, lightTriangles: lightTriangles) else { continue }
            c.uniform[i] = w
            c.totalU += w
            if let li {
                c.intervals[i] = li
                c.guided[i] = w * li.length
                c.totalG += c.guided[i]
            }
        }
        shapes.withUnsafeBufferPointer { shapes in
            for s in analytic {
                // Read in place: a copy of the shape per call cost as much as an arc.
                let shape = shapes.baseAddress! + s
                var ranges = 2
                let isCylinder: Bool
                switch shape.pointee.geometry {
                case .mesh, .sdfGrid: continue
                case .sphere:
                    if (p - shape.pointee.placedCenter).length <= shape.pointee.radius * (1 + 1e-6) { continue }  // on or inside it
                    ranges = 1
                    isCylinder = false
                case .disk:
                    ranges = 1
                    isCylinder = false
                case .cylinder(let cyl):
                    // The end circles, and the silhouette lines unless p lies inside the tube's extension.
                    let (base, axis, _, _) = Shape.cylinderFrame(cyl, shape.pointee.offset)
                    let q = p - base, radial = q - axis * dot(q, axis)
                    ranges = radial.length > shape.pointee.radius * (1 + 1e-6) ? 3 : 2
                    isCylinder = true
                }
                let frame = OutlineFrame(shape, eye: p)
                @inline(__always) func point(_ a: SecondaryCurves.Angle) -> Vec3 {
                    frame.point(a) ?? arcPoint(of: shape, a.phi, eye: p, cosSin: (a.cosine, a.sine))
                }
                // Where a light lies behind each of the shape's curves, exactly (the arcs take their parts).
                let lit = lightTriangles.isEmpty ? []
                    : outlineLightIntervals(shape, frame, curves: isCylinder ? (ranges == 3 ? 4 : 2) : 1, p: p, lights: lightTriangles)
                // An arc's end is the next arc's start on a circle (not on a cylinder, whose
                // arcs end just below φ1, `insideArc`): the point and its direction are kept.
                var last: (phi: Double, x: Vec3, d: Vec3)? = nil
                for k in 0..<ranges * arcs {
                    let angle = angles[k]
                    let x0: Vec3, d0: Vec3
                    if let last, last.phi == angle.start.phi {
                        (x0, d0) = (last.x, last.d)
                    } else {
                        x0 = point(angle.start)
                        d0 = (x0 - p).normalized
                    }
                    let end = isCylinder ? angle.endInside : angle.end
                    let x1 = point(angle.middle), x2 = point(end)
                    let d2 = (x2 - p).normalized
                    last = (end.phi, x2, d2)
                    if !plane.sees(x0, x1, x2) { continue }
                    // The angle the arc spans as seen from p (two chords).
                    let d1 = (x1 - p).normalized
                    let w = acos(min(max(dot(d0, d1), -1), 1)) + acos(min(max(dot(d1, d2), -1), 1))
                    if !(w > 0) { continue }
                    c.arcShape.append(s)
                    c.arcIndex.append(k)
                    c.uniform.append(w)
                    c.totalU += w
                    // The part of the arc behind which a light lies.
                    let li: EdgeLightIntervals?
                    if lit.isEmpty {
                        li = nil
                    } else {
                        let (curve, t0, t1) = Self.arcOnCurve(k, cylinder: isCylinder)
                        li = lit[curve].slice(t0, t1)
                    }
                    let guided = li.map { w * $0.length } ?? 0
                    c.intervals.append(guided > 0 ? li : nil)
                    c.guided.append(guided)
                    c.totalG += guided
                }
            }
        }
        return c.totalU > 0 ? c : nil
    }

    /// Arc `k` of an outline (see `secondaryCurveChoice`) as a part of one of
    /// its shape's curves: the curve (a sphere's or disk's circle: 0; a
    /// cylinder's end circles 0 and 1, its silhouette lines 2 and 3) and the
    /// arc's range [t0, t1] of that curve's unit parameter (φ / 2π on a circle,
    /// z / length along a line).
    static func arcOnCurve(_ k: Int, cylinder: Bool) -> (curve: Int, t0: Double, t1: Double) {
        let arcs = SecondaryCurves.arcs
        if !cylinder || k < 2 * arcs {
            let j = k % arcs
            return (k / arcs, Double(j) / Double(arcs), Double(j + 1) / Double(arcs))
        }
        let half = arcs / 2, j = k - 2 * arcs
        return (2 + j / half, Double(j % half) / Double(half), Double(j % half + 1) / Double(half))
    }

    /// Where an area light lies behind each of the first `curves` curves of
    /// `shape`'s outline seen from p (`arcOnCurve`'s numbering), exactly: a
    /// circle's by `EdgeLightIntervals(p:centre:a:b:lights:)`, a cylinder's
    /// silhouette lines as segments.
    func outlineLightIntervals(_ shape: UnsafePointer<Shape<Double>>, _ frame: OutlineFrame, curves: Int, p: Vec3,
                               lights: [(Vec3, Vec3, Vec3)]) -> [EdgeLightIntervals] {
        (0..<curves).map { curve in
            switch frame.kind {
            case 1:
                return EdgeLightIntervals(p: p, centre: frame.centre, a: frame.u * frame.radius, b: frame.v * frame.radius, lights: lights)
            case 2 where curve < 2:
                return EdgeLightIntervals(p: p, centre: frame.centre + frame.axis * (curve == 0 ? 0 : frame.length),
                                          a: frame.u * frame.radius, b: frame.v * frame.radius, lights: lights)
            case 2:
                let (px, py) = curve == 2 ? frame.line0 : frame.line1
                let start = frame.centre + frame.u * px + frame.v * py
                return EdgeLightIntervals(p: p, a: start, b: start + frame.axis * frame.length, lights: lights)
            default:
                // A disk's rim: its centre and axes from three of its points.
                let x0 = arcPoint(of: shape, 0, eye: p, cosSin: (1, 0)), x1 = arcPoint(of: shape, 0.5 * .pi, eye: p, cosSin: (0, 1))
                let x2 = arcPoint(of: shape, .pi, eye: p, cosSin: (-1, 0))
                let centre = (x0 + x2) * 0.5
                return EdgeLightIntervals(p: p, centre: centre, a: x0 - centre, b: x1 - centre, lights: lights)
            }
        }
    }

    /// The weight of mesh edge `e` for the first strategy of
    /// `chooseSecondaryCurvePoint` as seen from `plane`'s point p (its length over
    /// the squared distance of its midpoint from p), with the parts of it behind
    /// which an area light lies (nil when none does; the second strategy's weight
    /// is the first's times their length); nil when the edge is no silhouette
    /// from p or lies wholly behind the tangent plane.
    func secondaryEdgeWeight(_ e: MeshEdge, from plane: TangentPlane, lightTriangles: [(Vec3, Vec3, Vec3)])
        -> (uniform: Double, intervals: EdgeLightIntervals?)? {
        guard case .mesh = shapes[e.shape].geometry else { return nil }
        let p = plane.p
        let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
        if !plane.sees(a, b) || !isSilhouette(e, from: p) { return nil }
        let mid = (a + b) * 0.5 - p
        let w = (b - a).length / max(mid.lengthSquared, 1e-12)
        if lightTriangles.isEmpty { return (w, nil) }
        let li = EdgeLightIntervals(p: p, a: a, b: b, lights: lightTriangles)
        return (w, li.length > 0 ? li : nil)
    }

    /// Chooses a point on a visibility discontinuity as seen from surface
    /// point `p` (see `secondaryCurveChoice`) from one unit number `u`.
    ///
    /// Two strategies are mixed in one sample (balance heuristic through the
    /// combined density, Veach's one-sample model): with probability α a piece
    /// in proportion to its angular length as seen from p (length / distance²
    /// for an edge), the point uniform along it; with probability 1 − α a
    /// piece in proportion to the angular length of its parts behind which an
    /// area light lies (`EdgeLightIntervals`, exactly: along an edge or a
    /// cylinder's silhouette line by the plane through p and the segment, along
    /// a circle in closed form), the point uniform over those
    /// parts. The second finds the shadow boundaries of small lights over
    /// every edge at once, where choosing the edge first by length left most
    /// samples on edges with no light behind them; the first keeps every point
    /// reachable (environment and indirect light arrive along whole edges).
    /// α = 1/2 when some light lies behind some piece, else 1. The strategy,
    /// the piece and the point along it all follow from `u` (the remainder
    /// within the piece's share gives the point), so that stratified `u`
    /// stratify all three.
    func chooseSecondaryCurvePoint(_ c: SecondaryCurveChoice, edges: [MeshEdge], p: Vec3, u: Double) -> SecondaryCurvePoint? {
        let alpha = c.alpha
        var k: Int
        var t: Double
        if u < alpha {
            let (i, rest) = pick(c.uniform, min(u / alpha, 1) * c.totalU)
            k = i
            t = c.uniform[k] > 0 ? min(max(rest / c.uniform[k], 0), 1) : 0
        } else {
            let (i, rest) = pick(c.guided, min((u - alpha) / (1 - alpha), 1) * c.totalG)
            k = i
            guard c.guided[k] > 0, let li = c.intervals[k] else { return nil }
            t = li.sampleInside(min(max(rest / c.guided[k], 0), 1))
        }
        if c.uniform[k] == 0 { return nil }
        return curvePoint(c, piece: k, t: t, edges: edges, p: p, pdf: c.pdf(piece: k, t: t))
    }

    /// The point at unit parameter `t` on piece `k` of `c` (a mesh edge or an
    /// arc, see `SecondaryCurveChoice`) as seen from `p`, chosen with density `pdf`.
    func curvePoint(_ c: SecondaryCurveChoice, piece k: Int, t: Double, edges: [MeshEdge], p: Vec3, pdf: Double) -> SecondaryCurvePoint? {
        let arcs = SecondaryCurves.arcs
        if k < c.nEdges {
            let e = edges[k]
            guard case .mesh = shapes[e.shape].geometry else { return nil }
            let a = shapes[e.shape].vertex(e.v0), b = shapes[e.shape].vertex(e.v1)
            return SecondaryCurvePoint(edge: k, shape: e.shape, s: t, point: a + (b - a) * t, tangent: b - a, pdf: pdf)
        }
        let s = c.arcShape[k - c.nEdges], j = c.arcIndex[k - c.nEdges]
        let phi0 = 2 * Double.pi * Double(j) / Double(arcs), phi1 = 2 * Double.pi * Double(j + 1) / Double(arcs)
        let phi = insideArc(s, phi0 + (phi1 - phi0) * t, below: phi1)
        // ∂x/∂φ by central differences inside the arc (its ends may start another curve).
        let h = 1e-6 * (phi1 - phi0)
        let lo = max(phi - h, phi0), hi = insideArc(s, min(phi + h, phi1), below: phi1)
        let tangent = (arcPoint(s, hi, eye: p) - arcPoint(s, lo, eye: p)) * ((phi1 - phi0) / (hi - lo))
        return SecondaryCurvePoint(edge: -1, shape: s, s: phi, point: arcPoint(s, phi, eye: p), tangent: tangent, pdf: pdf)
    }

    /// The index whose cumulative weight first exceeds `target` (weights ≥ 0),
    /// and how far past the weights before it `target` lies.
    func pick(_ weights: [Double], _ target: Double) -> (index: Int, rest: Double) {
        var k = 0, acc = 0.0
        while k < weights.count - 1 && acc + weights[k] <= target { acc += weights[k]; k += 1 }
        return (k, target - acc)
    }
}

/// The pieces of the secondary visibility curves seen from one point and the
/// weights `chooseSecondaryCurvePoint` chooses them by.
struct SecondaryCurveChoice {
    /// Mesh edges come first (index = edge index), then arcs.
    var nEdges: Int
    /// Angular length of each piece (0: not a candidate), and of the parts of
    /// each piece behind which an area light lies.
    var uniform: [Double], guided: [Double]
    var intervals: [EdgeLightIntervals?]
    /// The shape and arc number of each arc piece.
    var arcShape = [Int](), arcIndex = [Int]()
    var totalU = 0.0, totalG = 0.0
    /// The share of the first strategy.
    var alpha: Double { totalG > 0 ? 0.5 : 1 }

    /// The density of choosing piece `k` and unit parameter `t` on it.
    func pdf(piece k: Int, t: Double) -> Double {
        guard k < uniform.count, uniform[k] > 0 else { return 0 }
        var pdf = alpha * uniform[k] / totalU
        if let li = intervals[k], li.contains(t) {
            pdf += (1 - alpha) * uniform[k] / totalG      // guided[k] / totalG / li.length
        }
        return pdf
    }
}
