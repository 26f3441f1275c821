import Geometry

/// A texture: what a BSDF's colour parameters are. A closed enum, switched
/// on in each method (pbrt's tagged dispatch).
///
/// Texture coordinates follow Mitsuba 3: (0, 0) is the top-left corner of a
/// bitmap, u grows to the right and v downwards.
public enum Texture<T: Real> {
    /// A constant colour (`<rgb>`, `<float>`, `<spectrum>` in scene files).
    case constant(RGB<T>)
    /// An image (`<texture type="bitmap">`).
    case bitmap(Bitmap<T>)
    /// A two-colour checkerboard (`<texture type="checkerboard">`).
    case checkerboard(Checkerboard<T>)
    /// A mesh's per-vertex or per-face attribute (`<texture type="mesh_attribute">`).
    case meshAttribute(MeshAttributeTexture)

    /// The colour at surface point `si`: what BSDFs evaluate (a mesh
    /// attribute needs the hit; the others read `si.uv`).
    @inlinable
    public func eval(_ si: SurfaceInteraction<T>) -> RGB<T> {
        if case .meshAttribute(let a) = self { return a.eval(si) }
        return eval(si.uv)
    }

    /// The colour at texture coordinates `uv`.
    @inlinable
    public func eval(_ uv: (T, T)) -> RGB<T> {
        switch self {
        case .constant(let c): return c
        case .bitmap(let b): return b.eval(uv)
        case .checkerboard(let c): return c.eval(uv)
        // Texture coordinates alone do not say which mesh or face: black (the
        // loader refuses mesh attributes where only uv is known, on emitters).
        case .meshAttribute: return .zero
        }
    }

    /// The mean colour, for albedo AOVs and sampling weights.
    @inlinable
    public var mean: RGB<Double> {
        switch self {
        case .constant(let c): return c.primal
        case .bitmap(let b): return b.mean
        case .checkerboard(let c): return c.mean
        case .meshAttribute(let a): return RGB(repeating: 0.5 * a.scale)
        }
    }

    /// The same texture over `U`, each parameter passed through `lifter`
    /// under its `mi.traverse` key: `prefix + "value"` for a constant,
    /// `prefix + "data"` for a bitmap, `prefix + "color0.value"` ... for a
    /// checkerboard. `prefix` ends with a dot (`"red.reflectance."`).
    @inlinable
    public func lifted<U: Real>(_ lifter: Lifter<U>, prefix: String) -> Texture<U> {
        switch self {
        case .constant(let c): return .constant(lifter.rgb(prefix + "value", c.primal))
        case .bitmap(let b): return .bitmap(b.lifted(lifter, prefix: prefix))
        case .checkerboard(let c): return .checkerboard(c.lifted(lifter, prefix: prefix))
        case .meshAttribute(let a): return .meshAttribute(a)
        }
    }

    /// The differentiable parameters with their current values.
    public func parameters(prefix: String) -> [ParameterInfo] {
        switch self {
        case .constant(let c): return [ParameterInfo(key: prefix + "value", values: [c.r.primal, c.g.primal, c.b.primal])]
        case .bitmap(let b): return b.parameters(prefix: prefix)
        case .checkerboard(let c): return c.parameters(prefix: prefix)
        case .meshAttribute: return []
        }
    }
}

/// A 2-D affine map of texture coordinates (Mitsuba's `to_uv`):
/// u' = a u + b v + c, v' = d u + e v + f.
public struct UVTransform: Sendable, Equatable {
    public var a: Double, b: Double, c: Double
    public var d: Double, e: Double, f: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        self.a = a; self.b = b; self.c = c; self.d = d; self.e = e; self.f = f
    }

    public static let identity = UVTransform(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)

    /// Scale then translate: u' = su u + tu, v' = sv v + tv.
    public static func scale(_ su: Double, _ sv: Double, translate tu: Double = 0, _ tv: Double = 0) -> UVTransform {
        UVTransform(a: su, b: 0, c: tu, d: 0, e: sv, f: tv)
    }

    /// The 2-D part of a row-major 4×4 matrix, as Mitsuba reduces a
    /// `<transform name="to_uv">`: rows and columns x, y and the translation column.
    public init(matrix4 m: [Double]) {
        precondition(m.count == 16)
        self.init(a: m[0], b: m[1], c: m[3], d: m[4], e: m[5], f: m[7])
    }

    @inlinable public var isIdentity: Bool { self == .identity }

    @inlinable @inline(__always)
    public func apply<T: Real>(_ uv: (T, T)) -> (T, T) {
        if isIdentity { return uv }
        return (T(a) * uv.0 + T(b) * uv.1 + T(c), T(d) * uv.0 + T(e) * uv.1 + T(f))
    }
}

/// Mitsuba's `mesh_attribute` texture: the attribute `name` of the mesh hit
/// (`vertex_*` interpolated with the hit's barycentrics, `face_*` constant over
/// a face) times `scale`:
///
/// ```xml
/// <bsdf type="diffuse">
///     <texture type="mesh_attribute" name="reflectance">
///         <string name="name" value="vertex_color"/>
///     </texture>
/// </bsdf>
/// ```
///
/// The loader checks that every shape whose BSDF reads it is a mesh with that attribute.
public struct MeshAttributeTexture: Sendable {
    public var name: String
    public var scale: Double
    public init(name: String, scale: Double) { self.name = name; self.scale = scale }

    @inlinable
    public func eval<T: Real>(_ si: SurfaceInteraction<T>) -> RGB<T> {
        guard let mesh = si.mesh,
              let c = mesh.attribute(name, triangle: si.triangle, u: si.barycentrics.0, v: si.barycentrics.1) else { return .zero }
        return scale == 1 ? c : c * T(scale)
    }
}

extension Optional {
    /// The texture's colour at surface point `si`, or 1 when there is none.
    @inlinable @inline(__always)
    public func evalOrOne<T: Real>(_ si: SurfaceInteraction<T>) -> RGB<T> where Wrapped == Texture<T> {
        switch self {
        case .some(let t): return t.eval(si)
        case .none: return .one
        }
    }

    /// The texture's colour at `uv`, or 1 when there is none.
    @inlinable @inline(__always)
    public func evalOrOne<T: Real>(_ uv: (T, T)) -> RGB<T> where Wrapped == Texture<T> {
        switch self {
        case .some(let t): return t.eval(uv)
        case .none: return .one
        }
    }
}
