import Geometry
/// A typed property value as written in the scene file (after `$name`
/// substitution, old-name mapping and validation).
///
/// - `rgb`: one value in the file means grey (`<rgb value="0.5"/>` = (0.5, 0.5, 0.5)).
/// - `spectrum`: DiffRay renders in RGB, so a spectrum holds the RGB that
///   Mitsuba's RGB variants make of it: `value="0.5"` is grey 0.5;
///   wavelength:value pairs and `filename=` spectra are integrated against the
///   CIE 1931 curves (see `SpectrumConversion`).
/// - `transform`: the composed 4×4 matrix of a `<transform>` element.
/// Object references (`<ref id="..."/>`, `<ref name="..." id="..."/>`) are not
/// properties: the referenced object is resolved into `SceneObject.children`
/// (with the ref's `name`, and `referencedID` set to the id).
public enum Property: Sendable, Hashable {
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case string(String)
    case point(Vec3)
    case vector(Vec3)
    case rgb(Vec3)
    case spectrum(Vec3)
    case transform(Matrix4)
    /// An `<animation>`: key transforms at strictly increasing times.
    case animation([AnimationKey])

    /// The element name used in the file (`integer`, `float`, `rgb`, ...).
    public var kindName: String {
        switch self {
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .string: "string"
        case .point: "point"
        case .vector: "vector"
        case .rgb: "rgb"
        case .spectrum: "spectrum"
        case .transform: "transform"
        case .animation: "animation"
        }
    }

    /// The value as a Double: `float`, or `integer` converted.
    public var doubleValue: Double? {
        switch self {
        case .float(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }

    /// The value as an RGB colour: `rgb`; `spectrum`, `float` or `integer` as grey.
    public var colorValue: Vec3? {
        switch self {
        case .rgb(let c): c
        case .spectrum(let c): c
        case .float(let v): Vec3(repeating: v)
        case .integer(let v): Vec3(repeating: Double(v))
        default: nil
        }
    }
}

/// One key of an `<animation>`: `<transform time="...">`, its matrix composed as a `<transform>`'s.
public struct AnimationKey: Sendable, Hashable {
    public var time: Double
    public var matrix: Matrix4
    public init(time: Double, matrix: Matrix4) { self.time = time; self.matrix = matrix }
}
