import Geometry

// First guesses for images through curved mirrors and glass.
//
// Through a chain of planes the image of a point starts from its mirrored
// projection; a sphere or a cylinder has no mirrored eye. Instead the camera
// rays through a coarse grid of film points are traced through the chain once
// per render, and the image of q is sought by Gauss–Newton from every grid
// point where the residual |normalize(q − o) − d| is a local minimum: a convex
// mirror gives one root, a glass ball one (inverted) image, and near a caustic
// a few; each distinct root starts its own piece.

/// The last segments of camera rays traced through a chain on a `size` × `size`
/// grid of film points (nil where the chain is missed), row by row.
struct ChainGrid {
    var size: Int
    var rays: [(x: Double, y: Double, o: Vec3, d: Vec3)?]
}

extension SpecularImages {
    /// Film points per side of a curved chain's guess grid.
    static let guessGrid = 32
    /// The grid reaches this share of the film beyond each edge (an image just
    /// off the film may still send a piece across it).
    static let guessMargin = 0.25
    /// At most this many local minima of the grid start a root search.
    static let maxRoots = 4
}

extension Scene where T == Double {
    /// The camera rays of chain `links` on a film grid (`SpecularImages.guessGrid`).
    func chainGrid(_ links: [SpecularLink], tanX: Double) -> ChainGrid {
        let n = SpecularImages.guessGrid, m = SpecularImages.guessMargin
        let W = Double(film.width), H = Double(film.height)
        var rays = [(x: Double, y: Double, o: Vec3, d: Vec3)?]()
        rays.reserveCapacity(n * n)
        for j in 0..<n {
            for i in 0..<n {
                let x = W * (-m + (1 + 2 * m) * (Double(i) + 0.5) / Double(n))
                let y = H * (-m + (1 + 2 * m) * (Double(j) + 0.5) / Double(n))
                rays.append(chainRay(links, filmX: x, filmY: y, tanX: tanX).map { (x, y, $0.o, $0.d) })
            }
        }
        return ChainGrid(size: n, rays: rays)
    }

    /// A ball holding curved link `l`'s surface (where a chain's last segments start): centre and radius.
    func curvedBounds(_ l: SpecularLink) -> (center: Vec3, radius: Double)? {
        let shape = shapes[l.shape]
        switch shape.geometry {
        case .sphere: return (shape.placedCenter, shape.radius)
        case .cylinder(let c):
            let (base, axis, _, _) = Shape.cylinderFrame(c, shape.offset)
            return (base + axis * (0.5 * c.length), (shape.radius * shape.radius + 0.25 * c.length * c.length).squareRoot())
        case .mesh, .disk, .sdfGrid: return nil
        }
    }

    /// Whether mesh edge `e` is a silhouette (`isSilhouette`) from some point of
    /// the ball at `c` of radius `r`: a smooth edge is not when both its faces
    /// turn the same way to every point of the ball.
    func maySilhouette(_ e: MeshEdge, within c: Vec3, radius r: Double) -> Bool {
        if e.f1 < 0 || !e.smooth { return isSilhouette(e, from: c) }
        let v = shapes[e.shape].vertex(e.v0)
        let d0 = dot(c - v, e.n0), d1 = dot(c - v, e.n1)
        return !((d0 > r && d1 > r) || (d0 < -r && d1 < -r))
    }

    /// For each curved chain (`specularChains`, in order), how many images
    /// (`curvedImages`) each of `points` + 1 evenly spaced points of every edge
    /// of shape `id` has: a histogram, number of roots → number of points. A
    /// check of the first guesses: a convex mirror should give one root each.
    public func curvedImageRootCounts(shape id: String, points: Int) -> [[Int: Int]] {
        let edges = meshEdges()
        let tanX = camera.tanHalfFov
        guard let s = shapes.firstIndex(where: { $0.id == id }) else { return [] }
        return specularChains().filter { $0.contains(where: \.isCurved) }.map { links in
            let grid = chainGrid(links, tanX: tanX)
            var counts = [Int: Int]()
            for (i, e) in edges.enumerated() where e.shape == s {
                for k in 0...points {
                    guard let q = specularImageTarget(links: links, edge: i, shape: s, s: Double(k) / Double(points), edges: edges)
                    else { continue }
                    counts[curvedImages(links, target: q, grid: grid, tanX: tanX).count, default: 0] += 1
                }
            }
            return counts
        }
    }

    /// The distinct film images of `q` through curved chain `links`: Gauss–Newton
    /// (`solveSpecularImage`) from the grid's local minima of the residual, the
    /// smallest first; roots within a thousandth of a pixel are one.
    func curvedImages(_ links: [SpecularLink], target q: Vec3, grid: ChainGrid, tanX: Double) -> [(Double, Double)] {
        let n = grid.size
        let residual = grid.rays.map { r -> Double in
            guard let r else { return .infinity }
            let toQ = q - r.o
            let l = toQ.length
            return l > 0 ? (toQ * (1 / l) - r.d).length : .infinity
        }
        var minima = [(r: Double, k: Int)]()
        for j in 0..<n {
            for i in 0..<n {
                let k = j * n + i
                if !residual[k].isFinite { continue }
                var lowest = true
                // Ties go to the first in row order, so that a flat stretch starts one search.
                for dj in -1...1 {
                    for di in -1...1 where di != 0 || dj != 0 {
                        let ii = i + di, jj = j + dj
                        if ii < 0 || jj < 0 || ii >= n || jj >= n { continue }
                        let kk = jj * n + ii
                        if residual[kk] < residual[k] || (residual[kk] == residual[k] && kk < k) { lowest = false }
                    }
                }
                if lowest { minima.append((residual[k], k)) }
            }
        }
        minima.sort { $0.r < $1.r }
        var roots = [(Double, Double)]()
        for m in minima.prefix(SpecularImages.maxRoots) {
            guard let g = grid.rays[m.k],
                  let r = solveSpecularImage(links, target: q, guess: (g.x, g.y), tanX: tanX) else { continue }
            if roots.contains(where: { abs($0.0 - r.x) + abs($0.1 - r.y) < 1e-3 }) { continue }
            roots.append((r.x, r.y))
        }
        return roots
    }
}
