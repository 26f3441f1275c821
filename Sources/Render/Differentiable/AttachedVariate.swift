import Geometry

// A control variate for the attached interior's film term.
//
// Attached (`FirstVertexAttachment`), a path whose first vertex lies on a
// moving shape enters pixel p's derivative through the film as well as
// through its radiance L: L times d/dθ [f(X − p) J] = L (∇f · v + f div v),
// the filter's slope times the film point's motion v plus the Jacobian's
// change. For a mean over pixels the slopes of neighbouring pixels nearly
// cancel (the filter weights summed over the pixels ripple by about 1.4 % per
// axis with the sub-pixel position), so this term has little mean but a spread
// in proportion to L's magnitude: on the tube of `scenes/cylinder-sun.xml` it
// held most of the interior term's variance, and the path's own derivative
// (a diffuse surface translated under distant light) none.
//
// Over the film region Ω where an attached shape is the first surface, for a
// constant c the divergence theorem gives
//
//     ∫_Ω c (∇f · v + f div v) dx = ∫_Ω c div(f v) dx = ∮_∂Ω c f v · n ds,
//
// n the outward normal of Ω. So the interior takes L − c in place of L, and
// the camera's silhouette samples, which already carry each attached side's
// −L v · n (`attachedSides`), take L − c there too: the sum is unchanged in
// expectation for any c that does not depend on the gradient's samples, and
// its variance is that of (L − c) times the film term's factor. On the film's
// border the attachment fades to none (v = 0), and a shadow's two sides on one
// attached receiver share their motion, so c drops out there. c is the mean
// radiance of paths whose first vertex lies on the shape, one per pixel of the
// attached shapes' film box, traced with random numbers of their own.

extension Scene where T == Double {
    /// Per shape, the variate of its attached paths' film term: the mean
    /// radiance (linear RGB) of one path per pixel of `a.filmBounds` whose
    /// first vertex lies on the shape (zero for shapes `a` does not attach or
    /// that no such path met). The paths draw from `seed` scrambled, apart
    /// from the gradient's own samples, so the variate does not depend on
    /// them and the estimate stays unbiased.
    func attachedVariates(_ a: FirstVertexAttachment, seed: UInt64) -> [RGB<Double>] {
        var sum = [RGB<Double>](repeating: .zero, count: shapes.count), count = [Int](repeating: 0, count: shapes.count)
        let w = film.width, h = film.height, tanX = camera.tanHalfFov
        let (x0, y0, x1, y1) = a.filmBounds
        let xa = max(0, Int(x0.rounded(.down))), xb = min(w, Int(x1.rounded(.up)))
        let ya = max(0, Int(y0.rounded(.down))), yb = min(h, Int(y1.rounded(.up)))
        guard xa < xb && ya < yb else { return sum }
        for y in ya..<yb {
            for x in xa..<xb {
                var sampler = PathSampler(seed: seed ^ Scene.variateSeedScramble, pixel: y * w + x, index: 0)
                let (ux, uy) = sampler.next2D()
                let ray = camera.ray(filmX: Double(x) + ux, filmY: Double(y) + uy, tanHalfFov: tanX)
                guard let first = intersect(ray), a.attached[first.shape] else { continue }
                let l = pathRadiance(ray, &sampler)
                guard l.r.isFinite && l.g.isFinite && l.b.isFinite else { continue }
                sum[first.shape] += l
                count[first.shape] += 1
            }
        }
        for s in sum.indices where count[s] > 0 { sum[s] = sum[s] / Double(count[s]) }
        return sum
    }

    /// XORed into a gradient's seed for the variates' paths.
    static var variateSeedScramble: UInt64 { 0xC0DE_F11E_5EED_7A11 }
}
