import Geometry
import ImageIO
import SceneFile

extension BSDF where T == Double {
    /// The BSDF plugins `init(_:)` understands.
    public static var supportedTypes: [String] {
        ["diffuse", "conductor", "roughconductor", "dielectric", "thindielectric", "roughdielectric", "plastic", "twosided",
         "roughplastic", "null", "mask", "blendbsdf", "normalmap", "bumpmap", "principled", "principledthin"]
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
            let anisotropic = object.has("alpha_u") || object.has("alpha_v")
            self = .roughConductor(RoughConductor(distribution: try BSDF.microfacet(object, anisotropic: anisotropic), eta: eta, k: k,
                                                  specularReflectance: try Texture.optionalProperty("specular_reflectance", of: object),
                                                  isAnisotropic: anisotropic))
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
        case "normalmap":
            self = .normalMap(NormalMap(normalmap: try BSDF.normalMapTexture(object), nested: try BSDF.nestedBSDF(object),
                                        flipInvalidNormals: object.boolean("flip_invalid_normals") ?? true,
                                        shadowing: object.boolean("use_shadowing_function") ?? true))
        case "bumpmap":
            let textures = object.children(.texture)
            guard textures.count == 1 else {
                throw SceneFileError("bumpmap: expected one nested texture (the height field), found \(textures.count)", at: object.location)
            }
            let scale = object.float("scale") ?? 1
            guard scale.isFinite else { throw SceneFileError("bumpmap: scale must be finite, got \(scale)", at: object.location(of: "scale")) }
            self = .bumpMap(BumpMap(height: try Texture(textures[0]), scale: scale, nested: try BSDF.nestedBSDF(object),
                                    flipInvalidNormals: object.boolean("flip_invalid_normals") ?? true,
                                    shadowing: object.boolean("use_shadowing_function") ?? true))
        case "principled":
            self = .principled(try BSDF.principled(object))
        case "principledthin":
            func weight(_ name: String, _ fallback: Double) throws -> Texture<Double> {
                try Texture.property(name, of: object, default: RGB(repeating: fallback))
            }
            self = .principledThin(PrincipledThin(
                baseColor: try weight("base_color", 0.5), roughness: try weight("roughness", 0.5),
                anisotropic: try weight("anisotropic", 0), specTrans: try weight("spec_trans", 0), diffTrans: try weight("diff_trans", 0),
                specTint: try weight("spec_tint", 0), sheen: try weight("sheen", 0), sheenTint: try weight("sheen_tint", 0),
                flatness: try weight("flatness", 0), eta: try weight("eta", 1.5),
                specularReflectionSamplingRate: object.float("specular_reflectance_sampling_rate") ?? 1,
                specularTransmissionSamplingRate: object.float("specular_transmittance_sampling_rate") ?? 1,
                diffuseReflectionSamplingRate: object.float("diffuse_reflectance_sampling_rate") ?? 1,
                diffuseTransmissionSamplingRate: object.float("diffuse_transmittance_sampling_rate") ?? 1))
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

    /// The microfacet distribution of a rough BSDF (`distribution`, `alpha`,
    /// `sample_visible`; with `anisotropic`, `alpha_u` and `alpha_v` instead of
    /// `alpha`, both required, as Mitsuba).
    static func microfacet(_ object: SceneObject, anisotropic: Bool = false) throws -> Microfacet<Double> {
        let name = object.string("distribution") ?? "beckmann"
        guard let type = MicrofacetType(rawValue: name) else {
            throw SceneFileError("\(object.type): unsupported distribution '\(name)' (supported: beckmann, ggx)",
                                 at: object.location(of: "distribution"))
        }
        func roughness(_ key: String) throws -> Double {
            let alpha = try Texture.constantScalar(key, of: object, default: 0.1)
            guard alpha > 0, alpha.isFinite else {
                throw SceneFileError("\(object.type): \(key) must be a positive number, got \(alpha)", at: object.location(of: key))
            }
            return alpha
        }
        let sampleVisible = object.boolean("sample_visible") ?? true
        guard anisotropic else { return Microfacet(type: type, alpha: try roughness("alpha"), sampleVisible: sampleVisible) }
        if object.has("alpha") {
            throw SceneFileError("\(object.type): give either 'alpha' or 'alpha_u' and 'alpha_v', not both", at: object.location(of: "alpha"))
        }
        for key in ["alpha_u", "alpha_v"] where !object.has(key) {
            throw SceneFileError("\(object.type): 'alpha_u' and 'alpha_v' must both be given (\(key) is missing)", at: object.location)
        }
        return Microfacet(type: type, alphaU: try roughness("alpha_u"), alphaV: try roughness("alpha_v"), sampleVisible: sampleVisible)
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

    /// The one nested BSDF of `normalmap` and `bumpmap`.
    static func nestedBSDF(_ object: SceneObject) throws -> BSDF<Double> {
        let nested = object.children(.bsdf)
        guard nested.count == 1 else {
            throw SceneFileError("\(object.type): expected one nested bsdf, found \(nested.count)", at: object.location)
        }
        return try BSDF(nested[0])
    }

    /// `normalmap`'s texture: required, and a bitmap must hold three channels
    /// (Mitsuba reads it with `eval_3`).
    static func normalMapTexture(_ object: SceneObject) throws -> Texture<Double> {
        guard let t = object.texture("normalmap") else {
            if object.has("normalmap") { return try Texture.property("normalmap", of: object, default: RGB(0.5, 0.5, 1)) }
            throw SceneFileError("normalmap: missing the texture 'normalmap' (an RGB bitmap of normals mapped by (n + 1) / 2)",
                                 at: object.location)
        }
        if t.type == "bitmap", let path = t.string("filename") {
            let channels = try BSDF.colourChannels(path: path, at: t.location(of: "filename"))
            guard channels == 3 else {
                throw SceneFileError("normalmap: '\(path)' has \(channels) channel\(channels == 1 ? "" : "s"); a normal map needs 3 (RGB)",
                                     at: t.location(of: "filename"))
            }
        }
        return try Texture(t)
    }

    /// `principled`: every weight a texture or a number, `eta` or `specular` (not both).
    static func principled(_ object: SceneObject) throws -> Principled<Double> {
        func weight(_ name: String, _ fallback: Double) throws -> Texture<Double> {
            try Texture.property(name, of: object, default: RGB(repeating: fallback))
        }
        if object.has("eta") && object.has("specular") {
            throw SceneFileError("principled: give either 'eta' or 'specular', not both", at: object.location(of: "specular"))
        }
        let eta = object.float("eta"), specular = object.float("specular")
        if let eta, !(eta > 0 && eta.isFinite) {
            throw SceneFileError("principled: eta must be positive, got \(eta)", at: object.location(of: "eta"))
        }
        if let specular, !(specular >= 0 && specular < 12.5) {
            throw SceneFileError("principled: specular must be in [0, 12.5), got \(specular)", at: object.location(of: "specular"))
        }
        // Mitsuba's flags: a lobe is on when its property is given and is not the number 0.
        func given(_ name: String) -> Bool { object.texture(name) != nil || (object.has(name) && object.rgb(name) != Vec3.zero) }
        return Principled(baseColor: try weight("base_color", 0.5), roughness: try weight("roughness", 0.5),
                          anisotropic: try weight("anisotropic", 0), metallic: try weight("metallic", 0),
                          specTrans: try weight("spec_trans", 0), specTint: try weight("spec_tint", 0),
                          sheen: try weight("sheen", 0), sheenTint: try weight("sheen_tint", 0),
                          clearcoat: try weight("clearcoat", 0), clearcoatGloss: try weight("clearcoat_gloss", 0),
                          flatness: try weight("flatness", 0), eta: eta, specular: specular, hasSpecTrans: given("spec_trans"),
                          specularSamplingRate: object.float("main_specular_sampling_rate") ?? 1,
                          clearcoatSamplingRate: object.float("clearcoat_sampling_rate") ?? 1,
                          diffuseSamplingRate: object.float("diffuse_reflectance_sampling_rate") ?? 1)
    }

    /// The number of colour channels of an image file as Mitsuba's bitmap
    /// keeps them (alpha dropped): 1 for grey PNG and JPEG files, else 3.
    static func colourChannels(path: String, at location: SourceLocation) throws -> Int {
        do {
            switch ImageFileFormat(path: path) {
            case .png?: return try PNGImage.read(from: path).isColor ? 3 : 1
            case .jpeg?: return try JPEGImage.read(from: path).channels
            default: return 3
            }
        } catch {
            throw SceneFileError("bitmap: cannot read '\(path)': \(error)", at: location)
        }
    }
}
