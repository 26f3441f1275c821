import Geometry

// A control variate for the attached interior's film term.
//
// Attached (`FirstVertexAttachment`), a path whose first vertex lies on a
// moving shape enters pixel p's derivative through the film as well as
// through its radiance L: L times d/dθ [f(X − p) J], the filter's slope times
// the film point's motion v plus the Jacobian's change, f div v. For a mean
// over pixels the slopes of neighbouring pixels nearly cancel (the filter
// weights summed over the pixels ripple by about 1.4 % per axis with the
// sub-pixel position), so this term has little mean but a spread in
// proportion to L's magnitude: on the tube of `scenes/cylinder-sun.xml` it held
// most of the interior term's variance, the path's own derivative (a diffuse
// surface translated under distant light) none.
//
// For a function φ of the film point, fixed in x, the integral of f φ over the
// film region Ω where an attached shape is the first surface moves only with
// Ω's boundary; written over the attached points (x = X(x₀, θ)) as the interior
// writes L's, Reynolds' transport theorem gives
//
//     ∫_Ω d/dθ [f(X − p) φ(X) J] dx = ∮_∂Ω f φ v · n ds,
//
// n the outward normal of Ω. So the interior takes L − φ(X) in place of L in
// its film term (φ at the moving film point, on the tape in reverse mode, in
// dual numbers in forward mode), and the camera's silhouette samples,
// which carry each attached side's −L v · n (`attachedSides`), take L − φ there
// too: the sum is unchanged in expectation for any φ that does not depend on
// the gradient's samples, and the film term's variance becomes that of L − φ.
// On the film's border the attachment fades to none (v = 0), and a shadow's two
// sides on one attached receiver share their motion, so φ drops out there.
//
// φ is fitted per shape: a quadratic in the film position, by least squares to
// the radiance of one path per pixel of the attached shapes' film box whose
// first vertex lies on the shape, traced with random numbers of their own (a
// constant where fewer than `FilmQuadratic.minimumPoints` paths met it). Over
// a cylinder seen from the side the radiance varies across the projected axis
// (the lit and the shaded side), which the quadratic follows; a constant left
// the difference of the two silhouettes' radiance in the term.

/// A linear RGB function of the film point: per channel a quadratic in
/// u = (x − cx) / scale, v = (y − cy) / scale, coefficients of 1, u, v, u², uv, v².
struct FilmQuadratic: Sendable {
    var coefficients: [RGB<Double>]
    var cx: Double, cy: Double, scale: Double

    /// Fewer points than this fit a constant.
    static let minimumPoints = 48

    /// The value at film point (x, y) (pixels), in `S`.
    func callAsFunction<S: Real>(_ x: S, _ y: S) -> RGB<S> {
        let u = (x - S(cx)) * S(1 / scale), v = (y - S(cy)) * S(1 / scale)
        let k = coefficients
        func channel(_ c: (RGB<Double>) -> Double) -> S {
            S(c(k[0])) + u * (S(c(k[1])) + u * S(c(k[3])) + v * S(c(k[4]))) + v * (S(c(k[2])) + v * S(c(k[5])))
        }
        return RGB(channel { $0.r }, channel { $0.g }, channel { $0.b })
    }

    /// The least-squares quadratic through `points` (film x, y, radiance); a
    /// constant, their mean, where they are too few or the normal equations
    /// singular; zero without points.
    init(fitting points: [(Double, Double, RGB<Double>)], centre: (Double, Double), scale: Double) {
        cx = centre.0; cy = centre.1; self.scale = scale
        coefficients = [RGB<Double>](repeating: .zero, count: 6)
        guard !points.isEmpty else { return }
        var mean = RGB<Double>.zero
        for p in points { mean += p.2 }
        coefficients[0] = mean / Double(points.count)
        guard points.count >= FilmQuadratic.minimumPoints else { return }
        // Normal equations A c = b, one right-hand side per channel.
        var a = [Double](repeating: 0, count: 36), b = [RGB<Double>](repeating: .zero, count: 6)
        for (x, y, l) in points {
            let u = (x - cx) / scale, v = (y - cy) / scale
            let basis = [1, u, v, u * u, u * v, v * v]
            for i in 0..<6 {
                b[i] += l * basis[i]
                for j in 0..<6 { a[6 * i + j] += basis[i] * basis[j] }
            }
        }
        // Gaussian elimination with partial pivoting.
        for col in 0..<6 {
            var pivot = col
            for r in col + 1..<6 where abs(a[6 * r + col]) > abs(a[6 * pivot + col]) { pivot = r }
            guard abs(a[6 * pivot + col]) > 1e-12 * Double(points.count) else { return }
            if pivot != col {
                for j in 0..<6 { a.swapAt(6 * col + j, 6 * pivot + j) }
                b.swapAt(col, pivot)
            }
            for r in col + 1..<6 {
                let m = a[6 * r + col] / a[6 * col + col]
                if m == 0 { continue }
                for j in col..<6 { a[6 * r + j] -= m * a[6 * col + j] }
                b[r] = b[r] - b[col] * m
            }
        }
        var c = [RGB<Double>](repeating: .zero, count: 6)
        for i in stride(from: 5, through: 0, by: -1) {
            var rhs = b[i]
            for j in i + 1..<6 { rhs = rhs - c[j] * a[6 * i + j] }
            c[i] = rhs / a[6 * i + i]
        }
        guard c.allSatisfy({ $0.r.isFinite && $0.g.isFinite && $0.b.isFinite }) else { return }
        coefficients = c
    }
}

extension Scene where T == Double {
    /// The first-vertex attachment of a gradient of `keys` with `boundary`'s
    /// options (`firstVertexAttachment`), with its variates fitted for `seed`
    /// where they apply: `boundary.subtractsAttachedVariate` and the camera's
    /// samples run (`primarySamplesPerPixel > 0`, `parts` holding `.camera`),
    /// since they add the variate's integral back; without them (`--no-boundary`,
    /// `--edge-parts` without `camera`) the film term stays whole. Forward and
    /// reverse mode both take their attachment from here: the same φ for a seed.
    func attachmentAndVariates(keys: [String], _ boundary: BoundaryOptions, seed: UInt64) -> FirstVertexAttachment? {
        guard var a = firstVertexAttachment(keys: keys, boundary) else { return nil }
        if boundary.subtractsAttachedVariate, boundary.primarySamplesPerPixel > 0, boundary.parts.contains(.camera) {
            a.variates = attachedVariates(a, seed: seed)
        }
        return a
    }

    /// Per shape, the variate of its attached paths' film term: the
    /// `FilmQuadratic` fitted to the radiance of one path per pixel of
    /// `a.filmBounds` whose first vertex lies on the shape (zero for shapes
    /// `a` does not attach or that no such path met). The paths draw from
    /// `seed` scrambled, apart from the gradient's own samples, so the variate
    /// does not depend on them and the estimate stays unbiased.
    func attachedVariates(_ a: FirstVertexAttachment, seed: UInt64) -> [FilmQuadratic] {
        let w = film.width, h = film.height, tanX = camera.tanHalfFov
        let (x0, y0, x1, y1) = a.filmBounds
        let xa = max(0, Int(x0.rounded(.down))), xb = min(w, Int(x1.rounded(.up)))
        let ya = max(0, Int(y0.rounded(.down))), yb = min(h, Int(y1.rounded(.up)))
        var points = [[(Double, Double, RGB<Double>)]](repeating: [], count: shapes.count)
        if xa < xb && ya < yb {
            for y in ya..<yb {
                for x in xa..<xb {
                    var sampler = PathSampler(seed: seed ^ Scene.variateSeedScramble, pixel: y * w + x, index: 0)
                    let (ux, uy) = sampler.next2D()
                    let fx = Double(x) + ux, fy = Double(y) + uy
                    let ray = camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)
                    guard let first = intersect(ray), a.attached[first.shape] else { continue }
                    let l = pathRadiance(ray, &sampler)
                    guard l.r.isFinite && l.g.isFinite && l.b.isFinite else { continue }
                    points[first.shape].append((fx, fy, l))
                }
            }
        }
        let centre = (0.5 * Double(xa + xb), 0.5 * Double(ya + yb)), scale = max(1, 0.5 * Double(max(xb - xa, yb - ya)))
        return points.map { FilmQuadratic(fitting: $0, centre: centre, scale: scale) }
    }

    /// XORed into a gradient's seed for the variates' paths.
    static var variateSeedScramble: UInt64 { 0xC0DE_F11E_5EED_7A11 }
}
