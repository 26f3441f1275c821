/// The fixed kernel of `diffray bench ad`: rays from a pinhole camera hit a
/// sphere lit by a point light, shaded with Lambert plus a Blinn–Phong lobe.
/// The same generic code runs on `Double` (primal), `Dual8` (forward mode,
/// one partial for each of the 8 parameters) and `Adjoint` (reverse mode,
/// one short tape a ray, accumulated into the parameters' adjoints).
///
/// Parameters, in order: sphere centre x, y, z; sphere radius; albedo r, g, b;
/// light position x. The differentiated output is Σ over rays of
/// w · radiance with fixed colour weights w (a stand-in for pixel adjoints).
///
/// Two kernels: `full` runs everything, intersection included, in `T`;
/// `scene` traces 16 spheres the way the renderer does (closest hit and
/// shadow ray in `Double`, the chosen hit recomputed and shaded in `T`).
public struct ADBenchmark {
    /// Number of differentiated scene parameters.
    public static let parameterCount = 8
    /// Their values: centre (0.1, −0.05, 0.2), radius 0.8, albedo
    /// (0.7, 0.5, 0.3), light x 1.5.
    public static let parameters: [Double] = [0.1, -0.05, 0.2, 0.8, 0.7, 0.5, 0.3, 1.5]
    /// Colour weights of the differentiated output (the "pixel adjoint").
    public static let weights: (Double, Double, Double) = (1, 0.7, 0.4)

    /// Unit ray directions from the camera at (0, 0, −3), one per pixel of a square grid.
    public let directions: ContiguousArray<SIMD3<Double>>

    /// About `rays` rays (rounded to a square grid), ~80% of them hitting the sphere.
    public init(rays: Int) {
        let side = Swift.max(1, Int(Double(rays).squareRoot().rounded()))
        var d = ContiguousArray<SIMD3<Double>>()
        d.reserveCapacity(side * side)
        for j in 0..<side {
            for i in 0..<side {
                let u = (Double(i) + 0.5) / Double(side) * 2 - 1
                let v = (Double(j) + 0.5) / Double(side) * 2 - 1
                let w = SIMD3(u * 0.3, v * 0.3, 1.0)
                d.append(w / (w * w).sum().squareRoot())
            }
        }
        directions = d
    }

    public var rayCount: Int { directions.count }

    // MARK: The kernel

    /// A three-vector over the scalar (the kernel's own, to stay self-contained).
    @frozen @usableFromInline
    struct V<T: Real> {
        @usableFromInline var x, y, z: T
        @inlinable @inline(__always) init(_ x: T, _ y: T, _ z: T) { self.x = x; self.y = y; self.z = z }
        @inlinable @inline(__always) static func + (a: V, b: V) -> V { V(a.x + b.x, a.y + b.y, a.z + b.z) }
        @inlinable @inline(__always) static func - (a: V, b: V) -> V { V(a.x - b.x, a.y - b.y, a.z - b.z) }
        @inlinable @inline(__always) static func * (a: V, s: T) -> V { V(a.x * s, a.y * s, a.z * s) }
        @inlinable @inline(__always) func dot(_ b: V) -> T { T.dot3(x, y, z, b.x, b.y, b.z) }
        @inlinable @inline(__always) var lengthSquared: T { T.lengthSquared3(x, y, z) }
        /// The unit vector; the vector itself if its length is 0 (primal branch).
        @inlinable @inline(__always) func normalized() -> V {
            let (nx, ny, nz) = T.normalized3(x, y, z)
            return V(nx, ny, nz)
        }
    }

    /// The radiance (r, g, b) seen along `direction` from the camera, for
    /// the scene parameters `p` (see the type's documentation): everything,
    /// intersection included, in `T`.
    @inlinable @inline(__always)
    public static func shade<T: Real>(direction: SIMD3<Double>, _ p: (T, T, T, T, T, T, T, T)) -> (T, T, T) {
        shadeHit(direction: direction, centre: V(p.0, p.1, p.2), radius: p.3,
                 albedo: (p.4, p.5, p.6), lightX: p.7, lit: true)
    }

    /// The background radiance.
    @inlinable @inline(__always)
    static func background<T: Real>() -> (T, T, T) { (T(0.02), T(0.02), T(0.03)) }

    /// Intersects the ray with the sphere and shades the hit: Lambert plus
    /// a Blinn–Phong lobe (exponent 32), lit by a point light of intensity 6
    /// at (`lightX`, 1.8, −1.5) when `lit`, plus a small ambient term.
    @inlinable @inline(__always)
    static func shadeHit<T: Real>(direction: SIMD3<Double>, centre: V<T>, radius: T,
                                  albedo: (T, T, T), lightX: T, lit: Bool) -> (T, T, T) {
        let o = V<T>(T(0), T(0), T(-3))
        let d = V<T>(T(direction.x), T(direction.y), T(direction.z))
        // Ray–sphere intersection; branches on primal values.
        let oc = o - centre
        let b = oc.dot(d)
        let c = oc.lengthSquared - radius * radius
        let disc = b * b - c
        if disc < 0 { return background() }
        let t = -b - sqrt(disc)
        if t < 0 { return background() }
        let hit = V(T.mulAdd(d.x, t, o.x), T.mulAdd(d.y, t, o.y), T.mulAdd(d.z, t, o.z))
        let n = (hit - centre).normalized()
        guard lit else { return (albedo.0 * T(0.05), albedo.1 * T(0.05), albedo.2 * T(0.05)) }
        let toLight = V(lightX, T(1.8), T(-1.5)) - hit
        let dist2 = toLight.lengthSquared
        let l = toLight * (1 / sqrt(dist2))
        let cosTheta = max(n.dot(l), T(0))
        let irradiance = T(6) * cosTheta / dist2
        // Blinn–Phong lobe, exponent 32 by repeated squaring.
        let h = (l - d).normalized()
        let nh = max(n.dot(h), T(0))
        let nh2 = nh * nh, nh4 = nh2 * nh2, nh8 = nh4 * nh4, nh16 = nh8 * nh8
        let specular = nh16 * nh16 * irradiance * T(0.25)
        let diffuse = T.mulAdd(irradiance, T(1 / Double.pi), T(0.05))
        return (T.mulAdd(albedo.0, diffuse, specular), T.mulAdd(albedo.1, diffuse, specular),
                T.mulAdd(albedo.2, diffuse, specular))
    }

    // MARK: Split tracing, as the renderer does it

    /// Fixed spheres around the parametrised one, as (centre, radius).
    public static let otherSpheres: [(SIMD3<Double>, Double)] = (0..<15).map { k in
        let a = Double(k) / 15 * 2 * Double.pi
        return (SIMD3(1.25 * Double.cos(a), 1.25 * Double.sin(a), 2.0 + 0.1 * Double(k % 3)), 0.3)
    }

    /// The nearest positive hit distance of a ray with a sphere, or ∞ (Double).
    @inlinable @inline(__always)
    static func hitDistance(_ o: SIMD3<Double>, _ d: SIMD3<Double>, _ centre: SIMD3<Double>, _ radius: Double) -> Double {
        let oc = o - centre
        let b = (oc * d).sum()
        let disc = b * b - ((oc * oc).sum() - radius * radius)
        if disc < 0 { return .infinity }
        let s = disc.squareRoot()
        let t = -b - s
        return t > 1e-6 ? t : (-b + s > 1e-6 ? -b + s : .infinity)
    }

    /// The radiance along `direction` in a scene of 16 spheres (the
    /// parametrised one plus `otherSpheres`), traced as DiffRay's renderer
    /// does (docs/design.md, split tracing): the closest-hit search and the shadow
    /// ray run in `Double` over all spheres and are not differentiated; the
    /// hit on the chosen sphere is recomputed and shaded in `T`.
    @inlinable @inline(__always)
    public static func shadeScene<T: Real>(direction: SIMD3<Double>, _ p: (T, T, T, T, T, T, T, T),
                                           others: UnsafeBufferPointer<(SIMD3<Double>, Double)>) -> (T, T, T) {
        let o = SIMD3<Double>(0, 0, -3)
        let centre0 = SIMD3(p.0.primal, p.1.primal, p.2.primal)
        var best = hitDistance(o, direction, centre0, p.3.primal), chosen = -1
        for k in 0..<others.count {
            let t = hitDistance(o, direction, others[k].0, others[k].1)
            if t < best { best = t; chosen = k }
        }
        if best == .infinity { return background() }
        // Shadow ray towards the light, in Double.
        let hit = o + direction * best
        let light = SIMD3(p.7.primal, 1.8, -1.5)
        let toLight = light - hit
        let distance = (toLight * toLight).sum().squareRoot()
        let l = toLight / distance
        var lit = chosen == -1 || hitDistance(hit, l, centre0, p.3.primal) >= distance
        for k in 0..<others.count where k != chosen && lit {
            if hitDistance(hit, l, others[k].0, others[k].1) < distance { lit = false }
        }
        // The differentiable part.
        if chosen == -1 {
            return shadeHit(direction: direction, centre: V(p.0, p.1, p.2), radius: p.3,
                            albedo: (p.4, p.5, p.6), lightX: p.7, lit: lit)
        }
        let (c, r) = others[chosen]
        return shadeHit(direction: direction, centre: V(T(c.x), T(c.y), T(c.z)), radius: T(r),
                        albedo: (T(0.6), T(0.6), T(0.6)), lightX: p.7, lit: lit)
    }

    // MARK: The three modes

    /// Which kernel: everything in `T` (`full`), or split tracing with 16
    /// spheres (`scene`).
    public enum Kernel: String, CaseIterable, Sendable {
        case full, scene
    }

    @inlinable @inline(__always)
    static func run<T: Real>(_ kernel: Kernel, _ d: SIMD3<Double>, _ p: (T, T, T, T, T, T, T, T),
                             _ others: UnsafeBufferPointer<(SIMD3<Double>, Double)>) -> (T, T, T) {
        switch kernel {
        case .full: return shade(direction: d, p)
        case .scene: return shadeScene(direction: d, p, others: others)
        }
    }

    /// Σ w · radiance over all rays, in `Double`.
    @inlinable
    public func primal(_ kernel: Kernel = .full) -> Double {
        let q = Self.parameters
        let p = (q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7])
        let (wr, wg, wb) = Self.weights
        var sum = 0.0
        Self.otherSpheres.withUnsafeBufferPointer { others in
            for d in directions {
                let (r, g, b) = Self.run(kernel, d, p, others)
                sum += wr * r + wg * g + wb * b
            }
        }
        return sum
    }

    /// The value and gradient of `primal()` by forward mode (Dual8, all 8
    /// parameters in one pass).
    @inlinable
    public func forward(_ kernel: Kernel = .full) -> (value: Double, gradient: [Double]) {
        let q = Self.parameters
        let p = (Dual8(q[0], variable: 0), Dual8(q[1], variable: 1), Dual8(q[2], variable: 2),
                 Dual8(q[3], variable: 3), Dual8(q[4], variable: 4), Dual8(q[5], variable: 5),
                 Dual8(q[6], variable: 6), Dual8(q[7], variable: 7))
        let (wr, wg, wb) = Self.weights
        var value = 0.0
        var partials = SIMD8<Double>()
        Self.otherSpheres.withUnsafeBufferPointer { others in
            for d in directions {
                let (r, g, b) = Self.run(kernel, d, p, others)
                value += wr * r.value + wg * g.value + wb * b.value
                partials += wr * r.partials + wg * g.partials + wb * b.partials
            }
        }
        return (value, (0..<8).map { partials[$0] })
    }

    /// The value and gradient of `primal()` by reverse mode: the parameters
    /// are leaves at the bottom of the current thread's tape; each ray is
    /// recorded above them, propagated with the colour weights as seeds and
    /// forgotten (path replay), so the tape stays a ray long.
    @inlinable
    public func reverse(_ kernel: Kernel = .full) -> (value: Double, gradient: [Double]) {
        let tape = Tape.current
        let start = tape.count
        defer { tape.truncate(to: start) }
        let q = Self.parameters
        let p = (tape.variable(q[0]), tape.variable(q[1]), tape.variable(q[2]), tape.variable(q[3]),
                 tape.variable(q[4]), tape.variable(q[5]), tape.variable(q[6]), tape.variable(q[7]))
        let mark = tape.count
        let (wr, wg, wb) = Self.weights
        var value = 0.0
        Self.otherSpheres.withUnsafeBufferPointer { others in
            for d in directions {
                let (r, g, b) = Self.run(kernel, d, p, others)
                value += wr * r.value + wg * g.value + wb * b.value
                tape.backward(r, g, b, seeds: wr, wg, wb, from: mark)
                tape.truncate(to: mark)
            }
        }
        let leaves = [p.0, p.1, p.2, p.3, p.4, p.5, p.6, p.7]
        return (value, leaves.map { tape.adjoint(of: $0) })
    }
}
