import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// A direct-illumination sample towards an emitter from a reference point.
public struct EmitterSample<T: Real> {
    /// Unit direction from the reference point towards the emitter (world).
    public var wi: Vector3<T>
    /// Distance to the sampled point (∞ for environment and directional light).
    public var distance: Double
    /// Emitted radiance divided by the sampling pdf (solid angle; for delta
    /// lights, the incident radiance scale intensity / r² or irradiance).
    /// Does not include the emitter-selection probability.
    public var weight: RGB<T>
    /// Solid-angle pdf of the sample (primal), 0 for delta lights.
    public var pdf: Double
    /// The same pdf in `T` where it moves with the scene (an area light's
    /// point held fixed on the light while the reference point moves), for
    /// the derivative of the multiple-importance weight; nil: constant.
    public var movingPdf: T?
    public var isDelta: Bool

    @inlinable
    public init(wi: Vector3<T>, distance: Double, weight: RGB<T>, pdf: Double, isDelta: Bool, movingPdf: T? = nil) {
        self.wi = wi; self.distance = distance; self.weight = weight; self.pdf = pdf; self.isDelta = isDelta
        self.movingPdf = movingPdf
    }
}

/// The closed set of emitters, one struct a file named like its plugin.
public enum Emitter<T: Real> {
    case area(AreaLight<T>)
    case point(PointLight<T>)
    case spot(SpotLight<T>)
    case directional(DirectionalLight<T>)
    case constant(ConstantLight<T>)
    case envmap(EnvironmentMap<T>)
    case projector(Projector<T>)

    /// The emitter at infinity as per-ray code reads it (no reference), nil for the others.
    @inlinable
    public var environmentEmitter: EnvironmentEmitter<T>? {
        switch self {
        case .constant(let e): return .constant(radiance: e.radiance)
        case .envmap(let e): return .map(e.view, scale: e.scale)
        default: return nil
        }
    }

    /// Radiance arriving along a ray that escapes the scene in direction `d`.
    @inlinable
    public func environmentRadiance(_ d: Vector3<T>) -> RGB<T> {
        environmentEmitter?.radiance(d) ?? .zero
    }

    /// Solid-angle pdf of sampling direction `d` towards an environment emitter.
    @inlinable
    public func environmentPdf(_ d: Vec3) -> Double {
        environmentEmitter?.pdf(d) ?? 0
    }
}

/// An emitter at infinity (`constant`, `envmap`) as the path tracer reads it:
/// plain data, an environment map through its borrowed `View`, so that
/// copying one out of `Scene.environmentEmitters` touches no reference count
/// (an `Emitter` copied out of `Scene.emitters` retained and released the
/// map's storage, about three times a path under a sky). Valid while the
/// `Emitter` it was made from lives (`Emitter.environmentEmitter`).
@frozen
public enum EnvironmentEmitter<T: Real> {
    case constant(radiance: RGB<T>)
    case map(EnvironmentMapStorage.View, scale: T)

    /// Radiance arriving along a ray that escapes the scene in direction `d`.
    @inlinable
    public func radiance(_ d: Vector3<T>) -> RGB<T> {
        switch self {
        case .constant(let radiance): return radiance
        case .map(let map, let scale): return RGB<T>(map.radiance(d.primal)) * scale
        }
    }

    /// Solid-angle pdf with which `sample` gives direction `d`.
    @inlinable
    public func pdf(_ d: Vec3) -> Double {
        switch self {
        case .constant: return 1 / (4 * Double.pi)
        case .map(let map, _): return map.pdf(d)
        }
    }

    /// `Scene.sampleEmitter`'s sample of this emitter, one of `count`
    /// picked uniformly (`selection`, the selection weight `count`).
    @inlinable
    public func sample(_ u: (Double, Double), selection: T, count: Int) -> EmitterSample<T>? {
        switch self {
        case .constant(let radiance):
            let d = Warp.squareToUniformSphere(u)
            let pdf = 1 / (4 * Double.pi)
            return EmitterSample(wi: Vector3<T>(d), distance: .infinity, weight: radiance * T(1 / pdf) * selection,
                                 pdf: pdf / Double(count), isDelta: false)
        case .map(let map, _):
            let (d, pdf) = map.sample(u)
            if pdf <= 0 { return nil }
            let wi = Vector3<T>(d)
            return EmitterSample(wi: wi, distance: .infinity, weight: radiance(wi) * T(1 / pdf) * selection,
                                 pdf: pdf / Double(count), isDelta: false)
        }
    }
}

/// Mitsuba's `area` emitter: a shape that emits `radiance` on the side its
/// normal points to. The radiance may be a texture (a bitmap or checkerboard),
/// looked up at the texture coordinates of the point on the shape, whether a
/// ray hits it or next-event estimation samples it.
///
/// ```xml
/// <shape type="rectangle">
///     <emitter type="area"><rgb name="radiance" value="18.4, 15.6, 8.0"/></emitter>
/// </shape>
/// <shape type="rectangle">
///     <emitter type="area">
///         <texture name="radiance" type="bitmap"><string name="filename" value="flower.bmp"/></texture>
///     </emitter>
/// </shape>
/// ```
///
/// Parameters: `radiance.value`, or the texture's under `radiance.` (`radiance.data`).
public struct AreaLight<T: Real> {
    public var shape: Int
    /// The constant radiance; with a texture, the texture's mean (what the
    /// visibility boundary term sees).
    public var radiance: RGB<T>
    /// The radiance texture (nil: the constant `radiance`).
    public var texture: Texture<T>?

    public init(shape: Int, radiance: RGB<T>) { self.shape = shape; self.radiance = radiance }

    public init(shape: Int, texture: Texture<T>) {
        self.shape = shape
        self.texture = texture
        radiance = RGB(texture.mean)
    }

    /// Whether the radiance varies over the shape (then sampling needs the uv of the sampled point).
    @inlinable public var isTextured: Bool { texture != nil }

    /// The radiance at texture coordinates `uv` of the shape.
    @inlinable
    public func radiance(at uv: (T, T)) -> RGB<T> {
        guard let texture else { return radiance }
        return texture.eval(uv)
    }
}

/// Mitsuba's `point` emitter: `intensity` (W/sr) at `position`.
public struct PointLight<T: Real> {
    public var position: Vector3<T>
    public var intensity: RGB<T>
    public init(position: Vector3<T>, intensity: RGB<T>) { self.position = position; self.intensity = intensity }
}

/// Mitsuba's `spot` emitter: a point light along its local +Z with a cone
/// (`cutoff_angle`, `beam_width` in degrees) and a linear falloff in angle
/// between them. An optional `texture` scales the intensity by the image
/// seen through the cone, as Mitsuba: the local direction (x, y, z) looks up
/// uv = (½ + ½ x / (z tan cutoff), ½ + ½ y / (z tan cutoff)).
///
/// ```xml
/// <emitter type="spot">
///     <transform name="to_world"><lookat origin="0, 3, 0" target="0, 0, 0"/></transform>
///     <rgb name="intensity" value="20"/>
///     <float name="cutoff_angle" value="30"/>
///     <texture type="bitmap" name="texture"><string name="filename" value="slide.png"/></texture>
/// </emitter>
/// ```
///
/// Parameters: `intensity.value`, and the texture's under `texture.` (`texture.data`).
public struct SpotLight<T: Real> {
    public var toWorld: RigidFrame<T>
    public var intensity: RGB<T>
    public var cutoff: Double, beamWidth: Double
    /// The projected image (nil: none, white).
    public var texture: Texture<T>?
    public init(toWorld: RigidFrame<T>, intensity: RGB<T>, cutoffDegrees: Double, beamWidthDegrees: Double,
                texture: Texture<T>? = nil) {
        self.toWorld = toWorld; self.intensity = intensity
        cutoff = cutoffDegrees * .pi / 180; beamWidth = beamWidthDegrees * .pi / 180
        self.texture = texture
    }

    /// The radiant intensity (W/sr) towards world direction `dWorld` (unit):
    /// intensity × texture × falloff.
    @inlinable
    public func radiantIntensity(_ dWorld: Vector3<T>) -> RGB<T> {
        let f = falloff(dWorld)
        if f.primal <= 0 { return .zero }
        guard let texture else { return intensity * f }
        let x = dot(dWorld, toWorld.x.normalized), y = dot(dWorld, toWorld.y.normalized), z = dot(dWorld, toWorld.z.normalized)
        let k = T(Glibc.tan(cutoff))
        let uv = (T(0.5) + T(0.5) * x / (z * k), T(0.5) + T(0.5) * y / (z * k))
        return intensity * texture.eval(uv) * f
    }
    /// The falloff for a direction leaving the light, in world space.
    @inlinable
    public func falloff(_ dWorld: Vector3<T>) -> T {
        let axis = toWorld.z.normalized
        let c = dot(dWorld, axis)
        let angle = T.acos(c)
        if angle.primal >= cutoff { return 0 }
        if angle.primal <= beamWidth { return 1 }
        return (T(cutoff) - angle) / T(cutoff - beamWidth)
    }
}

/// Mitsuba's `directional` emitter: `irradiance` arriving from infinity
/// along `direction` (the direction light travels).
public struct DirectionalLight<T: Real> {
    public var direction: Vector3<T>
    public var irradiance: RGB<T>
    public init(direction: Vector3<T>, irradiance: RGB<T>) { self.direction = direction; self.irradiance = irradiance }
}

/// Mitsuba's `constant` emitter: uniform `radiance` from every direction.
public struct ConstantLight<T: Real> {
    public var radiance: RGB<T>
    public init(radiance: RGB<T>) { self.radiance = radiance }
}
