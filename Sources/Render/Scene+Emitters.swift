import Foundation
import Geometry

extension Scene {
    /// Samples a point on shape `s` uniformly by area: the point and unit
    /// normal in `T`, and the shape's area in `T` (1 / pdf, reparameterised so
    /// that moving or resizing the shape moves the sample).
    @inlinable
    public func samplePoint(on s: Int, _ u: (Double, Double)) -> (p: Vector3<T>, n: Vector3<T>, area: T) {
        // Borrowed in place: copying a generic `Shape` per light sample cost more than the sample.
        shapes.withUnsafeBufferPointer { Shape.samplePoint(of: $0.baseAddress! + s, u) }
    }
}

extension Scene {
    /// The texture coordinates of the point `samplePoint(on:_:)` (or the
    /// sphere cone) gave for `u`, as a hit there would have them: a mesh's
    /// interpolated uv (its barycentrics without uvs), a sphere's from `point`,
    /// a disk's (r, φ / 2π), a cylinder's (φ / 2π, z / length). Held fixed
    /// (not differentiated): the texture's own values carry the derivatives.
    @inlinable
    public func sampledUV(on s: Int, _ u: (Double, Double), point: Vec3) -> (T, T) {
        let uv = shapes.withUnsafeBufferPointer { shapes -> (Double, Double) in
            let shape = shapes.baseAddress! + s
            if let m = shape.pointee.meshView {
                let (tri, b1, b2) = m.samplePosition(u)
                guard let uvs = m.uvs else { return (b1, b2) }
                let i0 = Int(m.indices[3 * tri]), i1 = Int(m.indices[3 * tri + 1]), i2 = Int(m.indices[3 * tri + 2])
                let b0 = 1 - b1 - b2
                return (b0 * uvs[i0].0 + b1 * uvs[i1].0 + b2 * uvs[i2].0, b0 * uvs[i0].1 + b1 * uvs[i1].1 + b2 * uvs[i2].1)
            }
            switch shape.pointee.geometry {
            case .mesh:
                preconditionFailure("a mesh shape has a mesh view")
            case .sphere:
                return Shape.sphereUV(of: shape, point: point)
            case .disk:
                let (x, y) = Warp.squareToUniformDiskConcentric(u)
                let phi = atan2(y, x)
                return ((x * x + y * y).squareRoot(), (phi < 0 ? phi + 2 * Double.pi : phi) / (2 * Double.pi))
            case .cylinder:
                return (u.1, u.0)
            case .sdfGrid:
                preconditionFailure("an sdfgrid cannot emit (refused at load)")
            }
        }
        return (T(uv.0), T(uv.1))
    }

    /// Next-event estimation: picks an emitter uniformly (as Mitsuba does) and
    /// samples a direction towards it from `si`. The weight includes the
    /// selection probability; the pdf too.
    @inlinable @inline(__always)
    public func sampleEmitter(from si: SurfaceInteraction<T>, _ uSelect: Double, _ u: (Double, Double)) -> EmitterSample<T>? {
        let count = emitters.count
        if count == 0 { return nil }
        let k = emitterIndex(uSelect)
        let scale = T(Double(count))
        // An animated light where it is at the shading point's time.
        if !emitterMotions.isEmpty, let moved = movedEmitter(k, at: si.time) { return sample(moved, from: si, scale: scale) }
        // Point lights from plain data (no copy of the `Emitter` enum per vertex).
        if let l = pointLights[k] { return sample(point: l, from: si, scale: scale) }
        // Constant-radiance area lights likewise.
        if let a = constantAreaLights[k] {
            return sample(area: a.shape, from: si, u, scale: scale, count: count) { _ in a.radiance }
        }
        // Emitters at infinity through their borrowed tables (no reference to an environment map's storage).
        if let e = environmentEmitters[k] { return e.sample(u, selection: scale, count: count) }
        switch emitters[k] {
        case .area(let a):
            return sample(area: a.shape, from: si, u, scale: scale, count: count) { a.radiance(at: sampledUV(on: a.shape, u, point: $0)) }
        case .point(let l):
            return sample(point: l, from: si, scale: scale)
        case .spot(let l):
            return sample(spot: l, from: si, scale: scale)
        case .projector(let l):
            let d = l.toWorld.origin - si.p
            let dist2 = d.lengthSquared
            if dist2.primal <= 0 { return nil }
            let intensity = l.radiantIntensity(towards: si.p)
            if intensity.isBlack { return nil }
            return EmitterSample(wi: d / T.sqrt(dist2), distance: T.sqrt(dist2).primal, weight: intensity * (scale / dist2),
                                 pdf: 0, isDelta: true)
        case .directional(let l):
            return EmitterSample(wi: -l.direction.normalized, distance: .infinity, weight: l.irradiance * scale, pdf: 0, isDelta: true)
        case .constant, .envmap:
            preconditionFailure("an emitter at infinity is sampled through environmentEmitters")
        }
    }

    /// The emitter `sampleEmitter` picks for `uSelect` (uniformly); the scene has at least one.
    @inlinable @inline(__always)
    public func emitterIndex(_ uSelect: Double) -> Int {
        let count = emitters.count
        return Swift.min(Int(uSelect * Double(count)), count - 1)
    }

    /// `sampleEmitter`'s sample of spot light `l` (selection weight `scale`).
    @inlinable @inline(__always)
    func sample(spot l: SpotLight<T>, from si: SurfaceInteraction<T>, scale: T) -> EmitterSample<T>? {
        let d = l.toWorld.origin - si.p
        let dist2 = d.lengthSquared
        if dist2.primal <= 0 { return nil }
        let dist = T.sqrt(dist2)
        let wi = d / dist
        let intensity = l.radiantIntensity(-wi)
        if intensity.isBlack { return nil }
        return EmitterSample(wi: wi, distance: dist.primal, weight: intensity * (scale / dist2), pdf: 0, isDelta: true)
    }

    /// A light sample on area light shape `shape` whose radiance at a sampled
    /// point is `le(point)`: within the cone a sphere subtends when seen from
    /// outside, else uniformly by area.
    @inlinable @inline(__always)
    func sample(area shape: Int, from si: SurfaceInteraction<T>, _ u: (Double, Double), scale: T, count: Int,
                radiance le: (Vec3) -> RGB<T>) -> EmitterSample<T>? {
        // Tested here, in line: most area lights are meshes, for which the call found no cone.
        let coneSampled = shapes.withUnsafeBufferPointer { ($0.baseAddress! + shape).pointee.isConeSampled }
        if coneSampled, let cone = sampleSphereCone(shape, from: si.p, u) {
            // A sphere seen from outside: a direction in the cone it subtends, weight L / pdf.
            let d = cone.p - si.p
            let dist = T.sqrt(d.lengthSquared)
            if !(dist.primal > 0) || dot(cone.n, d).primal >= 0 { return nil }
            let radiance = le(cone.p.primal)
            return EmitterSample(wi: d / dist, distance: dist.primal, weight: radiance * cone.solidAngle * scale,
                                 pdf: 1 / (cone.solidAngle.primal * Double(count)), isDelta: false,
                                 movingPdf: 1 / (cone.solidAngle * scale))
        }
        if let constant = constantMeshLightSample(shape, from: si.p, u, count: count) {
            guard let c = constant else { return nil }
            // The same products as below, their constant factors formed in doubles.
            return EmitterSample(wi: Vector3<T>(c.wi), distance: c.distance, weight: le(c.p) * T(c.cosL * c.area / c.dist2) * scale,
                                 pdf: c.pdf, isDelta: false, movingPdf: T(c.dist2 / (c.cosL * c.area * Double(count))))
        }
        let (p, n, area) = samplePoint(on: shape, u)
        let radiance = le(p.primal)
        let d = p - si.p
        let dist2 = d.lengthSquared
        let dist = T.sqrt(dist2)
        let wi = d / dist
        let cosL = -dot(n, wi)
        if cosL.primal <= 0 || dist2.primal <= 0 { return nil }  // back side of the emitter
        let pdf = dist2.primal / (cosL.primal * area.primal) / Double(count)
        return EmitterSample(wi: wi, distance: dist.primal, weight: radiance * (cosL * area / dist2) * scale,
                             pdf: pdf, isDelta: false, movingPdf: dist2 / (cosL * area * scale))
    }

    /// Reverse mode's light sample on a mesh light no key moves, seen from a
    /// constant point (keys of values only): every number of the sample but
    /// the radiance is then a constant, so it is computed in doubles (the same
    /// operations as `sample(area:...)` runs in `T`, so the same values) rather
    /// than through `Adjoint`, which tests each operand for a tape index.
    /// Returns nil when that does not apply, `.some(nil)` for a sample on the
    /// light's back side, else the point, the unit direction towards it, its
    /// distance and squared distance, the cosine at the light, the light's
    /// area and the solid-angle pdf including the selection of 1 in `count`.
    @inlinable @inline(__always)
    func constantMeshLightSample(_ shape: Int, from x: Vector3<T>, _ u: (Double, Double), count: Int)
        -> (p: Vec3, wi: Vec3, distance: Double, dist2: Double, cosL: Double, area: Double, pdf: Double)?? {
        guard T.self == Adjoint.self else { return nil }
        let mesh = shapes.withUnsafeBufferPointer { shapes -> (TriangleMesh.View, Bool)? in
            let s = shapes.baseAddress! + shape
            guard let m = s.pointee.meshView, s.pointee.vertices == nil, s.pointee.offset == nil else { return nil }
            return (m, s.pointee.flipNormals)
        }
        guard let mesh, Shape<T>.isConstant(x) else { return nil }
        let (m, flip) = mesh
        let (tri, b1, b2) = m.samplePosition(u)
        let (p0, p1, p2) = Shape<Double>.triangleVertices(m, tri, nil, nil)
        let (p, normal) = Shape<Double>.pointOnTriangle(p0, p1, p2, b1, b2)
        let n = flip ? -normal : normal, area = m.area
        let d = p - x.primal
        let dist2 = d.lengthSquared
        let dist = Double.sqrt(dist2)
        let wi = d / dist
        let cosL = -dot(n, wi)
        if cosL <= 0 || dist2 <= 0 { return .some(nil) }
        return (p, wi, dist, dist2, cosL, area, dist2 / (cosL * area) / Double(count))
    }

    /// `sampleEmitter`'s sample of point light `l` (selection weight `scale`).
    @inlinable @inline(__always)
    func sample(point l: PointLight<T>, from si: SurfaceInteraction<T>, scale: T) -> EmitterSample<T>? {
        let d = l.position - si.p
        let dist2 = d.lengthSquared
        if dist2.primal <= 0 { return nil }
        let dist = T.sqrt(dist2)
        return EmitterSample(wi: d / dist, distance: dist.primal, weight: l.intensity * (scale / dist2), pdf: 0, isDelta: true)
    }

    /// Solid-angle pdf with which `sampleEmitter` would have chosen the
    /// direction from `from` to the area-light point `si`.
    @inlinable
    public func areaEmitterPdf(_ si: SurfaceInteraction<T>, from: Vec3, direction: Vec3) -> Double {
        if let solidAngle = sphereConeSolidAngle(si.shape, from: from) { return 1 / (solidAngle * Double(emitters.count)) }
        let dist2 = (si.p.primal - from).lengthSquared
        let cosL = abs(dot(si.ng.primal, direction))
        if cosL <= 0 { return 0 }
        let area = shapes.withUnsafeBufferPointer { Shape.area(of: $0.baseAddress! + si.shape) }
        return dist2 / (cosL * area) / Double(emitters.count)
    }

    /// `areaEmitterPdf` in `T`: the hit and the point it was seen from carry
    /// their motion (a sphere light's cone moves and grows with it); a
    /// mesh light's area is held fixed.
    @inlinable
    public func movingAreaEmitterPdf(_ si: SurfaceInteraction<T>, from: Vector3<T>, direction: Vector3<T>) -> T {
        let (area, coneSampled, centre, radius) = shapes.withUnsafeBufferPointer {
            let s = $0.baseAddress! + si.shape
            return (Shape.area(of: s), s.pointee.isConeSampled, s.pointee.placedCenter, s.pointee.radius)
        }
        if coneSampled {
            let dc2 = (centre - from).lengthSquared
            if dc2.primal > Scene.sphereOutside * radius.primal * radius.primal {
                return 1 / (Scene.coneSolidAngle(sinMax2: radius * radius / dc2) * T(Double(emitters.count)))
            }
        }
        let cosL = dot(si.ng, direction).magnitude
        if cosL.primal <= 0 { return 0 }
        return (si.p - from).lengthSquared / (cosL * T(area * Double(emitters.count)))
    }

    /// Solid-angle pdf of sampling escaping direction `d` towards environment emitter `k`.
    @inlinable
    public func environmentPdf(_ k: Int, _ d: Vec3) -> Double {
        (environmentEmitters[k]?.pdf(d) ?? 0) / Double(emitters.count)
    }
}

extension Scene {
    /// Mitsuba's `sphere` `sample_direction` from a point outside the sphere: a direction uniform in
    /// the cone the sphere subtends (the visible-sphere construction of Akalin, with Mitsuba's series
    /// for cones under 1.5°), the point where it meets the sphere, its unit normal and the cone's solid
    /// angle 2π (1 − cos θmax) (1 / pdf). Every value is in `T`: the point moves with the sphere's
    /// centre and radius and with `from`, and the solid angle is the sample's Jacobian. Nil when shape
    /// `s` is no sphere, has flipped normals, or `from` lies inside it or on its surface (those are sampled
    /// by area).
    @inlinable
    public func sampleSphereCone(_ s: Int, from: Vector3<T>, _ u: (Double, Double)) -> (p: Vector3<T>, n: Vector3<T>, solidAngle: T)? {
        shapes.withUnsafeBufferPointer { shapes -> (p: Vector3<T>, n: Vector3<T>, solidAngle: T)? in
            let shape = shapes.baseAddress! + s
            guard shape.pointee.isConeSampled else { return nil }
            let centre = shape.pointee.placedCenter, radius = shape.pointee.radius
            let toCentre = centre - from
            let dc2 = toCentre.lengthSquared
            if !(dc2.primal > Scene.sphereOutside * radius.primal * radius.primal) { return nil }
            let invDistance = 1 / T.sqrt(dc2)
            let sinMax2 = radius * radius * invDistance * invDistance
            let cosMax = Fresnel.safeSqrt(1 - sinMax2)  // sin θmax may round above 1 on the surface
            // sin² θ of the sampled direction, measured from the axis of the cone.
            let sin2 = sinMax2.primal > 0.00068523
                ? 1 - (1 + (cosMax - 1) * T(u.0)) * (1 + (cosMax - 1) * T(u.0))
                : sinMax2 * T(u.0)
            let cosTheta = Fresnel.safeSqrt(1 - sin2)
            // The angle at the centre between the axis and the sampled point.
            let cosAlpha = sin2 / (radius * invDistance)
                + cosTheta * Fresnel.safeSqrt(1 - sin2 / sinMax2)
            let sinAlpha = Fresnel.safeSqrt(1 - cosAlpha * cosAlpha)
            let phi = 2 * Double.pi * u.1
            let local = Vector3<T>(T(cos(phi)) * sinAlpha, T(sin(phi)) * sinAlpha, cosAlpha)
            let n = Frame(normal: -toCentre * invDistance).toWorld(local)
            let solidAngle = T(2 * Double.pi) * sinMax2 / (1 + cosMax)
            return (centre + n * radius, n, solidAngle)
        }
    }

    /// The solid angle `sampleSphereCone` samples from `from` towards shape `s`, in doubles (nil when it
    /// would not sample that shape by cone).
    @inlinable
    public func sphereConeSolidAngle(_ s: Int, from: Vec3) -> Double? {
        shapes.withUnsafeBufferPointer { shapes -> Double? in
            let shape = shapes.baseAddress! + s
            guard shape.pointee.isConeSampled else { return nil }
            let radius = shape.pointee.radius.primal
            let dc2 = (shape.pointee.placedCenter.primal - from).lengthSquared
            if !(dc2 > Scene.sphereOutside * radius * radius) { return nil }
            return Scene.coneSolidAngle(sinMax2: radius * radius / dc2)
        }
    }

    /// The solid angle of a cone whose half-angle has sine² `sinMax2`:
    /// 2π(1 − cos θmax), written 2π sin²θmax / (1 + cos θmax) for small cones.
    @inlinable @inline(__always)
    static func coneSolidAngle<U: Real>(sinMax2: U) -> U {
        U(2 * Double.pi) * sinMax2 / (1 + U.sqrt(Swift.max(1 - sinMax2, U(0))))
    }

    /// A point is outside a sphere when its squared distance from the centre exceeds this times the
    /// squared radius. Points on the surface are not: seen from there the cone is a half-space whose
    /// samples all fall on the point itself (Mitsuba, which counts them as outside, gives them pdf 0);
    /// sampled by area, the sphere's own light is correctly behind them.
    @usableFromInline static var sphereOutside: Double { (1 + 1e-6) * (1 + 1e-6) }
}

/// The power heuristic with exponent 2 (Veach 1997), as Mitsuba's `mis_weight`;
/// in `T` where the pdfs move with the scene.
@inlinable @inline(__always)
public func misWeight<U: Real>(_ a: U, _ b: U) -> U {
    let a2 = a * a, b2 = b * b
    return (a2 + b2).primal > 0 ? a2 / (a2 + b2) : 0
}

extension Shape {
    /// A point sampled uniformly by area, its unit normal, and the area (1 / pdf).
    @inlinable
    public func samplePoint(_ u: (Double, Double)) -> (p: Vector3<T>, n: Vector3<T>, area: T) {
        withUnsafePointer(to: self) { Shape.samplePoint(of: $0, u) }
    }

    /// `samplePoint(_:)` on a shape borrowed in place (it reads the fields it needs).
    @inlinable
    public static func samplePoint(of s: UnsafePointer<Shape<T>>, _ u: (Double, Double)) -> (p: Vector3<T>, n: Vector3<T>, area: T) {
        var p: Vector3<T>, n: Vector3<T>, area: T
        let offset = s.pointee.offset
        // A mesh through its borrowed view: no reference to the mesh is taken per light sample.
        if let m = s.pointee.meshView {
            let (tri, b1, b2) = m.samplePosition(u)
            let (p0, p1, p2) = triangleVertices(m, tri, s.pointee.vertices, offset)
            (p, n) = pointOnTriangle(p0, p1, p2, b1, b2)
            area = T(m.area)
        } else {
            switch s.pointee.geometry {
            case .mesh:
                preconditionFailure("a mesh shape has a mesh view")
            case .sphere:
                let d = Warp.squareToUniformSphere(u)
                let radius = s.pointee.radius
                n = Vector3<T>(d)
                p = placed(s.pointee.center, offset) + n * radius
                area = 4 * T.pi * radius * radius
            case .disk(let toWorld):
                let (x, y) = Warp.squareToUniformDiskConcentric(u)
                p = placed(toWorld.point(Vector3<T>(T(x), T(y), 0)), offset)
                let ax = turned(toWorld.vector(Vector3<T>(1, 0, 0)), offset), ay = turned(toWorld.vector(Vector3<T>(0, 1, 0)), offset)
                let c = cross(ax, ay)
                n = c.normalized
                area = T.pi * c.length
            case .cylinder(let cyl):
                // As Mitsuba: u.0 along the axis, u.1 around it from the local x axis.
                let (base, axis, x, y) = cylinderFrame(cyl, offset)
                let radius = s.pointee.radius
                let phi = 2 * Double.pi * u.1
                n = x * T(cos(phi)) + y * T(sin(phi))
                p = base + axis * T(u.0 * cyl.length) + n * radius
                area = 2 * T.pi * radius * T(cyl.length)
            case .sdfGrid:
                preconditionFailure("an sdfgrid cannot emit (refused at load)")
            }
        }
        if s.pointee.flipNormals { n = -n }
        return (p, n, area)
    }

    /// The point with barycentrics (`b1`, `b2`) on the triangle (`p0`, `p1`,
    /// `p2`) and the triangle's unit normal (by the winding, not flipped).
    @inlinable @inline(__always)
    static func pointOnTriangle(_ p0: Vector3<T>, _ p1: Vector3<T>, _ p2: Vector3<T>, _ b1: Double, _ b2: Double)
        -> (p: Vector3<T>, n: Vector3<T>) {
        (p0 * T(1 - b1 - b2) + p1 * T(b1) + p2 * T(b2), cross(p1 - p0, p2 - p0).normalized)
    }
}

extension Shape {
    /// Whether, as an area light, this shape is sampled over the cone it subtends from a point
    /// outside it (`Scene.sampleSphereCone`): a sphere whose normals point outwards.
    @inlinable
    public var isConeSampled: Bool {
        if case .sphere = geometry { return !flipNormals }
        return false
    }
}
