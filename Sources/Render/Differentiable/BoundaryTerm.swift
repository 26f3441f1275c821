import Foundation
import Geometry
import ImageIO

/// How the visibility (boundary) term of geometry and camera gradients is
/// estimated: edge sampling after Li, Aittala, Durand and Lehtinen 2018,
/// "Differentiable Monte Carlo Ray Tracing through Edge Sampling", as redner
/// does it.
///
/// Where geometry or the camera moves, pixels whose visibility changes
/// (silhouettes, shadow boundaries) carry a Dirac-delta derivative that the
/// interior (path-replay) derivative misses. The boundary term samples points
/// on the discontinuities, evaluates the radiance on both sides and weights
/// the difference by how fast the discontinuity moves along its normal.
public struct BoundaryOptions: Sendable {
    /// Edge samples for primary visibility (silhouettes seen by the camera),
    /// per film pixel; 0 turns the term off.
    public var primarySamplesPerPixel: Double
    /// Samples for secondary visibility at the first surface the camera sees
    /// (shadows and anything else seen from there), per film pixel; 0 turns
    /// the term off.
    public var secondarySamplesPerPixel: Double
    /// Offset to either side of a sampled edge point, in pixels (primary) and
    /// in radians (secondary).
    public var offset: Double
    /// Up to this many welded mesh edges, each secondary sample weighs every
    /// edge (`secondaryCurveChoice`, `lightSideEdgeWeights`); above it, both
    /// the film side and the lights' side choose their edges by walking an
    /// `EdgeTree` (O(log E) a sample).
    public var maxFlatSecondaryEdges: Int
    /// Whether half the secondary samples pick their point along an edge
    /// where an area light lies behind it (`EdgeLightIntervals`); off, every
    /// point is uniform along the edge (an unbiased but, for shadow edges close
    /// to their receiver, heavy-tailed estimate).
    public var guidesTowardsLights: Bool
    /// Whether secondary samples also look at the path vertices beyond the
    /// first (shadows and silhouettes seen after a bounce), with as many samples again.
    public var beyondFirstVertex: Bool
    /// Whether the camera's samples also look at the images of edges and
    /// outlines through planar mirrors and glass (`SpecularImages`).
    public var throughSpecularSurfaces: Bool
    /// The share of the secondary samples at the first surface drawn from the
    /// area lights' side (`lightSideSecondarySample`) rather than from a film
    /// point; scenes without mesh area lights (or with more than 64 light
    /// triangles) draw them all from the film. The two ends are combined by
    /// the balance heuristic, unbiased where each end's density is that of its
    /// own draws (`auditLightSideDensities` checks it). Default 0.5: on
    /// box-on-floor the mean agrees with the reference and central
    /// differences and the spread is smaller than the film side's alone
    /// (docs/results.md); 0 draws every sample from the film.
    public var fromLightsShare: Double
    /// The largest share of those samples drawn from the lights' side above
    /// `maxFlatSecondaryEdges`, where both ends walk the edge tree (the share
    /// there is the smaller of this and `fromLightsShare`). Default 0.35: on
    /// the 7,680-edge blob under a small light the spread falls 1.1–1.7× against
    /// the film side alone, and the gradient's cost on `scenes/blob-on-floor.xml`
    /// stays below 3× a render's (0.5 cost 3.02× in instructions; docs/results.md).
    public var maxFromLightsShareWithTree: Double
    /// Whether the first surface's film-point samples gather in the pixels
    /// where moving spheres, disks and cylinders cast shadows under area
    /// lights, found by a pilot from the lights (`PenumbraPixels`), and, where
    /// the keys move no mesh, take the lights' side's share too (its draws, on
    /// mesh edges, would land on fixed ones). Off, they are spread evenly over
    /// the pixels and the lights' side keeps its share (`grad --even-film-points`).
    public var gathersInPenumbrae = true
    /// Samples of the delta lights' shadows on the first surface, of the
    /// secondary edges at the vertices beyond the first and of the delta
    /// lights' shadows seen after a bounce, each per secondary sample per pixel.
    public var deltaShadowFactor: Double, deeperFactor: Double, deltaBeyondFactor: Double
    /// Which kinds of samples are traced; the others are numbered but dropped
    /// untraced (`BoundaryParts`).
    public var parts: BoundaryParts
    /// Whether the camera's samples are spread over the silhouettes that can
    /// move alone (those of shapes that move under the differentiated keys,
    /// less edges that their own closed mesh hides); off, over every
    /// silhouette by film length, the samples on the others dropped untraced,
    /// so that each sample keeps its place whatever moves. Both are unbiased:
    /// the silhouettes left out carry no motion.
    public var cameraSamplesOnMovingSilhouettes: Bool
    /// Whether the interior term's first vertex on a rigidly moving shape is
    /// attached to it (`FirstVertexAttachment`; `grad --attach-first-vertex`).
    public var attachesFirstVertex = false
    /// Whether an attached path's film term is taken relative to a fitted
    /// radiance (`attachedVariates`, a control variate; `grad
    /// --no-attached-variate` leaves it out), in forward and reverse mode
    /// alike; a gradient without the camera's samples, which add the variate
    /// back, does not take it.
    public var subtractsAttachedVariate = true
    /// The attachment the gradient entry points found for their keys (nil: none).
    var attachment: FirstVertexAttachment? = nil

    public init(primarySamplesPerPixel: Double = 1, secondarySamplesPerPixel: Double = 1,
                offset: Double = 1e-4, maxFlatSecondaryEdges: Int = 4096, guidesTowardsLights: Bool = true,
                beyondFirstVertex: Bool = true, throughSpecularSurfaces: Bool = true, fromLightsShare: Double = 0.5,
                maxFromLightsShareWithTree: Double = 0.35,
                deltaShadowFactor: Double = 1, deeperFactor: Double = 1, deltaBeyondFactor: Double = 4,
                parts: BoundaryParts = .all, cameraSamplesOnMovingSilhouettes: Bool = false) {
        self.primarySamplesPerPixel = primarySamplesPerPixel
        self.secondarySamplesPerPixel = secondarySamplesPerPixel
        self.offset = offset
        self.maxFlatSecondaryEdges = maxFlatSecondaryEdges
        self.guidesTowardsLights = guidesTowardsLights
        self.beyondFirstVertex = beyondFirstVertex
        self.throughSpecularSurfaces = throughSpecularSurfaces
        self.fromLightsShare = fromLightsShare
        self.maxFromLightsShareWithTree = maxFromLightsShareWithTree
        self.deltaShadowFactor = deltaShadowFactor
        self.deeperFactor = deeperFactor
        self.deltaBeyondFactor = deltaBeyondFactor
        self.parts = parts
        self.cameraSamplesOnMovingSilhouettes = cameraSamplesOnMovingSilhouettes
    }

    /// Both terms at their defaults.
    public static var standard: BoundaryOptions { BoundaryOptions() }
    /// Edge samples in proportion to the path samples: `spp` / 16 per pixel
    /// for the camera's silhouettes (spread over the moving ones alone,
    /// `cameraSamplesOnMovingSilhouettes`) and for the secondary term at the
    /// first surface, twice that at deeper vertices, a quarter of it for the
    /// delta lights' shadows on the first surface (their emitter choices
    /// stratified along the shadows, they hold well under 1 % of a sunlit
    /// scene's variance), at least 1 each. A
    /// gradient's cost is mostly the path replay of the interior term, whose
    /// spread is small next to the boundary term's; the spread of the boundary
    /// term falls with spp like the interior's. The counts follow each kind's
    /// measured share of the spread and cost (docs/results.md, "Where a
    /// geometry gradient's spread comes from"): camera samples cost least
    /// and carry much of it; deeper vertices' samples carry most of it on a box
    /// above a floor, cheaply. The first vertex is attached to moving spheres
    /// and cylinders (`attachesFirstVertex`).
    public static func balanced(samplesPerPixel spp: Int) -> BoundaryOptions {
        var options = BoundaryOptions(primarySamplesPerPixel: max(1, Double(spp / 16)), secondarySamplesPerPixel: max(1, Double(spp / 16)),
                                      deltaShadowFactor: 0.25, deeperFactor: 2, cameraSamplesOnMovingSilhouettes: true)
        options.attachesFirstVertex = true
        return options
    }
    /// No boundary term: the interior derivative only (wrong where edges move).
    public static var interiorOnly: BoundaryOptions { BoundaryOptions(primarySamplesPerPixel: 0, secondarySamplesPerPixel: 0) }
    /// Silhouettes seen by the camera only (no shadow edges).
    public static var primaryOnly: BoundaryOptions { BoundaryOptions(secondarySamplesPerPixel: 0) }
    public var isEnabled: Bool { primarySamplesPerPixel > 0 || secondarySamplesPerPixel > 0 }
}

/// An edge of a triangle mesh after welding vertices by position, with the
/// (one or two) triangles that share it.
struct MeshEdge {
    var shape: Int
    /// Mesh vertex indices of the endpoints.
    var v0: Int, v1: Int
    /// Adjacent triangles; `f1` is −1 on a boundary edge. Edges shared by more
    /// than two triangles are kept with `f1 = -2` (always a candidate).
    var f0: Int, f1: Int
    /// Whether `f0` runs along the edge from `v0` to `v1` (its winding).
    var f0Forward = true
    /// Whether `f1` runs along the edge the other way (consistent winding).
    var opposite = false
    /// The unit geometric normals of `f0` and `f1` in world space (`faceNormal`,
    /// zero for a missing `f1`), and whether the mesh has shading normals:
    /// what `isSilhouette` asks of every edge for every sample, found once.
    var n0 = Vec3.zero, n1 = Vec3.zero
    var smooth = false
}

extension MeshEdge {
    /// Whether the `triangles` triangles of one mesh form a single piece through
    /// the triangle pairs of its `edges` (union–find).
    static func connect(_ edges: [MeshEdge], triangles: Int) -> Bool {
        guard triangles > 0 else { return false }
        var parent = Array(0..<triangles)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        var pieces = triangles
        for e in edges where e.f0 >= 0 && e.f1 >= 0 && e.f0 < triangles && e.f1 < triangles {
            let a = root(e.f0), b = root(e.f1)
            if a != b { parent[a] = b; pieces -= 1 }
        }
        return pieces == 1
    }
}

/// A piece of a visibility discontinuity as seen by the camera, for sampling.
enum SilhouettePiece {
    /// Mesh edge `edge`, clipped to the near plane (`t0...t1` along v0→v1 in
    /// 3D) and, once projected (a = t0, b = t1), to the film (`s0...s1`);
    /// `a` and `b` are those film positions (kept for the primary samples).
    case edge(edge: Int, t0: Double, t1: Double, s0: Double, s1: Double, a: (x: Double, y: Double), b: (x: Double, y: Double))
    /// The angular range `phi0...phi1` of a sphere's silhouette circle or a
    /// disk's rim.
    case arc(shape: Int, phi0: Double, phi1: Double)
    /// The image through a chain of specular surfaces (`SpecularImages`)
    /// of mesh edge `edge` (t in `s0...s1`), or with `edge` −1 of shape
    /// `shape`'s outline as seen from the chain's mirrored eye (φ in `s0...s1`);
    /// `start` is the film image of the point at `s0` (on a curved chain, the
    /// root whose branch the piece follows).
    case image(links: [SpecularLink], edge: Int, shape: Int, s0: Double, s1: Double, start: (x: Double, y: Double))
}

/// One boundary sample with everything but the motion of the discontinuity:
/// its contribution to pixel p is `filterWeight(p) · Σ weight · speed(θ)`,
/// the speeds evaluated afterwards in the differentiating scalar type.
struct BoundarySample {
    enum Kind { case primary, secondary, deltaShadow, deltaShadowBeyond }
    /// A point on an area light seen on one side of a secondary edge, fixed
    /// in the light's own (barycentric) parametrisation, as next-event
    /// estimation samples it.
    struct LightPoint {
        var shape: Int, triangle: Int, b1: Double, b2: Double
        /// Signed share of the weight that light sampling (MIS) carries.
        var weight: RGB<Double>
    }
    var kind: Kind
    /// Index into the pieces (primary) or edges (secondary).
    var piece: Int
    /// Position along the piece: s for edges (projected), φ for arcs, t for secondary edges.
    var s: Double
    /// Film position whose pixels receive the contribution.
    var filmX: Double, filmY: Double
    /// The direction the motion is measured along: the film-space edge normal
    /// (primary, z = 0), or ω × ∂ω/∂t (secondary, world space); on an image
    /// through specular faces, g (`solveSpecularImage`).
    var direction: Vec3
    /// (L₋ − L₊) / pdf / N (primary: the film motion), times the BSDF for
    /// secondary samples, less the shares below (secondary: the motion in the
    /// shading frame, as BSDF sampling parametrises directions).
    var weight: RGB<Double>
    /// Secondary: the share of environment emitters' light sampling (world directions).
    var worldWeight: RGB<Double> = .zero
    /// Secondary: the shares of area-light sampling (motion relative to the light point).
    var lights: [LightPoint] = []
    /// Secondary samples beyond the first vertex: the sampled directions of the
    /// path to the vertex, each in its vertex's shading frame.
    var prefix: [Vec3] = []
    /// Delta shadows: the emitter casting it and the shape the shadow falls on.
    var light: Int = -1
    var receiver: Int = -1
    /// Secondary samples on an analytic outline (see `SecondaryCurves`): the
    /// shape, `s` being φ in `arcPoint`; −1 on a mesh edge.
    var curveShape: Int = -1
    /// Primary: each side's radiance, scaled as `weight` (`attachedSides`).
    var sides: (minus: RGB<Double>, plus: RGB<Double>) = (.zero, .zero)
    /// Primary: that scale, 1 / (density · samples).
    var sideScale = 0.0
}

// MARK: Edges and silhouettes

extension Scene where T == Double {
    /// The welded edges of every mesh shape.
    func meshEdges() -> [MeshEdge] {
        var out = [MeshEdge]()
        for (si, shape) in shapes.enumerated() {
            guard case .mesh(let m) = shape.geometry else { continue }
            // Weld vertices by loaded position (Mitsuba's cube has 24 vertices, 8 corners).
            var canonical = [Int](repeating: 0, count: m.positions.count)
            var seen = [SIMD3<UInt64>: Int]()
            for (i, p) in m.positions.enumerated() {
                let key = SIMD3(p.x.bitPattern, p.y.bitPattern, p.z.bitPattern)
                if let c = seen[key] { canonical[i] = c } else { seen[key] = i; canonical[i] = i }
            }
            var index = [SIMD2<Int>: Int]()
            for t in 0..<m.triangleCount {
                for k in 0..<3 {
                    let a = canonical[Int(m.indices[3 * t + k])], b = canonical[Int(m.indices[3 * t + (k + 1) % 3])]
                    if a == b { continue }
                    let key = SIMD2(min(a, b), max(a, b))
                    if let e = index[key] {
                        if out[e].f1 == -1 { out[e].f1 = t; out[e].opposite = (a < b) != out[e].f0Forward } else { out[e].f1 = -2 }
                    } else {
                        index[key] = out.count
                        out.append(MeshEdge(shape: si, v0: key.x, v1: key.y, f0: t, f1: -1, f0Forward: a < b))
                    }
                }
            }
        }
        for i in out.indices {
            let e = out[i]
            guard case .mesh(let m) = shapes[e.shape].geometry else { continue }
            out[i].n0 = faceNormal(e.shape, m, e.f0)
            if e.f1 >= 0 { out[i].n1 = faceNormal(e.shape, m, e.f1) }
            out[i].smooth = m.normals != nil
        }
        return out
    }

    /// For each shape, +1 or −1 when it is a closed mesh whose triangles are
    /// consistently wound (every welded edge has exactly two triangles running
    /// along it in opposite directions), lying wholly beyond the camera's near
    /// plane, with the camera outside it, and in one connected piece (two
    /// pieces wound in opposite senses would each pass the edge test, and one
    /// volume sign cannot turn both outwards): the sign that turns its geometric
    /// normals outwards (the sign of its volume). 0 otherwise. From outside, a
    /// face of such a mesh whose outward normal looks away from the camera is
    /// hidden by the mesh itself (a ray to it must enter the solid first).
    func selfHiding(edges: [MeshEdge]) -> [Double] {
        var closed = [Bool](repeating: true, count: shapes.count)
        var hasEdges = [Bool](repeating: false, count: shapes.count)
        var byShape = [[MeshEdge]](repeating: [], count: shapes.count)
        for e in edges {
            hasEdges[e.shape] = true
            byShape[e.shape].append(e)
            if e.f1 < 0 || !e.opposite { closed[e.shape] = false }
        }
        let eye = camera.toWorld.origin, tanX = camera.tanHalfFov
        let near = max(camera.nearClip, 1e-6)
        var out = [Double](repeating: 0, count: shapes.count)
        for (s, shape) in shapes.enumerated() where closed[s] && hasEdges[s] {
            guard case .mesh(let m) = shape.geometry, MeshEdge.connect(byShape[s], triangles: m.triangleCount) else { continue }
            var inFront = true
            for i in 0..<m.positions.count where camera.filmPosition(of: shape.vertex(i), tanHalfFov: tanX).depth <= near {
                inFront = false
                break
            }
            if !inFront { continue }
            // Signed volume (×6) and solid angle at the eye (van Oosterom–Strackee):
            // the winding number Ω / 4π is ±1 inside, 0 outside.
            var volume = 0.0, solidAngle = 0.0
            for t in 0..<m.triangleCount {
                let (p0, p1, p2) = shape.triangleVertices(t)
                volume += dot(p0, cross(p1, p2))
                let a = p0 - eye, b = p1 - eye, c = p2 - eye
                let la = a.length, lb = b.length, lc = c.length
                let num = dot(a, cross(b, c))
                let den = la * lb * lc + dot(a, b) * lc + dot(a, c) * lb + dot(b, c) * la
                solidAngle += 2 * atan2(num, den)
            }
            if abs(solidAngle) < 2 * Double.pi && volume != 0 { out[s] = volume > 0 ? 1 : -1 }
        }
        return out
    }

    /// Whether both faces of edge `e` of a self-hiding shape (`orientation`
    /// ±1, see `selfHiding`) look away from `eye` by more than rounding: the
    /// edge is hidden by its own mesh, no visibility discontinuity.
    func isHiddenBySelf(_ e: MeshEdge, orientation: Double, from eye: Vec3) -> Bool {
        guard orientation != 0, e.f1 >= 0, case .mesh(let m) = shapes[e.shape].geometry else { return false }
        let d = eye - shapes[e.shape].vertex(e.v0)
        let tolerance = -1e-9 * d.length
        return dot(d, faceNormal(e.shape, m, e.f0)) * orientation < tolerance
            && dot(d, faceNormal(e.shape, m, e.f1)) * orientation < tolerance
    }

    /// The unit geometric normal of triangle `t` of shape `s` (primal, world space).
    func faceNormal(_ s: Int, _ m: TriangleMesh, _ t: Int) -> Vec3 {
        let (p0, p1, p2) = shapes[s].triangleVertices(t)
        return cross(p1 - p0, p2 - p0).normalized
    }

    /// Whether `edge` can be a visibility or shading discontinuity seen from
    /// `viewpoint` (redner's rule): boundary edges always; with shading
    /// normals, edges between a front- and a back-facing triangle; without
    /// them, every edge whose triangles are not coplanar.
    /// The face normals are the edge's own (`meshEdges`).
    func isSilhouette(_ e: MeshEdge, from viewpoint: Vec3) -> Bool {
        if e.f1 < 0 { return true }
        if !e.smooth { return dot(e.n0, e.n1) < 1 - 1e-6 }
        let d = viewpoint - shapes[e.shape].vertex(e.v0)
        return (dot(d, e.n0) > 0) != (dot(d, e.n1) > 0)
    }
}

// MARK: Projection

extension PerspectiveCamera {
    /// The film position (pixels, x right, y down) of world point `p`, and its
    /// depth along the viewing axis; the inverse of `ray(filmX:filmY:)`.
    @inlinable
    public func filmPosition(of p: Vector3<T>, tanHalfFov tanX: T) -> (x: T, y: T, depth: T) {
        // Solve p − o = X qx + Y qy + Z qz (Cramer's rule: `toWorld` may carry a scale or a flip).
        let d = p - toWorld.origin
        let X = toWorld.x, Y = toWorld.y, Z = toWorld.z
        let det = dot(X, cross(Y, Z))
        let qx = dot(d, cross(Y, Z)) / det, qy = dot(X, cross(d, Z)) / det, qz = dot(X, cross(Y, d)) / det
        let aspect = Double(width) / Double(height)
        let sx = qx / (qz * tanX), sy = qy / (qz * tanX)
        let fx = (1 - sx) * T(Double(width) / 2), fy = (1 - sy * T(aspect)) * T(Double(height) / 2)
        return (fx, fy, qz)
    }
}

/// The parameter range [lo, hi] ⊂ [0, 1] of a + s (b − a) inside the
/// rectangle [0, w] × [0, h] (Liang–Barsky); nil if none.
func clipToRectangle(_ a: (Double, Double), _ b: (Double, Double), width w: Double, height h: Double) -> (Double, Double)? {
    var lo = 0.0, hi = 1.0
    let dx = b.0 - a.0, dy = b.1 - a.1
    for (p, q) in [(-dx, a.0), (dx, w - a.0), (-dy, a.1), (dy, h - a.1)] {
        if p == 0 { if q < 0 { return nil }; continue }
        let r = q / p
        if p < 0 { lo = max(lo, r) } else { hi = min(hi, r) }
        if lo > hi { return nil }
    }
    return hi > lo ? (lo, hi) : nil
}

extension Scene {
    /// The point at angle `phi` on the silhouette circle of sphere shape `s`
    /// as seen from `eye`, or on the rim of disk shape `s`, in `T`.
    @inlinable
    func arcPoint(_ s: Int, _ phi: Double, eye: Vector3<T>) -> Vector3<T> {
        // The shape's fields are read in place: copying a generic `Shape` per call
        // (through value witnesses) cost as much as the arithmetic.
        shapes.withUnsafeBufferPointer { arcPoint(of: $0.baseAddress! + s, phi, eye: eye) }
    }

    /// `cosSin`: cos φ and sin φ when the caller has them (a table of the
    /// arcs' ends, `SecondaryCurves.angles`); otherwise computed here, and only
    /// on circles (a cylinder's silhouette lines do not need them).
    @inlinable
    func arcPoint(of shape: UnsafePointer<Shape<T>>, _ phi: Double, eye: Vector3<T>, cosSin: (Double, Double)? = nil) -> Vector3<T> {
        func onCircle() -> (T, T) {
            let (c, sn) = cosSin ?? (cos(phi), sin(phi))
            return (T(c), T(sn))
        }
        let offset = shape.pointee.offset
        switch shape.pointee.geometry {
        case .disk(let toWorld):
            let (c, sn) = onCircle()
            return Shape.placed(toWorld.point(Vector3<T>(c, sn, 0)), offset)
        case .sphere:
            let (c, sn) = onCircle()
            // Silhouette circle: centre c + w r²/d², radius r √(1 − r²/d²), in the plane ⊥ w = eye − c.
            let placedCenter = Shape.placed(shape.pointee.center, offset)
            let w = eye - placedCenter
            let d2 = w.lengthSquared
            let radius = shape.pointee.radius
            let r2 = radius * radius
            let centre = placedCenter + w * (r2 / d2)
            let rad = T.sqrt(r2 * (1 - r2 / d2))
            let wn = w / T.sqrt(d2)
            // A basis ⊥ w that turns with w (Gram–Schmidt from a fixed helper).
            let wp = wn.primal
            let helper: Vec3 = abs(wp.x) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
            let h = Vector3<T>(helper)
            let u = (h - wn * dot(wn, h)).normalized
            let v = cross(wn, u)
            return centre + (u * c + v * sn) * rad
        case .cylinder(let cyl):
            // φ in [0, 2π) and [2π, 4π): the end circles at z = 0 and z = length;
            // [4π, 5π) and [5π, 6π): the two silhouette lines, z running along them.
            let (base, axis, x, y) = Shape.cylinderFrame(cyl, offset)
            let r = shape.pointee.radius, length = T(cyl.length)
            if phi < 4 * Double.pi {
                let (c, sn) = onCircle()
                return base + axis * (phi < 2 * Double.pi ? 0 : length) + (x * c + y * sn) * r
            }
            // The lines touch the tube where the plane through the eye and the
            // axis-parallel line is tangent: in the cross-section, the points P of the
            // circle with (e − P) · P = 0, P = (r²/d²) e ± (r/d²) √(d² − r²) e⊥.
            let q = eye - base
            let ex = dot(q, x), ey = dot(q, y)
            let d2 = ex * ex + ey * ey
            let root = T.sqrt(Swift.max(d2 - r * r, 0)) * (phi < 5 * Double.pi ? 1 : -1)
            let px = (r * r * ex - r * root * ey) / d2, py = (r * r * ey + r * root * ex) / d2
            let z = length * T((phi < 5 * Double.pi ? phi - 4 * Double.pi : phi - 5 * Double.pi) / Double.pi)
            return base + axis * z + x * px + y * py
        case .mesh, .sdfGrid:
            return Shape.placed(Vector3<T>.zero, offset)
        }
    }
}

// MARK: Sampling (primal)

extension Scene where T == Double {
    /// The pieces of the silhouettes seen by the camera, with their film
    /// lengths (the sampling weights).
    /// `hidden` marks edges that their own closed mesh hides from the camera
    /// (`isHiddenBySelf`): both sides of such an edge see the same front face,
    /// so its samples are dropped untraced; the piece keeps its length so that
    /// the other samples do not change.
    func silhouettePieces(edges: [MeshEdge], throughSpecular: Bool = true) -> [(piece: SilhouettePiece, length: Double, hidden: Bool)] {
        let cam = camera, tanX = camera.tanHalfFov
        let eye = cam.toWorld.origin
        let W = Double(film.width), H = Double(film.height)
        let near = max(cam.nearClip, 1e-6)
        var out = [(piece: SilhouettePiece, length: Double, hidden: Bool)]()
        let orientation = selfHiding(edges: edges)
        for (i, e) in edges.enumerated() where isSilhouette(e, from: eye) {
            guard case .mesh = shapes[e.shape].geometry else { continue }
            let p0 = shapes[e.shape].vertex(e.v0), p1 = shapes[e.shape].vertex(e.v1)
            let z0 = cam.filmPosition(of: p0, tanHalfFov: tanX).depth, z1 = cam.filmPosition(of: p1, tanHalfFov: tanX).depth
            // Clip to the near plane in 3D.
            var t0 = 0.0, t1 = 1.0
            if z0 < near && z1 < near { continue }
            if z0 < near { t0 = (near - z0) / (z1 - z0) + 1e-9 }
            if z1 < near { t1 = (near - z0) / (z1 - z0) - 1e-9 }
            if t1 <= t0 { continue }
            let a = cam.filmPosition(of: p0 + (p1 - p0) * t0, tanHalfFov: tanX)
            let b = cam.filmPosition(of: p0 + (p1 - p0) * t1, tanHalfFov: tanX)
            guard let (s0, s1) = clipToRectangle((a.x, a.y), (b.x, b.y), width: W, height: H) else { continue }
            let len = (s1 - s0) * ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            if len > 0 {
                out.append((.edge(edge: i, t0: t0, t1: t1, s0: s0, s1: s1, a: (a.x, a.y), b: (b.x, b.y)), len,
                            isHiddenBySelf(e, orientation: orientation[e.shape], from: eye)))
            }
        }
        // Spheres, disks and cylinders: their silhouette circles (and a cylinder's
        // silhouette lines, see `arcPoint`) in arcs of 2π / 64.
        let arcs = 64
        for (s, shape) in shapes.enumerated() {
            var pieces = arcs
            switch shape.geometry {
            case .mesh, .sdfGrid: continue
            case .sphere:
                if (eye - shape.placedCenter).length <= shape.radius * (1 + 1e-9) { continue }  // camera inside
            case .disk: break
            case .cylinder(let c):
                // The end circles, and the lines unless the eye is inside the tube's infinite extension.
                let (base, axis, _, _) = Shape.cylinderFrame(c, shape.offset)
                let q = eye - base, radial = q - axis * dot(q, axis)
                pieces = radial.length > shape.radius * (1 + 1e-9) ? 3 * arcs : 2 * arcs
            }
            for k in 0..<pieces {
                let phi0 = 2 * Double.pi * Double(k) / Double(arcs), phi1 = 2 * Double.pi * Double(k + 1) / Double(arcs)
                var pts = [(Double, Double)]()
                var behind = false
                for phi in [phi0, 0.5 * (phi0 + phi1), insideArc(s, phi1, below: phi1)] {
                    let f = cam.filmPosition(of: arcPoint(s, phi, eye: eye), tanHalfFov: tanX)
                    if f.depth < near { behind = true }
                    pts.append((f.x, f.y))
                }
                if behind { continue }
                var len = 0.0
                for j in 0..<2 {
                    if let (lo, hi) = clipToRectangle(pts[j], pts[j + 1], width: W, height: H) {
                        let dx = pts[j + 1].0 - pts[j].0, dy = pts[j + 1].1 - pts[j].1
                        len += (hi - lo) * (dx * dx + dy * dy).squareRoot()
                    }
                }
                // Keep arcs that bulge into the film even if their chords do not.
                if len == 0 && pts.contains(where: { $0.0 >= 0 && $0.0 <= W && $0.1 >= 0 && $0.1 <= H }) { len = 1e-3 }
                if len > 0 { out.append((.arc(shape: s, phi0: phi0, phi1: phi1), len, false)) }
            }
        }
        return throughSpecular ? out + specularImagePieces(edges: edges) : out
    }

    /// A copy of the scene whose paths start one bounce later (for the
    /// radiance arriving at the first surface a camera ray meets).
    func secondaryScene(bounces: Int = 1) -> Scene<Double> {
        var s = self
        let depth = integrator.kind == .direct ? 2 : integrator.maxDepth
        s.integrator = IntegratorSettings(kind: .path, maxDepth: depth < 0 ? -1 : max(depth - bounces, 0),
                                          rrDepth: max(integrator.rrDepth - bounces, 1), hideEmitters: false)
        return s
    }

    /// The deepest path vertex whose shadows and silhouettes the secondary
    /// samples look at: the last from which a further segment can reach light
    /// (`max_depth` − 1; 4 for unbounded paths).
    var deepestSecondaryVertex: Int {
        if integrator.kind == .direct { return 1 }
        return integrator.maxDepth < 0 ? 4 : integrator.maxDepth - 1
    }

    /// Draws the boundary samples (primal work, in parallel): for each, the
    /// radiance on both sides of a discontinuity divided by the pdf.
    /// `moving[s]` false (see `shapesVarying(with:)`) says that shape `s` and the
    /// camera are fixed: a primary sample on its silhouette has zero motion, so
    /// it is dropped before its two paths are traced (the other samples keep
    /// their random numbers: the sum is unchanged). nil: every shape may move.
    /// The samples come in the chunks they were drawn in (chunk order is
    /// sample order): joining them copied every sample through generic value
    /// witnesses (it holds an array), about 2 % of a gradient frame.
    func boundarySamples(edges: [MeshEdge], _ options: RenderOptions, _ boundary: BoundaryOptions, moving: [Bool]? = nil)
        -> (chunks: [[BoundarySample]], pieces: [SilhouettePiece]) {
        let W = film.width, H = film.height
        let silhouettes = boundary.primarySamplesPerPixel > 0
            ? silhouettePieces(edges: edges, throughSpecular: boundary.throughSpecularSurfaces) : []
        let pieces = boundary.cameraSamplesOnMovingSilhouettes
            ? silhouettes.filter { !$0.hidden && silhouetteMoves($0.piece, edges: edges, moving: moving, boundary.attachment) } : silhouettes
        var cdf = [Double](), total = 0.0
        for p in pieces { total += p.length; cdf.append(total) }
        let nPrimary = pieces.isEmpty ? 0 : max(1, Int((boundary.primarySamplesPerPixel * Double(W * H)).rounded()))
        // A sphere that is an area light is sampled over the cone it subtends, the sample
        // carried along as the sphere moves or grows: its own outline's boundary is in that
        // interior derivative already, and sampling it here too counted it twice (twice the
        // radius derivative of central differences). Its outline as an occluder of other
        // lights is left out with it.
        let analytic = analyticShapes.filter { !(shapes[$0].emitter != nil && shapes[$0].isConeSampled) }
        let useSecondary = boundary.secondarySamplesPerPixel > 0 && !(edges.isEmpty && analytic.isEmpty)
        // Above the flat scan's limit, the secondary samples walk a tree over the edges.
        let tree = useSecondary && edges.count > boundary.maxFlatSecondaryEdges ? EdgeTree(scene: self, edges: edges) : nil
        let nSecondaryAll = useSecondary ? max(1, Int((boundary.secondarySamplesPerPixel * Double(W * H)).rounded())) : 0
        // The other kinds' counts, per secondary sample (at least one where the factor is positive).
        func secondaryMultiple(_ factor: Double) -> Int {
            factor > 0 && boundary.secondarySamplesPerPixel > 0
                ? max(1, Int((factor * boundary.secondarySamplesPerPixel * Double(W * H)).rounded())) : 0
        }
        let lightTriangles = nSecondaryAll > 0 && boundary.guidesTowardsLights ? areaLightTriangles() : []
        // The first surface's samples: some drawn from the lights' side, the rest from film points.
        let lightSide = LightSideTriangles(lightTriangles)
        let share = tree == nil ? boundary.fromLightsShare : min(boundary.fromLightsShare, boundary.maxFromLightsShareWithTree)
        // The light side draws mesh edges: where the keys move no mesh, its draws
        // land on fixed edges, and with the samples gathered in the outlines'
        // penumbrae the film side takes every sample.
        let meshMoves = !boundary.gathersInPenumbrae || (moving.map { m in shapes.indices.contains { s in
            if case .mesh = shapes[s].geometry { return m[s] } else { return false }
        } } ?? true)
        let nFromLights = lightSide.total > 0 && nSecondaryAll > 1 && meshMoves
            ? min(nSecondaryAll - 1, Int((Double(nSecondaryAll) * min(max(share, 0), 1)).rounded())) : 0
        let nSecondary = nSecondaryAll - nFromLights
        let fromLights = nFromLights > 0 ? (n: nFromLights, lights: lightSide) : nil
        // Shadow edges of delta lights: by default as many samples again as the other shadows.
        let deltaLights = boundary.secondarySamplesPerPixel > 0 ? deltaShadowLights(edges: edges) : []
        let nDelta = deltaLights.isEmpty ? 0 : secondaryMultiple(boundary.deltaShadowFactor)
        // The same shadows seen after a bounce, at the vertices 1 ... deepest − 1
        // whose next vertex can receive them: by default four times as many, as
        // most of these samples stop after a few rays (their vertex does not see
        // the boundary point), so they cost little each.
        let deltaAfter = !deltaLights.isEmpty && boundary.beyondFirstVertex
            ? (1..<max(deepestSecondaryVertex, 1)).map { secondaryScene(bounces: $0) } : []
        let nDeltaBeyond = deltaAfter.isEmpty ? 0 : secondaryMultiple(boundary.deltaBeyondFactor)
        // Vertices beyond the first (2 ... deepest, one chosen uniformly per
        // sample): by default as many samples again as the first vertex has.
        let deeper = useSecondary && boundary.beyondFirstVertex ? max(deepestSecondaryVertex - 1, 0) : 0
        let nDeep = deeper > 0 ? secondaryMultiple(boundary.deeperFactor) : 0
        // The kinds one block after another; sample j of the whole is sample
        // j − (the blocks before) of its kind, with the random numbers of j.
        let blocks: [(part: BoundaryParts, count: Int)] = [
            (.camera, nPrimary), (.firstSurface, nSecondary), (.deltaShadows, nDelta), (.deeper, nDeep),
            (.deltaShadowsBeyond, nDeltaBeyond), (.fromLights, nFromLights),
        ]
        let count = blocks.reduce(0) { $0 + $1.count }
        if count == 0 { return ([], pieces.map(\.piece)) }
        let second = secondaryScene()
        let afterVertex = (0..<deeper).map { secondaryScene(bounces: $0 + 2) }
        // A share of the film-point samples draw their first surface by area on moving spheres and cylinders.
        let points = nSecondaryAll + nDeep + nDeltaBeyond > 0 ? surfaceFilmPoints(moving: moving) : SurfaceFilmPoints()
        let tanX = camera.tanHalfFov
        let eps = boundary.offset
        let seed = options.seed &+ 0xED6E_5A3D_1E0F_0001
        // Where the moving outlines' shadows under area lights lie, the first
        // surface's film-point samples gather (`PenumbraPixels`).
        let movingOutlines = analytic.filter { moving?[$0] ?? true }
        let penumbrae = nSecondary > 0 && boundary.gathersInPenumbrae
            ? penumbraPixels(samples: nSecondary, analytic: movingOutlines, lights: lightSide,
                             pilot: min(max(4 * W * H, 4096), 65536), seed: seed, tanX: tanX) : nil
        // The emitter choices of the samples numbered along curves on the film, stratified along them.
        let selection = SelectionStrata(scene: self, vertices: SelectionStrata.vertices, seed: seed)
        // The analytic outlines as the camera sees them, once for all the camera's samples.
        let eye = camera.toWorld.origin
        let outlines = nPrimary > 0 ? shapes.withUnsafeBufferPointer { all in all.indices.map { OutlineFrame(all.baseAddress! + $0, eye: eye) } } : nil
        // The samples that start from a film point: spread over the pixels, a
        // pixel's samples stratified together (`PixelStratum`).
        func strata(_ stratum: Int, _ n: Int) -> PixelStratum { PixelStratum(stratum, of: n, pixels: W * H, seed: seed) }
        let chunk = 256
        let chunks = (count + chunk - 1) / chunk
        // Each chunk keeps its drawn samples (most are dropped when silhouettes
        // are hidden or fixed).
        var drawn = [[BoundarySample]](repeating: [], count: chunks)
        drawn.withUnsafeMutableBufferPointer { out in
            let out = out
            forEachTile(chunks, threads: options.threads, progress: nil) { c in
                var kept = [BoundarySample]()
                for j in c * chunk..<min(count, (c + 1) * chunk) {
                    var block = 0, i = j
                    while i >= blocks[block].count { i -= blocks[block].count; block += 1 }
                    let part = blocks[block].part
                    if !boundary.parts.contains(part) { continue }
                    var sampler = PathSampler(seed: seed, pixel: j, index: 0)
                    // Stratified: sample i of its kind takes the i-th slice of the total
                    // silhouette length (camera), of the film's pixels (film points) or
                    // of the lights' area (the lights' side).
                    let sample: BoundarySample?
                    switch part {
                    case .camera:
                        sample = primarySample(pieces: pieces, cdf: cdf, total: total, edges: edges, n: nPrimary,
                                               stratum: i, eps: eps, tanX: tanX, moving: moving, attachment: boundary.attachment,
                                               selection: selection, outlines: outlines, &sampler)
                    case .firstSurface:
                        sample = secondarySample(edges: edges, n: nSecondary,
                                                 strata: penumbrae?.stratum(i, seed: seed) ?? strata(i, nSecondary), eps: eps,
                                                 tanX: tanX, second: second, analytic: analytic, lightTriangles: lightTriangles,
                                                 points: points, counts: penumbrae, fromLights: fromLights, tree: tree, &sampler)
                    case .deltaShadows:
                        sample = deltaShadowSample(edges: edges, lights: deltaLights, n: nDelta, stratum: i,
                                                   eps: eps, tanX: tanX, selection: selection, &sampler)
                    case .deeper:
                        sample = deepSecondarySample(edges: edges, n: nDeep, strata: strata(i, nDeep),
                                                     eps: eps, tanX: tanX, after: afterVertex, analytic: analytic,
                                                     lightTriangles: lightTriangles, points: points, tree: tree, &sampler)
                    case .deltaShadowsBeyond:
                        sample = deltaShadowBeyondSample(edges: edges, lights: deltaLights, n: nDeltaBeyond,
                                                         strata: strata(i, nDeltaBeyond), eps: eps, tanX: tanX,
                                                         after: deltaAfter, points: points, &sampler)
                    default:
                        sample = lightSideSecondarySample(edges: edges, nFilm: nSecondary, counts: penumbrae, nLight: nFromLights,
                                                          strata: PixelStratum(i, of: nFromLights, pixels: 1, seed: seed),
                                                          eps: eps, tanX: tanX, second: second, analytic: analytic,
                                                          lights: lightSide, points: points, tree: tree, &sampler)
                    }
                    if let sample { kept.append(sample) }
                }
                out[c] = kept
            }
        }
        return (drawn, pieces.map(\.piece))
    }

    /// Whether silhouette `piece` can move: its shape moves (`moving`, see
    /// `boundarySamples`; nil: every shape may), or for an image through
    /// specular faces, one of the faces does.
    /// With an `attachment`, a piece next to attached surfaces counts too (`mayBorderAttached`).
    func silhouetteMoves(_ piece: SilhouettePiece, edges: [MeshEdge], moving: [Bool]?, _ attachment: FirstVertexAttachment? = nil) -> Bool {
        guard let moving else { return true }
        if let attachment, mayBorderAttached(piece, attachment) { return true }
        switch piece {
        case .edge(let e, _, _, _, _, _, _): return moving[edges[e].shape]
        case .arc(let s, _, _): return moving[s]
        case .image(let links, _, let s, _, _, _): return moving[s] || links.contains(where: { moving[$0.shape] })
        }
    }

    /// One sample of the primary (camera) silhouettes.
    func primarySample(pieces: [(piece: SilhouettePiece, length: Double, hidden: Bool)], cdf: [Double], total: Double,
                       edges: [MeshEdge], n: Int, stratum: Int, eps: Double, tanX: Double, moving: [Bool]? = nil,
                       attachment: FirstVertexAttachment? = nil, selection: SelectionStrata? = nil, outlines: [OutlineFrame]? = nil,
                       _ sampler: inout PathSampler) -> BoundarySample? {
        let W = Double(film.width), H = Double(film.height)
        let u = (Double(stratum) + sampler.next()) / Double(n) * total
        let k = cdf.cdfBin(u)
        if pieces[k].hidden { return nil }
        if !silhouetteMoves(pieces[k].piece, edges: edges, moving: moving, attachment) { return nil }
        let pPiece = pieces[k].length / total
        // The position within the piece follows from u (stratified along the length too).
        let start = k == 0 ? 0 : cdf[k - 1]
        let v = min(max((u - start) / pieces[k].length, 0), 1)
        var x: (Double, Double), tangent: (Double, Double), pdf: Double, param: Double
        // Image pieces: g of `solveSpecularImage`, which the motion needs.
        var image: Vec3? = nil
        switch pieces[k].piece {
        case .edge(_, _, _, let s0, let s1, let a, let b):
            param = s0 + (s1 - s0) * v
            x = (a.x + (b.x - a.x) * param, a.y + (b.y - a.y) * param)
            tangent = (b.x - a.x, b.y - a.y)
            pdf = pPiece / pieces[k].length
        case .arc(let s, let phi0, let phi1):
            param = insideArc(s, phi0 + (phi1 - phi0) * v, below: phi1)
            let eye = camera.toWorld.origin
            // `arcPoint`, from the outline's frame where the caller has it (the same points).
            func film(_ phi: Double) -> (x: Double, y: Double, depth: Double) {
                let p = outlines.flatMap { $0[s].point(SecondaryCurves.Angle(phi)) } ?? arcPoint(s, phi, eye: eye)
                return camera.filmPosition(of: p, tanHalfFov: tanX)
            }
            let f = film(param)
            let h = 1e-6 * (phi1 - phi0)
            // On a cylinder the difference stays inside the piece (its curves meet at piece ends, `insideArc`).
            var lo = param - h, hi = param + h, span = 2 * h
            if case .cylinder = shapes[s].geometry { lo = max(lo, phi0); hi = insideArc(s, hi, below: phi1); span = hi - lo }
            let fa = film(lo), fb = film(hi)
            if f.depth < max(camera.nearClip, 1e-6) { return nil }
            x = (f.x, f.y)
            tangent = ((fb.x - fa.x) / span, (fb.y - fa.y) / span)
            let speed = (tangent.0 * tangent.0 + tangent.1 * tangent.1).squareRoot()
            if !(speed > 0) { return nil }
            pdf = pPiece / ((phi1 - phi0) * speed)
        case .image(let links, let edge, let shape, let s0, let s1, let start):
            guard let r = specularImageSample(links, edge: edge, shape: shape, s0: s0, s1: s1, start: start, v: v,
                                              edges: edges, tanX: tanX)
            else { return nil }
            param = r.s
            x = r.x
            tangent = r.tangent
            image = r.g
            pdf = pPiece / ((s1 - s0) * (tangent.0 * tangent.0 + tangent.1 * tangent.1).squareRoot())
        }
        if !(x.0 >= 0 && x.0 < W && x.1 >= 0 && x.1 < H) { return nil }
        let tl = (tangent.0 * tangent.0 + tangent.1 * tangent.1).squareRoot()
        if !(tl > 0) || !(pdf > 0) { return nil }
        let nx = -tangent.1 / tl, ny = tangent.0 / tl
        // Both sides with one sampler, its emitter choices stratified along the silhouettes (`SelectionStrata`).
        let paths = selection?.sampler(stratum: stratum, base: sampler) ?? sampler
        var sm = paths, sp = paths
        let lm = pathRadiance(camera.ray(filmX: x.0 - eps * nx, filmY: x.1 - eps * ny, tanHalfFov: tanX), &sm)
        let lp = pathRadiance(camera.ray(filmX: x.0 + eps * nx, filmY: x.1 + eps * ny, tanHalfFov: tanX), &sp)
        let d = lm - lp
        // Equal sides still carry the attached sides' variates (`attachedSides`).
        if !(d.r.isFinite && d.g.isFinite && d.b.isFinite) || (d.isBlack && attachment?.variates == nil) { return nil }
        let scale = 1 / (pdf * Double(n))
        return BoundarySample(kind: .primary, piece: k, s: param, filmX: x.0, filmY: x.1, direction: image ?? Vec3(nx, ny, 0),
                              weight: d * scale, sides: (lm * scale, lp * scale), sideScale: scale)
    }

    /// One sample of the secondary visibility at a vertex beyond the first: the
    /// vertex (2 ... `deepestSecondaryVertex`) chosen uniformly, the path to it
    /// sampled from the BSDFs, then as at the first (`secondarySample`).
    func deepSecondarySample(edges: [MeshEdge], n: Int, strata: PixelStratum, eps: Double, tanX: Double, after: [Scene<Double>],
                             analytic: [Int], lightTriangles: [(Vec3, Vec3, Vec3)], points: SurfaceFilmPoints,
                             tree: EdgeTree? = nil, _ sampler: inout PathSampler) -> BoundarySample? {
        let k = after.count
        let vertex = 2 + min(Int(strata.unit(3, sampler.next()) * Double(k)), k - 1)
        return secondarySample(edges: edges, n: n, strata: strata, eps: eps, tanX: tanX, second: after[vertex - 2],
                               analytic: analytic, lightTriangles: lightTriangles, points: points, vertex: vertex,
                               vertexWeight: Double(k), tree: tree, &sampler)
    }

    /// A film point in pixel `strata.pixel` (stratified over the pixel's
    /// samples), or with `points` for a share of the samples the point the
    /// camera sees a point drawn by area on a moving sphere or cylinder at
    /// (`SurfaceFilmPoints`), and the path from it to vertex `vertex` (1: the
    /// first surface seen) by sampling the BSDFs: the vertex, the path's
    /// throughput before it, the sampled directions, each in its vertex's
    /// shading frame (as the path replay parametrises them), and the density
    /// of the film point relative to film points alone (`filmDensityRatio`).
    func pathToVertex(_ vertex: Int, strata: PixelStratum, tanX: Double, points: SurfaceFilmPoints = SurfaceFilmPoints(),
                      _ sampler: inout PathSampler)
        -> (fx: Double, fy: Double, vertex: SurfaceInteraction<Double>, throughput: RGB<Double>, prefix: [Vec3], density: Double)? {
        let pixel = strata.pixel
        let u0 = strata.unit(0, sampler.next()), u1 = strata.unit(1, sampler.next())
        var fx = Double(pixel % film.width) + u0, fy = Double(pixel / film.width) + u1
        var drawn: Vec3? = nil
        if points.share > 0 {
            let u = sampler.next()
            if u < points.share {
                guard let f = filmPointBySurfaceArea(points, u: u / points.share, u1: u0, u2: u1, tanX: tanX) else { return nil }
                fx = f.x; fy = f.y; drawn = f.p
            }
        }
        guard var si = intersect(camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)) else { return nil }
        // The drawn point must be the one the camera sees there (not hidden, not the sphere's far side).
        if let drawn, (si.p - drawn).length > 1e-4 * extent { return nil }
        let density = filmDensityRatio(si, points, tanX: tanX)
        var throughput = RGB<Double>.one
        var prefix = [Vec3]()
        for _ in 1..<vertex {
            guard let bs = bsdfSample(shapes[si.shape].bsdf, si, u1: sampler.next(), u2: sampler.next2D()),
                  !bs.weight.isBlack else { return nil }
            throughput = throughput * bs.weight
            prefix.append(bs.wo)
            guard let next = intersect(spawn(si, si.toWorld(bs.wo).normalized)) else { return nil }
            si = next
        }
        return (fx, fy, si, throughput, prefix, density)
    }

    /// One sample of the secondary visibility at path vertex `vertex` (1: the
    /// first surface seen through a uniformly chosen film point; deeper ones
    /// reached by sampling the BSDFs, the path's throughput carried along): a
    /// point on a silhouette edge or an analytic outline as seen from there
    /// (`chooseSecondaryCurvePoint`), and the incident radiance on both sides
    /// times the BSDF. `second` traces the paths that continue from the vertex;
    /// `vertexWeight` is 1 / the probability of having chosen this vertex;
    /// `tree` (scenes above `BoundaryOptions.maxFlatSecondaryEdges`) chooses the mesh edges by traversal.
    func secondarySample(edges: [MeshEdge], n: Int, strata: PixelStratum, eps: Double, tanX: Double, second: Scene<Double>,
                         analytic: [Int], lightTriangles: [(Vec3, Vec3, Vec3)], points: SurfaceFilmPoints,
                         counts: PenumbraPixels? = nil, vertex: Int = 1,
                         vertexWeight: Double = 1, fromLights: (n: Int, lights: LightSideTriangles)? = nil,
                         tree: EdgeTree? = nil, _ sampler: inout PathSampler) -> BoundarySample? {
        let W = Double(film.width), H = Double(film.height)
        guard let (fx, fy, si, throughput, prefix, filmDensity) = pathToVertex(vertex, strata: strata, tanX: tanX, points: points, &sampler)
        else { return nil }
        // The BSDF by index: a copy of the `BSDF` enum per sample cost about 4 % of a gradient.
        let bsdf = shapes[si.shape].bsdf
        if deltaOnly[bsdf] { return nil }
        let chosen: SecondaryCurvePoint?
        if let tree {
            chosen = chooseSecondaryCurvePoint(tree: tree, p: si.p, ng: si.ng, oneSided: isOneSided(bsdf), edges: edges, analytic: analytic,
                                               lightTriangles: lightTriangles, u: strata.unit(2, sampler.next()))
        } else if let choice = secondaryCurveChoice(p: si.p, ng: si.ng, oneSided: isOneSided(bsdf), edges: edges, analytic: analytic,
                                                     lightTriangles: lightTriangles) {
            chosen = chooseSecondaryCurvePoint(choice, edges: edges, p: si.p, u: strata.unit(2, sampler.next()))
        } else {
            chosen = nil
        }
        guard let chosen else { return nil }
        // The density in (film point, curve parameter) of all samples that can
        // reach this one: these (film point 1 / (W·H) times `filmDensity`, vertex
        // 1 / `vertexWeight`, the piece and the point on it `chosen.pdf`), and the
        // light-side ones.
        var density = Double(n) * filmDensity * chosen.pdf / (W * H * vertexWeight)
        if let counts {
            // The first surface's samples gathered in the penumbrae: the pixel's own count.
            density = filmPointsDensity(si, filmX: fx, filmY: fy, samples: n, counts: counts, points, tanX: tanX) * chosen.pdf
        }
        if let fromLights, chosen.edge >= 0 {
            density += Double(fromLights.n) * lightSideDensity(si, edge: chosen.edge, q: chosen.point, lights: fromLights.lights,
                                                               edges: edges, tanX: tanX, tree: tree)
        }
        return secondaryEdgeSample(si: si, bsdf: bsdf, filmX: fx, filmY: fy, throughput: throughput, prefix: prefix,
                                   chosen: chosen, density: density, eps: eps, second: second, &sampler)
    }

    /// A secondary sample at vertex `si` (film point `filmX`, `filmY`; the path
    /// to it `prefix`, its throughput before the vertex `throughput`) on curve
    /// point `chosen`: the incident radiance on both sides times the BSDF,
    /// divided by `density` (the expected number of samples per unit film area
    /// and unit curve parameter there), split into the parts that move with the
    /// shading frame, the world and the light points.
    func secondaryEdgeSample(si: SurfaceInteraction<Double>, bsdf: Int, filmX fx: Double, filmY fy: Double,
                             throughput: RGB<Double>, prefix: [Vec3], chosen: SecondaryCurvePoint, density: Double, eps: Double,
                             second: Scene<Double>, _ sampler: inout PathSampler) -> BoundarySample? {
        let p = si.p
        let mpt = chosen.point, dt = chosen.tangent
        let dvec = mpt - p
        let dist = dvec.length
        if !(dist > 0) || !(density > 0) { return nil }
        let w = dvec / dist
        let wt = (dt - w * dot(w, dt)) / dist                  // ∂ω/∂t
        let c = cross(w, wt)                                     // |c| = |∂ω/∂t|, c/|c| is the curve's normal
        let cl = c.length
        if !(cl > 0) { return nil }
        let ns = c / cl
        let wm = (w - ns * eps).normalized, wp = (w + ns * eps).normalized
        let f = bsdfEval(bsdf, si, wo: si.toLocal(w)) * throughput
        if f.isBlack { return nil }
        var sm = sampler, sp = sampler
        let lm = second.pathRadiance(spawn(si, wm), &sm)
        let lp = second.pathRadiance(spawn(si, wp), &sp)
        var d = (lm - lp) * f
        if !(d.r.isFinite && d.g.isFinite && d.b.isFinite) || d.isBlack { return nil }
        let scale = 1 / density
        d = d * scale
        // Split off what next-event estimation parametrises differently: emission
        // reached on either side, weighted by the light-sampling MIS weight.
        var lights = [BoundarySample.LightPoint](), worldWeight = RGB<Double>.zero
        for (dir, sign) in [(wm, 1.0), (wp, -1.0)] {
            let pb = bsdfPdf(bsdf, si, wo: si.toLocal(dir))
            let ray = spawn(si, dir)
            if let hit = intersect(ray) {
                guard let ei = shapes[hit.shape].emitter, case .area(let light) = emitters[ei],
                      dot(hit.ng, dir) < 0, case .mesh = shapes[hit.shape].geometry else { continue }
                let wl = misWeight(areaEmitterPdf(hit, from: p, direction: dir), pb)
                if wl == 0 { continue }
                let tri = Int(accel.primitives[hit.primitive].index)
                let (p0, p1, p2) = shapes[hit.shape].triangleVertices(tri)
                let e1 = p1 - p0, e2 = p2 - p0, r = hit.p - p0
                let a11 = dot(e1, e1), a12 = dot(e1, e2), a22 = dot(e2, e2), r1 = dot(r, e1), r2 = dot(r, e2)
                let det = a11 * a22 - a12 * a12
                if !(abs(det) > 0) { continue }
                let b1 = (r1 * a22 - r2 * a12) / det, b2 = (r2 * a11 - r1 * a12) / det
                lights.append(.init(shape: hit.shape, triangle: tri, b1: b1, b2: b2,
                                    weight: light.radiance * f * (sign * wl * scale)))
            } else if !environment.isEmpty {
                var le = RGB<Double>.zero, pl = 0.0
                for k in environment {
                    le += environmentEmitters[k]?.radiance(dir) ?? .zero
                    pl += environmentPdf(k, dir)
                }
                let wl = misWeight(pl, pb)
                worldWeight += le * f * (sign * wl * scale)
            }
        }
        var rest = d - worldWeight
        for l in lights { rest = rest - l.weight }
        return BoundarySample(kind: .secondary, piece: chosen.edge, s: chosen.s, filmX: fx, filmY: fy, direction: c,
                              weight: rest, worldWeight: worldWeight, lights: lights, prefix: prefix,
                              curveShape: chosen.edge < 0 ? chosen.shape : -1)
    }
}

// MARK: The motion, differentiated

extension Scene {
    /// The motions of sample `b`'s discontinuity along its normal, in `T`,
    /// each with the weight it multiplies (only derivatives matter; primals
    /// are arbitrary). Primary: the film position of the edge point dotted
    /// with the film normal. Secondary: the direction from the first surface
    /// to the edge point dotted with ω × ∂ω/∂t, in the shading frame (BSDF
    /// sampling), in world space (environment sampling), or relative to the
    /// direction of the light point behind it (area-light sampling).
    /// `cache` keeps the projected ends of mesh edges. Each (weight, motion)
    /// goes to `body` in turn (no array per sample).
    func boundarySpeeds(_ b: BoundarySample, pieces: [SilhouettePiece], edges: [MeshEdge],
                        cache: inout [Int: ((T, T), (T, T))], tanX: T, attachment: FirstVertexAttachment? = nil,
                        _ body: (RGB<Double>, T) -> Void) {
        switch b.kind {
        case .primary:
            let x: (T, T)
            switch pieces[b.piece] {
            case .edge(let e, let t0, let t1, _, _, _, _):
                let ends: ((T, T), (T, T))
                if let c = cache[e] { ends = c } else {
                    let edge = edges[e]
                    guard case .mesh = shapes[edge.shape].geometry else { return }
                    let p0 = shapes[edge.shape].vertex(edge.v0), p1 = shapes[edge.shape].vertex(edge.v1)
                    let a = camera.filmPosition(of: p0 + (p1 - p0) * T(t0), tanHalfFov: tanX)
                    let bb = camera.filmPosition(of: p0 + (p1 - p0) * T(t1), tanHalfFov: tanX)
                    ends = ((a.x, a.y), (bb.x, bb.y))
                    cache[e] = ends
                }
                let s = T(b.s)
                x = (ends.0.0 + (ends.1.0 - ends.0.0) * s, ends.0.1 + (ends.1.1 - ends.0.1) * s)
            case .arc(let s, _, _):
                let f = camera.filmPosition(of: arcPoint(s, b.s, eye: camera.toWorld.origin), tanHalfFov: tanX)
                x = (f.x, f.y)
            case .image(let links, let edge, let shape, _, _, _):
                // The film point moves by −J⁺ ∂F/∂θ; along the normal, −g · ∂F/∂θ.
                guard let q = specularImageTarget(links: links, edge: edge, shape: shape, s: b.s, edges: edges),
                      let f = specularResidual(links, filmX: b.filmX, filmY: b.filmY, target: q, tanX: tanX) else { return }
                body(b.weight, -dot(f, Vector3<T>(b.direction)))
                return
            }
            body(b.weight, x.0 * T(b.direction.x) + x.1 * T(b.direction.y))
            if let attachment { attachedSides(b, attachment, tanX: tanX, body) }
        case .deltaShadow:
            guard let y = deltaShadowReceiverPoint(b, edges: edges) else { return }
            let x = camera.filmPosition(of: y, tanHalfFov: tanX)
            body(b.weight, x.x * T(b.direction.x) + x.y * T(b.direction.y))
            // Both sides on an attached receiver: their film points move with it (`attachedSides`).
            if let attachment, attachment.attached[b.receiver] {
                let a = attachedFilmPoint(filmX: b.filmX, filmY: b.filmY, point: y.primal, shape: b.receiver, attachment)
                body(b.weight, -(a.x * T(b.direction.x) + a.y * T(b.direction.y)))
            }
        case .deltaShadowBeyond:
            guard let si = replayedVertex(b, tanX: tanX, attachment), let y = deltaShadowReceiverPoint(b, edges: edges) else { return }
            let w = (y - si.p).normalized
            body(b.weight, dot(si.toLocal(w), Vector3<T>(si.toLocal(Vector3<T>(b.direction)).primal)))
        case .secondary:
            guard let si = replayedVertex(b, tanX: tanX, attachment) else { return }
            let x: Vector3<T>
            if b.curveShape >= 0 {
                x = arcPoint(b.curveShape, b.s, eye: si.p)
            } else {
                let e = edges[b.piece]
                guard case .mesh = shapes[e.shape].geometry else { return }
                let a = shapes[e.shape].vertex(e.v0), c = shapes[e.shape].vertex(e.v1)
                x = a + (c - a) * T(b.s)
            }
            let w = (x - si.p).normalized
            let cw = Vector3<T>(b.direction)
            let world = dot(w, cw)
            let local = dot(si.toLocal(w), Vector3<T>(si.toLocal(cw).primal))
            body(b.weight, local)
            body(b.worldWeight, world)
            for l in b.lights {
                guard case .mesh = shapes[l.shape].geometry else { continue }
                let (p0, p1, p2) = shapes[l.shape].triangleVertices(l.triangle)
                let y = p0 * T(1 - l.b1 - l.b2) + p1 * T(l.b1) + p2 * T(l.b2)
                body(l.weight, world - dot((y - si.p).normalized, cw))
            }
        }
    }
}

extension Scene {
    /// The path vertex a secondary sample looks from, in `T`: the camera ray
    /// through its film point, then its sampled directions, each fixed in its
    /// vertex's shading frame (as the path replay parametrises a bounce).
    /// With an `attachment`, a first vertex on an attached shape moves with it (`attachedCameraRay`).
    func replayedVertex(_ b: BoundarySample, tanX: T, _ attachment: FirstVertexAttachment? = nil) -> SurfaceInteraction<T>? {
        guard var si = intersect(camera.ray(filmX: b.filmX, filmY: b.filmY, tanHalfFov: tanX)) else { return nil }
        if let attachment, attachment.attached[si.shape] {
            let ray = camera.ray(filmX: b.filmX, filmY: b.filmY, tanHalfFov: tanX).primal
            guard let moved = intersect(attachedCameraRay(ray, filmX: b.filmX, filmY: b.filmY, point: si.p.primal, normal: si.ng.primal,
                                                          shape: si.shape, attachment).ray)
            else { return nil }
            si = moved
        }
        for wo in b.prefix {
            guard let next = intersect(spawn(si, si.toWorld(Vector3<T>(wo)).normalized)) else { return nil }
            si = next
        }
        return si
    }
}

extension Scene where T == Double {
    /// The boundary term's share of the derivative images in forward mode:
    /// `dual` is this scene lifted with the chunk's components as dual
    /// partials; returns `width` images of n = w·h·3 values each, one after
    /// another (image j at j·n).
    /// `moving`: see `boundarySamples`.
    func boundaryDerivatives<P: SIMD>(dual: Scene<Dual<P>>, width k: Int, _ options: RenderOptions,
                                      _ boundary: BoundaryOptions, filmWeights: [Double], moving: [Bool]? = nil) -> [Double] where P.Scalar == Double {
        let w = film.width, h = film.height, n = w * h * 3
        var images = [Double](repeating: 0, count: k * n)
        guard boundary.isEnabled else { return images }
        let edges = meshEdges()
        let (chunks, pieces) = boundarySamples(edges: edges, options, boundary, moving: moving)
        let probe = ImageBlock(x0: 0, y0: 0, width: 1, height: 1, filter: film.filter)
        let norm = film.filter.integral
        let tanX = dual.camera.tanHalfFov
        // The motions in parallel, chunk by chunk (each chunk memoises the
        // projected edge ends it meets: the same values), as (sample in the
        // chunk, weight, motion); then summed in sample order.
        var motions = [[(Int, RGB<Double>, Dual<P>)]](repeating: [], count: chunks.count)
        motions.withUnsafeMutableBufferPointer { out in
            let out = out
            forEachTile(chunks.count, threads: options.threads, progress: nil) { c in
                var cache = [Int: ((Dual<P>, Dual<P>), (Dual<P>, Dual<P>))]()
                var speeds = [(Int, RGB<Double>, Dual<P>)]()
                for (i, b) in chunks[c].enumerated() {
                    dual.boundarySpeeds(b, pieces: pieces, edges: edges, cache: &cache, tanX: tanX, attachment: boundary.attachment) { speeds.append((i, $0, $1)) }
                }
                out[c] = speeds
            }
        }
        images.withUnsafeMutableBufferPointer { images in
            for (samples, speeds) in zip(chunks, motions) {
                for (i, weight, q) in speeds {
                    probe.forEachWeight(fx: samples[i].filmX, fy: samples[i].filmY, filmWidth: w, filmHeight: h) { x, y, wt in
                        let p = y * w + x
                        guard filmWeights[p] > 0 else { return }
                        let s = wt / norm
                        for j in 0..<k {
                            let v = q.partials[j] * s, o = j * n + 3 * p
                            images[o] += weight.r * v; images[o + 1] += weight.g * v; images[o + 2] += weight.b * v
                        }
                    }
                }
            }
        }
        return images
    }

    /// The boundary term's share of ∂loss/∂p in reverse mode: each sample's
    /// motion is recorded on a tape and seeded with its pixels' adjoints times
    /// its weight; one sweep carries them to the leaves. The samples are taken
    /// in fixed groups of chunks, each on its thread's tape with its own lifted
    /// scene, and the groups' gradients summed in group order (the result does
    /// not depend on the number of threads).
    func boundaryGradient(keys: [String], components comps: [ParameterComponent], imageAdjoint: [Double],
                          _ options: RenderOptions, _ boundary: BoundaryOptions, filmWeights: [Double]) -> [Double] {
        guard boundary.isEnabled else { return [Double](repeating: 0, count: comps.count) }
        let w = film.width, h = film.height
        let edges = meshEdges()
        let (chunks, pieces) = boundarySamples(edges: edges, options, boundary, moving: shapesVarying(with: Set(keys)))
        let probe = ImageBlock(x0: 0, y0: 0, width: 1, height: 1, filter: film.filter)
        let norm = film.filter.integral
        let wanted = Set(keys)
        let chunksPerGroup = 16
        let groups = (chunks.count + chunksPerGroup - 1) / chunksPerGroup
        var perGroup = [[Double]](repeating: [], count: groups)
        perGroup.withUnsafeMutableBufferPointer { out in
            let out = out
            forEachTile(groups, threads: options.threads, progress: nil) { group in
                let tape = Tape.current
                tape.reset()
                let (scene, leaves) = liftedOnTape(tape, differentiating: wanted)
                let tanX = scene.camera.tanHalfFov
                var cache = [Int: ((Adjoint, Adjoint), (Adjoint, Adjoint))]()
                var seeds = [(Adjoint, Double)]()
                for c in group * chunksPerGroup..<min(chunks.count, (group + 1) * chunksPerGroup) {
                    for b in chunks[c] {
                        var g = (0.0, 0.0, 0.0)
                        probe.forEachWeight(fx: b.filmX, fy: b.filmY, filmWidth: w, filmHeight: h) { x, y, wt in
                            let p = y * w + x
                            guard filmWeights[p] > 0 else { return }
                            let s = wt / norm
                            g.0 += s * imageAdjoint[3 * p]; g.1 += s * imageAdjoint[3 * p + 1]; g.2 += s * imageAdjoint[3 * p + 2]
                        }
                        if g == (0, 0, 0) { continue }
                        scene.boundarySpeeds(b, pieces: pieces, edges: edges, cache: &cache, tanX: tanX,
                                             attachment: boundary.attachment) { weight, q in
                            let seed = g.0 * weight.r + g.1 * weight.g + g.2 * weight.b
                            if seed != 0 && seed.isFinite { seeds.append((q, seed)) }
                        }
                    }
                }
                tape.backward(seeds: seeds, from: 0)
                out[group] = comps.map { c in leaves[c.key].map { tape.adjoint(of: $0[c.index]) } ?? 0 }
                tape.reset()
            }
        }
        var out = [Double](repeating: 0, count: comps.count)
        for g in perGroup { for i in out.indices { out[i] += g[i] } }
        return out
    }
}

extension ReconstructionFilter {
    /// ∫∫ f(x) f(y) dx dy over the film plane (pixels²): the expected filter
    /// weight a pixel gathers per unit sample density. The boundary term
    /// divides by it (the expected normalisation of the film), independent of
    /// the primal samples.
    var integral: Double {
        if case .box = self { return 1 }
        let n = 4096, r = radius
        var sum = 0.0
        for k in 0..<n {
            let x = -r + (Double(k) + 0.5) * 2 * r / Double(n)
            sum += eval(x)
        }
        let oneD = sum * 2 * r / Double(n)
        return oneD * oneD
    }
}
