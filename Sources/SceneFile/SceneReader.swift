import Foundation

/// Turns scene XML into validated `SceneObject`s: `<default>` and `$name`,
/// `<include>`, `id`/`<ref>`, old camelCase names, values and transforms.
struct SceneReader {
    /// The file being read and how to read its names.
    struct FileContext {
        var file: String
        var directory: String
        var oldNames: Bool
    }

    static let objectTags = Set(ObjectCategory.allCases.map(\.rawValue))
    static let propertyTags = ["integer", "float", "boolean", "string", "point", "vector", "rgb", "spectrum", "transform"]
    static let maximumFileSize = 64 << 20
    /// Most `<include>`s one scene may make in total (nested ones count), and most bytes
    /// of scene XML read in total: a few small files that include each other many times
    /// would otherwise make millions of includes.
    static let maximumIncludes = 1000
    static let maximumTotalBytes = 256 << 20

    var parameters: [String: String]
    let defined: Set<String>
    var ids: [String: SceneObject] = [:]
    var includeStack: [String] = []
    var topLevel: [SceneObject] = []
    var rootVersion = ""
    var includeCount = 0
    var bytesRead = 0
    /// Names declared by `<default>` (with their values as written) and names used as `$name`.
    var declaredDefaults: [String: String] = [:]
    final class NameSet { var names = Set<String>() }
    let usedParameters = NameSet()

    init(defines: [String: String]) {
        parameters = defines
        defined = Set(defines.keys)
    }

    // MARK: Entry points

    static func read(path: String, defines: [String: String]) throws -> SceneDescription {
        var reader = SceneReader(defines: defines)
        let absolute = standardize(path)
        try reader.readFile(absolute, display: path, from: nil, isRoot: true)
        return try reader.finish(file: path, directory: parentDirectory(absolute))
    }

    static func read(xml: String, file: String, directory: String, defines: [String: String]) throws -> SceneDescription {
        var reader = SceneReader(defines: defines)
        let root = try XMLReader.parse(xml, file: file)
        try reader.readScene(root, FileContext(file: file, directory: standardize(directory), oldNames: false), isRoot: true)
        return try reader.finish(file: file, directory: standardize(directory))
    }

    // MARK: Files and paths

    static func standardize(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func parentDirectory(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
    }

    static func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") { return standardize(path) }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            .standardizedFileURL.path
    }

    /// Reads a whole file, refusing a missing one, a directory or one over `limit` bytes.
    static func contents(of path: String, display: String, limit: Int, at location: SourceLocation?) throws -> [UInt8] {
        let where_ = location ?? SourceLocation(file: display, line: 0, column: 0)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SceneFileError("file not found: \(display)", at: where_)
        }
        guard !isDirectory.boolValue else { throw SceneFileError("\(display) is a directory, not a file", at: where_) }
        // A device or pipe (/dev/zero, a FIFO) has no size to check and may never end.
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw SceneFileError("\(display) is not a regular file", at: where_)
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let size = attributes[.size] as? NSNumber, size.intValue > limit {
            throw SceneFileError("\(display) is \(size.intValue) bytes, over the limit of \(limit)", at: where_)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SceneFileError("cannot read \(display)", at: where_)
        }
        guard data.count <= limit else {
            throw SceneFileError("\(display) is \(data.count) bytes, over the limit of \(limit)", at: where_)
        }
        return [UInt8](data)
    }

    mutating func readFile(_ absolute: String, display: String, from location: SourceLocation?, isRoot: Bool) throws {
        if let i = includeStack.firstIndex(of: absolute) {
            let cycle = (includeStack[i...] + [absolute]).map { URL(fileURLWithPath: $0).lastPathComponent }
            throw SceneFileError("include cycle: " + cycle.joined(separator: " -> "),
                                 at: location ?? SourceLocation(file: display, line: 0, column: 0))
        }
        if !isRoot {
            includeCount += 1
            guard includeCount <= SceneReader.maximumIncludes else {
                throw SceneFileError("more than \(SceneReader.maximumIncludes) <include>s in total (the limit of includes for one scene)",
                                     at: location ?? SourceLocation(file: display, line: 0, column: 0))
            }
        }
        let bytes = try SceneReader.contents(of: absolute, display: display, limit: SceneReader.maximumFileSize, at: location)
        bytesRead += bytes.count
        guard bytesRead <= SceneReader.maximumTotalBytes else {
            throw SceneFileError("the scene and its includes exceed \(SceneReader.maximumTotalBytes) bytes in total (the limit of scene XML read for one scene)",
                                 at: location ?? SourceLocation(file: display, line: 0, column: 0))
        }
        let root = try XMLReader.parse(String(decoding: bytes, as: UTF8.self), file: display)
        includeStack.append(absolute)
        defer { includeStack.removeLast() }
        try readScene(root, FileContext(file: display, directory: SceneReader.parentDirectory(absolute), oldNames: false),
                      isRoot: isRoot)
    }

    // MARK: Scene level

    mutating func readScene(_ root: XMLNode, _ context: FileContext, isRoot: Bool) throws {
        guard root.name == "scene" else {
            throw SceneFileError("the root element is <\(root.name)>, expected <scene version=\"3.0.0\">", at: root.location)
        }
        try checkAttributes(root, allowed: ["version"])
        guard let versionAttribute = root.attribute("version") else {
            throw SceneFileError("<scene> needs a version attribute, e.g. version=\"3.0.0\"", at: root.location)
        }
        let version = try substitute(versionAttribute)
        let parts = version.split(separator: ".")
        guard (1...3).contains(parts.count), parts.allSatisfy({ Int($0) != nil && !$0.isEmpty }), let major = Int(parts[0]) else {
            throw SceneFileError("invalid scene version '\(version)' (expected like 3.0.0)", at: versionAttribute.location)
        }
        guard major <= 3 else {
            throw SceneFileError("scene version \(version) is newer than the 3.x format DiffRay reads", at: versionAttribute.location)
        }
        if isRoot { rootVersion = version }
        var context = context
        context.oldNames = major < 2

        for node in root.children {
            switch node.name {
            case "default":
                try checkAttributes(node, allowed: ["name", "value"])
                let name = try substitute(try require(node, "name"))
                let value = try substitute(try require(node, "value"))
                guard !name.isEmpty, name.utf8.allSatisfy(SceneReader.isParameterChar) else {
                    throw SceneFileError("invalid parameter name '\(name)' (letters, digits and _)", at: node.location)
                }
                if !defined.contains(name) { parameters[name] = value }
                if declaredDefaults[name] == nil { declaredDefaults[name] = value }
                if !node.children.isEmpty { throw SceneFileError("<default> takes no nested elements", at: node.children[0].location) }
            case "include":
                try checkAttributes(node, allowed: ["filename"])
                let attribute = try require(node, "filename")
                let name = try substitute(attribute)
                let path = SceneReader.resolve(name, in: context.directory)
                try readFile(path, display: name.hasPrefix("/") ? name : path, from: attribute.location, isRoot: false)
            case let tag where SceneReader.objectTags.contains(tag):
                let object = try readObject(node, ObjectCategory(rawValue: tag)!, context, nested: false)
                try checkTopLevel(object)
                topLevel.append(object)
            case let tag where SceneReader.propertyTags.contains(tag) || tag == "ref":
                throw SceneFileError("<\(tag)> cannot appear directly in <scene>; put it inside an object", at: node.location)
            default:
                throw SceneFileError("unknown tag <\(node.name)> in <scene> (supported: default, include, "
                                     + ObjectCategory.allCases.map(\.rawValue).joined(separator: ", ") + ")", at: node.location)
            }
        }
    }

    func checkTopLevel(_ object: SceneObject) throws {
        switch object.category {
        case .integrator, .sensor, .shape:
            return
        case .emitter:
            if object.type == "area" {
                throw SceneFileError("an area emitter must be nested in a <shape>", at: object.location)
            }
        case .bsdf, .texture, .film, .sampler, .rfilter:
            if object.id == nil {
                throw SceneFileError("a top-level <\(object.category)> without an id is never used; give it an id and <ref> it, or nest it",
                                     at: object.location)
            }
        }
    }

    mutating func finish(file: String, directory: String) throws -> SceneDescription {
        let integrators = topLevel.filter { $0.category == .integrator }
        if integrators.count > 1 {
            throw SceneFileError("more than one top-level <integrator> (the first is at \(integrators[0].location))",
                                 at: integrators[1].location)
        }
        var integrator = integrators.first
        if integrator == nil {
            var path = SceneObject(category: .integrator, type: "path",
                                   location: SourceLocation(file: file, line: 0, column: 0))
            try SceneReader.validate(&path, FileContext(file: file, directory: directory, oldNames: false))
            integrator = path
        }
        var sensors = topLevel.filter { $0.category == .sensor }
        if sensors.isEmpty {
            var sensor = SceneObject(category: .sensor, type: "perspective",
                                     location: SourceLocation(file: file, line: 0, column: 0))
            try SceneReader.validate(&sensor, FileContext(file: file, directory: directory, oldNames: false))
            sensors = [sensor]
        }
        var description = SceneDescription(version: rootVersion, file: file, directory: directory, objects: topLevel,
                                           objectsByID: ids, integrator: integrator!, sensors: sensors,
                                           shapes: topLevel.filter { $0.category == .shape },
                                           emitters: topLevel.filter { $0.category == .emitter },
                                           parameters: parameters)
        description.defaults = declaredDefaults
        description.unknownDefines = defined.subtracting(declaredDefaults.keys).subtracting(usedParameters.names).sorted()
        return description
    }

    // MARK: Attributes

    static func isParameterChar(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// Replaces every `$name` by its parameter value (`-D` or `<default>`).
    func substitute(_ attribute: XMLAttribute) throws -> String {
        let s = attribute.value
        guard s.utf8.contains(UInt8(ascii: "$")) else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            guard c == "$" else { out.append(c); i = s.index(after: i); continue }
            var j = s.index(after: i)
            while j < s.endIndex, let a = s[j].asciiValue, SceneReader.isParameterChar(a) { j = s.index(after: j) }
            let name = String(s[s.index(after: i)..<j])
            guard !name.isEmpty else {
                throw SceneFileError("'$' in attribute '\(attribute.name)' must be followed by a parameter name", at: attribute.location)
            }
            usedParameters.names.insert(name)
            guard let value = parameters[name] else {
                let known = parameters.keys.sorted()
                throw SceneFileError("undefined parameter $\(name) in attribute '\(attribute.name)' (define it with <default name=\"\(name)\" value=\"...\"/> or -D \(name)=...; defined: "
                                     + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ")", at: attribute.location)
            }
            out += value
            i = j
        }
        return out
    }

    func require(_ node: XMLNode, _ name: String) throws -> XMLAttribute {
        guard let a = node.attribute(name) else {
            throw SceneFileError("<\(node.name)> needs a '\(name)' attribute", at: node.location)
        }
        return a
    }

    func checkAttributes(_ node: XMLNode, allowed: [String]) throws {
        for a in node.attributes where !allowed.contains(a.name) {
            throw SceneFileError("unexpected attribute '\(a.name)' on <\(node.name)> (allowed: \(allowed.joined(separator: ", ")))",
                                 at: a.location)
        }
    }

    /// `toWorld` → `to_world`, `intIOR` → `int_ior` (scene versions below 2.0).
    static func snakeCase(_ name: String) -> String {
        var out = ""
        var previousLower = false
        for ch in name {
            if ch.isUppercase {
                if previousLower { out.append("_") }
                out += ch.lowercased()
                previousLower = false
            } else {
                out.append(ch)
                previousLower = ch.isLowercase || ch.isNumber
            }
        }
        return out
    }

    func propertyName(_ node: XMLNode, _ context: FileContext) throws -> (String, SourceLocation) {
        let attribute = try require(node, "name")
        let name = try substitute(attribute)
        guard !name.isEmpty else { throw SceneFileError("empty property name", at: attribute.location) }
        return (context.oldNames ? SceneReader.snakeCase(name) : name, attribute.location)
    }

    // MARK: Objects

    mutating func readObject(_ node: XMLNode, _ category: ObjectCategory, _ context: FileContext, nested: Bool) throws -> SceneObject {
        try checkAttributes(node, allowed: ["type", "id", "name"])
        let type = try substitute(try require(node, "type"))
        var object = SceneObject(category: category, type: type, location: node.location)
        object.propertyOrder = []
        if let a = node.attribute("id") {
            let id = try substitute(a)
            guard !id.isEmpty else { throw SceneFileError("empty id", at: a.location) }
            if let previous = ids[id] {
                throw SceneFileError("id '\(id)' is already used by the <\(previous.category)> at \(previous.location)", at: a.location)
            }
            object.id = id
        }
        if let a = node.attribute("name") {
            let name = try substitute(a)
            object.name = context.oldNames ? SceneReader.snakeCase(name) : name
        }
        // Check the plugin before its contents so an unknown plugin is named first.
        try SceneReader.checkPlugin(object)

        for child in node.children {
            switch child.name {
            case let tag where SceneReader.propertyTags.contains(tag):
                let (name, location) = try propertyName(child, context)
                if object.properties[name] != nil {
                    throw SceneFileError("property '\(name)' is given twice in <\(category) type=\"\(type)\"> (first at \(object.location(of: name)))",
                                         at: location)
                }
                object.properties[name] = try readValue(child, context)
                object.propertyOrder.append(name)
                object.propertyLocations[name] = child.location
            case "ref":
                try checkAttributes(child, allowed: ["id", "name"])
                let idAttribute = try require(child, "id")
                let id = try substitute(idAttribute)
                guard var target = ids[id] else {
                    let known = ids.keys.sorted()
                    throw SceneFileError("<ref id=\"\(id)\"> names no object defined before it (ids: "
                                         + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ")", at: idAttribute.location)
                }
                if let a = child.attribute("name") {
                    let name = try substitute(a)
                    target.name = context.oldNames ? SceneReader.snakeCase(name) : name
                } else {
                    target.name = nil
                }
                target.referencedID = id
                if !child.children.isEmpty { throw SceneFileError("<ref> takes no nested elements", at: child.children[0].location) }
                object.children.append(target)
            case let tag where SceneReader.objectTags.contains(tag):
                object.children.append(try readObject(child, ObjectCategory(rawValue: tag)!, context, nested: true))
            case "default", "include":
                throw SceneFileError("<\(child.name)> is only allowed directly in <scene>", at: child.location)
            default:
                throw SceneFileError("unknown tag <\(child.name)> in <\(category)> (supported: "
                                     + (SceneReader.propertyTags + ["ref"] + ObjectCategory.allCases.map(\.rawValue)).joined(separator: ", ")
                                     + ")", at: child.location)
            }
        }
        try SceneReader.validate(&object, context)
        if let id = object.id { ids[id] = object }
        return object
    }

    // MARK: Values

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
    func triple(_ node: XMLNode, fill: Double) throws -> Double3 {
        if let a = node.attribute("value") {
            if let other = node.attributes.first(where: { ["x", "y", "z"].contains($0.name) }) {
                throw SceneFileError("<\(node.name)> takes either 'value' or x/y/z, not both", at: other.location)
            }
            let v = try numbers(a, in: node)
            switch v.count {
            case 1: return Double3(repeating: v[0])
            case 3: return Double3(v[0], v[1], v[2])
            default:
                throw SceneFileError("attribute 'value' of <\(node.name)> needs 3 numbers (or 1), found \(v.count)", at: a.location)
            }
        }
        func component(_ name: String) throws -> Double {
            guard let a = node.attribute(name) else { return fill }
            return try single(a, in: node)
        }
        return Double3(try component("x"), try component("y"), try component("z"))
    }

    func readValue(_ node: XMLNode, _ context: FileContext) throws -> Property {
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
            case 1: return .rgb(Double3(repeating: v[0]))
            case 3: return .rgb(Double3(v[0], v[1], v[2]))
            default: throw SceneFileError("<rgb> needs 3 numbers (or 1 for grey), found \(v.count)", at: a.location)
            }
        case "spectrum":
            if let f = node.attribute("filename") {
                throw SceneFileError("<spectrum filename=...> is not supported (use value=\"0.5\" or \"wavelength:value, ...\")", at: f.location)
            }
            try checkAttributes(node, allowed: ["name", "value"])
            try noChildren()
            return .spectrum(try spectrum(try require(node, "value"), node))
        case "transform":
            try checkAttributes(node, allowed: ["name"])
            return .transform(try transform(node))
        default:
            throw SceneFileError("unknown property tag <\(node.name)>", at: node.location)
        }
    }

    /// A constant spectrum: one value, or wavelength:value pairs averaged (DiffRay renders RGB).
    func spectrum(_ attribute: XMLAttribute, _ node: XMLNode) throws -> Double {
        let text = try substitute(attribute)
        let tokens = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard !tokens.isEmpty else { throw SceneFileError("<spectrum> has an empty value", at: attribute.location) }
        if tokens.count == 1, !tokens[0].contains(":") {
            return try SceneReader.number(tokens[0], attribute, node)
        }
        var sum = 0.0
        var lastWavelength = -Double.infinity
        for token in tokens {
            let pair = token.split(separator: ":", omittingEmptySubsequences: false)
            guard pair.count == 2 else {
                throw SceneFileError("'\(token)' in <spectrum> is not a wavelength:value pair (or give one value)", at: attribute.location)
            }
            let wavelength = try SceneReader.number(pair[0], attribute, node)
            guard wavelength > lastWavelength, wavelength > 0 else {
                throw SceneFileError("<spectrum> wavelengths must be positive and increasing ('\(token)')", at: attribute.location)
            }
            lastWavelength = wavelength
            sum += try SceneReader.number(pair[1], attribute, node)
        }
        return sum / Double(tokens.count)
    }

    /// Composes the operations of a `<transform>` by left multiplication in document order.
    func transform(_ node: XMLNode) throws -> Matrix4 {
        var m = Matrix4.identity
        for op in node.children {
            let step: Matrix4
            switch op.name {
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
                func vector(_ name: String) throws -> Double3 {
                    let a = try require(op, name)
                    let v = try numbers(a, in: op)
                    guard v.count == 3 else {
                        throw SceneFileError("attribute '\(name)' of <lookat> needs 3 numbers, found \(v.count)", at: a.location)
                    }
                    return Double3(v[0], v[1], v[2])
                }
                let origin = try vector("origin"), target = try vector("target")
                var up = op.attribute("up") != nil ? try vector("up") : Double3.zero
                if up.length == 0, (target - origin).length > 0 {
                    // As Mitsuba: a missing or zero up is the first tangent of
                    // coordinate_system(dir) (Duff et al. 2017).
                    let n = (target - origin).normalized
                    let sign: Double = n.z >= 0 ? 1 : -1
                    let a = -1 / (sign + n.z)
                    let b = n.x * n.y * a
                    up = Double3(1 + sign * n.x * n.x * a, sign * b, -sign * n.x)
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
