import Geometry

/// Where a path meets a surface, recomputed in `T` from the traversal's hit
/// so that position, normals and texture coordinates carry derivatives.
public struct SurfaceInteraction<T: Real> {
    /// Distance along the ray.
    public var t: T
    /// World-space position.
    public var p: Vector3<T>
    /// Geometric normal (unit, oriented as the shape's surface: outward, or
    /// flipped with `flip_normals`).
    public var ng: Vector3<T>
    /// Shading frame (interpolated normals when the mesh has them).
    public var shading: Frame<T>
    /// Texture coordinates.
    public var uv: (T, T)
    /// Direction towards where the path came from, in the local shading frame.
    public var wi: Vector3<T>
    /// Index of the shape hit in `Scene.shapes`.
    public var shape: Int
    /// Index of the primitive in the acceleration structure.
    public var primitive: Int
    /// The time of the ray that found the hit; the rays leaving it keep it.
    public var time: Double = 0
    /// World-space ∂p/∂u and ∂p/∂v of the surface's uv parametrisation, as
    /// Mitsuba 3 defines them per shape (a mesh's from its texture
    /// coordinates, else from its barycentrics); normal and bump maps build
    /// their tangent frame from them. Zero where unknown, and on surfaces whose
    /// BSDF does not read them (`BSDF.needsTangents`).
    public var dpdu: Vector3<T>
    public var dpdv: Vector3<T>
    /// On a mesh: the mesh, the triangle hit and the barycentrics (u, v) of the
    /// hit (p = (1−u−v) p0 + u p1 + v p2), which `mesh_attribute` textures read.
    /// The mesh is kept as a plain pointer, not retained (the scene holds its
    /// meshes while it renders), so that the interaction stays a plain value.
    public var meshPointer: UnsafeRawPointer? = nil
    public var triangle: Int = 0
    public var barycentrics: (T, T) = (0, 0)

    @inlinable
    public init(t: T, p: Vector3<T>, ng: Vector3<T>, shading: Frame<T>, uv: (T, T), wi: Vector3<T>, shape: Int, primitive: Int,
                dpdu: Vector3<T> = .zero, dpdv: Vector3<T> = .zero) {
        self.t = t; self.p = p; self.ng = ng; self.shading = shading; self.uv = uv; self.wi = wi
        self.shape = shape; self.primitive = primitive; self.dpdu = dpdu; self.dpdv = dpdv
    }

    /// A double-precision interaction as constants of `T`, every field carried over.
    @inlinable
    public init(constant si: SurfaceInteraction<Double>) {
        let frame = si.shading
        self.init(t: T(si.t), p: Vector3<T>(si.p), ng: Vector3<T>(si.ng),
                  shading: Frame<T>(s: Vector3<T>(frame.s), t: Vector3<T>(frame.t), n: Vector3<T>(frame.n)),
                  uv: (T(si.uv.0), T(si.uv.1)), wi: Vector3<T>(si.wi), shape: si.shape, primitive: si.primitive,
                  dpdu: Vector3<T>(si.dpdu), dpdv: Vector3<T>(si.dpdv))
        time = si.time
        meshPointer = si.meshPointer; triangle = si.triangle; barycentrics = (T(si.barycentrics.0), T(si.barycentrics.1))
    }

    /// The mesh hit, if it has attributes (see `meshPointer`).
    @inlinable public var mesh: TriangleMesh? {
        get { meshPointer.map { Unmanaged<TriangleMesh>.fromOpaque($0).takeUnretainedValue() } }
        set { meshPointer = newValue.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) } }
    }

    @inlinable @inline(__always) public func toLocal(_ v: Vector3<T>) -> Vector3<T> { shading.toLocal(v) }
    @inlinable @inline(__always) public func toWorld(_ v: Vector3<T>) -> Vector3<T> { shading.toWorld(v) }
}

/// The result of sampling a BSDF: the outgoing direction in the local shading
/// frame, its pdf (detached: a plain double, in solid angle; 1 for a delta
/// lobe), and the weight f · |cos θo| / pdf in `T` (Mitsuba's convention, so
/// that differentiating the weight gives ∂f / pdf).
public struct BSDFSample<T: Real> {
    public var wo: Vector3<T>
    public var pdf: Double
    public var weight: RGB<T>
    /// Relative index of refraction along `wo` (1 for reflection).
    public var eta: Double
    /// True for a delta (specular) lobe, which next-event estimation cannot sample.
    public var isDelta: Bool

    @inlinable
    public init(wo: Vector3<T>, pdf: Double, weight: RGB<T>, eta: Double = 1, isDelta: Bool) {
        self.wo = wo; self.pdf = pdf; self.weight = weight; self.eta = eta; self.isDelta = isDelta
    }
}
