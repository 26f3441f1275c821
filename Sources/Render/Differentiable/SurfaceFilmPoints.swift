import Foundation
import Geometry

// Film points drawn by area on moving spheres.
//
// The secondary samples that start from a film point x (shadows and other
// edges seen from the first surface, at deeper vertices, and the delta
// lights' shadows seen after a bounce) look from the surface point p the
// camera sees at x. The replay finds p through the fixed camera ray, so on a
// moving sphere p slides as 1 / cos θ (θ between the camera ray and the
// normal) and the shading frame, in which bounces are replayed, turns with it:
// the motion of an edge seen from p grows as 1 / cos θ towards the camera's
// silhouette of the sphere. Over film points drawn uniformly that is a
// singularity of infinite variance (1 / √(distance to the silhouette),
// squared), and a few samples near the silhouette carried most of a
// gradient's spread (docs/results.md, "Where sphere-sun's large samples come
// from"). A share of those samples draws p uniformly by area on the moving
// spheres instead; its density over the film, (1 / A) / (film area per unit
// surface area at p), grows as 1 / cos θ towards the silhouette and cancels
// it. The two strategies are combined by the balance heuristic: every sample
// whose film point sees such a sphere divides by the density of both
// (`filmDensityRatio`), so the estimate stays unbiased.

/// The moving spheres on which a share of the film-point samples draw their
/// first surface by area, with the cumulative sum of their areas.
struct SurfaceFilmPoints {
    var shapes = [Int]()
    var cdf = [Double]()
    var total: Double { cdf.last ?? 0 }
    /// The share of the samples drawn by area when there is a sphere to draw on.
    static let areaShare = 0.25
    var share: Double { shapes.isEmpty ? 0 : SurfaceFilmPoints.areaShare }
}

extension Scene where T == Double {
    /// The spheres that move under the differentiated keys (`moving`, see
    /// `boundarySamples`; nil: every sphere).
    func surfaceFilmPoints(moving: [Bool]?) -> SurfaceFilmPoints {
        var points = SurfaceFilmPoints()
        for (s, shape) in shapes.enumerated() where moving?[s] ?? true {
            guard case .sphere = shape.geometry, shape.area > 0 else { continue }
            points.shapes.append(s)
            points.cdf.append(points.total + shape.area)
        }
        return points
    }

    /// A point drawn uniformly by area on `points`' spheres (the sphere by
    /// `u`, the point by `u1`, `u2`), and the film position the camera sees
    /// it at; nil outside the film or behind the camera.
    func filmPointBySurfaceArea(_ points: SurfaceFilmPoints, u: Double, u1: Double, u2: Double,
                                tanX: Double) -> (x: Double, y: Double, p: Vec3)? {
        let k = min(points.cdf.cdfBin(u * points.total), points.shapes.count - 1)
        let shape = shapes[points.shapes[k]]
        let z = 1 - 2 * u1, rho = max(0, 1 - z * z).squareRoot(), phi = 2 * Double.pi * u2
        let p = shape.placedCenter + Vec3(rho * cos(phi), rho * sin(phi), z) * shape.radius
        let f = camera.filmPosition(of: p, tanHalfFov: tanX)
        let W = Double(film.width), H = Double(film.height)
        if f.depth < max(camera.nearClip, 1e-6) || !(f.x >= 0 && f.x < W && f.y >= 0 && f.y < H) { return nil }
        return (f.x, f.y, p)
    }

    /// The density of all film-point samples at the film point whose first
    /// surface is `si`, relative to that of film points drawn uniformly alone
    /// (n / (W·H) per unit film area): (1 − s) + s · W · H · a, with s the share
    /// drawn by area and a the density of those over the film, (1 / A) / (film
    /// pixels² per unit area at `si`) on a sphere of `points`, 0 elsewhere.
    func filmDensityRatio(_ si: SurfaceInteraction<Double>, _ points: SurfaceFilmPoints, tanX: Double) -> Double {
        let share = points.share
        guard share > 0 else { return 1 }
        guard points.shapes.contains(si.shape) else { return 1 - share }
        let j = filmAreaPerSurfaceArea(si.p, normal: si.ng, tanX: tanX)
        if !(j > 0) { return .infinity }
        return (1 - share) + share * Double(film.width * film.height) / (points.total * j)
    }
}
