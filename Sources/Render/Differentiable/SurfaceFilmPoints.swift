import Foundation
import Geometry

// Film points drawn by area on moving curved shapes (spheres and cylinders).
//
// The secondary samples that start from a film point x (shadows and other
// edges seen from the first surface, at deeper vertices, and the delta
// lights' shadows seen after a bounce) look from the surface point p the
// camera sees at x. The replay finds p through the fixed camera ray, so on a
// moving curved surface p slides as 1 / cos θ (θ between the camera ray and
// the normal) and the shading frame, in which bounces are replayed, turns with
// it: the motion of an edge seen from p grows as 1 / cos θ towards the
// camera's silhouette of the shape. Over film points drawn uniformly that is a
// singularity of infinite variance (1 / √(distance to the silhouette),
// squared), and a few samples near the silhouette carried most of a
// gradient's spread (docs/results.md, "Where sphere-sun's large samples come
// from"). A share of those samples draws p uniformly by area on the moving
// curved shapes instead (`Shape.samplePoint`, the area lights' sampling); its
// density over the film, (1 / A) / (film area per unit surface area at p),
// grows as 1 / cos θ towards the silhouette and cancels it. The two
// strategies are combined by the balance heuristic: every sample whose film
// point sees such a shape divides by the density of both
// (`filmDensityRatio`), so the estimate stays unbiased. Flat shapes (meshes,
// disks) keep film points alone: cos θ is constant over a face, so there is
// no singularity to cancel.

/// The moving spheres and cylinders on which a share of the film-point samples
/// draw their first surface by area, with the cumulative sum of their areas.
struct SurfaceFilmPoints {
    var shapes = [Int]()
    var cdf = [Double]()
    var total: Double { cdf.last ?? 0 }
    /// The share of the samples drawn by area when there is a shape to draw on.
    var areaShare = 0.25
    var share: Double { shapes.isEmpty ? 0 : areaShare }
}

extension Scene where T == Double {
    /// The spheres and cylinders that move under the differentiated keys
    /// (`moving`, see `boundarySamples`; nil: every one).
    func surfaceFilmPoints(moving: [Bool]?) -> SurfaceFilmPoints {
        var points = SurfaceFilmPoints()
        for (s, shape) in shapes.enumerated() where moving?[s] ?? true {
            switch shape.geometry {
            case .sphere, .cylinder: break
            case .mesh, .disk, .sdfGrid: continue
            }
            guard shape.area > 0 else { continue }
            points.shapes.append(s)
            points.cdf.append(points.total + shape.area)
        }
        return points
    }

    /// A point drawn uniformly by area on `points`' shapes (the shape by `u`,
    /// the point on it by `u1`, `u2` through `Shape.samplePoint`: on a sphere
    /// z = 1 − 2 u1 and φ = 2π u2, on a cylinder u2 along the axis and u1
    /// around it), and the film position the camera sees it at; nil outside
    /// the film or behind the camera.
    func filmPointBySurfaceArea(_ points: SurfaceFilmPoints, u: Double, u1: Double, u2: Double,
                                tanX: Double) -> (x: Double, y: Double, p: Vec3)? {
        let k = min(points.cdf.cdfBin(u * points.total), points.shapes.count - 1)
        let p = samplePoint(on: points.shapes[k], (u2, u1)).p
        let f = camera.filmPosition(of: p, tanHalfFov: tanX)
        let W = Double(film.width), H = Double(film.height)
        if f.depth < max(camera.nearClip, 1e-6) || !(f.x >= 0 && f.x < W && f.y >= 0 && f.y < H) { return nil }
        return (f.x, f.y, p)
    }

    /// The density of all film-point samples at the film point whose first
    /// surface is `si`, relative to that of film points drawn uniformly alone
    /// (n / (W·H) per unit film area): (1 − s) + s · W · H · a, with s the share
    /// drawn by area and a the density of those over the film, (1 / A) / (film
    /// pixels² per unit area at `si`) on a shape of `points`, 0 elsewhere.
    func filmDensityRatio(_ si: SurfaceInteraction<Double>, _ points: SurfaceFilmPoints, tanX: Double) -> Double {
        let share = points.share
        guard share > 0 else { return 1 }
        guard points.shapes.contains(si.shape) else { return 1 - share }
        let j = filmAreaPerSurfaceArea(si.p, normal: si.ng, tanX: tanX)
        if !(j > 0) { return .infinity }
        return (1 - share) + share * Double(film.width * film.height) / (points.total * j)
    }
}

/// Three estimates of the fraction of the film whose first surface is one of
/// the moving spheres and cylinders (`SurfaceFilmPoints`), from film points
/// drawn uniformly alone, by area alone, and mixed as the boundary term draws
/// them (a quarter by area), each draw weighted by 1 / its strategy's density
/// relative to uniform film points (`filmDensityRatio`). They agree in
/// expectation when that density is the one the draws have; `byAreaHits`
/// counts the by-area draws the camera sees.
public struct FilmPointAudit: Sendable {
    public var uniform: Double, uniformError: Double
    public var byArea: Double, byAreaError: Double
    public var mixed: Double, mixedError: Double
    public var byAreaHits: Int
}

extension Scene where T == Double {
    /// `FilmPointAudit` from `samples` draws of each strategy, the shapes that
    /// move under `keys` (nil when none is a sphere or cylinder).
    public func auditFilmPointDensities(keys: [String], samples n: Int, seed: UInt64) -> FilmPointAudit? {
        let moving = surfaceFilmPoints(moving: shapesVarying(with: Set(keys)))
        guard !moving.shapes.isEmpty, n > 1 else { return nil }
        let tanX = camera.tanHalfFov
        let pixels = film.width * film.height
        func estimate(share: Double, index: Int) -> (mean: Double, error: Double, hits: Int) {
            var points = moving
            points.areaShare = share
            var weights = [Double](repeating: 0, count: n), hits = 0
            for j in 0..<n {
                var sampler = PathSampler(seed: seed, pixel: j, index: index)
                let strata = PixelStratum(j, of: n, pixels: pixels, seed: seed &+ UInt64(index))
                guard let drawn = pathToVertex(1, strata: strata, tanX: tanX, points: points, &sampler),
                      moving.shapes.contains(drawn.vertex.shape) else { continue }
                weights[j] = 1 / drawn.density
                hits += 1
            }
            let (mean, error) = meanAndStandardError(weights)
            return (mean, error, hits)
        }
        let uniform = estimate(share: 0, index: 1), byArea = estimate(share: 1, index: 2)
        let mixed = estimate(share: moving.areaShare, index: 3)
        return FilmPointAudit(uniform: uniform.mean, uniformError: uniform.error, byArea: byArea.mean, byAreaError: byArea.error,
                              mixed: mixed.mean, mixedError: mixed.error, byAreaHits: byArea.hits)
    }
}
