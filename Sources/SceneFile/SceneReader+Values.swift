import Foundation
import Geometry

/// Property values of scene files: numbers, colours and spectra, transforms.
extension SceneReader {
    func numbers(_ attribute: XMLAttribute, in node: XMLNode) throws -> [Double] {
        let text = try substitute(attribute)
        var values: [Double] = []
        for token in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) {
            values.append(try SceneReader.number(token, attribute, node))
        }
        return values
    }

    static func number(_ token: Substring, _ attribute: XMLAttribute, _ node: XMLNode) throws -> Double {
        guard let v = Double(token), !token.hasPrefix("0x"), !token.hasPrefix("-0x") else {
            throw SceneFileError("'\(token)' in attribute '\(attribute.name)' of <\(node.name)> is not a number", at: attribute.location)
        }
        guard v.isFinite else {
            throw SceneFileError("'\(token)' in attribute '\(attribute.name)' of <\(node.name)> is NaN or infinite", at: attribute.location)
        }
        return v
    }

    func single(_ attribute: XMLAttribute, in node: XMLNode) throws -> Double {
        let v = try numbers(attribute, in: node)
        guard v.count == 1 else {
            throw SceneFileError("attribute '\(attribute.name)' of <\(node.name)> needs one number, found \(v.count)", at: attribute.location)
        }
        return v[0]
    }

    /// `value="x, y, z"` (one value is broadcast), or `x= y= z=` (missing ones take `fill`).
    func triple(_ node: XMLNode, fill: Double) throws -> Vec3 {
        if let a = node.attribute("value") {
            if let other = node.attributes.first(where: { ["x", "y", "z"].contains($0.name) }) {
                throw SceneFileError("<\(node.name)> takes either 'value' or x/y/z, not both", at: other.location)
            }
            let v = try numbers(a, in: node)
            switch v.count {
            case 1: return Vec3(repeating: v[0])
            case 3: return Vec3(v[0], v[1], v[2])
            default:
                throw SceneFileError("attribute 'value' of <\(node.name)> needs 3 numbers (or 1), found \(v.count)", at: a.location)
            }
        }
        func component(_ name: String) throws -> Double {
            guard let a = node.attribute(name) else { return fill }
            return try single(a, in: node)
        }
        return Vec3(try component("x"), try component("y"), try component("z"))
    }

    /// One property element. `inEmitter` and `name` decide how a spectrum
    /// becomes RGB (see `SpectrumConversion`).
    func readValue(_ node: XMLNode, _ context: FileContext, inEmitter: Bool, name: String) throws -> Property {
        func noChildren() throws {
            if let c = node.children.first { throw SceneFileError("<\(node.name)> takes no nested elements", at: c.location) }
        }
        switch node.name {
        case "integer":
            try checkAttributes(node, allowed: ["name", "value"])
            try noChildren()
            let a = try require(node, "value")
            let text = try substitute(a).trimmingCharacters(in: .whitespaces)
            guard let v = Int(text) else {
                throw SceneFileError("'\(text)' is not an integer (attribute 'value' of <integer>)", at: a.location)
            }
            return .integer(v)
        case "float":
            try checkAttributes(node, allowed: ["name", "value"])
            try noChildren()
            return .float(try single(try require(node, "value"), in: node))
        case "boolean":
            try checkAttributes(node, allowed: ["name", "value"])
            try noChildren()
            let a = try require(node, "value")
            switch try substitute(a).trimmingCharacters(in: .whitespaces).lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            case let other:
                throw SceneFileError("'\(other)' is not a boolean (expected true or false)", at: a.location)
            }
        case "string":
            try checkAttributes(node, allowed: ["name", "value"])
            try noChildren()
            return .string(try substitute(try require(node, "value")))
        case "point", "vector":
            try checkAttributes(node, allowed: ["name", "value", "x", "y", "z"])
            try noChildren()
            let v = try triple(node, fill: 0)
            return node.name == "point" ? .point(v) : .vector(v)
        case "rgb":
            try checkAttributes(node, allowed: ["name", "value"])
            try noChildren()
            let a = try require(node, "value")
            let v = try numbers(a, in: node)
            switch v.count {
            case 1: return .rgb(Vec3(repeating: v[0]))
            case 3: return .rgb(Vec3(v[0], v[1], v[2]))
            default: throw SceneFileError("<rgb> needs 3 numbers (or 1 for grey), found \(v.count)", at: a.location)
            }
        case "spectrum":
            if let t = node.attribute("type") {
                guard t.value == "srgb" else {
                    throw SceneFileError("<spectrum type=\"\(t.value)\"> (a spectrum plugin) is not supported; give value=\"...\" "
                                         + "(one value or wavelength:value pairs), filename=\"...\" or type=\"srgb\"", at: t.location)
                }
                return .rgb(try srgbSpectrum(node, context))
            }
            try checkAttributes(node, allowed: ["name", "value", "filename"])
            try noChildren()
            let bounded = !(inEmitter || SpectrumConversion.unboundedNames.contains(name))
            switch (node.attribute("value"), node.attribute("filename")) {
            case (let value?, nil):
                return .spectrum(try spectrum(value, node, emitted: inEmitter, bounded: bounded))
            case (nil, let file?):
                let fileName = try substitute(file)
                guard let path = SceneReader.find(fileName, in: context.searchPaths) else {
                    throw SceneReader.notFound(fileName, "<spectrum filename=...>", context.searchPaths, at: file.location)
                }
                let samples = try SpectrumConversion.readFile(path, display: fileName)
                return .spectrum(SpectrumConversion.rgb(wavelengths: samples.wavelengths, values: samples.values,
                                                        emitted: inEmitter, bounded: bounded))
            default:
                throw SceneFileError("<spectrum> needs one of 'value' or 'filename'", at: node.location)
            }
        case "transform":
            try checkAttributes(node, allowed: ["name"])
            return .transform(try transform(node, oldNames: context.oldNames))
        default:
            throw SceneFileError("unknown property tag <\(node.name)>", at: node.location)
        }
    }

    /// `<spectrum type="srgb">` with `<rgb name="color" .../>` and optionally
    /// `<boolean name="unbounded" .../>`: in Mitsuba's RGB variants the colour
    /// itself (reflectance or emission alike), in [0, 1] unless unbounded.
    func srgbSpectrum(_ node: XMLNode, _ context: FileContext) throws -> Vec3 {
        try checkAttributes(node, allowed: ["name", "type"])
        var color: Vec3?, unbounded = false
        for child in node.children {
            let name = try require(child, "name").value
            switch (child.name, name) {
            case ("rgb", "color") where color == nil:
                guard case .rgb(let c) = try readValue(child, context, inEmitter: false, name: name) else { continue }
                color = c
            case ("boolean", "unbounded"):
                guard case .boolean(let b) = try readValue(child, context, inEmitter: false, name: name) else { continue }
                unbounded = b
            default:
                throw SceneFileError("<spectrum type=\"srgb\"> takes <rgb name=\"color\"> and <boolean name=\"unbounded\">, "
                                     + "found <\(child.name) name=\"\(name)\">", at: child.location)
            }
        }
        guard let color else {
            throw SceneFileError("<spectrum type=\"srgb\"> needs <rgb name=\"color\" value=\"...\"/>", at: node.location)
        }
        if !unbounded && [color.x, color.y, color.z].contains(where: { $0 < 0 || $0 > 1 }) {
            throw SceneFileError("<spectrum type=\"srgb\">: colour (\(color.x), \(color.y), \(color.z)) must be in [0, 1] "
                                 + "(or set unbounded)", at: node.location)
        }
        return color
    }

    /// A spectrum's RGB: one value is a grey; wavelength:value pairs are
    /// integrated against the CIE 1931 curves as Mitsuba's RGB variants do.
    func spectrum(_ attribute: XMLAttribute, _ node: XMLNode, emitted: Bool, bounded: Bool) throws -> Vec3 {
        let text = try substitute(attribute)
        let tokens = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard !tokens.isEmpty else { throw SceneFileError("<spectrum> has an empty value", at: attribute.location) }
        if tokens.count == 1, !tokens[0].contains(":") {
            let v = try SceneReader.number(tokens[0], attribute, node)
            // As Mitsuba's RGB variants: a constant emitted spectrum is flat over 360–830 nm, not grey.
            return emitted ? SpectrumConversion.flatEmission * v : Vec3(repeating: v)
        }
        var wavelengths: [Double] = [], values: [Double] = []
        for token in tokens {
            let pair = token.split(separator: ":", omittingEmptySubsequences: false)
            guard pair.count == 2 else {
                throw SceneFileError("'\(token)' in <spectrum> is not a wavelength:value pair (or give one value)", at: attribute.location)
            }
            let wavelength = try SceneReader.number(pair[0], attribute, node)
            guard wavelength > (wavelengths.last ?? 0) else {
                throw SceneFileError("<spectrum> wavelengths must be positive and increasing ('\(token)')", at: attribute.location)
            }
            wavelengths.append(wavelength)
            values.append(try SceneReader.number(pair[1], attribute, node))
        }
        guard wavelengths.count >= 2 else {
            throw SceneFileError("<spectrum> needs at least two wavelength:value pairs (or one plain value)", at: attribute.location)
        }
        return SpectrumConversion.rgb(wavelengths: wavelengths, values: values, emitted: emitted, bounded: bounded)
    }

    /// An `<animation name="...">`: `<transform time="t">` keys at strictly
    /// increasing times (at least one); a single key is a fixed transform.
    func animation(_ node: XMLNode, _ context: FileContext) throws -> Property {
        try checkAttributes(node, allowed: ["name"])
        var keys = [AnimationKey]()
        for child in node.children {
            guard child.name == "transform" else {
                throw SceneFileError("<animation> holds only <transform time=\"...\"> keys, found <\(child.name)>", at: child.location)
            }
            try checkAttributes(child, allowed: ["time", "name"])
            guard let attribute = child.attribute("time") else {
                throw SceneFileError("a <transform> key of <animation> needs a time=\"...\" attribute", at: child.location)
            }
            let time = try single(attribute, in: child)
            guard time.isFinite else { throw SceneFileError("an <animation> key's time must be finite", at: attribute.location) }
            if let last = keys.last, !(time > last.time) {
                throw SceneFileError("<animation> key times must increase: \(time) follows \(last.time)", at: attribute.location)
            }
            keys.append(AnimationKey(time: time, matrix: try transform(child, oldNames: context.oldNames)))
        }
        guard let first = keys.first else {
            throw SceneFileError("<animation> needs at least one <transform time=\"...\"> key", at: node.location)
        }
        return keys.count == 1 ? .transform(first.matrix) : .animation(keys)
    }

    /// Composes the operations of a `<transform>` by left multiplication in document order.
    /// Old scenes (below 2.0) may spell `lookat` as `lookAt`.
    func transform(_ node: XMLNode, oldNames: Bool = false) throws -> Matrix4 {
        var m = Matrix4.identity
        for op in node.children {
            let step: Matrix4
            switch oldNames && op.name == "lookAt" ? "lookat" : op.name {
            case "translate":
                try checkAttributes(op, allowed: ["value", "x", "y", "z"])
                step = .translation(try triple(op, fill: 0))
            case "scale":
                try checkAttributes(op, allowed: ["value", "x", "y", "z"])
                step = .scaling(try triple(op, fill: 1))
            case "rotate":
                try checkAttributes(op, allowed: ["value", "x", "y", "z", "angle"])
                let axis = try triple(op, fill: 0)
                guard axis.length > 0 else {
                    throw SceneFileError("<rotate> needs a nonzero axis (x=, y=, z= or value=)", at: op.location)
                }
                let angle = try single(try require(op, "angle"), in: op)
                step = .rotation(axis: axis, angleDegrees: angle)
            case "matrix":
                try checkAttributes(op, allowed: ["value"])
                let a = try require(op, "value")
                let v = try numbers(a, in: op)
                switch v.count {
                case 16: step = Matrix4(rowMajor: v)
                case 9: step = Matrix4(linear3x3: v)
                default: throw SceneFileError("<matrix> needs 16 numbers (or 9), found \(v.count)", at: a.location)
                }
            case "lookat":
                try checkAttributes(op, allowed: ["origin", "target", "up"])
                func vector(_ name: String) throws -> Vec3 {
                    let a = try require(op, name)
                    let v = try numbers(a, in: op)
                    guard v.count == 3 else {
                        throw SceneFileError("attribute '\(name)' of <lookat> needs 3 numbers, found \(v.count)", at: a.location)
                    }
                    return Vec3(v[0], v[1], v[2])
                }
                let origin = try vector("origin"), target = try vector("target")
                var up = op.attribute("up") != nil ? try vector("up") : Vec3.zero
                if up.length == 0, (target - origin).length > 0 {
                    // As Mitsuba: a missing or zero up is the first tangent of
                    // coordinate_system(dir) (Duff et al. 2017).
                    let n = (target - origin).normalized
                    let sign: Double = n.z >= 0 ? 1 : -1
                    let a = -1 / (sign + n.z)
                    let b = n.x * n.y * a
                    up = Vec3(1 + sign * n.x * n.x * a, sign * b, -sign * n.x)
                }
                guard let look = Matrix4.lookAt(origin: origin, target: target, up: up) else {
                    throw SceneFileError("<lookat> is degenerate: origin equals target, or up is parallel to the view direction", at: op.location)
                }
                step = look
            default:
                throw SceneFileError("unknown tag <\(op.name)> in <transform> (supported: translate, rotate, scale, matrix, lookat)",
                                     at: op.location)
            }
            if let c = op.children.first { throw SceneFileError("<\(op.name)> takes no nested elements", at: c.location) }
            m = step * m
        }
        guard m.isFinite else { throw SceneFileError("<transform> overflows to a non-finite matrix", at: node.location) }
        return m
    }
}
