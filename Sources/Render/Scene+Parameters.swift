import Geometry
import SceneFile

/// Differentiable parameters of a scene, named like Mitsuba's `mi.traverse`
/// keys, plus DiffRay's rigid pose offsets `<id>.translate` and `<id>.rotate`
/// (zero at load) for every shape and the sensor.
extension Scene where T == Double {
    /// Every parameter with its current value, in a stable order.
    public func parameters() -> [ParameterInfo] {
        var out = [ParameterInfo]()
        let c = camera
        out.append(ParameterInfo(key: sensorID + ".x_fov", values: [c.xFov]))
        out.append(ParameterInfo(key: sensorID + ".to_world", values: c.baseToWorld.matrix))
        out.append(ParameterInfo(key: sensorID + ".translate", values: [c.translate.x, c.translate.y, c.translate.z]))
        out.append(ParameterInfo(key: sensorID + ".rotate", values: [c.rotate.x, c.rotate.y, c.rotate.z]))
        out += c.lensParameters(sensorID: sensorID)
        for (i, b) in bsdfs.enumerated() {
            out += b.parameters(prefix: bsdfPrefixes[i])
        }
        for (i, e) in emitters.enumerated() {
            let p = emitterPrefixes[i]
            switch e {
            case .area(let l):
                if let t = l.texture { out += t.parameters(prefix: p + "radiance.") } else {
                    out.append(ParameterInfo(key: p + "radiance.value", values: l.radiance.array))
                }
            case .point(let l):
                out.append(ParameterInfo(key: p + "intensity.value", values: l.intensity.array))
                out.append(ParameterInfo(key: p + "position", values: l.position.array))
            case .spot(let l):
                out.append(ParameterInfo(key: p + "intensity.value", values: l.intensity.array))
                out += l.texture?.parameters(prefix: p + "texture.") ?? []
            case .directional(let l): out.append(ParameterInfo(key: p + "irradiance.value", values: l.irradiance.array))
            case .projector(let l): out += l.parameters(prefix: p)
            case .constant(let l): out.append(ParameterInfo(key: p + "radiance.value", values: l.radiance.array))
            case .envmap(let l): out.append(ParameterInfo(key: p + "scale", values: [l.scale]))
            }
        }
        // An sdfgrid has no keys: its geometry is not differentiated (Mitsuba's are not differentiable either).
        for s in shapes where !s.isSDFGrid {
            out.append(ParameterInfo(key: s.id + ".translate", values: s.translate.array))
            out.append(ParameterInfo(key: s.id + ".rotate", values: s.rotate.array))
            switch s.geometry {
            case .sphere:
                out.append(ParameterInfo(key: s.id + ".center", values: s.center.array))
                out.append(ParameterInfo(key: s.id + ".radius", values: [s.radius]))
            case .mesh(let m):
                let v = s.vertices.map { Array($0) } ?? Array(m.positions)
                out.append(ParameterInfo(key: s.id + ".vertex_positions", values: v.flatMap { $0.array }))
            case .cylinder: out.append(ParameterInfo(key: s.id + ".radius", values: [s.radius]))
            case .disk: break
            case .sdfGrid: break
            }
        }
        return out
    }

    /// The keys of `parameters()`.
    public var parameterKeys: [String] { parameters().map(\.key) }

    /// Checks that every key names a parameter; the error suggests close matches.
    public func validate(keys: [String]) throws {
        if isAnimated && !keys.isEmpty {
            throw ParameterError("\(file) is animated (a moving sensor, instance or light): gradients and optimisation of animated "
                                 + "scenes are not supported (time is not sampled in the gradient renderers); render it with `diffray render`")
        }
        let known = parameters()
        for k in keys where !known.contains(where: { $0.key == k }) {
            if let s = shapes.first(where: { $0.isSDFGrid && k.hasPrefix($0.id + ".") }) {
                throw ParameterError("parameter '\(k)': shape '\(s.id)' is an sdfgrid, whose geometry is not differentiated "
                                     + "(it has no parameters; its material's keys are under its BSDF)")
            }
            let close = known.map(\.key).sorted { editDistance($0, k) < editDistance($1, k) }.prefix(3)
            throw ParameterError("unknown parameter '\(k)' in \(file); did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))? (`diffray params` lists them)")
        }
    }

    /// The scene with the given parameters set to new values (primal), the
    /// acceleration structure rebuilt for the new geometry.
    public func updated(_ values: [String: [Double]]) throws -> Scene<Double> {
        let known = Dictionary(uniqueKeysWithValues: parameters().map { ($0.key, $0.values.count) })
        for (k, v) in values {
            guard let n = known[k] else { try validate(keys: [k]); continue }
            guard v.count == n else { throw ParameterError("parameter '\(k)' has \(n) components, got \(v.count)") }
            guard v.allSatisfy({ $0.isFinite }) else { throw ParameterError("parameter '\(k)' must be finite, got \(v)") }
        }
        var s = lifted(Lifter<Double>(differentiates: { values[$0] != nil }) { key, old in values[key] ?? old })
        // Bake new vertex positions and sphere parameters into the plain geometry traversal uses.
        for i in s.shapes.indices {
            switch s.shapes[i].geometry {
            case .mesh(let m):
                if let v = s.shapes[i].vertices {
                    s.shapes[i].geometry = .mesh(TriangleMesh(positions: Array(v), normals: m.normals.map(Array.init),
                                                              uvs: m.uvs.map(Array.init), indices: Array(m.indices)))
                    s.shapes[i].vertices = nil
                }
            case .sphere(_, _, let axes):
                s.shapes[i].geometry = .sphere(center: s.shapes[i].center, radius: s.shapes[i].radius, axes: axes)
            case .cylinder(var c):
                c.radius = s.shapes[i].radius
                s.shapes[i].geometry = .cylinder(c)
            case .disk, .sdfGrid: break
            }
        }
        s.accel = try Scene.buildAccelerator(Array(s.shapes[0..<staticShapeCount]), kind: accel.kind)
        return s
    }
}

extension Scene {
    /// The same scene over another scalar type: every parameter passes through
    /// `lifter` with its key (forward mode: dual variables; reverse mode: tape
    /// leaves; everything else constants). Traversal data is shared.
    public func lifted<U: Real>(_ lifter: Lifter<U>) -> Scene<U> {
        func lift3(_ key: String, _ v: Vector3<T>) -> Vector3<U> { lifter.vector(key, v.primal) }
        // Camera.
        let sid = sensorID
        let m = lifter.lift(sid + ".to_world", camera.baseToWorld.primalMatrix)
        let base = RigidFrame<U>(x: Vector3(m[0], m[4], m[8]), y: Vector3(m[1], m[5], m[9]), z: Vector3(m[2], m[6], m[10]),
                                 origin: Vector3(m[3], m[7], m[11]))
        var cam = PerspectiveCamera<U>(toWorld: base, xFov: lifter.scalar(sid + ".x_fov", camera.xFov.primal),
                                       width: camera.width, height: camera.height,
                                       nearClip: camera.nearClip, farClip: camera.farClip)
        (cam.kind, cam.apertureRadius, cam.focusDistance) = camera.lens(lifter, sensorID: sid)
        cam.shutter = camera.shutter
        cam.motion = camera.motion
        cam.translate = lift3(sid + ".translate", camera.translate)
        cam.rotate = lift3(sid + ".rotate", camera.rotate)
        if lifter.differentiates(sid + ".translate") || lifter.differentiates(sid + ".rotate")
            || cam.translate.primal.lengthSquared > 0 || cam.rotate.primal.lengthSquared > 0 {
            cam.toWorld = RigidFrame.offset(translate: cam.translate, rotate: cam.rotate, pivot: base.origin.primal).compose(base)
        }
        // Materials and lights.
        let newBSDFs = bsdfs.indices.map { bsdfs[$0].lifted(lifter, prefix: bsdfPrefixes[$0]) }
        let newEmitters: [Emitter<U>] = emitters.indices.map { i in
            let p = emitterPrefixes[i]
            switch emitters[i] {
            case .area(let l):
                if let t = l.texture { return .area(AreaLight(shape: l.shape, texture: t.lifted(lifter, prefix: p + "radiance."))) }
                return .area(AreaLight(shape: l.shape, radiance: lifter.rgb(p + "radiance.value", l.radiance.primal)))
            case .point(let l):
                return .point(PointLight(position: lift3(p + "position", l.position),
                                         intensity: lifter.rgb(p + "intensity.value", l.intensity.primal)))
            case .spot(let l):
                return .spot(SpotLight(toWorld: l.toWorld.constant(U.self), intensity: lifter.rgb(p + "intensity.value", l.intensity.primal),
                                       cutoffDegrees: l.cutoff * 180 / .pi, beamWidthDegrees: l.beamWidth * 180 / .pi,
                                       texture: l.texture?.lifted(lifter, prefix: p + "texture.")))
            case .projector(let l): return .projector(l.lifted(lifter, prefix: p))
            case .directional(let l):
                return .directional(DirectionalLight(direction: Vector3<U>(l.direction.primal),
                                                     irradiance: lifter.rgb(p + "irradiance.value", l.irradiance.primal)))
            case .constant(let l): return .constant(ConstantLight(radiance: lifter.rgb(p + "radiance.value", l.radiance.primal)))
            case .envmap(let l): return .envmap(EnvironmentMap<U>(l, scale: lifter.scalar(p + "scale", l.scale.primal)))
            }
        }
        // Shapes.
        let newShapes: [Shape<U>] = shapes.map { s in
            var n = Shape<U>(id: s.id, geometry: s.geometry, bsdf: s.bsdf, emitter: s.emitter, flipNormals: s.flipNormals, pivot: s.pivot)
            n.translate = lift3(s.id + ".translate", s.translate)
            n.rotate = lift3(s.id + ".rotate", s.rotate)
            if lifter.differentiates(s.id + ".translate") || lifter.differentiates(s.id + ".rotate")
                || n.translate.primal.lengthSquared > 0 || n.rotate.primal.lengthSquared > 0 {
                n.offset = RigidFrame.offset(translate: n.translate, rotate: n.rotate, pivot: s.pivot)
            }
            switch s.geometry {
            case .sphere:
                n.center = lift3(s.id + ".center", s.center)
                n.radius = lifter.scalar(s.id + ".radius", s.radius.primal)
            case .mesh(let m):
                let key = s.id + ".vertex_positions"
                if lifter.differentiates(key) || s.vertices != nil {
                    let plain = s.vertices.map { $0.map(\.primal) } ?? Array(m.positions)
                    let l = lifter.lift(key, plain.flatMap { $0.array })
                    n.vertices = ContiguousArray((0..<plain.count).map { Vector3(l[3 * $0], l[3 * $0 + 1], l[3 * $0 + 2]) })
                }
            case .cylinder: n.radius = lifter.scalar(s.id + ".radius", s.radius.primal)
            case .disk, .sdfGrid: break
            }
            return n
        }
        var out = Scene<U>(file: file, camera: cam, film: film, integrator: integrator, sampleCount: sampleCount, seed: seed,
                           shapes: newShapes, bsdfs: newBSDFs, emitters: newEmitters, accel: accel)
        out.bsdfPrefixes = bsdfPrefixes
        out.emitterPrefixes = emitterPrefixes
        out.sensorID = sensorID
        out.movingGroups = movingGroups
        out.emitterMotions = emitterMotions
        return out
    }
}

/// A parameter key or value that does not fit the scene.
public struct ParameterError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension RGB {
    /// The primal components as an array.
    public var array: [Double] { [r.primal, g.primal, b.primal] }
}

extension Vector3 {
    /// The primal components as an array.
    public var array: [Double] { [x.primal, y.primal, z.primal] }
}

extension RigidFrame {
    /// The primal row-major 4×4 matrix.
    public var primalMatrix: [Double] {
        [x.x.primal, y.x.primal, z.x.primal, origin.x.primal, x.y.primal, y.y.primal, z.y.primal, origin.y.primal,
         x.z.primal, y.z.primal, z.z.primal, origin.z.primal, 0, 0, 0, 1]
    }
    /// The frame's primal values as constants of `U` (no derivatives).
    @inlinable
    public func constant<U: Real>(_: U.Type) -> RigidFrame<U> {
        RigidFrame<U>(x: Vector3(x.primal), y: Vector3(y.primal), z: Vector3(z.primal), origin: Vector3(origin.primal))
    }
}

extension RigidFrame where T == Double {
    public var matrix: [Double] { primalMatrix }
}

/// Levenshtein distance, for suggesting parameter keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...max(b.count, 1) where j <= b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
