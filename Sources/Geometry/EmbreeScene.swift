import CEmbree

/// The primitives of an `Accelerator` in an Embree 3 scene (Wälchli, Woop et
/// al., "Embree: A Kernel Framework for Efficient CPU Ray Tracing", 2014),
/// through its C API: Embree finds the primitive a ray meets in single
/// precision, as Mitsuba 3's preliminary intersection does, and the renderer
/// recomputes the hit from that primitive in its own scalar.
///
/// - Triangles: one `RTC_GEOMETRY_TYPE_TRIANGLE` geometry per run of
///   consecutive triangles of one shape, all indexing one shared buffer of the
///   scene's vertex positions rounded to `Float`; a run that is a whole mesh
///   is read through the mesh's own index array, not a copy.
/// - Spheres, disks and cylinders: one user geometry each, whose callbacks
///   (`@convention(c)` closures below) intersect the shape in doubles with the
///   ray the query carries (`DiffRayRayQuery`), so that their hits are exactly
///   the ones the `BVH` finds. The voxels of one signed-distance grid: one
///   user geometry with a primitive per voxel, through the same callbacks.
///
/// Built as Mitsuba 3 builds it: `RTC_BUILD_QUALITY_HIGH` (`Quality`: medium
/// from two million primitives on), without `RTC_SCENE_FLAG_ROBUST` (which cost a third more instructions a ray on the
/// Cornell box; rays aimed at shared edges of a closed mesh still all hit it,
/// `AcceleratorTests`). Queries are thread-safe; each answers for one ray,
/// whichever thread asks.
public final class EmbreeScene: @unchecked Sendable {
    @usableFromInline let scene: RTCScene
    /// Per Embree geometry (by id): the accelerator's index of its primitive 0.
    let firstPrimitive: UnsafeMutableBufferPointer<Int32>
    /// The shared vertex positions (three floats each and one of padding, as
    /// Embree reads the last one with a 16-byte load).
    let vertexBuffer: UnsafeMutableBufferPointer<Float>
    /// The analytic primitives; a user geometry's user pointer is the record of its primitive 0.
    let analytic: UnsafeMutableBufferPointer<AnalyticRecord>
    /// The meshes' index arrays Embree reads in place (kept alive with the scene).
    let sharedIndices: [ContiguousArray<UInt32>]
    /// The signed-distance grids the records point to unretained (kept alive with the scene).
    let grids: [SDFGrid]

    /// The Embree device every scene shares, created on first use.
    static let device: RTCDevice? = rtcNewDevice(nil)

    /// Builds the scene over the primitives `primitive(k)` of an accelerator
    /// (`Accelerator.init`: triangles index `vertices`; `analytic(k)` gives
    /// primitive `k`'s shape when it is not a triangle; `analyticBoxes` the
    /// boxes of the analytic primitives, in order; `meshIndices` as
    /// `Accelerator.init` takes it; `grids` every grid an analytic shape points to).
    /// Throws `BVHError` when Embree refuses it (the message names Embree's error).
    init(count: Int, primitive: (Int) -> Primitive, triangle: (Int) -> TriangleIndices, vertices: ContiguousArray<Vec3>,
         meshIndices: (Int) -> (indices: ContiguousArray<UInt32>, base: UInt32)?,
         analytic shape: (Int) -> AnalyticShape, analyticBoxes: [BVH.FloatBox], grids: [SDFGrid]) throws {
        let quality = try Quality.chosen(count: count)
        guard let device = EmbreeScene.device else { throw BVHError(primitive: nil, "Embree: no device (rtcNewDevice failed)") }
        guard let scene = rtcNewScene(device) else { throw EmbreeScene.error(device, "rtcNewScene") }
        self.scene = scene
        rtcSetSceneFlags(scene, RTC_SCENE_FLAG_NONE)
        rtcSetSceneBuildQuality(scene, quality == .high ? RTC_BUILD_QUALITY_HIGH : RTC_BUILD_QUALITY_MEDIUM)

        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: 3 * vertices.count + 1)
        for (i, v) in vertices.enumerated() {
            floats[3 * i] = Float(v.x); floats[3 * i + 1] = Float(v.y); floats[3 * i + 2] = Float(v.z)
        }
        floats[3 * vertices.count] = 0
        vertexBuffer = floats
        self.grids = grids

        analytic = .allocate(capacity: analyticBoxes.count)

        var first = ContiguousArray<Int32>(), retained = [ContiguousArray<UInt32>]()
        var k = 0, a = 0
        while k < count {
            let p = primitive(k)
            let geometry: RTCGeometry?
            if p.kind == .triangle {
                // The run of consecutive triangles of this shape.
                var end = k + 1
                while end < count, case let q = primitive(end), q.kind == .triangle, q.shape == p.shape { end += 1 }
                geometry = rtcNewGeometry(device, RTC_GEOMETRY_TYPE_TRIANGLE)
                if let geometry, let mesh = meshIndices(k), mesh.indices.count == 3 * (end - k) {
                    let shared = mesh.indices, base = Int(mesh.base)
                    // The shape's own index array, read in place, over the vertices from its first on.
                    rtcSetSharedGeometryBuffer(geometry, RTC_BUFFER_TYPE_VERTEX, 0, RTC_FORMAT_FLOAT3, floats.baseAddress,
                                               12 * base, 12, vertices.count - base)
                    rtcSetSharedGeometryBuffer(geometry, RTC_BUFFER_TYPE_INDEX, 0, RTC_FORMAT_UINT3,
                                               shared.withUnsafeBufferPointer { $0.baseAddress }, 0, 12, end - k)
                    retained.append(shared)
                } else if let geometry {
                    rtcSetSharedGeometryBuffer(geometry, RTC_BUFFER_TYPE_VERTEX, 0, RTC_FORMAT_FLOAT3, floats.baseAddress,
                                               0, 12, vertices.count)
                    if let raw = rtcSetNewGeometryBuffer(geometry, RTC_BUFFER_TYPE_INDEX, 0, RTC_FORMAT_UINT3, 12, end - k) {
                        let indices = raw.bindMemory(to: UInt32.self, capacity: 3 * (end - k))
                        for j in k..<end {
                            let t = triangle(j), o = 3 * (j - k)
                            indices[o] = t.a; indices[o + 1] = t.b; indices[o + 2] = t.c
                        }
                    }
                }
                first.append(Int32(k))
                k = end
            } else {
                // One primitive, or the run of consecutive voxels of one grid.
                var end = k + 1
                if p.kind == .sdfVoxel {
                    while end < count, case let q = primitive(end), q.kind == .sdfVoxel, q.shape == p.shape { end += 1 }
                }
                for j in k..<end {
                    (analytic.baseAddress! + a + j - k).initialize(to: AnalyticRecord(shape: shape(j), box: analyticBoxes[a + j - k]))
                }
                geometry = rtcNewGeometry(device, RTC_GEOMETRY_TYPE_USER)
                if let geometry {
                    rtcSetGeometryUserPrimitiveCount(geometry, UInt32(end - k))
                    rtcSetGeometryUserData(geometry, analytic.baseAddress! + a)
                    rtcSetGeometryBoundsFunction(geometry, EmbreeScene.bounds, nil)
                    rtcSetGeometryIntersectFunction(geometry, EmbreeScene.intersectAnalytic)
                    rtcSetGeometryOccludedFunction(geometry, EmbreeScene.occludedAnalytic)
                }
                first.append(Int32(k))
                a += end - k
                k = end
            }
            guard let geometry else { throw EmbreeScene.error(device, "rtcNewGeometry") }
            rtcCommitGeometry(geometry)
            rtcAttachGeometry(scene, geometry)
            rtcReleaseGeometry(geometry)
        }
        firstPrimitive = .allocate(capacity: first.count)
        _ = firstPrimitive.initialize(from: first)
        sharedIndices = retained
        rtcCommitScene(scene)
        let status = rtcGetDeviceError(device)
        if status != RTC_ERROR_NONE { throw EmbreeScene.error(device, "building the scene", status) }
    }

    /// Embree's build quality. `high` (spatial splits, as Mitsuba 3 builds
    /// its scenes) for scenes of fewer than `mediumFrom` primitives, `medium`
    /// (binned SAH without spatial splits) from there on: on the 10M-triangle
    /// heightfield the high-quality build cost more CPU time than the whole
    /// rest of a render (docs/scale.md). `DIFFRAY_EMBREE_QUALITY=high|medium`
    /// chooses for every size.
    public enum Quality: String, Sendable, CaseIterable, EnvironmentChoice {
        case high, medium

        public static let environmentVariable = "DIFFRAY_EMBREE_QUALITY"
        /// Scenes of at least this many primitives are built at `medium` unless the environment says otherwise.
        public static let mediumFrom = 1 << 21

        /// The quality of a scene of `count` primitives; throws naming the
        /// variable when `DIFFRAY_EMBREE_QUALITY` is set to something else.
        public static func chosen(count: Int) throws -> Quality {
            if let q = try fromEnvironment({ BVHError(primitive: nil, $0) }) { return q }
            return count >= mediumFrom ? .medium : .high
        }
    }

    deinit {
        rtcReleaseScene(scene)
        vertexBuffer.deallocate()
        _ = analytic.deinitialize()
        analytic.deallocate()
        firstPrimitive.deallocate()
    }

    /// The scene's two queries on values it owns, borrowed: a copy holds no
    /// reference to the scene, so a query from several threads at once
    /// touches no shared reference count (a retain of the scene per ray, from
    /// two cores, moved the cache line of its count and of its fields between
    /// them on every query). Valid while the scene lives (`Accelerator`
    /// holds both).
    public var query: Query { Query(scene: scene, firstPrimitive: UnsafePointer(firstPrimitive.baseAddress!)) }

    /// `intersect` and `occluded` of an `EmbreeScene`, borrowed (`query`).
    public struct Query: @unchecked Sendable {
        let scene: RTCScene
        let firstPrimitive: UnsafePointer<Int32>

        /// `EmbreeScene.intersect`.
        public func intersect(o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> Hit? {
            var q = DiffRayRayQuery()
            q.ox = o.x; q.oy = o.y; q.oz = o.z; q.dx = d.x; q.dy = d.y; q.dz = d.z; q.tMin = tMin; q.tMax = tMax
            diffray_intersect(scene, &q)
            if q.geomID == UInt32.max { return nil }
            return Hit(t: q.t, u: q.u, v: q.v, primitive: firstPrimitive[Int(q.geomID)] &+ Int32(bitPattern: q.primID))
        }

        /// `EmbreeScene.occluded`.
        public func occluded(o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> Bool {
            var q = DiffRayRayQuery()
            q.ox = o.x; q.oy = o.y; q.oz = o.z; q.dx = d.x; q.dy = d.y; q.dz = d.z; q.tMin = tMin; q.tMax = tMax
            return diffray_occluded(scene, &q) != 0
        }
    }

    static func error(_ device: RTCDevice, _ what: String, _ status: RTCError? = nil) -> BVHError {
        let code = status ?? rtcGetDeviceError(device)
        return BVHError(primitive: nil, "Embree: \(what) failed (error \(code.rawValue))")
    }

    /// The closest hit along `o + t d` for t in (tMin, tMax), as `BVH.intersect`
    /// gives it: `primitive` indexes the accelerator's primitives; for a
    /// triangle t, u, v are Embree's single-precision values, for an
    /// analytic shape the double-precision ones.
    public func intersect(o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> Hit? {
        query.intersect(o: o, d: d, tMin: tMin, tMax: tMax)
    }

    /// Whether anything lies along `o + t d` for t in (tMin, tMax).
    public func occluded(o: Vec3, d: Vec3, tMin: Double, tMax: Double) -> Bool {
        query.occluded(o: o, d: d, tMin: tMin, tMax: tMax)
    }

    /// The box of an analytic primitive, rounded outwards to single precision.
    static let bounds: RTCBoundsFunction = { args in
        guard let args, let user = args.pointee.geometryUserPtr else { return }
        let b = user.assumingMemoryBound(to: AnalyticRecord.self)[Int(args.pointee.primID)].box
        args.pointee.bounds_o.pointee = RTCBounds(lower_x: b.lx, lower_y: b.ly, lower_z: b.lz, align0: 0,
                                                  upper_x: b.ux, upper_y: b.uy, upper_z: b.uz, align1: 0)
    }

    /// The hit of analytic primitive `primID` of the geometry whose records start at `user` (a callback's user pointer)
    /// in doubles with the ray of the query whose context is `context` (a
    /// `DiffRayRayQuery` begins with it), up to `tFar`, Embree's nearest hit so far.
    static func analyticHit(_ user: UnsafeMutableRawPointer, _ primID: UInt32, _ context: UnsafeMutablePointer<RTCIntersectContext>?, tFar: Float)
        -> (query: UnsafeMutablePointer<DiffRayRayQuery>, hit: (t: Double, u: Double, v: Double)?) {
        let q = UnsafeMutableRawPointer(context!).assumingMemoryBound(to: DiffRayRayQuery.self)
        let o = Vec3(q.pointee.ox, q.pointee.oy, q.pointee.oz), d = Vec3(q.pointee.dx, q.pointee.dy, q.pointee.dz)
        let record = UnsafePointer(user.assumingMemoryBound(to: AnalyticRecord.self) + Int(primID))
        return (q, AnalyticShape.intersect(record, o: o, d: d, tMin: q.pointee.tMin, tMax: Swift.min(q.pointee.tMax, Double(tFar))))
    }

    /// Intersects an analytic primitive in doubles with the query's ray, up to
    /// the nearest hit so far; a hit is recorded on Embree's ray (its distance
    /// rounded to float) and, in doubles, on the query.
    static let intersectAnalytic: RTCIntersectFunctionN = { args in
        guard let args, args.pointee.N == 1, args.pointee.valid[0] != 0, let user = args.pointee.geometryUserPtr else { return }
        let (q, hit) = analyticHit(user, args.pointee.primID, args.pointee.context, tFar: diffray_hit_tfar(args.pointee.rayhit))
        guard let h = hit else { return }
        diffray_hit_accept(args.pointee.rayhit, Float(h.t), args.pointee.geomID, args.pointee.primID)
        q.pointee.t = h.t; q.pointee.u = h.u; q.pointee.v = h.v
        q.pointee.userGeomID = args.pointee.geomID
    }

    /// The shadow-ray form of `intersectAnalytic`: blocks the ray on any hit.
    static let occludedAnalytic: RTCOccludedFunctionN = { args in
        guard let args, args.pointee.N == 1, args.pointee.valid[0] != 0, let user = args.pointee.geometryUserPtr else { return }
        if analyticHit(user, args.pointee.primID, args.pointee.context, tFar: diffray_ray_tfar(args.pointee.ray)).hit != nil {
            diffray_ray_block(args.pointee.ray)
        }
    }
}

/// An analytic primitive and its box (rounded outwards to single precision):
/// the user data of its Embree geometry.
struct AnalyticRecord {
    var shape: AnalyticShape
    var box: BVH.FloatBox
}

/// An analytic primitive in world space, as the `BVH` tests it. Plain data
/// (a grid unretained: `EmbreeScene.grids` holds it), so that a callback
/// reading its record copies no reference: a non-trivial enum was copied and
/// destroyed through its outlined value witnesses on every test.
enum AnalyticShape {
    case sphere(center: Vec3, radius: Double)
    /// A disk by its world-to-local transform.
    case disk(toLocal: Transform)
    case cylinder(Cylinder)
    /// Voxel `k` of a signed-distance grid.
    case sdfVoxel(Unmanaged<SDFGrid>, Int)

    /// The hit of the shape of `record` in (tMin, tMax): its distance and (for a disk) local x and y.
    static func intersect(_ record: UnsafePointer<AnalyticRecord>, o: Vec3, d: Vec3, tMin: Double, tMax: Double)
        -> (t: Double, u: Double, v: Double)? {
        switch record.pointee.shape {
        case .sphere(let c, let r):
            return intersectSphere(o: o, d: d, center: c, radius: r, tMin: tMin, tMax: tMax).map { ($0, 0, 0) }
        case .disk(let toLocal):
            return intersectDisk(o: o, d: d, toLocal: toLocal, tMin: tMin, tMax: tMax)
        case .cylinder(let c):
            return intersectCylinder(o: o, d: d, c, tMin: tMin, tMax: tMax).map { ($0, 0, 0) }
        case .sdfVoxel(let grid, let k):
            return grid._withUnsafeGuaranteedRef { $0.intersect(voxel: k, o: o, d: d, tMin: tMin, tMax: tMax) }.map { ($0, 0, 0) }
        }
    }
}
