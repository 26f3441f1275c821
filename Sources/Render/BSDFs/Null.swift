import Geometry
import SceneFile

/// The null BSDF: the surface lets every path through unchanged, as Mitsuba
/// 3's `null` (a shape that only carries an emitter, or marks a boundary).
/// Sampling returns wo = −wi with weight 1, pdf 1, a delta lobe; `eval` and
/// `pdf` are zero. As in Mitsuba's path integrator, passing through counts
/// as a path segment and shadow rays stop at the surface.
///
/// ```xml
/// <bsdf type="null"/>
/// ```
///
/// Parameters: none.
public struct NullBSDF<T: Real>: DeltaLobes {
    @inlinable public init() {}

    @inlinable
    public func sample(_ si: SurfaceInteraction<T>, u1: Double, u2: (Double, Double)) -> BSDFSample<T>? {
        BSDFSample(wo: -si.wi, pdf: 1, weight: .one, isDelta: true)
    }

    @inlinable public var hasTransmission: Bool { true }

    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> BSDF<U> { .null(NullBSDF<U>()) }

    public func parameters(prefix: String) -> [ParameterInfo] { [] }
}

extension NullBSDF where T == Double {
    /// Reads a `<bsdf>` of this type, with Mitsuba 3's defaults (`Schema`).
    public init(_ object: SceneObject) throws {
        self.init()
    }
}
