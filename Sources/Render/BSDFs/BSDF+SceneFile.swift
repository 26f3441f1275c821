import Geometry
import ImageIO
import SceneFile

extension BSDF where T == Double {
    /// The BSDF plugins by Mitsuba name, and how each reads its `<bsdf>`.
    /// A new BSDF adds its line here (and its case to `BSDF`).
    static var plugins: KeyValuePairs<String, (SceneObject) throws -> BSDF> {
        ["diffuse": { .diffuse(try Diffuse($0)) },
         "conductor": { .conductor(try Conductor($0)) },
         "roughconductor": { .roughConductor(try RoughConductor($0)) },
         "dielectric": { .dielectric(try Dielectric($0)) },
         "thindielectric": { .thinDielectric(try ThinDielectric($0)) },
         "roughdielectric": { .roughDielectric(try RoughDielectric($0)) },
         "plastic": { .plastic(try Plastic($0)) },
         "twosided": { .twoSided(try TwoSided($0)) },
         "roughplastic": { .roughPlastic(try RoughPlastic($0)) },
         "null": { .null(try NullBSDF($0)) },
         "mask": { .mask(try Mask($0)) },
         "blendbsdf": { .blend(try BlendBSDF($0)) },
         "normalmap": { .normalMap(try NormalMap($0)) },
         "bumpmap": { .bumpMap(try BumpMap($0)) },
         "principled": { .principled(try Principled($0)) },
         "principledthin": { .principledThin(try PrincipledThin($0)) }]
    }

    /// The BSDF plugins `init(_:)` understands.
    public static var supportedTypes: [String] { plugins.map(\.key) }

    /// Builds the BSDF a `<bsdf>` object describes, with Mitsuba 3's
    /// defaults. Throws a one-line `SceneFileError` naming the file and place
    /// for anything unsupported.
    public init(_ object: SceneObject) throws {
        guard object.category == .bsdf else {
            throw SceneFileError("expected a bsdf, found a \(object.category) '\(object.type)'", at: object.location)
        }
        guard let read = BSDF.plugins.first(where: { $0.key == object.type })?.value else {
            throw SceneFileError("unsupported bsdf type '\(object.type)' (supported: \(BSDF.supportedTypes.joined(separator: ", ")))",
                                 at: object.location)
        }
        self = try read(object)
    }

    /// (eta, k) of a conductor: a named `material`, or `eta`/`k` (default 0
    /// and 1: a perfect mirror).
    static func conductorIndex(_ object: SceneObject) throws -> (RGB<Double>, RGB<Double>) {
        let material = try object.defaulted("material", object.string)
        if material == "none" {
            return (try Texture.constantColor("eta", of: object), try Texture.constantColor("k", of: object))
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
        let name = try object.defaulted("distribution", object.string)
        guard let type = MicrofacetType(rawValue: name) else {
            throw SceneFileError("\(object.type): unsupported distribution '\(name)' (supported: beckmann, ggx)",
                                 at: object.location(of: "distribution"))
        }
        func roughness(_ key: String) throws -> Double {
            let alpha = try Texture.constantScalar(key, of: object)
            guard alpha > 0, alpha.isFinite else {
                throw SceneFileError("\(object.type): \(key) must be a positive number, got \(alpha)", at: object.location(of: key))
            }
            return alpha
        }
        let sampleVisible = try object.defaulted("sample_visible", object.boolean)
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
    static func relativeIOR(_ object: SceneObject) throws -> Double {
        func ior(_ name: String) throws -> Double {
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
                throw SceneFileError("\(object.type): \(name) is not given and has no default", at: object.location)
            }
            guard v > 0, v.isFinite else {
                throw SceneFileError("\(object.type): \(name) must be positive, got \(v)", at: object.location(of: name))
            }
            return v
        }
        return try ior("int_ior") / ior("ext_ior")
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
            if object.has("normalmap") { return try Texture.property("normalmap", of: object) }
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
