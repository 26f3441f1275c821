import Geometry
import SceneFile

extension BSDF where T == Double {
    /// The BSDF plugins `init(_:)` understands.
    public static var supportedTypes: [String] {
        ["diffuse", "conductor", "roughconductor", "dielectric", "thindielectric", "roughdielectric", "plastic", "twosided",
         "roughplastic", "null", "mask", "blendbsdf"]
    }

    /// Builds the BSDF a `<bsdf>` object describes, with Mitsuba 3's
    /// defaults. Throws a one-line `SceneFileError` naming the file and place
    /// for anything unsupported.
    public init(_ object: SceneObject) throws {
        guard object.category == .bsdf else {
            throw SceneFileError("expected a bsdf, found a \(object.category) '\(object.type)'", at: object.location)
        }
        switch object.type {
        case "diffuse":
            self = .diffuse(Diffuse(reflectance: try Texture.property("reflectance", of: object, default: RGB(repeating: 0.5))))
        case "conductor":
            let (eta, k) = try BSDF.conductorIndex(object)
            self = .conductor(Conductor(eta: eta, k: k,
                                        specularReflectance: try Texture.property("specular_reflectance", of: object, default: .one)))
        case "roughconductor":
            let (eta, k) = try BSDF.conductorIndex(object)
            self = .roughConductor(RoughConductor(distribution: try BSDF.microfacet(object), eta: eta, k: k,
                                                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object)))
        case "dielectric":
            self = .dielectric(Dielectric(eta: try BSDF.relativeIOR(object, defaultInterior: 1.5046),
                                          specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                                          specularTransmittance: try Texture.optionalProperty("specular_transmittance", of: object)))
        case "thindielectric":
            self = .thinDielectric(ThinDielectric(eta: try BSDF.relativeIOR(object, defaultInterior: 1.5046),
                                                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                                                  specularTransmittance: try Texture.optionalProperty("specular_transmittance", of: object)))
        case "roughdielectric":
            self = .roughDielectric(RoughDielectric(distribution: try BSDF.microfacet(object),
                                                    eta: try BSDF.relativeIOR(object, defaultInterior: 1.5046),
                                                    specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                                                    specularTransmittance: try Texture.optionalProperty("specular_transmittance", of: object)))
        case "plastic":
            self = .plastic(Plastic(diffuseReflectance: try Texture.property("diffuse_reflectance", of: object, default: RGB(repeating: 0.5)),
                                    specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                                    eta: try BSDF.relativeIOR(object, defaultInterior: 1.49),
                                    nonlinear: object.boolean("nonlinear") ?? false))
        case "twosided":
            let nested = object.children(.bsdf)
            guard nested.count == 1 || nested.count == 2 else {
                throw SceneFileError("twosided: expected one or two nested bsdfs, found \(nested.count)", at: object.location)
            }
            let front = try BSDF(nested[0])
            let back = nested.count == 2 ? try BSDF(nested[1]) : nil
            self = .twoSided(TwoSided(front: front, back: back))
        case "roughplastic":
            let distribution = try BSDF.microfacet(object)
            guard distribution.sampleVisible else {
                throw SceneFileError("roughplastic: sample_visible false is not supported (its coating tables integrate over the visible normals)",
                                     at: object.location(of: "sample_visible"))
            }
            self = .roughPlastic(RoughPlastic(diffuseReflectance: try Texture.property("diffuse_reflectance", of: object, default: RGB(repeating: 0.5)),
                                              specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                                              distribution: distribution,
                                              eta: try BSDF.relativeIOR(object, defaultInterior: 1.49),
                                              nonlinear: object.boolean("nonlinear") ?? false))
        case "null":
            self = .null(NullBSDF())
        case "mask":
            let nested = object.children(.bsdf)
            guard nested.count == 1 else {
                throw SceneFileError("mask: expected one nested bsdf, found \(nested.count)", at: object.location)
            }
            self = .mask(Mask(opacity: try Texture.property("opacity", of: object, default: RGB(repeating: 0.5)),
                              nested: try BSDF(nested[0])))
        case "blendbsdf":
            let nested = object.children(.bsdf)
            guard nested.count == 2 else {
                throw SceneFileError("blendbsdf: expected two nested bsdfs, found \(nested.count)", at: object.location)
            }
            self = .blend(BlendBSDF(weight: try Texture.property("weight", of: object, default: RGB(repeating: 0.5)),
                                    first: try BSDF(nested[0]), second: try BSDF(nested[1])))
        default:
            throw SceneFileError("unsupported bsdf type '\(object.type)' (supported: \(BSDF.supportedTypes.joined(separator: ", ")))",
                                 at: object.location)
        }
    }

    /// (eta, k) of a conductor: a named `material`, or `eta`/`k` (default 0
    /// and 1: a perfect mirror).
    static func conductorIndex(_ object: SceneObject) throws -> (RGB<Double>, RGB<Double>) {
        let material = object.string("material") ?? "none"
        if material == "none" {
            return (try Texture.constantColor("eta", of: object, default: .zero),
                    try Texture.constantColor("k", of: object, default: .one))
        }
        if object.has("eta") || object.has("k") {
            throw SceneFileError("\(object.type): give either 'material' or 'eta'/'k', not both", at: object.location(of: "material"))
        }
        guard let entry = Fresnel.namedConductors[material] else {
            throw SceneFileError("\(object.type): unknown material '\(material)' (supported: none, "
                                 + Fresnel.namedConductors.keys.sorted().joined(separator: ", ") + ")",
                                 at: object.location(of: "material"))
        }
        return (entry.eta, entry.k)
    }

    /// The microfacet distribution of a rough BSDF (`distribution`, `alpha`, `sample_visible`).
    static func microfacet(_ object: SceneObject) throws -> Microfacet<Double> {
        let name = object.string("distribution") ?? "beckmann"
        guard let type = MicrofacetType(rawValue: name) else {
            throw SceneFileError("\(object.type): unsupported distribution '\(name)' (supported: beckmann, ggx)",
                                 at: object.location(of: "distribution"))
        }
        let alpha = try Texture.constantScalar("alpha", of: object, default: 0.1)
        guard alpha > 0, alpha.isFinite else {
            throw SceneFileError("\(object.type): alpha must be a positive number, got \(alpha)", at: object.location(of: "alpha"))
        }
        return Microfacet(type: type, alpha: alpha, sampleVisible: object.boolean("sample_visible") ?? true)
    }

    /// int_ior / ext_ior (floats or Mitsuba's material names).
    static func relativeIOR(_ object: SceneObject, defaultInterior: Double) throws -> Double {
        func ior(_ name: String, _ fallback: Double) throws -> Double {
            let v: Double
            switch object.value(name) {
            case .string(let s)?:
                guard let x = Fresnel.namedIOR[s.lowercased()] else {
                    throw SceneFileError("\(object.type): unknown \(name) '\(s)' (a number or one of "
                                         + Fresnel.namedIOR.keys.sorted().joined(separator: ", ") + ")",
                                         at: object.location(of: name))
                }
                v = x
            case let p?:
                guard let x = p.doubleValue else {
                    throw SceneFileError("\(object.type): \(name) must be a float or a material name, got a \(p.kindName)",
                                         at: object.location(of: name))
                }
                v = x
            case nil:
                v = fallback
            }
            guard v > 0, v.isFinite else {
                throw SceneFileError("\(object.type): \(name) must be positive, got \(v)", at: object.location(of: name))
            }
            return v
        }
        return try ior("int_ior", defaultInterior) / ior("ext_ior", 1.000277)
    }
}
