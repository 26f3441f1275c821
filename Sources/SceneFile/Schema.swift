import Geometry
/// What a property of a plugin accepts.
public enum ValueKind: Sendable, Hashable {
    case integer
    /// `<float>`; `<integer>` is accepted and converted.
    case float
    case boolean
    case string
    case point
    case vector
    case transform
    /// A `<transform>` or an `<animation>` of keys over time.
    case animatedTransform
    /// A colour: `<rgb>`, `<spectrum>`, `<float>` (grey), or a nested or
    /// referenced `<texture name="...">`.
    case texture
    /// A constant colour: `<rgb>`, `<spectrum>` or `<float>` (no texture).
    case color
    /// An index of refraction: `<float>`, or `<string>` naming a material in
    /// `Schema.iorTable` (stored as the `<float>` it names).
    case ior
    /// A `<string>` among the listed values.
    case choice([String])
    /// A `<float>` or a `<vector>` (stored as given), as `rawconstant`'s `value`.
    case floatOrVector
    /// A `<string>` path, resolved against the folder of the file that
    /// contains it and stored resolved; the file must exist.
    case filename

    public var summary: String {
        switch self {
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .string: "string"
        case .point: "point"
        case .vector: "vector"
        case .transform: "transform"
        case .animatedTransform: "transform or animation"
        case .texture: "rgb, spectrum, float or texture"
        case .color: "rgb, spectrum or float"
        case .ior: "float or string (material name)"
        case .choice(let names): "string (one of " + names.joined(separator: ", ") + ")"
        case .filename: "string (file name)"
        case .floatOrVector: "float or vector"
        }
    }
}

/// A numeric constraint checked at parse time.
public enum ValueConstraint: Sendable, Hashable {
    case none
    /// > 0
    case positive
    /// ≥ 0
    case nonNegative
    /// ≥ the bound
    case atLeast(Double)
    /// strictly between the bounds
    case openRange(Double, Double)
}

/// One property of a plugin: its name, what it accepts and Mitsuba's default.
public struct PropertySpec: Sendable, Hashable {
    public var name: String
    public var kind: ValueKind
    /// Mitsuba's default (nil: required, or optional without a constant default,
    /// see `Schema.defaultValue(of:for:)` for derived ones).
    public var defaultValue: Property?
    public var constraint: ValueConstraint
    public var required: Bool

    public init(_ name: String, _ kind: ValueKind, _ defaultValue: Property? = nil,
                _ constraint: ValueConstraint = .none, required: Bool = false) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.constraint = constraint
        self.required = required
    }
}

/// One plugin DiffRay supports: its category, name, properties and which
/// objects may nest in it.
public struct PluginSpec: Sendable, Hashable {
    public var category: ObjectCategory
    public var type: String
    public var properties: [PropertySpec]
    /// Categories of nested objects allowed, with the largest count of each.
    /// (Textures nest under the name of a `.texture` property instead.)
    public var children: [ObjectCategory: Int]
    /// Where DiffRay departs from Mitsuba, if anywhere.
    public var note: String?

    public init(_ category: ObjectCategory, _ type: String, _ properties: [PropertySpec],
                children: [ObjectCategory: Int] = [:], note: String? = nil) {
        self.category = category
        self.type = type
        self.properties = properties
        self.children = children
        self.note = note
    }

    public func property(_ name: String) -> PropertySpec? { properties.first { $0.name == name } }
}

/// The table of everything DiffRay reads from a scene file, with Mitsuba 3's
/// defaults: the one place the renderer takes defaults from.
public enum Schema {
    /// Named indices of refraction from Mitsuba 3 (`ior.h`), for `int_ior`/`ext_ior`.
    /// Mitsuba has no "glass": use "bk7" (1.5046) or a number.
    public static let iorTable: [String: Double] = [
        "vacuum": 1.0, "helium": 1.000036, "hydrogen": 1.000132, "air": 1.000277,
        "carbon dioxide": 1.00045, "water": 1.3330, "acetone": 1.36, "ethanol": 1.361,
        "carbon tetrachloride": 1.461, "glycerol": 1.4729, "benzene": 1.501,
        "silicone oil": 1.52045, "bromine": 1.661, "water ice": 1.31, "fused quartz": 1.458,
        "pyrex": 1.470, "acrylic glass": 1.49, "polypropylene": 1.49, "bk7": 1.5046,
        "sodium chloride": 1.544, "amber": 1.55, "pet": 1.5750, "diamond": 2.419,
    ]

    /// Conductor `material` names DiffRay supports: "none" (use eta/k, by
    /// default eta 0, k 1: a perfect mirror) and Mitsuba 3's named metals,
    /// whose RGB eta/k Render's `Fresnel.namedConductors` holds.
    public static let conductorMaterials = ["none", "a-C", "Ag", "Al", "AlAs", "AlAs_palik", "AlSb", "AlSb_palik", "Au", "Be",
        "Cr", "CsI", "Cu", "Cu_palik", "Cu2O", "CuO", "d-C", "Hg", "HgTe", "Ir", "K", "Li", "MgO", "Mo", "Na_palik", "Nb",
        "Ni_palik", "Rh", "Se", "SiC", "SnTe", "Ta", "Te", "ThF4", "TiC", "TiN", "TiO2", "VC", "V_palik", "VN", "W"]

    /// AOV types accepted in `<string name="aovs" value="name:type,...">`.
    public static let aovTypes = ["depth", "position", "uv", "geo_normal", "sh_normal", "albedo"]

    static let shapeCommon: [PropertySpec] = [
        PropertySpec("to_world", .transform, .transform(.identity)),
        PropertySpec("flip_normals", .boolean, .boolean(false)),
    ]
    static let shapeChildren: [ObjectCategory: Int] = [.bsdf: 1, .emitter: 1]
    static let distributions = ValueKind.choice(["beckmann", "ggx"])
    static let one = Property.rgb(Vec3(repeating: 1))
    /// The properties of `principled` besides its clearcoat, metallic and sampling rates.
    static let principledProperties = [
        PropertySpec("base_color", .texture, .float(0.5)),
        PropertySpec("roughness", .texture, .float(0.5)),
        PropertySpec("anisotropic", .texture, .float(0)),
        PropertySpec("spec_trans", .texture, .float(0)),
        PropertySpec("spec_tint", .texture, .float(0)),
        PropertySpec("sheen", .texture, .float(0)),
        PropertySpec("sheen_tint", .texture, .float(0)),
        PropertySpec("flatness", .texture, .float(0)),
        PropertySpec("eta", .float, nil, .positive),
        PropertySpec("specular", .float, nil, .nonNegative),
    ]

    /// Every supported plugin.
    /// Every sensor's shutter (`Shutter` in the renderer).
    static let shutter: [PropertySpec] = [
        PropertySpec("shutter_open", .float, .float(0)),
        PropertySpec("shutter_close", .float, .float(0)),
        PropertySpec("rolling_shutter_type", .choice(["none", "top", "bottom", "left", "right"]), .string("none")),
        PropertySpec("rolling_shutter_duration", .float, .float(1), .nonNegative),
    ]

    public static let plugins: [PluginSpec] = [
        // Shapes.
        PluginSpec(.shape, "sphere", shapeCommon + [
            PropertySpec("center", .point, .point(.zero)),
            PropertySpec("radius", .float, .float(1), .positive),
        ], children: shapeChildren),
        PluginSpec(.shape, "rectangle", shapeCommon, children: shapeChildren,
                   note: "[-1,1]^2 in the z=0 plane, normal +Z"),
        PluginSpec(.shape, "cube", shapeCommon, children: shapeChildren, note: "[-1,1]^3"),
        PluginSpec(.shape, "disk", shapeCommon, children: shapeChildren, note: "unit disk at z=0, normal +Z"),
        PluginSpec(.shape, "cylinder", shapeCommon + [
            PropertySpec("p0", .point, .point(.zero)),
            PropertySpec("p1", .point, .point(Vec3(0, 0, 1))),
            PropertySpec("radius", .float, .float(1), .positive),
        ], children: shapeChildren, note: "open tube from p0 to p1 (no caps), normals outward"),
        PluginSpec(.shape, "obj", shapeCommon + [
            PropertySpec("filename", .filename, required: true),
            PropertySpec("face_normals", .boolean, .boolean(false)),
            PropertySpec("flip_tex_coords", .boolean, .boolean(true)),
        ], children: shapeChildren),
        PluginSpec(.shape, "ply", shapeCommon + [
            PropertySpec("filename", .filename, required: true),
            PropertySpec("face_normals", .boolean, .boolean(false)),
            PropertySpec("flip_tex_coords", .boolean, .boolean(false)),
        ], children: shapeChildren),
        PluginSpec(.shape, "serialized", shapeCommon + [
            PropertySpec("filename", .filename, required: true),
            PropertySpec("shape_index", .integer, .integer(0), .nonNegative),
            PropertySpec("face_normals", .boolean, .boolean(false)),
        ], children: shapeChildren, note: "Mitsuba's compressed mesh format (versions 3 and 4)"),

        PluginSpec(.shape, "sdfgrid", [
            PropertySpec("to_world", .transform, .transform(.identity)),
            PropertySpec("filename", .filename, required: true),
            PropertySpec("normals", .choice(["smooth", "analytic"]), .string("smooth")),
        ], children: [.bsdf: 1], note: "signed distances on a grid over [0,1]^3 (.vol, one channel); no uv, no emitter"),
        PluginSpec(.shape, "shapegroup", [], children: [.shape: Int.max],
                   note: "drawn only through instances; no emitters inside"),
        PluginSpec(.shape, "instance", [
            PropertySpec("to_world", .animatedTransform, .transform(.identity)),
            PropertySpec("animation", .animatedTransform),
        ], children: [.shape: 1], note: "a <ref> to a shapegroup; flattened into copies of its shapes unless animated "
                                        + "(<animation name=\"to_world\"> or name=\"animation\"): then traced in its own space at each ray's time"),

        // BSDFs.
        PluginSpec(.bsdf, "diffuse", [
            PropertySpec("reflectance", .texture, .rgb(Vec3(repeating: 0.5))),
        ]),
        PluginSpec(.bsdf, "conductor", [
            PropertySpec("material", .choice(conductorMaterials), .string("none")),
            PropertySpec("eta", .texture, .rgb(.zero)),
            PropertySpec("k", .texture, one),
            PropertySpec("specular_reflectance", .texture, one),
        ], note: "material \"none\" with eta 0, k 1 is a perfect mirror"),
        PluginSpec(.bsdf, "roughconductor", [
            PropertySpec("material", .choice(conductorMaterials), .string("none")),
            PropertySpec("eta", .texture, .rgb(.zero)),
            PropertySpec("k", .texture, one),
            PropertySpec("specular_reflectance", .texture, one),
            PropertySpec("distribution", distributions, .string("beckmann")),
            PropertySpec("alpha", .texture, .float(0.1)),
            PropertySpec("alpha_u", .texture),
            PropertySpec("alpha_v", .texture),
            PropertySpec("sample_visible", .boolean, .boolean(true)),
        ], note: "alpha, or alpha_u and alpha_v (anisotropic, along dp/du and across it)"),
        PluginSpec(.bsdf, "dielectric", [
            PropertySpec("int_ior", .ior, .float(1.5046), .positive),
            PropertySpec("ext_ior", .ior, .float(1.000277), .positive),
            PropertySpec("specular_reflectance", .texture, one),
            PropertySpec("specular_transmittance", .texture, one),
        ]),
        PluginSpec(.bsdf, "thindielectric", [
            PropertySpec("int_ior", .ior, .float(1.5046), .positive),
            PropertySpec("ext_ior", .ior, .float(1.000277), .positive),
            PropertySpec("specular_reflectance", .texture, one),
            PropertySpec("specular_transmittance", .texture, one),
        ]),
        PluginSpec(.bsdf, "roughdielectric", [
            PropertySpec("int_ior", .ior, .float(1.5046), .positive),
            PropertySpec("ext_ior", .ior, .float(1.000277), .positive),
            PropertySpec("specular_reflectance", .texture, one),
            PropertySpec("specular_transmittance", .texture, one),
            PropertySpec("distribution", distributions, .string("beckmann")),
            PropertySpec("alpha", .texture, .float(0.1)),
            PropertySpec("sample_visible", .boolean, .boolean(true)),
        ], note: "isotropic alpha only (alpha_u/alpha_v are not supported)"),
        PluginSpec(.bsdf, "plastic", [
            PropertySpec("diffuse_reflectance", .texture, .rgb(Vec3(repeating: 0.5))),
            PropertySpec("specular_reflectance", .texture, one),
            PropertySpec("int_ior", .ior, .float(1.49), .positive),
            PropertySpec("ext_ior", .ior, .float(1.000277), .positive),
            PropertySpec("nonlinear", .boolean, .boolean(false)),
        ]),
        PluginSpec(.bsdf, "twosided", [], children: [.bsdf: 2],
                   note: "one nested bsdf for both sides, or two (front, back)"),
        PluginSpec(.bsdf, "roughplastic", [
            PropertySpec("diffuse_reflectance", .texture, .rgb(Vec3(repeating: 0.5))),
            PropertySpec("specular_reflectance", .texture, one),
            PropertySpec("int_ior", .ior, .float(1.49), .positive),
            PropertySpec("ext_ior", .ior, .float(1.000277), .positive),
            PropertySpec("nonlinear", .boolean, .boolean(false)),
            PropertySpec("distribution", distributions, .string("beckmann")),
            PropertySpec("alpha", .float, .float(0.1), .positive),
            PropertySpec("sample_visible", .boolean, .boolean(true)),
        ], note: "isotropic alpha only, as Mitsuba; sample_visible must be true"),
        PluginSpec(.bsdf, "null", []),
        PluginSpec(.bsdf, "mask", [
            PropertySpec("opacity", .texture, .float(0.5)),
        ], children: [.bsdf: 1], note: "opacity: grey value or the luminance of a colour, clamped to [0, 1]"),
        PluginSpec(.bsdf, "blendbsdf", [
            PropertySpec("weight", .texture, .float(0.5)),
        ], children: [.bsdf: 2], note: "weight: grey value or the luminance of a colour, clamped to [0, 1]; two nested bsdfs"),
        PluginSpec(.bsdf, "normalmap", [
            PropertySpec("normalmap", .texture),
            PropertySpec("flip_invalid_normals", .boolean, .boolean(true)),
            PropertySpec("use_shadowing_function", .boolean, .boolean(true)),
        ], children: [.bsdf: 1], note: "an RGB texture of normals n mapped by (n + 1) / 2 in the tangent frame; one nested bsdf"),
        PluginSpec(.bsdf, "bumpmap", [
            PropertySpec("scale", .float, .float(1)),
            PropertySpec("flip_invalid_normals", .boolean, .boolean(true)),
            PropertySpec("use_shadowing_function", .boolean, .boolean(true)),
        ], children: [.bsdf: 1, .texture: 1], note: "one nested texture of any name (the height field) and one nested bsdf"),
        PluginSpec(.bsdf, "principled", principledProperties + [
            PropertySpec("metallic", .texture, .float(0)),
            PropertySpec("clearcoat", .texture, .float(0)),
            PropertySpec("clearcoat_gloss", .texture, .float(0)),
            PropertySpec("main_specular_sampling_rate", .float, .float(1), .nonNegative),
            PropertySpec("clearcoat_sampling_rate", .float, .float(1), .nonNegative),
            PropertySpec("diffuse_reflectance_sampling_rate", .float, .float(1), .nonNegative),
        ], note: "eta or specular, not both; every weight a number or a texture"),
        PluginSpec(.bsdf, "principledthin", [
            PropertySpec("base_color", .texture, .float(0.5)),
            PropertySpec("roughness", .texture, .float(0.5)),
            PropertySpec("anisotropic", .texture, .float(0)),
            PropertySpec("spec_trans", .texture, .float(0)),
            PropertySpec("diff_trans", .texture, .float(0)),
            PropertySpec("spec_tint", .texture, .float(0)),
            PropertySpec("sheen", .texture, .float(0)),
            PropertySpec("sheen_tint", .texture, .float(0)),
            PropertySpec("flatness", .texture, .float(0)),
            PropertySpec("eta", .texture, .float(1.5)),
            PropertySpec("specular_reflectance_sampling_rate", .float, .float(1), .nonNegative),
            PropertySpec("specular_transmittance_sampling_rate", .float, .float(1), .nonNegative),
            PropertySpec("diffuse_reflectance_sampling_rate", .float, .float(1), .nonNegative),
            PropertySpec("diffuse_transmittance_sampling_rate", .float, .float(1), .nonNegative),
        ], note: "diff_trans in [0, 2]; every weight and eta a number or a texture"),

        // Textures.
        PluginSpec(.texture, "bitmap", [
            PropertySpec("filename", .filename, required: true),
            PropertySpec("filter_type", .choice(["bilinear", "nearest"]), .string("bilinear")),
            PropertySpec("wrap_mode", .choice(["repeat", "mirror", "clamp"]), .string("repeat")),
            PropertySpec("raw", .boolean, .boolean(false)),
            PropertySpec("format", .choice(["auto", "variant", "float16", "uint8"]), .string("auto")),
            PropertySpec("to_uv", .transform, .transform(.identity)),
        ], note: "format: the storage precision (float16 rounds the values to half precision; uint8 needs an 8-bit image)"),
        PluginSpec(.texture, "checkerboard", [
            PropertySpec("color0", .texture, .rgb(Vec3(repeating: 0.4))),
            PropertySpec("color1", .texture, .rgb(Vec3(repeating: 0.2))),
            PropertySpec("to_uv", .transform, .transform(.identity)),
        ]),

        PluginSpec(.texture, "mesh_attribute", [
            PropertySpec("name", .string, required: true),
            PropertySpec("scale", .float, .float(1)),
        ], note: "a mesh's vertex_* (interpolated) or face_* attribute, e.g. vertex_color from a PLY file's red green blue"),

        PluginSpec(.texture, "rawconstant", [
            PropertySpec("value", .floatOrVector, required: true),
        ], note: "a constant float or vector (3 values, read as RGB), used as given; parameter key value"),

        // Emitters.
        PluginSpec(.emitter, "area", [
            PropertySpec("radiance", .texture, required: true),
        ], note: "inside a <shape>, or top-level with an id and referenced from one shape; emits on the side the normal points to"),
        PluginSpec(.emitter, "point", [
            PropertySpec("intensity", .color, one),
            PropertySpec("position", .point),
            PropertySpec("to_world", .animatedTransform, .transform(.identity)),
        ], note: "position, if given, replaces to_world's translation; to_world may be an <animation>"),
        PluginSpec(.emitter, "spot", [
            PropertySpec("intensity", .color, one),
            PropertySpec("cutoff_angle", .float, .float(20), .openRange(0, 180)),
            PropertySpec("beam_width", .float, nil, .openRange(0, 180)),
            PropertySpec("to_world", .animatedTransform, .transform(.identity)),
            PropertySpec("texture", .texture),
        ], note: "beam_width defaults to 3/4 of cutoff_angle (degrees); shines down +Z; texture seen through the cone"),
        PluginSpec(.emitter, "projector", [
            PropertySpec("irradiance", .texture, required: true),
            PropertySpec("scale", .float, .float(1), .nonNegative),
            PropertySpec("fov", .float, nil, .openRange(0, 180)),
            PropertySpec("fov_axis", .choice(["x", "y", "diagonal", "smaller", "larger"]), .string("x")),
            PropertySpec("focal_length", .string),
            PropertySpec("to_world", .transform, .transform(.identity)),
        ], note: "projects the irradiance image along +Z with a perspective sensor's field of view (aspect of the image)"),
        PluginSpec(.emitter, "directional", [
            PropertySpec("irradiance", .color, one),
            PropertySpec("direction", .vector),
            PropertySpec("to_world", .transform, .transform(.identity)),
        ], note: "direction, if given, replaces to_world (default direction +Z in local space)"),
        PluginSpec(.emitter, "constant", [
            PropertySpec("radiance", .color, one),
        ]),
        PluginSpec(.emitter, "envmap", [
            PropertySpec("filename", .filename, required: true),
            PropertySpec("scale", .float, .float(1), .nonNegative),
            PropertySpec("to_world", .transform, .transform(.identity)),
        ], note: "equirectangular"),

        // Sensor, film, filters, samplers.
        PluginSpec(.sensor, "perspective", [
            PropertySpec("fov", .float, nil, .openRange(0, 180)),
            PropertySpec("fov_axis", .choice(["x", "y", "diagonal", "smaller", "larger"]), .string("x")),
            PropertySpec("focal_length", .string),
            PropertySpec("focus_distance", .float, nil, .positive),
            PropertySpec("near_clip", .float, .float(0.01), .positive),
            PropertySpec("far_clip", .float, .float(10000), .positive),
            PropertySpec("to_world", .animatedTransform, .transform(.identity)),
        ] + shutter, children: [.film: 1, .sampler: 1],
           note: "fov or focal_length (default \"50mm\", diagonal of a 36x24 mm frame); see SceneObject.horizontalFOV; focus_distance is accepted and has no effect on a pinhole"),
        PluginSpec(.sensor, "thinlens", [
            PropertySpec("fov", .float, nil, .openRange(0, 180)),
            PropertySpec("fov_axis", .choice(["x", "y", "diagonal", "smaller", "larger"]), .string("x")),
            PropertySpec("focal_length", .string),
            PropertySpec("aperture_radius", .float, nil, .nonNegative, required: true),
            PropertySpec("focus_distance", .float, nil, .positive, required: true),
            PropertySpec("near_clip", .float, .float(0.01), .positive),
            PropertySpec("far_clip", .float, .float(10000), .positive),
            PropertySpec("to_world", .animatedTransform, .transform(.identity)),
        ] + shutter, children: [.film: 1, .sampler: 1], note: "a perspective sensor with a thin lens: depth of field"),
        PluginSpec(.sensor, "orthographic", [
            PropertySpec("near_clip", .float, .float(0.01), .positive),
            PropertySpec("far_clip", .float, .float(10000), .positive),
            PropertySpec("to_world", .animatedTransform, .transform(.identity)),
        ] + shutter, children: [.film: 1, .sampler: 1], note: "views [-1,1] x [-1/aspect,1/aspect] of the z=0 plane mapped by to_world"),
        PluginSpec(.film, "hdrfilm", [
            PropertySpec("width", .integer, .integer(768), .positive),
            PropertySpec("height", .integer, .integer(576), .positive),
            PropertySpec("pixel_format", .choice(["rgb", "rgba", "luminance", "luminance_alpha"]), .string("rgb")),
            PropertySpec("component_format", .choice(["float16", "float32"]), .string("float32")),
        ], children: [.rfilter: 1], note: "rfilter defaults to gaussian"),
        PluginSpec(.rfilter, "box", []),
        PluginSpec(.rfilter, "tent", [PropertySpec("radius", .float, .float(1), .positive)]),
        PluginSpec(.rfilter, "gaussian", [PropertySpec("stddev", .float, .float(0.5), .positive)]),
        PluginSpec(.sampler, "independent", [
            PropertySpec("sample_count", .integer, .integer(4), .positive),
            PropertySpec("seed", .integer, .integer(0)),
        ]),
        PluginSpec(.sampler, "stratified", [
            PropertySpec("sample_count", .integer, .integer(4), .positive),
            PropertySpec("seed", .integer, .integer(0)),
            PropertySpec("jitter", .boolean, .boolean(true)),
        ], note: "rendered as independent (same sample_count and seed)"),
        PluginSpec(.sampler, "multijitter", [
            PropertySpec("sample_count", .integer, .integer(4), .positive),
            PropertySpec("seed", .integer, .integer(0)),
            PropertySpec("jitter", .boolean, .boolean(true)),
        ], note: "rendered as independent (same sample_count and seed)"),

        // Integrators.
        PluginSpec(.integrator, "path", [
            PropertySpec("max_depth", .integer, .integer(-1), .atLeast(-1)),
            PropertySpec("rr_depth", .integer, .integer(5), .positive),
            PropertySpec("hide_emitters", .boolean, .boolean(false)),
        ], note: "max_depth -1 is unlimited"),
        PluginSpec(.integrator, "direct", [
            PropertySpec("shading_samples", .integer, .integer(1), .nonNegative),
            PropertySpec("emitter_samples", .integer, nil, .nonNegative),
            PropertySpec("bsdf_samples", .integer, nil, .nonNegative),
            PropertySpec("hide_emitters", .boolean, .boolean(false)),
        ], note: "shading_samples, emitter_samples and bsdf_samples are accepted; each hit takes one emitter and one BSDF sample (the same expected image)"),
        PluginSpec(.integrator, "ptracer", [
            PropertySpec("max_depth", .integer, .integer(-1), .atLeast(-1)),
            PropertySpec("rr_depth", .integer, .integer(5), .positive),
            PropertySpec("hide_emitters", .boolean, .boolean(false)),
            PropertySpec("samples_per_pass", .integer, nil, .positive),
        ], note: "light tracing in Mitsuba; DiffRay renders the same image by path tracing (same depths)"),
        PluginSpec(.integrator, "moment", [], children: [.integrator: 1],
                   note: "renders the image of its one nested integrator (path, direct or ptracer); no moment channels"),
        PluginSpec(.integrator, "aov", [
            PropertySpec("aovs", .string, required: true),
        ], children: [.integrator: 1],
           note: "aovs \"name:type,...\" with types depth, position, uv, geo_normal, sh_normal, albedo; see SceneObject.aovs"),
    ]

    private static let index: [String: PluginSpec] = {
        var d: [String: PluginSpec] = [:]
        for p in plugins { d[p.category.rawValue + "/" + p.type] = p }
        return d
    }()

    /// The spec of a plugin, or nil if DiffRay does not support it.
    public static func plugin(_ category: ObjectCategory, _ type: String) -> PluginSpec? {
        index[category.rawValue + "/" + type]
    }

    /// The supported plugin names of a category, in table order.
    public static func pluginNames(_ category: ObjectCategory) -> [String] {
        plugins.filter { $0.category == category }.map(\.type)
    }

    /// The default of a property for this object: the table's constant, or a
    /// value derived from the object's other properties (spot `beam_width` =
    /// 3/4 `cutoff_angle`; direct `emitter_samples`/`bsdf_samples` =
    /// `shading_samples`). Nil if the property has no default.
    public static func defaultValue(of name: String, for object: SceneObject) -> Property? {
        switch (object.category, object.type, name) {
        case (.emitter, "spot", "beam_width"):
            return .float((object.float("cutoff_angle") ?? 20) * 0.75)
        case (.integrator, "direct", "emitter_samples"), (.integrator, "direct", "bsdf_samples"):
            return .integer(object.integer("shading_samples") ?? 1)
        default:
            return plugin(object.category, object.type)?.property(name)?.defaultValue
        }
    }
}
