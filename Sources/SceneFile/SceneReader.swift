import Foundation
import Geometry

/// Turns scene XML into validated `SceneObject`s: `<default>` and `$name`,
/// `<path>` and `<include>`, `id`/`<ref>` (also to objects defined later),
/// old camelCase names, values and transforms.
///
/// Reading is two passes, as Mitsuba's loader parses the whole document
/// before it instantiates anything: the first walks `<scene>` (and the
/// files it includes) in order, applying `<default>`, `<path>` and
/// `<include>` and noting every object element and its id; the second reads
/// the objects, so a `<ref>` may name an object that appears further down and
/// every `<path>` applies to every file name.
struct SceneReader {
    /// The file being read and how to read its names.
    struct FileContext {
        var file: String
        var directory: String
        /// The scene version is below 2.0: Mitsuba 3's loader upgrades
        /// camelCase names and a few renamed properties (see `upgradedName`).
        var oldNames: Bool
        /// Folders a relative file name is looked up in, in order (Mitsuba's
        /// file resolver: `<path>` folders, latest first, then the working
        /// directory, then the folder of the root scene file).
        var searchPaths: [String] = []
    }

    /// An object element waiting for the second pass.
    struct PendingObject {
        var node: XMLNode
        var context: FileContext
    }

    static let objectTags = Set(ObjectCategory.allCases.map(\.rawValue))
    static let propertyTags = ["integer", "float", "boolean", "string", "point", "vector", "rgb", "spectrum", "transform"]
    static let maximumFileSize = 64 << 20
    /// Mitsuba's limit on nested `<include>`s.
    static let maximumIncludeDepth = 15
    /// Most `<include>`s one scene may make in total (nested ones count), and most bytes
    /// of scene XML read in total: a few small files that include each other many times
    /// would otherwise make millions of includes.
    static let maximumIncludes = 1000
    static let maximumTotalBytes = 256 << 20

    var parameters: [String: String]
    /// Objects read so far, by id.
    var ids: [String: SceneObject] = [:]
    /// Every object element with an id, found by the first pass.
    var pendingByID: [String: PendingObject] = [:]
    /// `<alias id="a" as="b"/>`: b → a.
    var aliases: [String: String] = [:]
    /// Ids whose objects are being read (a `<ref>` back to one is a cycle).
    var inProgress: Set<String> = []
    /// Top-level object elements in document order (includes merged in place).
    var pendingTopLevel: [PendingObject] = []
    var includeStack: [String] = []
    var topLevel: [SceneObject] = []
    var rootVersion = ""
    /// `<path>` folders, latest first.
    var pathFolders: [String] = []
    /// The folder of the root scene file (for an in-memory scene, the one given).
    let sceneDirectory: String
    /// The working directory, which Mitsuba's resolver searches before the scene folder.
    let workingDirectory: String
    var includeCount = 0
    var bytesRead = 0
    /// Names declared by `<default>` (with their values as written) and names used as `$name`.
    var declaredDefaults: [String: String] = [:]
    final class NameSet { var names = Set<String>() }
    let usedParameters = NameSet()
    /// The names given on the command line (`-D`).
    let defined: Set<String>

    init(defines: [String: String], sceneDirectory: String) {
        parameters = defines
        defined = Set(defines.keys)
        self.sceneDirectory = sceneDirectory
        workingDirectory = SceneReader.standardize(FileManager.default.currentDirectoryPath)
    }

    // MARK: Entry points

    static func read(path: String, defines: [String: String]) throws -> SceneDescription {
        let absolute = standardize(path)
        var reader = SceneReader(defines: defines, sceneDirectory: parentDirectory(absolute))
        try reader.readFile(absolute, display: path, from: nil, isRoot: true)
        return try reader.finish(file: path, directory: parentDirectory(absolute))
    }

    static func read(xml: String, file: String, directory: String, defines: [String: String]) throws -> SceneDescription {
        var reader = SceneReader(defines: defines, sceneDirectory: standardize(directory))
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

    static func exists(_ path: String, directory: Bool) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue == directory
    }

    /// The folders Mitsuba's file resolver searches, in order.
    var searchPaths: [String] {
        var list = pathFolders
        for folder in [workingDirectory, sceneDirectory] where !list.contains(folder) { list.append(folder) }
        return list
    }

    /// Looks a file name up as Mitsuba's file resolver does: an absolute path
    /// as it is, else the first of `searchPaths` that holds it. Nil if none does.
    static func find(_ name: String, in searchPaths: [String]) -> String? {
        if name.hasPrefix("/") { return exists(standardize(name), directory: false) ? standardize(name) : nil }
        for folder in searchPaths {
            let candidate = resolve(name, in: folder)
            if exists(candidate, directory: false) { return candidate }
        }
        return nil
    }

    /// `file not found: NAME (WHAT; looked in A, B)`.
    static func notFound(_ name: String, _ what: String, _ searchPaths: [String], at location: SourceLocation) -> SceneFileError {
        SceneFileError("file not found: \(name) (\(what); looked in " + searchPaths.joined(separator: ", ") + ")", at: location)
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
        guard includeStack.count <= SceneReader.maximumIncludeDepth else {
            throw SceneFileError("more than \(SceneReader.maximumIncludeDepth) nested <include>s",
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

    // MARK: Scene level (first pass)

    mutating func readScene(_ root: XMLNode, _ context: FileContext, isRoot: Bool) throws {
        guard root.name == "scene" else {
            throw SceneFileError("the root element is <\(root.name)>, expected <scene version=\"3.0.0\">", at: root.location)
        }
        try checkAttributes(root, allowed: ["version"])
        guard let versionAttribute = root.attribute("version") else {
            throw SceneFileError("<scene> needs a version attribute, e.g. version=\"3.0.0\"", at: root.location)
        }
        let version = try substitute(versionAttribute)
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
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
                // As Mitsuba: the first definition of a name wins, and -D (already there) beats all.
                if parameters[name] == nil { parameters[name] = value }
                if declaredDefaults[name] == nil { declaredDefaults[name] = value }
                if !node.children.isEmpty { throw SceneFileError("<default> takes no nested elements", at: node.children[0].location) }
            case "path":
                try checkAttributes(node, allowed: ["value"])
                let attribute = try require(node, "value")
                let name = try substitute(attribute)
                if !node.children.isEmpty { throw SceneFileError("<path> takes no nested elements", at: node.children[0].location) }
                guard !name.isEmpty else { throw SceneFileError("<path> has an empty value", at: attribute.location) }
                // Relative to the file that declares it, else looked up like any file name.
                var folder = SceneReader.resolve(name, in: context.directory)
                if !name.hasPrefix("/"), !SceneReader.exists(folder, directory: true),
                   let other = searchPaths.lazy.map({ SceneReader.resolve(name, in: $0) })
                       .first(where: { SceneReader.exists($0, directory: true) }) {
                    folder = other
                }
                guard SceneReader.exists(folder, directory: true) else {
                    throw SceneFileError("<path>: folder not found: \(name) (looked for \(folder))", at: attribute.location)
                }
                pathFolders.removeAll { $0 == folder }
                pathFolders.insert(folder, at: 0)
            case "include":
                try checkAttributes(node, allowed: ["filename"])
                let attribute = try require(node, "filename")
                let name = try substitute(attribute)
                if !node.children.isEmpty { throw SceneFileError("<include> takes no nested elements", at: node.children[0].location) }
                // As Mitsuba: through the file resolver (the root scene's folder, not the including file's).
                guard let path = SceneReader.find(name, in: searchPaths) else {
                    throw SceneReader.notFound(name, "<include>", searchPaths, at: attribute.location)
                }
                try readFile(path, display: name.hasPrefix("/") ? name : path, from: attribute.location, isRoot: false)
            case "alias":
                try checkAttributes(node, allowed: ["id", "as"])
                let source = try require(node, "id"), alias = try require(node, "as")
                let from = upgradedID(try substitute(source), context), to = upgradedID(try substitute(alias), context)
                if !node.children.isEmpty { throw SceneFileError("<alias> takes no nested elements", at: node.children[0].location) }
                guard let target = pendingByID[from] else {
                    throw SceneFileError("<alias>: no object with id '\(from)' before it", at: source.location)
                }
                if let previous = pendingByID[to] {
                    throw SceneFileError("id '\(to)' is already used by the <\(previous.node.name)> at \(previous.node.location)", at: alias.location)
                }
                pendingByID[to] = target
                aliases[to] = aliases[from] ?? from
            case let tag where SceneReader.objectTags.contains(tag):
                pendingTopLevel.append(PendingObject(node: node, context: context))
                try noteIDs(node, context)
            case let tag where SceneReader.propertyTags.contains(tag) || tag == "ref":
                throw SceneFileError("<\(tag)> cannot appear directly in <scene>; put it inside an object", at: node.location)
            default:
                throw SceneReader.unknownTag(node, in: "scene", supported: ["default", "path", "include", "alias"]
                                             + ObjectCategory.allCases.map(\.rawValue))
            }
        }
    }

    /// Records the ids of an object element and of the objects nested in it.
    mutating func noteIDs(_ node: XMLNode, _ context: FileContext) throws {
        if let a = node.attribute("id") {
            let id = upgradedID(try substitute(a), context)
            guard !id.isEmpty else { throw SceneFileError("empty id", at: a.location) }
            if let previous = pendingByID[id] {
                throw SceneFileError("id '\(id)' is already used by the <\(previous.node.name)> at \(previous.node.location)", at: a.location)
            }
            pendingByID[id] = PendingObject(node: node, context: context)
        }
        for child in node.children where SceneReader.objectTags.contains(child.name) {
            try noteIDs(child, context)
        }
    }

    /// An id as Mitsuba's upgrade of old scenes rewrites it: one starting
    /// with `_` (reserved) becomes `ID_..._UPGR`.
    func upgradedID(_ id: String, _ context: FileContext) -> String {
        context.oldNames && id.hasPrefix("_") ? "ID" + id + "__UPGR" : id
    }

    /// The error for a tag DiffRay does not read, naming participating media
    /// and animations as such.
    static func unknownTag(_ node: XMLNode, in parent: String, supported: [String]) -> SceneFileError {
        if ["medium", "phase", "volume"].contains(node.name) {
            return SceneFileError("<\(node.name)> is not supported: DiffRay renders no participating media (no medium, phase or volume; "
                                  + "remove the medium or render the scene in Mitsuba)", at: node.location)
        }
        if node.name == "animation" {
            return SceneFileError("<animation> belongs inside the object it moves (a <sensor>, a point or spot <emitter>, or a "
                                  + "<shape type=\"instance\">), not in <\(parent)>", at: node.location)
        }
        return SceneFileError("unknown tag <\(node.name)> in <\(parent)> (supported: " + supported.joined(separator: ", ") + ")",
                              at: node.location)
    }

    // MARK: Objects (second pass)

    func checkTopLevel(_ object: SceneObject) throws {
        switch object.category {
        case .integrator, .sensor, .shape:
            return
        case .emitter:
            if object.type == "area", object.id == nil {
                throw SceneFileError("an area emitter must be nested in a <shape>, or given an id and referenced from one",
                                     at: object.location)
            }
        case .bsdf, .texture, .film, .sampler, .rfilter:
            if object.id == nil {
                throw SceneFileError("a top-level <\(object.category)> without an id is never used; give it an id and <ref> it, or nest it",
                                     at: object.location)
            }
        }
    }

    mutating func finish(file: String, directory: String) throws -> SceneDescription {
        let folders = searchPaths
        for pending in pendingTopLevel {
            var context = pending.context
            context.searchPaths = folders
            let object = try readObject(pending.node, ObjectCategory(rawValue: pending.node.name)!, context, nested: false)
            try checkTopLevel(object)
            topLevel.append(object)
        }
        let integrators = topLevel.filter { $0.category == .integrator }
        if integrators.count > 1 {
            throw SceneFileError("more than one top-level <integrator> (the first is at \(integrators[0].location))",
                                 at: integrators[1].location)
        }
        let defaultContext = FileContext(file: file, directory: directory, oldNames: false, searchPaths: folders)
        var integrator = integrators.first
        if integrator == nil {
            var path = SceneObject(category: .integrator, type: "path",
                                   location: SourceLocation(file: file, line: 0, column: 0))
            try SceneReader.validate(&path, defaultContext)
            integrator = path
        }
        var sensors = topLevel.filter { $0.category == .sensor }
        if sensors.isEmpty {
            var sensor = SceneObject(category: .sensor, type: "perspective",
                                     location: SourceLocation(file: file, line: 0, column: 0))
            try SceneReader.validate(&sensor, defaultContext)
            sensors = [sensor]
        }
        let shapes = topLevel.filter { $0.category == .shape }
        try SceneReader.checkAreaEmitters(topLevel: topLevel, shapes: shapes)
        var description = SceneDescription(version: rootVersion, file: file, directory: directory, objects: topLevel,
                                           objectsByID: ids, integrator: integrator!, sensors: sensors,
                                           shapes: shapes,
                                           emitters: topLevel.filter { $0.category == .emitter && $0.type != "area" },
                                           parameters: parameters)
        description.defaults = declaredDefaults
        description.unknownDefines = defined.subtracting(declaredDefaults.keys).subtracting(usedParameters.names).sorted()
        return description
    }

    /// A top-level area emitter belongs to exactly one shape, as in Mitsuba
    /// (an area emitter samples the one shape it is attached to).
    static func checkAreaEmitters(topLevel: [SceneObject], shapes: [SceneObject]) throws {
        var users: [String: SceneObject] = [:]
        for shape in shapes {
            guard let e = shape.child(.emitter), let id = e.referencedID ?? e.id else { continue }
            if let first = users[id] {
                throw SceneFileError("area emitter '\(id)' is referenced by two shapes (the first at \(first.location)); "
                                     + "an area emitter belongs to one shape: declare one per shape", at: shape.location)
            }
            users[id] = shape
        }
        for e in topLevel where e.category == .emitter && e.type == "area" {
            if let id = e.id, users[id] == nil {
                throw SceneFileError("area emitter '\(id)' is not referenced by any shape (add <ref id=\"\(id)\"/> inside a <shape>)",
                                     at: e.location)
            }
        }
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

    /// A camelCase name as Mitsuba 3's loader upgrades it in scenes older
    /// than 2.0: an underscore before each capital that follows a lower-case
    /// letter, and that run of capitals lower-cased (`toWorld` → `to_world`,
    /// `intIOR` → `int_ior`, `sampleCount` → `sample_count`).
    static func snakeCase(_ name: String) -> String {
        var chars = Array(name)
        var out: [Character] = []
        var i = 0
        while i < chars.count {
            out.append(chars[i])
            if i + 1 < chars.count, chars[i].isASCII, chars[i].isLowercase, chars[i + 1].isASCII, chars[i + 1].isUppercase {
                out.append("_")
                i += 1
                while i < chars.count, chars[i].isASCII, chars[i].isUppercase {
                    chars[i] = Character(chars[i].lowercased())
                    out.append(chars[i])
                    i += 1
                }
                continue
            }
            i += 1
        }
        return String(out)
    }

    /// A `name` attribute as read: substituted, and upgraded in old scenes.
    func upgradedName(_ attribute: XMLAttribute, _ context: FileContext) throws -> String {
        let name = try substitute(attribute)
        return context.oldNames ? SceneReader.snakeCase(name) : name
    }

    func propertyName(_ node: XMLNode, _ context: FileContext) throws -> (String, SourceLocation) {
        let attribute = try require(node, "name")
        let name = try upgradedName(attribute, context)
        guard !name.isEmpty else { throw SceneFileError("empty property name", at: attribute.location) }
        return (name, attribute.location)
    }

    // MARK: Objects

    mutating func readObject(_ node: XMLNode, _ category: ObjectCategory, _ context: FileContext, nested: Bool) throws -> SceneObject {
        var context = context
        context.searchPaths = searchPaths
        try checkAttributes(node, allowed: ["type", "id", "name"])
        var id: String? = nil
        if let a = node.attribute("id") {
            let value = upgradedID(try substitute(a), context)
            guard !value.isEmpty else { throw SceneFileError("empty id", at: a.location) }
            // Read already, because a <ref> before it needed it.
            if let done = ids[value] { return done }
            id = value
        }
        let type = try substitute(try require(node, "type"))
        var object = SceneObject(category: category, type: type, location: node.location)
        object.propertyOrder = []
        object.id = id
        if let id {
            inProgress.insert(id)
        }
        defer { if let id { inProgress.remove(id) } }
        if let a = node.attribute("name") {
            object.name = try upgradedName(a, context)
        }
        // Check the plugin before its contents so an unknown plugin is named first.
        try SceneReader.checkPlugin(object)

        for child in node.children {
            switch child.name {
            case let tag where SceneReader.propertyTags.contains(tag):
                var (name, location) = try propertyName(child, context)
                // Mitsuba's upgrade of old scenes renames diffuse's diffuse_reflectance.
                if context.oldNames, category == .bsdf, type == "diffuse", name == "diffuse_reflectance" { name = "reflectance" }
                if object.properties[name] != nil {
                    throw SceneFileError("property '\(name)' is given twice in <\(category) type=\"\(type)\"> (first at \(object.location(of: name)))",
                                         at: location)
                }
                object.properties[name] = try readValue(child, context, inEmitter: category == .emitter, name: name)
                object.propertyOrder.append(name)
                object.propertyLocations[name] = child.location
            case "animation":
                let (name, location) = try propertyName(child, context)
                if object.properties[name] != nil {
                    throw SceneFileError("property '\(name)' is given twice in <\(category) type=\"\(type)\"> (first at \(object.location(of: name)))",
                                         at: location)
                }
                object.properties[name] = try animation(child, context)
                object.propertyOrder.append(name)
                object.propertyLocations[name] = child.location
            case "ref":
                try checkAttributes(child, allowed: ["id", "name"])
                let idAttribute = try require(child, "id")
                let named = upgradedID(try substitute(idAttribute), context)
                let target = aliases[named] ?? named
                var referenced: SceneObject
                if let done = ids[target] {
                    referenced = done
                } else if let pending = pendingByID[target] {
                    guard !inProgress.contains(target) else {
                        throw SceneFileError("<ref id=\"\(target)\"> refers back to an object that contains it (a reference cycle)",
                                             at: idAttribute.location)
                    }
                    referenced = try readObject(pending.node, ObjectCategory(rawValue: pending.node.name)!, pending.context, nested: true)
                } else {
                    let known = pendingByID.keys.sorted()
                    throw SceneFileError("<ref id=\"\(named)\"> names no object in the scene (ids: "
                                         + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ")", at: idAttribute.location)
                }
                if let a = child.attribute("name") {
                    referenced.name = try upgradedName(a, context)
                } else {
                    referenced.name = nil
                }
                referenced.referencedID = named
                if !child.children.isEmpty { throw SceneFileError("<ref> takes no nested elements", at: child.children[0].location) }
                object.children.append(referenced)
            case let tag where SceneReader.objectTags.contains(tag):
                object.children.append(try readObject(child, ObjectCategory(rawValue: tag)!, context, nested: true))
            case "default", "include", "path", "alias":
                throw SceneFileError("<\(child.name)> is only allowed directly in <scene>", at: child.location)
            default:
                throw SceneReader.unknownTag(child, in: category.rawValue,
                                             supported: SceneReader.propertyTags + ["ref"] + ObjectCategory.allCases.map(\.rawValue))
            }
        }
        if context.oldNames {
            // Mitsuba's upgrade renames diffuse_reflectance of a diffuse BSDF in nested textures and refs too.
            if category == .bsdf, type == "diffuse" {
                for i in object.children.indices where object.children[i].name == "diffuse_reflectance" {
                    object.children[i].name = "reflectance"
                }
            }
            try SceneReader.upgradeTextureOffsets(&object)
        }
        try SceneReader.validate(&object, context)
        if let id = object.id { ids[id] = object }
        return object
    }

    /// Mitsuba's upgrade of old scenes: `uoffset`, `voffset`, `uscale` and
    /// `vscale` become a `to_uv` transform (scale after translate).
    static func upgradeTextureOffsets(_ object: inout SceneObject) throws {
        let names = ["uoffset", "voffset", "uscale", "vscale"]
        guard names.contains(where: { object.properties[$0] != nil }) else { return }
        var values: [String: Double] = [:]
        for name in names {
            guard let p = object.properties[name] else { continue }
            guard let v = p.doubleValue else {
                throw SceneFileError("'\(name)' must be a <float>", at: object.location(of: name))
            }
            values[name] = v
            object.properties[name] = nil
            object.propertyOrder.removeAll { $0 == name }
        }
        if object.properties["to_uv"] != nil {
            throw SceneFileError("'to_uv' and uoffset/voffset/uscale/vscale cannot both be given", at: object.location(of: "to_uv"))
        }
        let m = Matrix4.scaling(Vec3(values["uscale"] ?? 1, values["vscale"] ?? 1, 1))
            * Matrix4.translation(Vec3(values["uoffset"] ?? 0, values["voffset"] ?? 0, 0))
        object.properties["to_uv"] = .transform(m)
        object.propertyOrder.append("to_uv")
    }
}
