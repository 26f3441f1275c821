import Foundation
import Geometry
import ImageIO
import SceneFile

extension RGB where T == Double {
    @inlinable public init(_ d: Vec3) { self.init(d.x, d.y, d.z) }
}

extension Transform {
    /// The transform of a scene file's 4×4 matrix; singular matrices are an error.
    public init(_ m: Matrix4, at location: SourceLocation) throws {
        guard let t = Transform(m) else {
            throw SceneFileError("singular transform matrix", at: location)
        }
        self = t
    }
}

extension Transform {
    /// The affine transform of a frame.
    public init(_ f: RigidFrame<Double>) {
        let m: [Double] = [f.x.x, f.y.x, f.z.x, f.origin.x, f.x.y, f.y.y, f.z.y, f.origin.y,
                           f.x.z, f.y.z, f.z.z, f.origin.z, 0, 0, 0, 1]
        self = Transform(matrix: m) ?? .identity
    }
}

extension RigidFrame where T == Double {
    /// The affine frame of a `to_world` matrix: its three columns and origin.
    public init(_ t: Transform) {
        let m = t.m
        self.init(x: Vec3(m[0], m[4], m[8]), y: Vec3(m[1], m[5], m[9]), z: Vec3(m[2], m[6], m[10]),
                  origin: Vec3(m[3], m[7], m[11]))
    }
}

extension Scene where T == Double {
    /// Loads a Mitsuba 3 scene file; `defines` are the command line's `-D name=value`.
    public static func load(path: String, defines: [String: String] = [:]) throws -> Scene<Double> {
        try Scene(description: SceneDescription(path: path, defines: defines))
    }

    /// Builds a renderable scene from a parsed description, its acceleration structure of kind `accelerator`.
    public init(description d: SceneDescription, accelerator: Accelerator.Kind = .preferred) throws {
        // Sensor, film, sampler.
        let sensor = d.sensor
        guard let sensorKind = SensorKind(rawValue: sensor.type) else {
            throw SceneFileError("unsupported sensor '\(sensor.type)'; supported: perspective, thinlens, orthographic", at: sensor.location)
        }
        let filmObject = sensor.child(.film)
        let (width, height) = filmObject?.resolution ?? (768, 576)
        var filter = ReconstructionFilter.gaussian(stddev: 0.5)
        if let rf = filmObject?.child(.rfilter) {
            switch rf.type {
            case "box": filter = .box
            case "tent": filter = .tent(radius: rf.float("radius") ?? 1)
            case "gaussian": filter = .gaussian(stddev: rf.float("stddev") ?? 0.5)
            default: throw SceneFileError("unsupported rfilter '\(rf.type)'; supported: box, tent, gaussian", at: rf.location)
            }
        }
        // Limits checked before anything is allocated.
        do { try filter.validate() } catch let e as FilmLimitError {
            throw SceneFileError(e.message, at: filmObject?.child(.rfilter)?.location ?? sensor.location)
        }
        do { try Film(width: width, height: height, filter: filter).validate() } catch let e as FilmLimitError {
            throw SceneFileError(e.message, at: filmObject?.location ?? sensor.location)
        }
        let samplerObject = sensor.child(.sampler)
        let sampleCount = samplerObject?.integer("sample_count") ?? 4
        let seed = UInt64(max(0, samplerObject?.integer("seed") ?? 0))
        let cameraToWorld = try Transform(sensor.toWorld, at: sensor.location(of: "to_world"))
        var camera = PerspectiveCamera<Double>(
            toWorld: RigidFrame(cameraToWorld),
            xFov: sensor.horizontalFOV(aspect: Double(width) / Double(height)),
            width: width, height: height,
            nearClip: sensor.float("near_clip") ?? 0.01, farClip: sensor.float("far_clip") ?? 10000)
        camera.kind = sensorKind
        camera.shutter = Shutter(open: sensor.float("shutter_open") ?? 0, close: sensor.float("shutter_close") ?? 0,
                                 rolling: Shutter.Rolling(rawValue: sensor.string("rolling_shutter_type") ?? "none") ?? .none,
                                 rollingDuration: sensor.float("rolling_shutter_duration") ?? 1)
        if let keys = sensor.animation("to_world") {
            let motion = try Scene.animatedTransform(keys, at: sensor.location(of: "to_world"))
            camera.motion = motion
            camera.toWorld = RigidFrame(motion.transform(at: camera.shutter.open))
            camera.baseToWorld = camera.toWorld
        }
        if sensorKind == .thinLens {
            guard let radius = sensor.float("aperture_radius"), radius >= 0, let focus = sensor.float("focus_distance"), focus > 0 else {
                throw SceneFileError("thinlens: needs 'aperture_radius' (>= 0) and 'focus_distance' (> 0)", at: sensor.location)
            }
            camera.apertureRadius = radius
            camera.focusDistance = focus
        }

        // Integrator (`moment` renders the image of the one integrator it wraps).
        var io = d.integrator
        if io.type == "moment" {
            let nested = io.children(.integrator)
            guard nested.count == 1, ["path", "direct", "ptracer"].contains(nested[0].type) else {
                throw SceneFileError("moment: expected one nested integrator of type path, direct or ptracer, found "
                                     + (nested.isEmpty ? "none" : nested.map { "'\($0.type)'" }.joined(separator: ", ")),
                                     at: io.location)
            }
            io = nested[0]
        }
        var settings = IntegratorSettings()
        settings.maxDepth = io.integer("max_depth") ?? -1
        settings.rrDepth = io.integer("rr_depth") ?? 5
        settings.hideEmitters = io.boolean("hide_emitters") ?? false
        switch io.type {
        case "path", "ptracer":
            // `ptracer` (light tracing) is accepted as an estimator of the same
            // image: DiffRay renders it by path tracing with the same settings.
            settings.kind = .path
        case "direct": settings.kind = .direct
        case "aov":
            settings.kind = .aov(io.aovs.map { a in
                AOV(name: a.name, kind: AOV.Kind(rawValue: a.type) ?? .albedo)
            })
        default:
            throw SceneFileError("unsupported integrator '\(io.type)'; supported: path, direct, aov, ptracer, moment", at: io.location)
        }

        // Shapes, their materials and area lights.
        var shapes = [Shape<Double>](), bsdfs = [BSDF<Double>](), emitters = [Emitter<Double>]()
        var bsdfIndexByID = [String: Int]()
        var bsdfPrefixes = [String](), emitterPrefixes = [String]()
        // Shapes of animated instances last, each group's together (`MovingGroup`).
        let instanced = try Scene.instancedShapes(d.shapes)
        let staticCount = instanced.filter { $0.animation("animation") == nil }.count
        let ordered = staticCount == instanced.count ? instanced
            : instanced.filter { $0.animation("animation") == nil } + instanced.filter { $0.animation("animation") != nil }
        for (i, object) in ordered.enumerated() {
            let toWorld = try Transform(object.toWorld, at: object.location(of: "to_world"))
            let geometry = try Scene.geometry(of: object, toWorld: toWorld, directory: d.directory)
            var bsdfIndex: Int
            if let b = object.child(.bsdf) {
                if let id = b.id ?? b.referencedID, let k = bsdfIndexByID[id] {
                    bsdfIndex = k
                } else {
                    bsdfs.append(try BSDF<Double>(b))
                    bsdfPrefixes.append((b.id ?? b.referencedID).map { "\($0)." } ?? "\(object.id ?? "_unnamed_\(i)").bsdf.")
                    bsdfIndex = bsdfs.count - 1
                    if let id = b.id ?? b.referencedID { bsdfIndexByID[id] = bsdfIndex }
                }
            } else {
                // Mitsuba's default: diffuse 0.5, but black on an area light (shape.cpp).
                let albedo = object.child(.emitter) == nil ? 0.5 : 0.0
                bsdfs.append(.diffuse(Diffuse(reflectance: .constant(RGB(repeating: albedo)))))
                bsdfPrefixes.append("\(object.id ?? "_unnamed_\(i)").bsdf.")
                bsdfIndex = bsdfs.count - 1
            }
            try Scene.checkMeshAttributes(of: object, geometry)
            var emitterIndex: Int? = nil
            if let e = object.child(.emitter) {
                guard e.type == "area" else {
                    throw SceneFileError("a shape can only carry an 'area' emitter, not '\(e.type)'", at: e.location)
                }
                emitters.append(.area(try Scene.areaLight(e, shape: i)))
                emitterPrefixes.append("\(object.id ?? "_unnamed_\(i)").emitter.")
                emitterIndex = emitters.count - 1
            }
            let bounds: Bounds3
            switch geometry {
            case .mesh(let m): bounds = m.positions.reduce(Bounds3.empty) { $0.union($1) }
            case .sphere(let c, _, _): bounds = Bounds3(point: c)
            case .disk(let t): bounds = Bounds3(point: t.point(Vec3.zero))
            case .cylinder(let c): bounds = c.bounds
            case .sdfGrid(let g): bounds = g.bounds
            }
            shapes.append(Shape(id: object.id ?? "_unnamed_\(i)", geometry: geometry, bsdf: bsdfIndex, emitter: emitterIndex,
                                flipNormals: object.boolean("flip_normals") ?? false, pivot: bounds.centroid))
        }

        // Emitters that are not shapes; an animated one is built at its first key and moved per ray.
        var emitterMotions = [AnimatedTransform?](repeating: nil, count: emitters.count)
        for var e in d.emitters {
            var motion: AnimatedTransform? = nil
            if let keys = e.animation("to_world") {
                motion = try Scene.animatedTransform(keys, at: e.location(of: "to_world"))
                e.properties["to_world"] = .transform(keys[0].matrix)
            }
            emitters.append(try Scene.emitter(e, directory: d.directory))
            emitterMotions.append(motion)
            emitterPrefixes.append("\(e.id ?? "\(e.type)_\(emitterPrefixes.count)").")
        }

        let accel: Accelerator
        let buildStart = DispatchTime.now().uptimeNanoseconds, buildCPUStart = Scene.threadCPUSeconds()
        do {
            accel = try Scene.buildAccelerator(Array(shapes[0..<staticCount]), kind: accelerator)
        } catch let e as ShapeGeometryError {
            throw SceneFileError(e.message, at: e.shape.map { d.shapes[$0].location } ?? SourceLocation(file: d.file, line: 0, column: 0))
        }
        self.init(file: d.file, camera: camera, film: Film(width: width, height: height, filter: filter),
                  integrator: settings, sampleCount: sampleCount, seed: seed, shapes: shapes, bsdfs: bsdfs,
                  emitters: emitters, accel: accel)
        self.acceleratorSeconds = Double(DispatchTime.now().uptimeNanoseconds - buildStart) / 1e9
        self.acceleratorCPUSeconds = Scene.threadCPUSeconds() - buildCPUStart
        self.bsdfPrefixes = bsdfPrefixes
        self.emitterPrefixes = emitterPrefixes
        self.sensorID = sensor.id ?? "sensor"
        if emitterMotions.contains(where: { $0 != nil }) { self.emitterMotions = emitterMotions }
        // Each animated instance's shapes, in its own space, with their own structure.
        var first = staticCount
        while first < ordered.count {
            let group = ordered[first].integer("instance_group")
            var end = first + 1
            while end < ordered.count && ordered[end].integer("instance_group") == group { end += 1 }
            let object = ordered[first]
            let motion = try Scene.animatedTransform(object.animation("animation")!, at: object.location(of: "animation"))
            do {
                let groupAccel = try Scene.buildAccelerator(Array(shapes[first..<end]), kind: accelerator)
                movingGroups.append(MovingGroup(motion: motion, accel: groupAccel, firstShape: first, count: end - first))
            } catch let e as ShapeGeometryError {
                throw SceneFileError(e.message, at: object.location)
            }
            first = end
        }
    }

    /// An animation's keys decomposed for interpolation; a key Mitsuba cannot
    /// interpolate (shear, a singular matrix) is an error naming it.
    static func animatedTransform(_ keys: [AnimationKey], at location: SourceLocation) throws -> AnimatedTransform {
        do {
            return try AnimatedTransform(keys: keys.map { ($0.time, $0.matrix) })
        } catch let e as AnimatedTransform.KeyError {
            throw SceneFileError("<animation> key at time \(keys[e.key].time): \(e.message)", at: location)
        }
    }

    /// The shapes to build: `shapegroup`s are left out (they are drawn only
    /// through instances), each `instance` becomes copies of its group's shapes
    /// placed by the instance's `to_world` (after their own), with ids
    /// `<instance id>.<shape id or index>`, as Mitsuba 3's
    ///
    /// ```xml
    /// <shape type="shapegroup" id="pair"> <shape type="sphere"/> <shape type="cube"/> </shape>
    /// <shape type="instance" id="left"> <ref id="pair"/> <transform name="to_world"> ... </transform> </shape>
    /// ```
    ///
    /// Instances are flattened (each copy is its own geometry in the
    /// acceleration structure), so their shapes' parameters are their own.
    static func instancedShapes(_ shapes: [SceneObject]) throws -> [SceneObject] {
        var out = [SceneObject]()
        for (i, object) in shapes.enumerated() {
            switch object.type {
            case "shapegroup":
                for member in object.children(.shape) {
                    if member.type == "shapegroup" || member.type == "instance" {
                        throw SceneFileError("shapegroup: a group cannot hold a '\(member.type)'", at: member.location)
                    }
                    if member.child(.emitter) != nil {
                        throw SceneFileError("shapegroup: its shapes cannot carry emitters", at: member.location)
                    }
                }
            case "instance":
                guard let group = object.child(.shape), group.type == "shapegroup" else {
                    throw SceneFileError("instance: expected a <ref> to a shapegroup", at: object.location)
                }
                let name = object.id ?? "instance_\(i)"
                let keys = object.animation("animation") ?? object.animation("to_world")
                for (k, member) in group.children(.shape).enumerated() {
                    var copy = member
                    if let keys {
                        // Kept in the group's space, placed at each ray's time (`MovingGroup`).
                        copy.properties["animation"] = .animation(keys)
                        copy.properties["instance_group"] = .integer(i)
                        copy.propertyLocations["animation"] = object.location(of: object.has("animation") ? "animation" : "to_world")
                    } else {
                        // A one-key animation is a fixed placement.
                        copy.properties["to_world"] = .transform((object.transform("animation") ?? object.toWorld) * member.toWorld)
                        if copy.propertyLocations["to_world"] == nil { copy.propertyLocations["to_world"] = object.location(of: "to_world") }
                    }
                    copy.id = "\(name).\(member.id ?? "\(k)")"
                    out.append(copy)
                }
            default:
                out.append(object)
            }
        }
        return out
    }

    static func path(_ name: String, relativeTo directory: String) -> String {
        name.hasPrefix("/") ? name : (directory as NSString).appendingPathComponent(name)
    }

    static func geometry(of object: SceneObject, toWorld: Transform, directory: String) throws -> ShapeGeometry {
        switch object.type {
        case "sphere":
            let c = toWorld.point(Vec3(object.point("center") ?? .zero))
            let ax = toWorld.vector(Vec3(1, 0, 0)).length, ay = toWorld.vector(Vec3(0, 1, 0)).length,
                az = toWorld.vector(Vec3(0, 0, 1)).length
            if abs(ax - ay) > 1e-6 * ax || abs(ax - az) > 1e-6 * ax {
                throw SceneFileError("sphere: to_world must scale uniformly (got \(ax), \(ay), \(az))", at: object.location(of: "to_world"))
            }
            let r = (object.float("radius") ?? 1) * ax
            let axes = Frame(s: toWorld.vector(Vec3(1, 0, 0)) / ax, t: toWorld.vector(Vec3(0, 1, 0)) / ay,
                             n: toWorld.vector(Vec3(0, 0, 1)) / az)
            return .sphere(center: c, radius: r, axes: axes)
        case "rectangle":
            return .mesh(TriangleMesh.rectangle(toWorld))
        case "cube":
            return .mesh(TriangleMesh.cube(toWorld))
        case "disk":
            return .disk(toWorld: toWorld)
        case "cylinder":
            return .cylinder(try cylinder(of: object, toWorld: toWorld))
        case "obj", "ply", "serialized":
            return .mesh(try meshGeometry(of: object, toWorld: toWorld))
        case "sdfgrid":
            return .sdfGrid(try sdfGrid(of: object, toWorld: toWorld))
        default:
            throw SceneFileError("unsupported shape '\(object.type)'; supported: sphere, rectangle, cube, disk, cylinder, obj, ply, serialized, sdfgrid",
                                 at: object.location)
        }
    }

    /// Mitsuba's `sdfgrid` from its `.vol` file (one channel, at least two samples
    /// along each axis, finite values, some voxel crossed by the surface).
    static func sdfGrid(of object: SceneObject, toWorld: Transform) throws -> SDFGrid {
        guard let path = object.string("filename") else {
            throw SceneFileError("sdfgrid: needs 'filename' (a .vol grid; the 'grid' tensor of Mitsuba's Python API has no XML form)",
                                 at: object.location)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw SceneFileError("file not found: \(path)", at: object.location(of: "filename"))
        }
        let data = try VolumeGridData.read(path: path)
        let (nx, ny, nz) = data.resolution
        func fail(_ message: String) -> SceneFileError { SceneFileError("sdfgrid: \(path): \(message)", at: object.location(of: "filename")) }
        guard data.channels == 1 else { throw fail("\(data.channels) channels, expected 1") }
        guard nx >= 2, ny >= 2, nz >= 2 else { throw fail("a \(nx)×\(ny)×\(nz) grid; expected at least 2 samples along each axis") }
        if let bad = data.values.firstIndex(where: { !$0.isFinite }) {
            throw fail("value \(bad) is \(data.values[bad]); expected finite signed distances")
        }
        guard let grid = SDFGrid(nx: nx, ny: ny, nz: nz, values: data.values, toWorld: toWorld,
                                 smoothNormals: (object.string("normals") ?? "smooth") == "smooth") else {
            throw fail("no voxel holds surface (every value has the same sign)")
        }
        return grid
    }

    /// Mitsuba's `cylinder`: its local frame is to_world · translate(p0) · frame(p1 − p0) ·
    /// scale(radius, radius, |p1 − p0|), `frame` the orthonormal basis around the axis
    /// (Duff et al.), which fixes where u = 0 lies. Mitsuba then keeps the rigid part and
    /// reads radius and length off the scale (warning on shear or uneven scale); DiffRay
    /// refuses those.
    static func cylinder(of object: SceneObject, toWorld: Transform) throws -> Cylinder {
        let p0 = Vec3(object.point("p0") ?? .zero), p1 = Vec3(object.point("p1") ?? Vec3(0, 0, 1))
        let r = object.float("radius") ?? 1
        let d = p1 - p0, len = d.length
        guard len > 0 else {
            throw SceneFileError("cylinder: p0 and p1 must differ (both are \(p0))", at: object.location(of: "p1"))
        }
        let f = Frame<Double>(normal: d / len)
        let x = toWorld.vector(f.s * r), y = toWorld.vector(f.t * r), axis = toWorld.vector(d)
        let radius = x.length, length = axis.length
        let xu = x / radius, yu = y / radius, au = axis / length
        guard abs(y.length - radius) <= 1e-6 * radius, abs(dot(xu, yu)) <= 1e-6, abs(dot(xu, au)) <= 1e-6,
              abs(dot(yu, au)) <= 1e-6 else {
            throw SceneFileError("cylinder: to_world must not shear nor scale the cross-section unevenly",
                                 at: object.location(of: "to_world"))
        }
        return Cylinder(base: toWorld.point(p0), axis: au, x: xu, y: yu, radius: radius, length: length)
    }

    /// The `mesh_attribute` textures inside `object` (any depth), with the objects holding them.
    static func meshAttributeTextures(in object: SceneObject) -> [SceneObject] {
        object.children.flatMap { c in (c.category == .texture && c.type == "mesh_attribute" ? [c] : []) + meshAttributeTextures(in: c) }
    }

    /// Refuses a shape whose material reads a mesh attribute the shape does not have
    /// (Mitsuba fails when it evaluates one).
    static func checkMeshAttributes(of object: SceneObject, _ geometry: ShapeGeometry) throws {
        for t in meshAttributeTextures(in: object) {
            let name = t.string("name") ?? ""
            guard case .mesh(let m) = geometry else {
                throw SceneFileError("mesh_attribute '\(name)': the \(object.type) shape has no mesh attributes (only ply meshes do)",
                                     at: t.location)
            }
            guard m.attributes.contains(where: { $0.name == name }) else {
                let known = m.attributes.map(\.name)
                throw SceneFileError("mesh_attribute: the \(object.type) shape has no attribute '\(name)' (it has: "
                                     + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ")", at: t.location)
            }
        }
    }

    /// An `area` emitter on shape `shape`: a constant radiance or a texture looked up by uv.
    static func areaLight(_ e: SceneObject, shape: Int) throws -> AreaLight<Double> {
        if let t = meshAttributeTextures(in: e).first {
            throw SceneFileError("mesh_attribute: an area emitter's radiance is looked up by uv; mesh attributes are not supported there",
                                 at: t.location)
        }
        if e.texture("radiance") != nil {
            return AreaLight(shape: shape, texture: try Texture.property("radiance", of: e))
        }
        guard let radiance = e.rgb("radiance") else {
            throw SceneFileError("area emitter: 'radiance' must be a colour or a texture", at: e.location(of: "radiance"))
        }
        return AreaLight(shape: shape, radiance: try Texture.checkedColor(radiance, "radiance", e))
    }

    static func emitter(_ e: SceneObject, directory: String) throws -> Emitter<Double> {
        if let t = meshAttributeTextures(in: e).first {
            throw SceneFileError("mesh_attribute: a texture on an emitter has no mesh to read (use it in a shape's BSDF)", at: t.location)
        }
        let toWorld = try Transform(e.toWorld, at: e.location(of: "to_world"))
        func color(_ name: String) throws -> RGB<Double> {
            guard let c = e.rgb(name) else {
                throw SceneFileError("\(e.type) emitter: '\(name)' must be a constant colour", at: e.location(of: name))
            }
            return RGB(c)
        }
        switch e.type {
        case "point":
            let p = e.point("position").map { Vec3($0) } ?? toWorld.point(Vec3.zero)
            return .point(PointLight(position: p, intensity: try color("intensity")))
        case "spot":
            let cutoff = e.float("cutoff_angle") ?? 20
            let beam = e.float("beam_width") ?? cutoff * 0.75
            return .spot(SpotLight(toWorld: RigidFrame(toWorld), intensity: try color("intensity"),
                                   cutoffDegrees: cutoff, beamWidthDegrees: beam,
                                   texture: try Texture.optionalProperty("texture", of: e)))
        case "projector":
            let irradiance = try Texture.property("irradiance", of: e)
            var aspect = 1.0
            if case .bitmap(let b) = irradiance { aspect = Double(b.width) / Double(b.height) }
            return .projector(Projector(toWorld: RigidFrame(toWorld), irradiance: irradiance, scale: e.float("scale") ?? 1,
                                        xFovDegrees: e.horizontalFOV(aspect: aspect), aspect: aspect))
        case "directional":
            let dir = e.vector("direction").map { Vec3($0) } ?? toWorld.vector(Vec3(0, 0, 1))
            return .directional(DirectionalLight(direction: dir.normalized, irradiance: try color("irradiance")))
        case "constant":
            return .constant(ConstantLight(radiance: try color("radiance")))
        case "envmap":
            guard let name = e.string("filename") else {
                throw SceneFileError("envmap: 'filename' is required", at: e.location)
            }
            let image = try Image.read(from: path(name, relativeTo: directory))
            return .envmap(EnvironmentMap(image: image, scale: e.float("scale") ?? 1, toWorld: toWorld))
        default:
            throw SceneFileError("unsupported emitter '\(e.type)'; supported: area, point, spot, projector, directional, constant, envmap",
                                 at: e.location)
        }
    }
}
