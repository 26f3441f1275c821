import Autodiff

/// Mitsuba 3's `sdfgrid`: signed distances sampled on a grid over the unit
/// cube [0, 1]³ of its local space, placed by `toWorld`. Sample (i, j, k) of
/// an nx × ny × nz grid lies at (i / (nx − 1), j / (ny − 1), k / (nz − 1));
/// between samples the distance is their trilinear interpolant, and the
/// surface is its zero set (outside where it is positive).
///
/// ```xml
/// <shape type="sdfgrid">
///     <string name="filename" value="torus.vol"/>   <!-- one channel, see VolumeGridData -->
///     <string name="normals" value="smooth"/>        <!-- or "analytic" -->
///     <transform name="to_world"> ... </transform>
///     <bsdf type="diffuse"/>
/// </shape>
/// ```
///
/// As in Mitsuba: each voxel (cell between eight samples) whose corner values
/// are not all positive nor all negative is one primitive of the acceleration
/// structure, bounded by the box of the points where the surface crosses its
/// edges (Hansson-Söderlund and Akenine-Möller 2023, "Tight Bounding Boxes
/// for Voxels and Bricks in a Signed Distance Field Ray Tracer"). A ray meets
/// a voxel at the first root of the trilinear interpolant along it, a cubic
/// (Hansson-Söderlund, Evans and Akenine-Möller 2022, "Ray Tracing of Signed
/// Distance Function Grids", JCGT 11(3)), split at its derivative's roots into
/// monotonic pieces and solved by Newton's method safeguarded by bisection
/// (Marmitt et al. 2004). The geometric normal is the gradient of the voxel's
/// interpolant; the smooth shading normal blends the normalised gradients of
/// the eight voxels around the nearest sample (the JCGT paper's method, as
/// Mitsuba defines it: `smoothNormal`). There are no texture coordinates
/// (uv = 0) and the surface cannot emit. Computed in doubles.
public final class SDFGrid: Sendable {
    /// Samples along x, y and z (each at least 2).
    public let nx: Int, ny: Int, nz: Int
    /// Sample (i, j, k) is `values[i + nx (j + ny k)]`.
    public let values: ContiguousArray<Float>
    public let toWorld: Transform
    public let toLocal: Transform
    /// Whether shading uses the smooth normal (`normals="smooth"`, Mitsuba's default) or the geometric one (`"analytic"`).
    public let smoothNormals: Bool
    /// The sample index of the lower corner of every voxel the surface passes through.
    public let voxels: ContiguousArray<Int32>
    /// The world-space box of the surface inside each of `voxels`.
    public let boxes: ContiguousArray<Bounds3>

    /// Builds the grid's voxel list; nil when no voxel holds surface (Mitsuba refuses such a grid too).
    /// Values must be finite and there must be at least two samples along each axis.
    public init?(nx: Int, ny: Int, nz: Int, values: [Float], toWorld: Transform, smoothNormals: Bool) {
        precondition(nx >= 2 && ny >= 2 && nz >= 2 && values.count == nx * ny * nz)
        self.nx = nx; self.ny = ny; self.nz = nz
        self.values = ContiguousArray(values)
        self.toWorld = toWorld; self.toLocal = toWorld.inverse
        self.smoothNormals = smoothNormals
        var voxels = ContiguousArray<Int32>(), boxes = ContiguousArray<Bounds3>()
        let size = Vec3(1 / Double(nx - 1), 1 / Double(ny - 1), 1 / Double(nz - 1))
        for k in 0..<nz - 1 {
            for j in 0..<ny - 1 {
                for i in 0..<nx - 1 {
                    let base = i + nx * (j + ny * k)
                    let f = SDFGrid.corners(values, base, nx, ny)
                    guard (0..<8).contains(where: { f[$0] >= 0 }) && (0..<8).contains(where: { f[$0] <= 0 }) else { continue }
                    // The box of the corners on the surface and of the edges' crossings, in voxel units.
                    var local = Bounds3.empty
                    for c in 0..<8 {
                        let corner = SDFGrid.cornerOffset(c)
                        if f[c] == 0 { local = local.union(corner) }
                        for axis in 0..<3 where c & (1 << axis) == 0 {
                            let e = c | (1 << axis)
                            guard f[c] * f[e] <= 0 && f[c] != f[e] else { continue }
                            var p = corner
                            p[axis] = f[c] / (f[c] - f[e])
                            local = local.union(p)
                        }
                    }
                    // Into world space (all eight corners: to_world may rotate), padded by a
                    // thousandth of the voxel against rounding in the box tests.
                    var world = Bounds3.empty
                    for c in 0..<8 {
                        let o = SDFGrid.cornerOffset(c)
                        let q = Vec3(o.x == 0 ? local.lower.x : local.upper.x, o.y == 0 ? local.lower.y : local.upper.y,
                                     o.z == 0 ? local.lower.z : local.upper.z)
                        world = world.union(toWorld.point((q + Vec3(Double(i), Double(j), Double(k))) * size))
                    }
                    let voxelExtent = toWorld.vector(size)
                    let pad = Vec3(abs(voxelExtent.x), abs(voxelExtent.y), abs(voxelExtent.z)) * 1e-3
                    voxels.append(Int32(base))
                    boxes.append(Bounds3(lower: world.lower - pad, upper: world.upper + pad))
                }
            }
        }
        if voxels.isEmpty { return nil }
        self.voxels = voxels
        self.boxes = boxes
    }

    /// The world-space bounds of the whole grid (its unit cube).
    public var bounds: Bounds3 {
        (0..<8).reduce(Bounds3.empty) { $0.union(toWorld.point(SDFGrid.cornerOffset($1))) }
    }

    /// Corner `c` of the unit cube: (c & 1, (c >> 1) & 1, c >> 2).
    @inlinable @inline(__always)
    static func cornerOffset(_ c: Int) -> Vec3 { Vec3(Double(c & 1), Double((c >> 1) & 1), Double(c >> 2)) }

    /// The eight sample values of the voxel whose lower corner is sample `base`, indexed x + 2y + 4z.
    @inlinable @inline(__always)
    static func corners<C: RandomAccessCollection<Float>>(_ values: C, _ base: Int, _ nx: Int, _ ny: Int) -> SIMD8<Double>
        where C.Index == Int {
        var f = SIMD8<Double>()
        for c in 0..<8 { f[c] = Double(values[values.startIndex + base + (c & 1) + nx * (((c >> 1) & 1) + ny * (c >> 2))]) }
        return f
    }

    /// Grid steps per unit of local space along each axis (nx − 1, ny − 1, nz − 1).
    @inlinable public var resolution: Vec3 { Vec3(Double(nx - 1), Double(ny - 1), Double(nz - 1)) }

    /// The sample coordinates (i, j, k) of sample index `base`.
    @inlinable @inline(__always)
    func coordinates(_ base: Int) -> Vec3 {
        Vec3(Double(base % nx), Double((base / nx) % ny), Double(base / (nx * ny)))
    }

    /// The trilinear interpolant of corner values `f` at `w` in the unit cube.
    @inlinable @inline(__always)
    static func trilinear(_ f: SIMD8<Double>, _ w: Vec3) -> Double {
        func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double { a + (b - a) * t }
        let x0 = lerp(lerp(f[0], f[1], w.x), lerp(f[2], f[3], w.x), w.y)
        let x1 = lerp(lerp(f[4], f[5], w.x), lerp(f[6], f[7], w.x), w.y)
        return lerp(x0, x1, w.z)
    }

    /// The gradient of the trilinear interpolant of corner values `f` at `w`, per unit of `w`.
    @inlinable @inline(__always)
    static func trilinearGradient(_ f: SIMD8<Double>, _ w: Vec3) -> Vec3 {
        func bilerp(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ u: Double, _ v: Double) -> Double {
            (a + (b - a) * u) * (1 - v) + (c + (d - c) * u) * v
        }
        return Vec3(bilerp(f[1] - f[0], f[3] - f[2], f[5] - f[4], f[7] - f[6], w.y, w.z),
                    bilerp(f[2] - f[0], f[3] - f[1], f[6] - f[4], f[7] - f[5], w.x, w.z),
                    bilerp(f[4] - f[0], f[5] - f[1], f[6] - f[2], f[7] - f[3], w.x, w.y))
    }

    /// The first point along `o + t d` (world space) in (tMin, tMax) where the
    /// surface crosses voxel `k` of `voxels`: its distance t.
    public func intersect(voxel k: Int, o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> Double? {
        let base = Int(voxels[k])
        let res = resolution, v = coordinates(base)
        // The ray in voxel units (the voxel is [0, 1]³), with the same t.
        let lo = toLocal.point(o), ld = toLocal.vector(d)
        let origin = lo * res - v, dir = ld * res
        var t0 = tMin, t1 = tMax, enter = -1, exit = -1
        for a in 0..<3 {
            if dir[a] == 0 {
                if origin[a] < 0 || origin[a] > 1 { return nil }
                continue
            }
            var tn = -origin[a] / dir[a], tf = (1 - origin[a]) / dir[a]
            if tn > tf { swap(&tn, &tf) }
            if tn > t0 { t0 = tn; enter = a }
            if tf < t1 { t1 = tf; exit = a }
        }
        guard t0 < t1 else { return nil }
        let f = values.withUnsafeBufferPointer { SDFGrid.corners($0, base, nx, ny) }
        // The values where the ray enters and leaves, the crossed face's coordinate
        // snapped to 0 or 1, so that two voxels sharing a face see the same value there.
        var pBeg = origin + dir * t0, pEnd = origin + dir * t1
        let start = pBeg
        if enter >= 0 { pBeg[enter] = dir[enter] > 0 ? 0 : 1 }
        if exit >= 0 { pEnd[exit] = dir[exit] > 0 ? 1 : 0 }
        let clamp = { (p: Vec3) in Vec3(Swift.min(Swift.max(p.x, 0), 1), Swift.min(Swift.max(p.y, 0), 1), Swift.min(Swift.max(p.z, 0), 1)) }
        let fBeg = SDFGrid.trilinear(f, clamp(pBeg)), fEnd = SDFGrid.trilinear(f, clamp(pEnd))
        // The interpolant along the ray, g(s) = c0 + c1 s + c2 s² + c3 s³ for s = t − t0:
        // each corner's weight is a product of three linear factors.
        var c = (0.0, 0.0, 0.0, 0.0)
        for k in 0..<8 {
            let hi = (k & 1 != 0, k & 2 != 0, k & 4 != 0)
            let ax = hi.0 ? start.x : 1 - start.x, bx = hi.0 ? dir.x : -dir.x
            let ay = hi.1 ? start.y : 1 - start.y, by = hi.1 ? dir.y : -dir.y
            let az = hi.2 ? start.z : 1 - start.z, bz = hi.2 ? dir.z : -dir.z
            let q0 = ax * ay, q1 = ax * by + bx * ay, q2 = bx * by
            c.0 += f[k] * q0 * az
            c.1 += f[k] * (q0 * bz + q1 * az)
            c.2 += f[k] * (q1 * bz + q2 * az)
            c.3 += f[k] * q2 * bz
        }
        guard let s = SDFGrid.firstRoot(c, length: t1 - t0, g0: fBeg, g1: fEnd) else { return nil }
        let t = t0 + s
        return t > tMin && t < tMax ? t : nil
    }

    /// The first root in [0, length] of the cubic with coefficients `c` (constant first),
    /// whose end values are taken as `g0` and `g1`: the interval is split at the
    /// derivative's roots, and the first piece whose ends differ in sign (or touch 0)
    /// is solved by Newton's method safeguarded by bisection.
    static func firstRoot(_ c: (Double, Double, Double, Double), length: Double, g0: Double, g1: Double) -> Double? {
        func g(_ s: Double) -> Double { ((c.3 * s + c.2) * s + c.1) * s + c.0 }
        func dg(_ s: Double) -> Double { (3 * c.3 * s + 2 * c.2) * s + c.1 }
        var splits = [Double]()
        // Roots of 3 c3 s² + 2 c2 s + c1 (a line when c3 = 0).
        let a = 3 * c.3, b = 2 * c.2
        if a != 0 {
            let disc = b * b - 4 * a * c.1
            if disc >= 0 {
                let q = -0.5 * (b + (b >= 0 ? disc.squareRoot() : -disc.squareRoot()))
                let r = [q / a, q != 0 ? c.1 / q : -b / a].sorted()
                splits = r
            }
        } else if b != 0 {
            splits = [-c.1 / b]
        }
        var lo = 0.0, gLo = g0
        for end in splits.filter({ $0 > 0 && $0 < length }) + [length] {
            let gEnd = end == length ? g1 : g(end)
            if gLo == 0 { return lo }
            if gLo * gEnd <= 0 {
                // Newton–bisection in [lo, end], starting from the secant.
                var a = lo, b = end
                var s = gEnd == gLo ? 0.5 * (a + b) : a + (b - a) * (gLo / (gLo - gEnd))
                if !(s >= a && s <= b) { s = 0.5 * (a + b) }
                for _ in 0..<64 {
                    let v = g(s)
                    if v == 0 { return s }
                    if (v < 0) == (gLo < 0) { a = s } else { b = s }
                    var next = s - v / dg(s)
                    if !(next > a && next < b) { next = 0.5 * (a + b) }
                    let done = abs(next - s) <= 1e-12 * length
                    s = next
                    if done { break }
                }
                return s
            }
            lo = end; gLo = gEnd
        }
        return nil
    }

    /// The interpolant's value and gradient (per unit of local space) at local point `p`,
    /// within voxel `k` of `voxels` (its position clamped into that voxel).
    public func valueAndGradient(voxel k: Int, local p: Vec3) -> (value: Double, gradient: Vec3) {
        let base = Int(voxels[k]), res = resolution
        let w0 = p * res - coordinates(base)
        let w = Vec3(Swift.min(Swift.max(w0.x, 0), 1), Swift.min(Swift.max(w0.y, 0), 1), Swift.min(Swift.max(w0.z, 0), 1))
        let f = values.withUnsafeBufferPointer { SDFGrid.corners($0, base, nx, ny) }
        return (SDFGrid.trilinear(f, w), SDFGrid.trilinearGradient(f, w) * res)
    }

    /// The interpolant at grid coordinates `g` (sample units), each clamped into the grid.
    func interpolant(_ g: Vec3) -> Double {
        let n = [nx, ny, nz]
        var cell = [0, 0, 0], w = Vec3.zero
        for a in 0..<3 {
            let x = Swift.min(Swift.max(g[a], 0), Double(n[a] - 1))
            let i = Swift.min(Int(x.rounded(.down)), n[a] - 2)
            cell[a] = i; w[a] = x - Double(i)
        }
        let f = values.withUnsafeBufferPointer { SDFGrid.corners($0, cell[0] + nx * (cell[1] + ny * cell[2]), nx, ny) }
        return SDFGrid.trilinear(f, w)
    }

    /// Mitsuba's smooth shading normal at local point `p` (unit, local space; the
    /// caller turns it by `toWorld.normal`): the gradients of the eight voxels
    /// around the sample nearest to `p`, each the difference of the interpolant
    /// across that voxel along one axis at `p`'s other two coordinates, normalised
    /// and blended trilinearly by `p`'s position relative to the voxels' centres.
    /// Voxels below the grid's lower end get weight zero.
    public func smoothNormal(local p: Vec3) -> Vec3 {
        let res = resolution
        let g = p * res
        let lower = Vec3(g.x.rounded(.toNearestOrEven) - 1, g.y.rounded(.toNearestOrEven) - 1,
                         g.z.rounded(.toNearestOrEven) - 1)
        var uvw = g - lower - Vec3(repeating: 0.5)
        for a in 0..<3 where lower[a] < 0 { uvw[a] = 1 }
        var blended = Vec3.zero
        for c in 0..<8 {
            let voxel = lower + SDFGrid.cornerOffset(c)
            if voxel.x < 0 || voxel.y < 0 || voxel.z < 0 { continue }
            var grad = Vec3.zero
            for a in 0..<3 {
                var hi = g, lo = g
                hi[a] = voxel[a] + 1; lo[a] = voxel[a]
                grad[a] = (interpolant(hi) - interpolant(lo)) * res[a]
            }
            let len = grad.length
            guard len > 0 else { continue }
            let o = SDFGrid.cornerOffset(c)
            let weight = (o.x == 0 ? 1 - uvw.x : uvw.x) * (o.y == 0 ? 1 - uvw.y : uvw.y) * (o.z == 0 ? 1 - uvw.z : uvw.z)
            blended += grad * (weight / len)
        }
        return blended.normalized
    }
}
