import Geometry
/// The kinds of objects in a Mitsuba scene, named by their XML tag.
public enum ObjectCategory: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case integrator, sensor, film, sampler, rfilter, shape, bsdf, emitter, texture
    public var description: String { rawValue }
}

/// One `<shape type="sphere" id="...">`-like element: its plugin, its
/// properties and its nested (or referenced) objects. Validated against
/// `Schema`: every property present has the type its plugin expects.
public struct SceneObject: Sendable, Hashable {
    /// The tag: shape, bsdf, ...
    public var category: ObjectCategory
    /// The plugin name (`type` attribute): sphere, diffuse, ...
    public var type: String
    /// The `id` attribute, if any.
    public var id: String?
    /// The `name` attribute when nested (`<texture name="reflectance">`), else nil.
    public var name: String?
    /// Properties given in the file (defaults are NOT filled in: use `value(_:)`).
    public var properties: [String: Property]
    /// Property names in document order.
    public var propertyOrder: [String]
    /// Where each property was written.
    public var propertyLocations: [String: SourceLocation]
    /// Nested objects and resolved `<ref>`s, in document order. Objects the
    /// file leaves out but Mitsuba creates by default (a sensor's hdrfilm
    /// and independent sampler, a film's gaussian rfilter) are added here.
    public var children: [SceneObject]
    /// For a child that came from `<ref id="..."/>`: that id.
    public var referencedID: String?
    /// Where the element starts.
    public var location: SourceLocation

    public init(category: ObjectCategory, type: String, id: String? = nil, name: String? = nil,
                properties: [String: Property] = [:], propertyOrder: [String]? = nil,
                propertyLocations: [String: SourceLocation] = [:], children: [SceneObject] = [],
                referencedID: String? = nil, location: SourceLocation) {
        self.category = category
        self.type = type
        self.id = id
        self.name = name
        self.properties = properties
        self.propertyOrder = propertyOrder ?? properties.keys.sorted()
        self.propertyLocations = propertyLocations
        self.children = children
        self.referencedID = referencedID
        self.location = location
    }

    /// The schema entry of this plugin.
    public var spec: PluginSpec? { Schema.plugin(category, type) }

    /// The property as written, or else its Mitsuba default from `Schema`
    /// (nil if neither: the property is optional and absent).
    public func value(_ name: String) -> Property? {
        if let p = properties[name] { return p }
        return Schema.defaultValue(of: name, for: self)
    }

    /// `read(name)`, which falls back to the property's default from `Schema`;
    /// an error naming the property if the file does not give it and the
    /// schema has no default for it. Plugins read their properties through
    /// this, so each default is written once, in `Schema`.
    public func defaulted<V>(_ name: String, _ read: (String) -> V?) throws -> V {
        guard let v = read(name) else {
            throw SceneFileError("<\(category) type=\"\(type)\">: '\(name)' is not given and has no default", at: location)
        }
        return v
    }

    /// Whether the file sets the property (defaults do not count).
    public func has(_ name: String) -> Bool { properties[name] != nil }

    /// A float property (integers convert), falling back to the default.
    public func float(_ name: String) -> Double? { value(name)?.doubleValue }

    public func integer(_ name: String) -> Int? {
        if case .integer(let v)? = value(name) { return v }
        return nil
    }

    public func boolean(_ name: String) -> Bool? {
        if case .boolean(let v)? = value(name) { return v }
        return nil
    }

    public func string(_ name: String) -> String? {
        if case .string(let v)? = value(name) { return v }
        return nil
    }

    public func point(_ name: String) -> Vec3? {
        if case .point(let v)? = value(name) { return v }
        return nil
    }

    public func vector(_ name: String) -> Vec3? {
        if case .vector(let v)? = value(name) { return v }
        return nil
    }

    /// A constant colour (rgb; spectrum, float or integer as grey), falling back to the default.
    /// Nil if absent or if the property is given as a texture: see `texture(_:)`.
    public func rgb(_ name: String) -> Vec3? { value(name)?.colorValue }

    /// A transform property; `to_world` and the like default to identity.
    public func transform(_ name: String) -> Matrix4? {
        if case .transform(let m)? = value(name) { return m }
        return nil
    }

    /// The keys of an animated transform property (`<animation name="...">`), nil when fixed or absent.
    public func animation(_ name: String) -> [AnimationKey]? {
        if case .animation(let keys)? = properties[name] { return keys }
        return nil
    }

    /// `to_world` (identity when absent).
    public var toWorld: Matrix4 { transform("to_world") ?? .identity }

    /// The nested or referenced texture given for a texture-valued property
    /// (`<texture name="reflectance" .../>` or `<ref name="reflectance" id="..."/>`).
    public func texture(_ name: String) -> SceneObject? {
        children.first { $0.category == .texture && $0.name == name }
    }

    /// A texture-valued property: a constant colour or a texture object
    /// (the texture wins if both appear, which validation forbids).
    public func colorOrTexture(_ name: String) -> ColorOrTexture? {
        if let t = texture(name) { return .texture(t) }
        if let c = rgb(name) { return .constant(c) }
        return nil
    }

    /// The children of one category, in document order.
    public func children(_ category: ObjectCategory) -> [SceneObject] {
        children.filter { $0.category == category }
    }

    /// The first child of a category (a shape's bsdf, a sensor's film, ...).
    public func child(_ category: ObjectCategory) -> SceneObject? {
        children.first { $0.category == category }
    }

    /// The location of a property if written, else of the object.
    public func location(of property: String) -> SourceLocation {
        propertyLocations[property] ?? location
    }
}

/// The value of a texture-valued property (`reflectance`, `radiance`, ...).
public enum ColorOrTexture: Sendable, Hashable {
    case constant(Vec3)
    case texture(SceneObject)
}
