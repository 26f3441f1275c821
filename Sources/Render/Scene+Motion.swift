import Geometry

/// The sensor's shutter, as Mitsuba 3's sensors: open from `open` to `close`
/// (`shutter_open`, `shutter_close`, scene time units), a camera ray's time
/// uniform over that span; closed (`close == open`, the default) every ray
/// is at time `open` and no random number is drawn for it.
///
/// A rolling shutter (`rolling_shutter_type` top, bottom, left or right) gives
/// each line of the film its own window of the span: the line at fraction s of
/// the film in the scan direction (0 at the first line scanned) sees times
/// open + (close − open) (s (1 − d) + u d), u uniform, d =
/// `rolling_shutter_duration` (the fraction of the span each line is exposed,
/// 1 by default: every line sees the whole span). s follows the sample's
/// continuous film position. This is the model of Cycles' rolling shutter,
/// whose parameter names Mitsuba's scenes use.
///
/// ```xml
/// <sensor type="perspective">
///     <float name="shutter_open" value="0"/>
///     <float name="shutter_close" value="1"/>
///     <string name="rolling_shutter_type" value="top"/>
///     <float name="rolling_shutter_duration" value="0.5"/>
/// </sensor>
/// ```
public struct Shutter: Sendable, Equatable {
    public enum Rolling: String, Sendable, CaseIterable { case none, top, bottom, left, right }
    public var open: Double
    public var close: Double
    public var rolling: Rolling
    public var rollingDuration: Double
    public init(open: Double = 0, close: Double = 0, rolling: Rolling = .none, rollingDuration: Double = 1) {
        self.open = open; self.close = close; self.rolling = rolling; self.rollingDuration = rollingDuration
    }

    /// Whether rays spread over time (a random number is drawn per camera ray).
    @inlinable public var isOpen: Bool { close > open }

    /// The time of a camera ray at film position (fx, fy) of a `width` × `height`
    /// film with the uniform number `u`.
    @inlinable
    public func time(filmX fx: Double, filmY fy: Double, width: Int, height: Int, u: Double) -> Double {
        let s: Double
        switch rolling {
        case .none: return open + (close - open) * u
        case .top: s = fy / Double(height)
        case .bottom: s = 1 - fy / Double(height)
        case .left: s = fx / Double(width)
        case .right: s = 1 - fx / Double(width)
        }
        let d = rollingDuration
        return open + (close - open) * (s * (1 - d) + u * d)
    }
}

/// An animated `instance`: its group's shapes, kept in the group's own space
/// (`Scene.shapes[firstShape ..< firstShape + count]`, left out of the
/// scene's acceleration structure) with their own structure `accel`, placed
/// at time t by `motion.transform(at: t)`. A ray is carried into the group's
/// space at its time and meets the shapes there (the hit's distance is the
/// same in both spaces: the direction is transformed, not renormalised);
/// `bounds` holds the group at every time, in world space.
public struct MovingGroup: Sendable {
    public var motion: AnimatedTransform
    public var accel: Accelerator
    public var firstShape: Int
    public var count: Int
    public var bounds: Bounds3
    public init(motion: AnimatedTransform, accel: Accelerator, firstShape: Int, count: Int) {
        self.motion = motion; self.accel = accel; self.firstShape = firstShape; self.count = count
        bounds = motion.bounds(of: accel.bounds)
    }
}

extension Bounds3 {
    /// Whether the ray o + t d meets the box for some t in (0, tMax) (the slab test).
    @inlinable
    func isHit(o: Vec3, d: Vec3, tMax: Double) -> Bool {
        var t0 = 0.0, t1 = tMax
        for a in 0..<3 {
            let inv = 1 / d[a]
            var near = (lower[a] - o[a]) * inv, far = (upper[a] - o[a]) * inv
            if near > far { swap(&near, &far) }
            t0 = Swift.max(t0, near.isNaN ? -.infinity : near)
            t1 = Swift.min(t1, far.isNaN ? .infinity : far)
            if t0 > t1 * (1 + 1e-12) { return false }
        }
        return true
    }
}

extension Scene {
    /// The camera ray through film position (fx, fy): at time `camera.shutter.open`
    /// unless the shutter is open, when one number of `sampler` picks its time;
    /// from the camera's pose at that time when the sensor is animated.
    @inlinable @inline(__always)
    public func cameraRay(filmX fx: Double, filmY fy: Double, tanHalfFov tanX: T, sampler: inout PathSampler) -> Ray<T> {
        if camera.motion == nil && !camera.shutter.isOpen { return camera.ray(filmX: fx, filmY: fy, tanHalfFov: tanX) }
        return timedCameraRay(filmX: fx, filmY: fy, tanHalfFov: tanX, sampler: &sampler)
    }

    @inlinable
    func timedCameraRay(filmX fx: Double, filmY fy: Double, tanHalfFov tanX: T, sampler: inout PathSampler) -> Ray<T> {
        let shutter = camera.shutter
        let time = shutter.isOpen
            ? shutter.time(filmX: fx, filmY: fy, width: camera.width, height: camera.height, u: sampler.next()) : shutter.open
        var cam = camera
        if let motion = camera.motion {
            cam.toWorld = RigidFrame<Double>(motion.transform(at: time)).constant(T.self)
        }
        var ray = cam.ray(filmX: fx, filmY: fy, tanHalfFov: tanX)
        ray.time = time
        return ray
    }

    /// `intersect` for a scene with moving groups: the closest of the static
    /// structure's hit and each group's, the group's recomputed in its own
    /// space and carried back to world space at the ray's time.
    @inlinable
    func intersectMoving(_ ray: Ray<T>) -> SurfaceInteraction<T>? {
        let r = ray.primal
        // as `intersect`; a ray's parameter t is the same in a group's space
        let start = tMin(r)
        var best = accel.intersect(o: r.o, d: r.d, tMin: start)
        var tMax = best?.t ?? .infinity
        var group = -1
        var place = Transform.identity, toGroup = Transform.identity
        for g in movingGroups.indices where movingGroups[g].bounds.isHit(o: r.o, d: r.d, tMax: tMax) {
            let x = movingGroups[g].motion.transform(at: ray.time)
            let toLocal = x.inverse
            if let h = movingGroups[g].accel.intersect(o: toLocal.point(r.o), d: toLocal.vector(r.d), tMin: start, tMax: tMax) {
                best = h; tMax = h.t; group = g; place = x; toGroup = toLocal
            }
        }
        guard let hit = best else { return nil }
        if group < 0 { return interaction(ray, staticHit: hit) }
        let m = movingGroups[group]
        let prim = m.accel.primitives[Int(hit.primitive)]
        let shapeIndex = m.firstShape + Int(prim.shape)
        let local = Ray(o: toGroup.point(ray.o), d: toGroup.vector(ray.d))
        return shapes.withUnsafeBufferPointer {
            let shape = $0.baseAddress! + shapeIndex
            let si = Shape.interaction(of: shape, ray: local, hit: hit, triangle: Int(prim.index), shapeIndex: shapeIndex,
                                       tangents: tangentsNeeded[shape.pointee.bsdf])
            return si.placed(by: place, seenAlong: ray)
        }
    }

    /// `occluded`'s query against the moving groups at `time`.
    @inlinable
    func movingOccluded(o: Vec3, d: Vec3, tMin: Double, tMax: Double, time: Double) -> Bool {
        for m in movingGroups where m.bounds.isHit(o: o, d: d, tMax: tMax) {
            let toLocal = m.motion.transform(at: time).inverse
            if m.accel.occluded(o: toLocal.point(o), d: toLocal.vector(d), tMin: tMin, tMax: tMax) { return true }
        }
        return false
    }

    /// The number of shapes in `accel`: those before the first moving group's.
    public var staticShapeCount: Int { movingGroups.first?.firstShape ?? shapes.count }

    /// `sampleEmitter` for a moved light (`movedEmitter`): point and spot lights.
    @inlinable
    func sample(_ moved: Emitter<T>, from si: SurfaceInteraction<T>, scale: T) -> EmitterSample<T>? {
        switch moved {
        case .point(let l): return sample(point: l, from: si, scale: scale)
        case .spot(let l): return sample(spot: l, from: si, scale: scale)
        default: return nil
        }
    }

    /// Emitter `k` at `time` when it is animated (point and spot lights), else nil.
    @inlinable
    func movedEmitter(_ k: Int, at time: Double) -> Emitter<T>? {
        guard let motion = emitterMotions[k] else { return nil }
        let f = RigidFrame<Double>(motion.transform(at: time))
        switch emitters[k] {
        case .point(var l):
            l.position = Vector3<T>(f.origin)
            return .point(l)
        case .spot(var l):
            l.toWorld = f.constant(T.self)
            return .spot(l)
        default:
            return nil
        }
    }
}

extension SurfaceInteraction {
    /// The interaction found in a moving group's own space, carried to world
    /// space by `place` (positions and tangents by the transform, normals by
    /// its inverse transpose) and seen along the world ray `ray`.
    @inlinable
    func placed(by place: Transform, seenAlong ray: Ray<T>) -> SurfaceInteraction<T> {
        var si = self
        si.p = place.point(p)
        si.ng = place.normal(ng).normalized
        let ns = place.normal(shading.n).normalized
        si.shading = Frame(normal: ns)
        si.wi = si.shading.toLocal(-ray.d)
        si.dpdu = place.vector(dpdu)
        si.dpdv = place.vector(dpdv)
        si.time = ray.time
        return si
    }
}
