import Geometry
import SceneFile

/// The Lambertian BSDF.
///
/// ```xml
/// <bsdf type="diffuse">
///     <rgb name="reflectance" value="0.2, 0.25, 0.7"/>
/// </bsdf>
/// ```
///
/// Parameters: `reflectance.value` (or the texture's, e.g. `reflectance.data`).
public struct Diffuse<T: Real>: BSDFModel {
    public var reflectance: Texture<T>

    @inlinable public init(reflectance: Texture<T>) { self.reflectance = reflectance }

    @inlinable
    public func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        Self.eval(constant: reflectance.eval(si), si, wo: wo)
    }

    @inlinable
    public func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double { Self.pdf(si, wo: wo) }

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        Self.sample(constant: reflectance.eval(si), si, u2: u2)
    }

    /// `eval`, `pdf` and `sample` of a diffuse BSDF whose reflectance is the
    /// colour `c` (the path tracer's hot case passes a constant colour: no
    /// `Texture` enum is built or switched on per vertex; the methods above pass
    /// the texture's value at the hit).
    @inlinable @inline(__always)
    public static func eval(constant c: RGB<T>, _ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> {
        // Branch on primal values: both directions above the surface.
        if si.wi.z.primal <= 0 || wo.z.primal <= 0 { return .zero }
        return c * (wo.z * T(1 / Double.pi))
    }

    @inlinable @inline(__always)
    public static func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double {
        if si.wi.z.primal <= 0 || wo.z.primal <= 0 { return 0 }
        return wo.z.primal / Double.pi
    }

    @inlinable @inline(__always)
    public static func sample(constant c: RGB<T>, _ si: SurfaceInteraction<T>, u2: (Double, Double)) -> BSDFSample<T>? {
        if si.wi.z.primal <= 0 { return nil }
        let d = Warp.squareToCosineHemisphere(u2)
        if d.z <= 0 { return nil }
        return BSDFSample(wo: Vector3(d), pdf: d.z / Double.pi, weight: c, isDelta: false)
    }

    @inlinable public func albedo(_ si: SurfaceInteraction<T>) -> RGB<T> { reflectance.eval(si) }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> {
        .diffuse(Diffuse<U>(reflectance: reflectance.lifted(lifter, prefix: prefix + "reflectance.")))
    }

    public func parameters(prefix: String) -> [ParameterInfo] {
        reflectance.parameters(prefix: prefix + "reflectance.")
    }
}

extension Diffuse where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        self.init(reflectance: try Texture.property("reflectance", of: object))
    }
}

/// A `diffuse` BSDF of constant colour (the path tracer's common case): no
/// `BSDF` or `Texture` value is built or switched on per vertex, and the light
/// sample's importance weight is differentiated through its pdf cos θo / π.
@frozen @usableFromInline
struct ConstantDiffuse<T: Real>: VertexBSDF {
    @usableFromInline let reflectance: RGB<T>
    @inlinable @inline(__always) init(reflectance: RGB<T>) { self.reflectance = reflectance }

    @inlinable @inline(__always)
    func eval(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> RGB<T> { Diffuse.eval(constant: reflectance, si, wo: wo) }

    @inlinable @inline(__always)
    func pdf(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> Double { Diffuse.pdf(si, wo: wo) }

    @inlinable @inline(__always)
    func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        Diffuse.sample(constant: reflectance, si, u2: u2)
    }

    /// Branch on primal values: both directions above the surface.
    @inlinable @inline(__always)
    func pdfInT(_ si: SurfaceInteraction<T>, wo: Vector3<T>) -> T? {
        si.wi.z.primal <= 0 || wo.z.primal <= 0 ? T(0) : wo.z * T(1 / Double.pi)
    }
}
