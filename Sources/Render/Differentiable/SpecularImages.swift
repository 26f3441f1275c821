import Foundation
import Geometry

// Silhouettes the camera sees through planar mirrors and glass.
//
// A camera ray that meets a smooth conductor, dielectric or thin dielectric
// continues in one direction: the delta vertex has no directions to integrate
// over, so neither the camera's silhouettes (seen directly) nor the secondary
// samples (taken at non-specular vertices) see an edge that lies beyond it.
// On the film, that edge's image is still a curve across which the radiance
// jumps. For a chain of planar specular faces (a mirror's reflection, a
// dielectric interface's reflection or refraction, the two refractions through
// a slab) the image of an edge point q is the film point x whose camera ray,
// reflected or refracted at each face's plane in turn, passes through q: the
// root of F(x, q) = normalize(q − o_k) − d_k (o_k, d_k the last segment), found
// by Gauss–Newton from the point's direct or mirrored projection. These image
// curves join the camera's silhouette pieces: a piece is chosen by film
// length, a point on it, the radiance traced just on either side (the path
// tracer follows the chain itself, its random choices shared by both sides),
// and the motion of x comes from the implicit function theorem: with J = ∂F/∂x
// at the root, ∂x/∂θ = −J⁺ ∂F/∂θ, F recomputed in the differentiating scalar
// (so the edge, the faces, the camera and a dielectric's index may all move).

/// One specular surface of a chain: triangle `triangle` of mesh shape
/// `shape` (its plane), or with `triangle` −1 the whole curved surface of a
/// sphere or cylinder shape, crossed by reflection or refraction.
struct SpecularLink {
    var shape: Int
    var triangle: Int
    var refracts: Bool
    /// +1 if the shading normal (the side a dielectric calls outside) is the
    /// triangle's winding normal (a curved surface's outward normal), −1 if it
    /// is its opposite.
    var side: Double
    /// On a curved surface, the ray meets its far root (it leaves the inside
    /// through the second crossing); otherwise the near one.
    var far = false

    /// Whether the link is a sphere's or cylinder's surface rather than a plane.
    var isCurved: Bool { triangle < 0 }
}

enum SpecularImages {
    /// Parameter pieces per mesh edge (the image of a straight edge is curved
    /// under refraction), and arcs per outline as for the camera's silhouettes.
    static let edgePieces = 4
    static let arcs = 64
    /// At most this many planar specular faces are chained in pairs.
    static let maxPairedFaces = 16
    /// Mesh edges are imaged only while chains × edges stay below this (each
    /// edge piece solves three points when the pieces are built).
    static let maxEdgeImages = 20_000
    /// The share of its film length a piece keeps when its middle is not seen
    /// through the chain (`seenThrough`; it may still be in part: kept, not dropped).
    static let unseenShare = 0.05
}

extension Scene {
    /// The ray after face `l` of a chain: `ray` reflected or refracted at the
    /// face's plane; nil where the plane is missed, behind, or totally
    /// reflects a refracted ray.
    func specularStep(_ ray: Ray<T>, _ l: SpecularLink) -> Ray<T>? {
        let o: Vector3<T>, n: Vector3<T>, dn: T
        if l.isCurved {
            guard let hit = curvedHit(ray, l) else { return nil }
            (o, n) = hit
            dn = dot(ray.d, n)
        } else {
            guard let (p0, p1, p2) = meshTriangle(l.shape, l.triangle) else { return nil }
            n = cross(p1 - p0, p2 - p0).normalized * T(l.side)
            dn = dot(ray.d, n)
            if !(abs(dn.primal) > 1e-12) { return nil }
            let t = dot(p0 - ray.o, n) / dn
            if !(t.primal > 0) { return nil }
            o = ray.o + ray.d * t
        }
        if !l.refracts { return Ray(o: o, d: ray.d - n * (2 * dn)) }
        guard case .dielectric(let b) = bsdfs[shapes.withUnsafeBufferPointer({ $0[l.shape].bsdf })] else { return nil }
        // Against the normal: from outside into the interior.
        let entering = dn.primal < 0
        let ratio = entering ? 1 / b.eta : b.eta          // η_incident / η_transmitted
        let facing = entering ? n : -n
        let cosI = -dot(ray.d, facing)
        let k = 1 - ratio * ratio * (1 - cosI * cosI)
        if !(k.primal > 0) { return nil }
        return Ray(o: o, d: ray.d * ratio + facing * (ratio * cosI - T.sqrt(k)))
    }

    /// Where `ray` meets curved link `l` (a sphere, or a cylinder within its
    /// length) at the link's root, and the unit normal there (outward times
    /// `side`), in `T`: the shape's centre, radius and pose may all move. nil
    /// where it is missed or the root is behind the ray. Branches on primal values.
    func curvedHit(_ ray: Ray<T>, _ l: SpecularLink) -> (p: Vector3<T>, n: Vector3<T>)? {
        shapes.withUnsafeBufferPointer { curvedHit(ray, l, $0.baseAddress! + l.shape) }
    }

    /// `curvedHit` on link `l`'s shape, borrowed in place (a copy of a whole
    /// `Shape` per step cost more than the step).
    @inline(__always)
    private func curvedHit(_ ray: Ray<T>, _ l: SpecularLink, _ s: UnsafePointer<Shape<T>>) -> (p: Vector3<T>, n: Vector3<T>)? {
        switch s.pointee.geometry {
        case .sphere:
            let c = Shape.placed(s.pointee.center, s.pointee.offset), r = s.pointee.radius
            guard let (t0, t1) = quadraticRoots(offset: ray.o - c, direction: ray.d, radius: r) else { return nil }
            let t = l.far ? t1 : t0
            if !(t.primal > 0) { return nil }
            let p = ray.o + ray.d * t
            return (p, (p - c) * (T(l.side) / r))
        case .cylinder(let cyl):
            let (base, axis, _, _) = Shape.cylinderFrame(cyl, s.pointee.offset)
            let oc = ray.o - base
            // Across the axis the tube is a circle: the roots of the projected ray.
            let oPerp = oc - axis * dot(oc, axis), dPerp = ray.d - axis * dot(ray.d, axis)
            guard let (t0, t1) = quadraticRoots(offset: oPerp, direction: dPerp, radius: s.pointee.radius) else { return nil }
            let t = l.far ? t1 : t0
            if !(t.primal > 0) { return nil }
            let p = ray.o + ray.d * t
            let z = dot(p - base, axis)
            if !(z.primal >= 0 && z.primal <= cyl.length) { return nil }
            let radial = (p - base) - axis * z
            return (p, radial * (T(l.side) / s.pointee.radius))
        case .mesh, .disk, .sdfGrid: return nil
        }
    }

    /// The chain's residual at film point (fx, fy) for target point `q`: the
    /// unit direction from the last face's hit to q less the last segment's
    /// direction; zero when the chain's image of q is at (fx, fy).
    func specularResidual(_ links: [SpecularLink], filmX fx: Double, filmY fy: Double, target q: Vector3<T>,
                          tanX: T) -> Vector3<T>? {
        guard let ray = chainRay(links, filmX: fx, filmY: fy, tanX: tanX) else { return nil }
        return (q - ray.o).normalized - ray.d
    }

    /// The last segment of the camera ray through film point (fx, fy) after
    /// each link of the chain in turn; nil where a link is missed.
    func chainRay(_ links: [SpecularLink], filmX fx: Double, filmY fy: Double, tanX: T) -> Ray<T>? {
        var ray = camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)
        for l in links {
            guard let next = specularStep(ray, l) else { return nil }
            ray = next
        }
        return ray
    }

    /// Triangle `t`'s vertices of mesh shape `shape`, in `T` (nil for other
    /// shapes), read from the shape in place: no copy of the whole `Shape`.
    @inline(__always)
    func meshTriangle(_ shape: Int, _ t: Int) -> (Vector3<T>, Vector3<T>, Vector3<T>)? {
        shapes.withUnsafeBufferPointer {
            let s = $0.baseAddress! + shape
            guard let m = s.pointee.meshView else { return nil }
            return Shape.triangleVertices(m, t, s.pointee.vertices, s.pointee.offset)
        }
    }

    /// Vertex `i` of mesh shape `shape`, in `T` (nil for other shapes), read in place.
    @inline(__always)
    func meshVertex(_ shape: Int, _ i: Int) -> Vector3<T>? {
        shapes.withUnsafeBufferPointer {
            let s = $0.baseAddress! + shape
            guard let m = s.pointee.meshView else { return nil }
            return Shape.vertex(m, i, s.pointee.vertices, s.pointee.offset)
        }
    }

    /// The camera's position mirrored through each face of a chain of
    /// reflections: the eye the chain's last segments come from.
    func mirroredEye(_ links: [SpecularLink]) -> Vector3<T>? {
        var eye = camera.toWorld.origin
        for l in links {
            guard !l.refracts, let (p0, p1, p2) = meshTriangle(l.shape, l.triangle) else { return nil }
            let n = cross(p1 - p0, p2 - p0).normalized
            eye = eye - n * (2 * dot(eye - p0, n))
        }
        return eye
    }

    /// The point of an image piece at parameter `s` (t along a mesh edge, φ on
    /// an outline seen from the chain's mirrored eye).
    func specularImageTarget(links: [SpecularLink], edge: Int, shape: Int, s: Double, edges: [MeshEdge]) -> Vector3<T>? {
        if edge >= 0 {
            let e = edges[edge]
            guard let a = meshVertex(e.shape, e.v0), let b = meshVertex(e.shape, e.v1) else { return nil }
            return a + (b - a) * T(s)
        }
        guard let eye = mirroredEye(links) else { return nil }
        return arcPoint(shape, s, eye: eye)
    }
}

extension Scene where T == Double {
    /// The planar specular faces (smooth conductors, dielectrics and thin
    /// dielectrics on meshes; one triangle per plane) and the chains the
    /// camera may see an edge through: each face's reflection, a dielectric
    /// face's refraction, and the two refractions in and out of a dielectric
    /// mesh (a slab) through two of its faces. A thin dielectric's
    /// transmission does not bend rays: the camera's own silhouettes cover it.
    func specularChains() -> [[SpecularLink]] {
        var faces = [SpecularLink]()
        var curved = [[SpecularLink]]()
        for (s, shape) in shapes.enumerated() {
            let refracts: Bool
            switch bsdfs[shape.bsdf] {
            case .conductor, .thinDielectric: refracts = false
            case .dielectric: refracts = true
            default: continue
            }
            switch shape.geometry {
            case .sphere, .cylinder:
                // The near crossing's reflection; through glass, in at the near crossing and out at the far one.
                let side = shape.flipNormals ? -1.0 : 1.0
                curved.append([SpecularLink(shape: s, triangle: -1, refracts: false, side: side)])
                if refracts {
                    curved.append([SpecularLink(shape: s, triangle: -1, refracts: true, side: side),
                                   SpecularLink(shape: s, triangle: -1, refracts: true, side: side, far: true)])
                }
                continue
            case .mesh, .disk, .sdfGrid: break
            }
            guard case .mesh(let m) = shape.geometry else { continue }
            var planes = [(n: Vec3, offset: Double)]()
            for t in 0..<m.triangleCount {
                let (p0, p1, p2) = shape.triangleVertices(t)
                let c = cross(p1 - p0, p2 - p0)
                if !(c.length > 0) { continue }
                let n = c.normalized, offset = dot(n, p0)
                if planes.contains(where: { dot($0.n, n) > 1 - 1e-9 && abs($0.offset - offset) <= 1e-9 * max(extent, 1) }) { continue }
                planes.append((n, offset))
                // Which side the shading normal takes: the stored normal, or the winding's.
                var side = 1.0
                if let normals = m.normals {
                    let ns = shape.turn(Vec3(normals[Int(m.indices[3 * t])]))
                    side = dot(ns, n) < 0 ? -1 : 1
                }
                if shape.flipNormals { side = -side }
                faces.append(SpecularLink(shape: s, triangle: t, refracts: refracts, side: side))
            }
        }
        var chains = [[SpecularLink]]()
        for f in faces {
            var reflect = f
            reflect.refracts = false
            chains.append([reflect])
            if f.refracts { chains.append([f]) }
        }
        let glass = faces.filter(\.refracts)
        if glass.count <= SpecularImages.maxPairedFaces {
            for a in glass {
                for b in glass where b.shape == a.shape && b.triangle != a.triangle { chains.append([a, b]) }
            }
        }
        return chains + curved
    }

    /// The film point (x, y) whose chain `links` reaches `q`, from `guess`
    /// (Gauss–Newton on the residual, its Jacobian by central differences),
    /// and g = J⁺ᵀ n for the film direction n given (so that the motion of x
    /// along n is −g · ∂F/∂θ). nil if it does not converge.
    func solveSpecularImage(_ links: [SpecularLink], target q: Vec3, guess: (Double, Double), tanX: Double,
                            normal: (Double, Double)? = nil) -> (x: Double, y: Double, g: Vec3)? {
        var x = guess
        let h = 1e-3
        let limit = Double(max(film.width, film.height))
        for _ in 0..<40 {
            guard let f = specularResidual(links, filmX: x.0, filmY: x.1, target: q, tanX: tanX),
                  let fxp = specularResidual(links, filmX: x.0 + h, filmY: x.1, target: q, tanX: tanX),
                  let fxm = specularResidual(links, filmX: x.0 - h, filmY: x.1, target: q, tanX: tanX),
                  let fyp = specularResidual(links, filmX: x.0, filmY: x.1 + h, target: q, tanX: tanX),
                  let fym = specularResidual(links, filmX: x.0, filmY: x.1 - h, target: q, tanX: tanX) else { return nil }
            let jx = (fxp - fxm) / (2 * h), jy = (fyp - fym) / (2 * h)
            let a = dot(jx, jx), b = dot(jx, jy), c = dot(jy, jy)
            let det = a * c - b * b
            if !(det > 0) { return nil }
            if f.length < 1e-12 {
                // J⁺ = (JᵀJ)⁻¹ Jᵀ; g = J⁺ᵀ n = J (JᵀJ)⁻¹ n.
                let n = normal ?? (0, 0)
                let m0 = (c * n.0 - b * n.1) / det, m1 = (a * n.1 - b * n.0) / det
                return (x.0, x.1, jx * m0 + jy * m1)
            }
            let r1 = dot(jx, f), r2 = dot(jy, f)
            var dx = (c * r1 - b * r2) / det, dy = (a * r2 - b * r1) / det
            let step = (dx * dx + dy * dy).squareRoot()
            if !step.isFinite { return nil }
            if step > limit { dx *= limit / step; dy *= limit / step }
            x = (x.0 - dx, x.1 - dy)
        }
        return nil
    }

    /// The film image of chain `links` of edge `edge` (or of shape `shape`'s
    /// outline when `edge` is −1) at parameter s, near `guess`.
    func specularImagePoint(_ links: [SpecularLink], edge: Int, shape: Int, s: Double, edges: [MeshEdge],
                            guess: (Double, Double), tanX: Double) -> (Double, Double)? {
        guard let q = specularImageTarget(links: links, edge: edge, shape: shape, s: s, edges: edges),
              let r = solveSpecularImage(links, target: q, guess: guess, tanX: tanX) else { return nil }
        return (r.x, r.y)
    }

    /// The image pieces of every chain (`specularChains`): mesh edges in
    /// `SpecularImages.edgePieces` parameter pieces, and for chains of
    /// reflections the outlines of spheres, disks and cylinders as seen from
    /// the mirrored eye, each with its film length (chords through three
    /// solved points, clipped to the film). Edges and outlines of the chain's
    /// own shapes are left out (a mirror's rim seen in itself is the mirror's
    /// own silhouette).
    func specularImagePieces(edges: [MeshEdge]) -> [(piece: SilhouettePiece, length: Double, hidden: Bool)] {
        let chains = specularChains()
        if chains.isEmpty { return [] }
        let tanX = camera.tanHalfFov
        let W = Double(film.width), H = Double(film.height)
        let near = max(camera.nearClip, 1e-6)
        var out = [(piece: SilhouettePiece, length: Double, hidden: Bool)]()
        let imageEdges = chains.count * edges.count <= SpecularImages.maxEdgeImages
        for links in chains {
            let own = Set(links.map(\.shape))
            let eye = mirroredEye(links)
            // A curved chain has no mirrored eye: its guesses come from camera rays traced through it on a grid.
            let grid = links.contains(where: \.isCurved) ? chainGrid(links, tanX: tanX) : nil
            // The first guesses: the point's projection, mirrored for reflections; on a curved chain, its roots.
            func guesses(_ q: Vec3) -> [(Double, Double)] {
                if let grid { return curvedImages(links, target: q, grid: grid, tanX: tanX) }
                let f = camera.filmPosition(of: eye == nil ? q : mirrored(q, links), tanHalfFov: tanX)
                return f.depth > near ? [(f.x, f.y)] : []
            }
            func add(edge: Int, shape: Int, s0: Double, s1: Double) {
                guard let q0 = specularImageTarget(links: links, edge: edge, shape: shape, s: s0, edges: edges) else { return }
                for g in guesses(q0) { add(edge: edge, shape: shape, s0: s0, s1: s1, from: g) }
            }
            // The piece that follows the image from `first` (near the image of the point at s0);
            // returns the image of its end (where the next piece starts), kept or not.
            @discardableResult
            func add(edge: Int, shape: Int, s0: Double, s1: Double, from first: (Double, Double)) -> (Double, Double)? {
                var pts = [(Double, Double)]()
                var last = first
                for s in [s0, 0.5 * (s0 + s1), edge < 0 ? insideArc(shape, s1, below: s1) : s1] {
                    guard let x = specularImagePoint(links, edge: edge, shape: shape, s: s, edges: edges, guess: last, tanX: tanX)
                    else { return nil }
                    pts.append(x)
                    last = x
                }
                // Without one eye, a mesh edge is a silhouette or not as seen from the middle's last segment.
                if grid != nil, edge >= 0,
                   let ray = chainRay(links, filmX: pts[1].0, filmY: pts[1].1, tanX: tanX),
                   !isSilhouette(edges[edge], from: ray.o) { return last }
                var len = 0.0
                for j in 0..<2 {
                    if let (lo, hi) = clipToRectangle(pts[j], pts[j + 1], width: W, height: H) {
                        let dx = pts[j + 1].0 - pts[j].0, dy = pts[j + 1].1 - pts[j].1
                        len += (hi - lo) * (dx * dx + dy * dy).squareRoot()
                    }
                }
                if !(len > 0) { return last }
                // Is the middle seen through the chain (its faces met in turn, nothing before q)?
                if let q = specularImageTarget(links: links, edge: edge, shape: shape, s: 0.5 * (s0 + s1), edges: edges),
                   !seenThrough(links, filmX: pts[1].0, filmY: pts[1].1, target: q, tanX: tanX) {
                    len *= SpecularImages.unseenShare
                }
                let piece = SilhouettePiece.image(links: links, edge: edge, shape: shape, s0: s0, s1: s1, start: pts[0])
                out.append((piece, len, false))
                return last
            }
            let bounds = links.last.flatMap { curvedBounds($0) }
            for (i, e) in edges.enumerated() where imageEdges && !own.contains(e.shape) {
                let k = SpecularImages.edgePieces
                guard grid != nil else {
                    if !isSilhouette(e, from: eye ?? camera.toWorld.origin) { continue }
                    for j in 0..<k { add(edge: i, shape: e.shape, s0: Double(j) / Double(k), s1: Double(j + 1) / Double(k)) }
                    continue
                }
                // Seen from no point of the last surface as a silhouette: left out unsolved.
                if let bounds, !maySilhouette(e, within: bounds.center, radius: bounds.radius) { continue }
                // The roots at the edge's start, each branch followed from piece to piece;
                // the grid is searched again where every branch has ended.
                var starts = [(Double, Double)]()
                for j in 0..<k {
                    let s0 = Double(j) / Double(k), s1 = Double(j + 1) / Double(k)
                    if starts.isEmpty, let q0 = specularImageTarget(links: links, edge: i, shape: e.shape, s: s0, edges: edges) {
                        starts = guesses(q0)
                    }
                    starts = starts.compactMap { add(edge: i, shape: e.shape, s0: s0, s1: s1, from: $0) }
                }
            }
            guard let eye else { continue }
            for s in analyticShapes where !own.contains(s) {
                var pieces = SpecularImages.arcs
                switch shapes[s].geometry {
                case .mesh, .sdfGrid: continue
                case .sphere:
                    if (eye - shapes[s].placedCenter).length <= shapes[s].radius * (1 + 1e-9) { continue }
                case .disk: break
                case .cylinder(let c):
                    let (base, axis, _, _) = Shape.cylinderFrame(c, shapes[s].offset)
                    let q = eye - base, radial = q - axis * dot(q, axis)
                    pieces = radial.length > shapes[s].radius * (1 + 1e-9) ? 3 * pieces : 2 * pieces
                }
                for k in 0..<pieces {
                    let step = 2 * Double.pi / Double(SpecularImages.arcs)
                    add(edge: -1, shape: s, s0: step * Double(k), s1: step * Double(k + 1))
                }
            }
        }
        return out
    }

    /// Whether the camera ray through (fx, fy) meets the chain's faces in turn
    /// (each hit on the face's shape and plane) and then reaches `q` unblocked.
    func seenThrough(_ links: [SpecularLink], filmX fx: Double, filmY fy: Double, target q: Vec3, tanX: Double) -> Bool {
        var ray = camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)
        var origin: SurfaceInteraction<Double>? = nil
        for l in links {
            guard let hit = intersect(origin.map { spawn($0, ray.d) } ?? ray), hit.shape == l.shape,
                  let next = specularStep(ray, l), (next.o - hit.p).length <= 1e-6 * max(extent, 1) else { return false }
            ray = next
            origin = hit
        }
        guard let last = origin else { return false }
        let toQ = q - ray.o
        let distance = toQ.length
        return !accel.occluded(o: spawn(last, ray.d).o, d: ray.d, tMin: 0, tMax: distance * (1 - 1e-6) - 1e-6 * extent)
    }

    /// `q` mirrored through the planes of a chain of reflections, last face first.
    private func mirrored(_ q: Vec3, _ links: [SpecularLink]) -> Vec3 {
        var q = q
        for l in links.reversed() {
            guard let (p0, p1, p2) = meshTriangle(l.shape, l.triangle) else { continue }
            let n = cross(p1 - p0, p2 - p0).normalized
            q = q - n * (2 * dot(q - p0, n))
        }
        return q
    }

    /// A point on image piece `links`/`edge`/`shape` at unit position v along
    /// its parameter range s0...s1: the film point, its tangent per unit
    /// parameter and g (`solveSpecularImage`) for the film normal; nil where
    /// the chain has no image there.
    func specularImageSample(_ links: [SpecularLink], edge: Int, shape: Int, s0: Double, s1: Double,
                             start: (x: Double, y: Double), v: Double, edges: [MeshEdge], tanX: Double)
        -> (s: Double, x: (Double, Double), tangent: (Double, Double), g: Vec3)? {
        // An outline's piece ends inside its curve (`insideArc`).
        let s = edge < 0 ? insideArc(shape, s0 + (s1 - s0) * v, below: s1) : s0 + (s1 - s0) * v
        // Start from the image of the piece's start, solved when the piece was
        // built (on a curved chain, the root whose branch the piece follows).
        guard let x = specularImagePoint(links, edge: edge, shape: shape, s: s, edges: edges, guess: start, tanX: tanX)
        else { return nil }
        // ∂x/∂s by central differences inside the piece.
        let h = 1e-6 * (s1 - s0)
        let lo = max(s - h, s0), hi = edge < 0 ? insideArc(shape, min(s + h, s1), below: s1) : min(s + h, s1)
        guard let xa = specularImagePoint(links, edge: edge, shape: shape, s: lo, edges: edges, guess: x, tanX: tanX),
              let xb = specularImagePoint(links, edge: edge, shape: shape, s: hi, edges: edges, guess: x, tanX: tanX)
        else { return nil }
        let tangent = ((xb.0 - xa.0) / (hi - lo), (xb.1 - xa.1) / (hi - lo))
        let tl = (tangent.0 * tangent.0 + tangent.1 * tangent.1).squareRoot()
        if !(tl > 0) || !tl.isFinite { return nil }
        guard let q = specularImageTarget(links: links, edge: edge, shape: shape, s: s, edges: edges),
              let r = solveSpecularImage(links, target: q, guess: x, tanX: tanX, normal: (-tangent.1 / tl, tangent.0 / tl))
        else { return nil }
        return (s, (r.x, r.y), tangent, r.g)
    }
}
