import Foundation

/// Validation of one object against `Schema`: known plugin, known properties
/// of the right type and range, allowed nesting, plugin-specific rules, and
/// the default children Mitsuba creates (film, sampler, rfilter).
extension SceneReader {
    static func checkPlugin(_ object: SceneObject) throws {
        guard Schema.plugin(object.category, object.type) != nil else {
            let media = ["volpath", "volpathmis", "prbvolpath", "homogeneous", "heterogeneous", "isotropic", "hg", "rayleigh"]
            let mediaNote = media.contains(object.type) ? " (DiffRay renders no participating media)" : ""
            throw SceneFileError("unsupported <\(object.category)> plugin '\(object.type)'\(mediaNote) (supported: "
                                 + Schema.pluginNames(object.category).joined(separator: ", ") + ")", at: object.location)
        }
    }

    static func validate(_ object: inout SceneObject, _ context: FileContext) throws {
        try checkPlugin(object)
        let spec = Schema.plugin(object.category, object.type)!
        let what = "<\(object.category) type=\"\(object.type)\">"
        let names = spec.properties.map(\.name)
        let supported = names.isEmpty ? "none" : names.joined(separator: ", ")

        // Properties.
        for name in object.propertyOrder {
            let location = object.location(of: name)
            guard let propertySpec = spec.property(name) else {
                throw SceneFileError("\(what) has no property '\(name)' (supported: \(supported))", at: location)
            }
            object.properties[name] = try coerce(object.properties[name]!, to: propertySpec, in: what, at: location, context)
        }

        // Children.
        var counts: [ObjectCategory: Int] = [:]
        var textureNames: Set<String> = []
        for child in object.children {
            if child.category == .texture, spec.children[.texture] == nil || spec.property(child.name ?? "")?.kind == .texture {
                let textureProperties = spec.properties.filter { $0.kind == .texture }.map(\.name)
                guard let name = child.name, textureProperties.contains(name) else {
                    throw SceneFileError("a <texture> in \(what) must be named after one of its texture properties (name=\""
                                         + (child.name ?? "") + "\"; supported: "
                                         + (textureProperties.isEmpty ? "none" : textureProperties.joined(separator: ", ")) + ")",
                                         at: child.location)
                }
                guard object.properties[name] == nil else {
                    throw SceneFileError("'\(name)' is given both as a value and as a texture in \(what)", at: child.location)
                }
                guard textureNames.insert(name).inserted else {
                    throw SceneFileError("two textures named '\(name)' in \(what)", at: child.location)
                }
                continue
            }
            guard let maximum = spec.children[child.category] else {
                let allowed = spec.children.keys.map(\.rawValue).sorted()
                throw SceneFileError("a <\(child.category)> cannot be nested in \(what) (allowed: "
                                     + (allowed.isEmpty ? "none" : allowed.joined(separator: ", ")) + ")", at: child.location)
            }
            counts[child.category, default: 0] += 1
            guard counts[child.category]! <= maximum else {
                throw SceneFileError("\(what) takes at most \(maximum) nested <\(child.category)>", at: child.location)
            }
            if object.category == .shape, child.category == .emitter, child.type != "area" {
                throw SceneFileError("a <shape> can only hold an area emitter, not '\(child.type)'", at: child.location)
            }
        }
        for p in spec.properties where p.required && object.properties[p.name] == nil && !textureNames.contains(p.name) {
            throw SceneFileError("\(what) needs the property '\(p.name)' (\(p.kind.summary))", at: object.location)
        }

        try checkPluginRules(&object, what, context)
    }

    static func coerce(_ value: Property, to spec: PropertySpec, in what: String, at location: SourceLocation,
                       _ context: FileContext) throws -> Property {
        func wrong() -> SceneFileError {
            SceneFileError("property '\(spec.name)' of \(what) is a <\(value.kindName)>, expected \(spec.kind.summary)", at: location)
        }
        var result: Property
        switch spec.kind {
        case .integer:
            guard case .integer = value else { throw wrong() }
            result = value
        case .float:
            guard let v = value.doubleValue else { throw wrong() }
            result = .float(v)
        case .boolean:
            guard case .boolean = value else { throw wrong() }
            result = value
        case .string:
            guard case .string = value else { throw wrong() }
            result = value
        case .point:
            switch value {
            case .point(let v), .vector(let v): result = .point(v)
            default: throw wrong()
            }
        case .vector:
            switch value {
            case .point(let v), .vector(let v): result = .vector(v)
            default: throw wrong()
            }
        case .transform:
            if case .animation = value {
                throw SceneFileError("\(what) cannot move: an <animation> ('\(spec.name)') animates only a sensor's to_world, "
                                     + "a point or spot emitter's to_world and a <shape type=\"instance\">; give a <transform>",
                                     at: location)
            }
            guard case .transform = value else { throw wrong() }
            result = value
        case .animatedTransform:
            switch value {
            case .transform, .animation: result = value
            default: throw wrong()
            }
        case .floatOrVector:
            switch value {
            case .float, .integer: result = .float(value.doubleValue!)
            case .vector(let v), .point(let v): result = .vector(v)
            default: throw wrong()
            }
        case .texture, .color:
            switch value {
            case .rgb, .spectrum, .float: result = value
            case .integer(let v): result = .float(Double(v))
            default: throw wrong()
            }
        case .ior:
            switch value {
            case .float, .integer: result = .float(value.doubleValue!)
            case .string(let name):
                guard let v = Schema.iorTable[name.lowercased()] else {
                    throw SceneFileError("unknown index of refraction '\(name)' for '\(spec.name)' of \(what) (supported: "
                                         + Schema.iorTable.keys.sorted().joined(separator: ", ") + ", or a number)", at: location)
                }
                result = .float(v)
            default: throw wrong()
            }
        case .choice(let options):
            guard case .string(let s) = value else { throw wrong() }
            guard options.contains(s) else {
                throw SceneFileError("'\(s)' is not a valid '\(spec.name)' for \(what) (supported: \(options.joined(separator: ", ")))",
                                     at: location)
            }
            result = value
        case .filename:
            guard case .string(let s) = value else { throw wrong() }
            guard !s.isEmpty else { throw SceneFileError("empty '\(spec.name)' in \(what)", at: location) }
            // As Mitsuba's file resolver: <path> folders, the working directory, the scene's folder.
            guard let path = find(s, in: context.searchPaths) else {
                throw notFound(s, "\(spec.name) of \(what)", context.searchPaths, at: location)
            }
            result = .string(path)
        }
        try check(result, spec, what, location)
        return result
    }

    static func check(_ value: Property, _ spec: PropertySpec, _ what: String, _ location: SourceLocation) throws {
        var numbers: [Double] = []
        switch value {
        case .integer(let v): numbers = [Double(v)]
        case .float(let v): numbers = [v]
        case .rgb(let c), .spectrum(let c): numbers = [c.x, c.y, c.z]
        default: break
        }
        // Colours (reflectance, radiance, eta, alpha, ...) are never negative.
        var constraint = spec.constraint
        if constraint == .none, spec.kind == .texture || spec.kind == .color { constraint = .nonNegative }
        for v in numbers {
            let ok: Bool
            let expected: String
            switch constraint {
            case .none: ok = true; expected = ""
            case .positive: ok = v > 0; expected = "> 0"
            case .nonNegative: ok = v >= 0; expected = ">= 0"
            case .atLeast(let bound): ok = v >= bound; expected = ">= \(bound)"
            case .openRange(let lo, let hi): ok = v > lo && v < hi; expected = "strictly between \(lo) and \(hi)"
            }
            guard ok else {
                throw SceneFileError("'\(spec.name)' of \(what) is \(v), must be \(expected)", at: location)
            }
        }
    }

    static func checkPluginRules(_ object: inout SceneObject, _ what: String, _ context: FileContext) throws {
        try checkMotion(object, what)
        switch (object.category, object.type) {
        case (.sensor, "perspective"):
            if object.has("fov"), object.has("focal_length") {
                throw SceneFileError("\(what) takes 'fov' or 'focal_length', not both", at: object.location(of: "focal_length"))
            }
            if case .string(let f)? = object.properties["focal_length"] {
                guard let v = Double(f.hasSuffix("mm") ? String(f.dropLast(2)) : f), v.isFinite, v > 0 else {
                    throw SceneFileError("focal_length '\(f)' of \(what) must look like \"50mm\" (a positive number of millimetres)",
                                         at: object.location(of: "focal_length"))
                }
            }
            if object.has("fov_axis"), !object.has("fov") {
                // Mitsuba ignores fov_axis with focal_length (it uses the diagonal).
            }
            let near = object.float("near_clip")!, far = object.float("far_clip")!
            guard near < far else {
                throw SceneFileError("near_clip (\(near)) must be smaller than far_clip (\(far)) in \(what)",
                                     at: object.location(of: "near_clip"))
            }
            if object.child(.film) == nil {
                var film = SceneObject(category: .film, type: "hdrfilm", location: object.location)
                film.propertyOrder = []
                try validate(&film, context)
                object.children.append(film)
            }
            if object.child(.sampler) == nil {
                var sampler = SceneObject(category: .sampler, type: "independent", location: object.location)
                sampler.propertyOrder = []
                try validate(&sampler, context)
                object.children.append(sampler)
            }
        case (.film, "hdrfilm"):
            let width = object.integer("width")!, height = object.integer("height")!
            let cap = SceneDescription.maximumResolution
            guard width <= cap, height <= cap,
                  width.multipliedReportingOverflow(by: height).partialValue <= SceneDescription.maximumPixelCount else {
                throw SceneFileError("film resolution \(width)x\(height) is over the limit (at most \(SceneDescription.maximumPixelCount) pixels, \(cap) per side)",
                                     at: object.location(of: object.has("width") ? "width" : "height"))
            }
            if object.child(.rfilter) == nil {
                var filter = SceneObject(category: .rfilter, type: "gaussian", location: object.location)
                filter.propertyOrder = []
                try validate(&filter, context)
                object.children.append(filter)
            }
        case (.bsdf, "twosided"):
            if object.child(.bsdf) == nil {
                throw SceneFileError("\(what) needs a nested <bsdf> (or <ref> to one)", at: object.location)
            }
        case (.emitter, "point"):
            if object.has("position"), object.has("to_world") {
                throw SceneFileError("\(what) takes 'position' or 'to_world', not both", at: object.location(of: "position"))
            }
        case (.emitter, "directional"):
            if object.has("direction"), object.has("to_world") {
                throw SceneFileError("\(what) takes 'direction' or 'to_world', not both", at: object.location(of: "direction"))
            }
            if let d = object.vector("direction"), d.length == 0 {
                throw SceneFileError("'direction' of \(what) is the zero vector", at: object.location(of: "direction"))
            }
        case (.integrator, "aov"):
            _ = try SceneObject.parseAOVs(object.string("aovs") ?? "", at: object.location(of: "aovs"))
        default:
            break
        }
    }

    /// A sensor's shutter closes no earlier than it opens and a rolling line is
    /// exposed for at most the whole span; an instance is placed by `to_world`
    /// or by `animation`, not both; an animated point light has no `position`.
    static func checkMotion(_ object: SceneObject, _ what: String) throws {
        if object.category == .sensor {
            let open = object.float("shutter_open") ?? 0, close = object.float("shutter_close") ?? 0
            guard open.isFinite, close.isFinite, close >= open else {
                throw SceneFileError("shutter_close (\(close)) must not be before shutter_open (\(open)) in \(what)",
                                     at: object.location(of: "shutter_close"))
            }
            if let d = object.float("rolling_shutter_duration"), !(d <= 1) {
                throw SceneFileError("rolling_shutter_duration (\(d)) of \(what) is the fraction of the shutter each line is exposed: "
                                     + "expected a value in [0, 1]", at: object.location(of: "rolling_shutter_duration"))
            }
        }
        if object.category == .shape, object.type == "instance", object.has("to_world"), object.has("animation") {
            throw SceneFileError("\(what) takes 'to_world' or 'animation', not both", at: object.location(of: "animation"))
        }
        if object.category == .emitter, object.has("position"), case .animation? = object.properties["to_world"] {
            throw SceneFileError("\(what) with an animated to_world takes no 'position'", at: object.location(of: "position"))
        }
    }
}
