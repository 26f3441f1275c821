import Foundation

/// Stanford PLY, ASCII or binary (little- or big-endian). Reads the `vertex`
/// element's x y z, optional nx ny nz, and u v / s t / texture_u texture_v /
/// texture_s texture_t; the `face` element's `vertex_indices` (or
/// `vertex_index`) list, polygons fan-triangulated; the other properties of
/// both as Mitsuba's mesh attributes (`MeshAttribute`: `vertex_color`, ...).
/// Every other element and list property is skipped by its size. Counts are checked against the file size
/// before anything is allocated; errors give file:line (ASCII) or the byte offset.
extension MeshData {
    /// Reads a PLY file.
    public static func readPLY(path: String, display: String? = nil) throws -> MeshData {
        let name = display ?? path
        let bytes = try SceneReader.contents(of: path, display: name, limit: Int(Int32.max), at: nil)
        return try MeshData(ply: bytes, file: name)
    }

    /// Reads an `.obj` or `.ply` file by its extension.
    public static func read(path: String, display: String? = nil) throws -> MeshData {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        switch ext {
        case "obj": return try readOBJ(path: path, display: display)
        case "ply": return try readPLY(path: path, display: display)
        default:
            throw SceneFileError("unknown mesh format '.\(ext)' (supported: .obj, .ply)",
                                 at: SourceLocation(file: display ?? path, line: 0, column: 0))
        }
    }

    /// Parses PLY bytes; `file` names them in errors.
    public init(ply bytes: [UInt8], file: String) throws {
        var parser = PLYParser(bytes: bytes, file: file)
        self = try parser.parse()
    }
}

private enum PLYScalar: String {
    case int8, uint8, int16, uint16, int32, uint32, float32, float64

    init?(name: String) {
        switch name {
        case "char", "int8": self = .int8
        case "uchar", "uint8": self = .uint8
        case "short", "int16": self = .int16
        case "ushort", "uint16": self = .uint16
        case "int", "int32": self = .int32
        case "uint", "uint32": self = .uint32
        case "float", "float32": self = .float32
        case "double", "float64": self = .float64
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .float64: 8
        }
    }

    var isInteger: Bool { self != .float32 && self != .float64 }
}

private struct PLYProperty {
    var name: String
    var type: PLYScalar
    /// For a list property: the type of its count.
    var countType: PLYScalar?
}

private struct PLYElement {
    var name: String
    var count: Int
    var properties: [PLYProperty]
    var headerLine: Int
}

private enum PLYFormat { case ascii, little, big }

private struct PLYParser {
    let bytes: [UInt8]
    let file: String
    var pos = 0
    var line = 1
    var format = PLYFormat.ascii
    var elements: [PLYElement] = []

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    func failLine(_ message: String, _ lineNumber: Int? = nil) -> SceneFileError {
        SceneFileError(message, at: SourceLocation(file: file, line: lineNumber ?? line, column: 0))
    }

    func failByte(_ message: String, _ offset: Int) -> SceneFileError {
        SceneFileError(message, at: SourceLocation(file: file, byteOffset: offset))
    }

    // MARK: Header

    mutating func headerLine() throws -> [Substring] {
        var end = pos
        while end < bytes.count, bytes[end] != 0x0A {
            end += 1
            if end - pos > 4096 { throw failLine("PLY header line too long (or not a PLY file)") }
        }
        guard end < bytes.count else { throw failLine("PLY header ends before 'end_header'") }
        let text = String(decoding: bytes[pos..<end], as: UTF8.self)
        pos = end + 1
        defer { line += 1 }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
    }

    mutating func parse() throws -> MeshData {
        guard bytes.count >= 4, bytes[0] == UInt8(ascii: "p"), bytes[1] == UInt8(ascii: "l"), bytes[2] == UInt8(ascii: "y"),
              bytes[3] == 0x0A || bytes[3] == 0x0D else {
            throw failLine("not a PLY file (it must start with 'ply')", 1)
        }
        _ = try headerLine()
        var sawFormat = false
        while true {
            let words = try headerLine()
            let lineNumber = line - 1
            guard let keyword = words.first else { continue }
            switch keyword {
            case "format":
                guard words.count == 3 else { throw failLine("PLY format line needs 'format <type> 1.0'", lineNumber) }
                switch words[1] {
                case "ascii": format = .ascii
                case "binary_little_endian": format = .little
                case "binary_big_endian": format = .big
                default: throw failLine("unknown PLY format '\(words[1])' (supported: ascii, binary_little_endian, binary_big_endian)", lineNumber)
                }
                sawFormat = true
            case "comment", "obj_info":
                continue
            case "element":
                guard words.count == 3, let n = Int(words[2]), n >= 0 else {
                    throw failLine("PLY element line needs 'element <name> <count>'", lineNumber)
                }
                guard n <= MeshData.maximumElementCount else {
                    throw failLine("PLY element '\(words[1])' count \(n) is over the limit of \(MeshData.maximumElementCount)", lineNumber)
                }
                elements.append(PLYElement(name: String(words[1]), count: n, properties: [], headerLine: lineNumber))
            case "property":
                guard !elements.isEmpty else { throw failLine("PLY property before any element", lineNumber) }
                if words.count == 5, words[1] == "list" {
                    guard let countType = PLYScalar(name: String(words[2])), countType.isInteger,
                          let itemType = PLYScalar(name: String(words[3])) else {
                        throw failLine("PLY list property needs integer count and known item types ('property list uchar int vertex_indices')", lineNumber)
                    }
                    elements[elements.count - 1].properties.append(PLYProperty(name: String(words[4]), type: itemType, countType: countType))
                } else if words.count == 3, let type = PLYScalar(name: String(words[1])) {
                    elements[elements.count - 1].properties.append(PLYProperty(name: String(words[2]), type: type, countType: nil))
                } else {
                    throw failLine("PLY property line not understood (types: char uchar short ushort int uint float double and their int8... names)", lineNumber)
                }
            case "end_header":
                guard sawFormat else { throw failLine("PLY header has no format line", lineNumber) }
                return try body()
            default:
                throw failLine("unknown PLY header keyword '\(keyword.prefix(20))'", lineNumber)
            }
        }
    }

    // MARK: Body

    mutating func body() throws -> MeshData {
        guard let vertexIndex = elements.firstIndex(where: { $0.name == "vertex" }) else {
            throw failLine("PLY file has no 'vertex' element")
        }
        guard let faceIndex = elements.firstIndex(where: { $0.name == "face" }) else {
            throw failLine("PLY file has no 'face' element")
        }
        let vertex = elements[vertexIndex], face = elements[faceIndex]
        func slot(_ names: [String], in element: PLYElement) -> Int? {
            for n in names { if let i = element.properties.firstIndex(where: { $0.name == n && $0.countType == nil }) { return i } }
            return nil
        }
        guard let xs = slot(["x"], in: vertex), let ys = slot(["y"], in: vertex), let zs = slot(["z"], in: vertex) else {
            throw failLine("PLY vertex element needs x, y and z properties", vertex.headerLine)
        }
        let normalSlots = [slot(["nx"], in: vertex), slot(["ny"], in: vertex), slot(["nz"], in: vertex)]
        let hasNormals = normalSlots.allSatisfy { $0 != nil }
        let uSlot = slot(["u", "s", "texture_u", "texture_s"], in: vertex)
        let vSlot = slot(["v", "t", "texture_v", "texture_t"], in: vertex)
        let hasUVs = uSlot != nil && vSlot != nil
        guard let listSlot = face.properties.firstIndex(where: { ($0.name == "vertex_indices" || $0.name == "vertex_index") && $0.countType != nil }) else {
            throw failLine("PLY face element needs a list property 'vertex_indices'", face.headerLine)
        }
        guard face.properties[listSlot].type.isInteger else {
            throw failLine("PLY face 'vertex_indices' must hold integers", face.headerLine)
        }

        // Refuse counts the remaining bytes cannot hold, before allocating.
        var minimum = 0
        for e in elements {
            let perItem = e.properties.reduce(0) { total, p in
                total + (format == .ascii ? 2 : (p.countType?.size ?? p.type.size))
            }
            let (product, overflow) = e.count.multipliedReportingOverflow(by: max(perItem, 1))
            guard !overflow else { throw failLine("PLY element '\(e.name)' count \(e.count) is too large", e.headerLine) }
            minimum += product
        }
        let remaining = bytes.count - pos
        guard minimum <= remaining + (format == .ascii ? 1 : 0) else {
            throw format == .ascii
                ? failLine("PLY file is truncated: its header declares at least \(minimum) bytes of data, only \(remaining) follow")
                : failByte("PLY file is truncated: its header declares at least \(minimum) bytes of data, only \(remaining) follow", bytes.count)
        }

        let uvNames = hasUVs ? [vertex.properties[uSlot!].name, vertex.properties[vSlot!].name] : []
        let vertexGroups = PLYParser.attributeGroups("vertex_", vertex.properties,
                                                     reserved: Set(["x", "y", "z", "nx", "ny", "nz"] + uvNames))
        let faceGroups = PLYParser.attributeGroups("face_", face.properties, reserved: [])
        var vertexAttributes = [[Double]](repeating: [], count: vertexGroups.count)
        var faceAttributes = [[Double]](repeating: [], count: faceGroups.count)
        var positions = [Double](); positions.reserveCapacity(vertex.count * 3)
        var normals = [Double](); if hasNormals { normals.reserveCapacity(vertex.count * 3) }
        var uvs = [Double](); if hasUVs { uvs.reserveCapacity(vertex.count * 2) }
        var indices = [UInt32](); indices.reserveCapacity(face.count * 3)
        var values = [Double](repeating: 0, count: 16)
        var polygon: [UInt32] = []

        var reader = PLYValueReader(bytes: bytes, pos: pos, line: line, format: format, file: file)
        for (ei, element) in elements.enumerated() {
            // Per property its types, so that a record's loop copies no names.
            let properties = element.properties
            let types = properties.map(\.type), countTypes = properties.map(\.countType)
            if values.count < properties.count { values = [Double](repeating: 0, count: properties.count) }
            for _ in 0..<element.count {
                if format == .ascii { try reader.startRecord(element.name) }
                for pi in 0..<types.count {
                    let type = types[pi]
                    if let countType = countTypes[pi] {
                        let countOffset = reader.pos
                        let n = try reader.integer(countType, what: "list count of '\(properties[pi].name)'")
                        guard n >= 0 else { throw reader.fail("negative list count \(n) in PLY element '\(element.name)'", countOffset) }
                        if ei == faceIndex && pi == listSlot {
                            guard n >= 3 else { throw reader.fail("PLY face has \(n) vertices, needs at least 3", countOffset) }
                            guard n <= 1 << 20 else { throw reader.fail("PLY face has \(n) vertices (over 2^20)", countOffset) }
                            polygon.removeAll(keepingCapacity: true)
                            for _ in 0..<n {
                                let at = reader.pos
                                let index = try reader.integer(type, what: "vertex index")
                                guard index >= 0, index < vertex.count else {
                                    throw reader.fail("PLY vertex index \(index) is out of range (\(vertex.count) vertices)", at)
                                }
                                polygon.append(UInt32(index))
                            }
                            guard indices.count / 3 + n - 2 <= MeshData.maximumElementCount else {
                                throw reader.fail("more than \(MeshData.maximumElementCount) PLY triangles", countOffset)
                            }
                            for k in 1..<(n - 1) {
                                indices.append(polygon[0]); indices.append(polygon[k]); indices.append(polygon[k + 1])
                            }
                        } else {
                            try reader.skip(type, count: n)
                        }
                    } else if ei == vertexIndex || ei == faceIndex {
                        values[pi] = try reader.double(type, what: "\(element.name) '\(properties[pi].name)'")
                    } else {
                        try reader.skip(type, count: 1)
                    }
                }
                if ei == vertexIndex {
                    positions.append(values[xs]); positions.append(values[ys]); positions.append(values[zs])
                    if hasNormals { for s in normalSlots { normals.append(values[s!]) } }
                    if hasUVs { uvs.append(values[uSlot!]); uvs.append(values[vSlot!]) }
                    for (g, group) in vertexGroups.enumerated() {
                        for k in group.slots { vertexAttributes[g].append(values[k]) }
                    }
                } else if ei == faceIndex {
                    // A polygon's triangles share its face's values.
                    for (g, group) in faceGroups.enumerated() {
                        for _ in 0..<(polygon.count - 2) {
                            for k in group.slots { faceAttributes[g].append(values[k]) }
                        }
                    }
                }
            }
        }
        if format == .ascii { try reader.expectEnd() }
        guard !indices.isEmpty else { throw failLine("PLY file has no faces", face.headerLine) }
        var mesh = MeshData(positions: positions, normals: hasNormals ? normals : nil, uvs: hasUVs ? uvs : nil, indices: indices)
        mesh.attributes = zip(vertexGroups, vertexAttributes).map { MeshAttribute(name: $0.name, dimension: $0.slots.count, values: $1) }
            + zip(faceGroups, faceAttributes).map { MeshAttribute(name: $0.name, dimension: $0.slots.count, values: $1) }
        return mesh
    }

    /// Mitsuba's grouping of the extra properties of a PLY element into
    /// attributes: the colour (`r g b [a]` or `red green blue [alpha]`) as
    /// `{kind}color`, then runs of neighbouring scalar properties named
    /// `{prefix}_{postfix}` whose postfixes follow one of x y z w, r g b a,
    /// 0 1 2 3, 1 2 3 4 from its start, as `{kind}{prefix}` (`_color` added
    /// for r g b). Runs of 4 are skipped, as Mitsuba skips them.
    static func attributeGroups(_ kind: String, _ properties: [PLYProperty], reserved: Set<String>) -> [(name: String, slots: [Int])] {
        var groups = [(name: String, slots: [Int])]()
        let scalar = properties.indices.filter { properties[$0].countType == nil }
        func slot(_ n: String) -> Int? { scalar.first { properties[$0].name == n } }
        var used = reserved
        for names in [["r", "g", "b", "a"], ["red", "green", "blue", "alpha"]] {
            guard let r = slot(names[0]), let g = slot(names[1]), let b = slot(names[2]) else { continue }
            groups.append((kind + "color", [r, g, b] + (slot(names[3]).map { [$0] } ?? [])))
            used.formUnion(names)
            break
        }
        let series = ["xyzw", "rgba", "0123", "1234"].map { Array($0).map(String.init) }
        var run: (prefix: String, series: Int, slots: [Int])? = nil
        func flush() {
            if let r = run, (1...3).contains(r.slots.count) {
                groups.append((kind + r.prefix + (r.series == 1 ? "_color" : ""), r.slots))
            }
            run = nil
        }
        for i in scalar where !used.contains(properties[i].name) {
            let name = properties[i].name
            guard let cut = name.lastIndex(of: "_") else { flush(); continue }
            let prefix = String(name[..<cut]), postfix = String(name[name.index(after: cut)...])
            if var r = run, r.prefix == prefix, r.slots.count < 4, series[r.series][r.slots.count] == postfix {
                r.slots.append(i); run = r
                continue
            }
            flush()
            if let k = series.firstIndex(where: { $0[0] == postfix }) { run = (prefix, k, [i]) }
        }
        flush()
        return groups
    }
}

/// Reads scalar values from the body of a PLY file, ASCII or binary.
private struct PLYValueReader {
    let bytes: [UInt8]
    var pos: Int
    var line: Int
    let format: PLYFormat
    let file: String

    func fail(_ message: String, _ offset: Int) -> SceneFileError {
        if format == .ascii {
            var end = min(max(offset, 0), bytes.count)
            while end < bytes.count, bytes[end] == 0x20 || bytes[end] == 0x09 { end += 1 }  // at the token
            var lineStart = end
            while lineStart > 0, bytes[lineStart - 1] != 0x0A { lineStart -= 1 }
            let column = String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1
            return SceneFileError(message, at: SourceLocation(file: file, line: line, column: column))
        }
        return SceneFileError(message, at: SourceLocation(file: file, byteOffset: offset))
    }

    /// ASCII: each record starts on a new line (blank lines are skipped).
    mutating func startRecord(_ element: String) throws {
        while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x09 || bytes[pos] == 0x0D || bytes[pos] == 0x0A {
            if bytes[pos] == 0x0A { line += 1 }
            pos += 1
        }
        guard pos < bytes.count else { throw fail("PLY file is truncated: missing '\(element)' records", pos) }
    }

    mutating func expectEnd() throws {
        while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x09 || bytes[pos] == 0x0D || bytes[pos] == 0x0A {
            if bytes[pos] == 0x0A { line += 1 }
            pos += 1
        }
        guard pos == bytes.count else { throw fail("unexpected data after the last PLY element", pos) }
    }

    /// The next ASCII token on the current line.
    mutating func token(_ what: @autoclosure () -> String) throws -> String {
        while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x09 || bytes[pos] == 0x0D { pos += 1 }
        guard pos < bytes.count, bytes[pos] != 0x0A else {
            throw fail("PLY line ends early: missing \(what())", pos)
        }
        let start = pos
        while pos < bytes.count, bytes[pos] != 0x20, bytes[pos] != 0x09, bytes[pos] != 0x0D, bytes[pos] != 0x0A { pos += 1 }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    mutating func raw(_ size: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        guard bytes.count - pos >= size else { throw fail("PLY file is truncated while reading \(what())", pos) }
        let at = pos, little = format == .little
        pos += size
        return bytes.withUnsafeBytes { b in
            switch size {
            case 1: return UInt64(b[at])
            case 2:
                let v = b.loadUnaligned(fromByteOffset: at, as: UInt16.self)
                return UInt64(little ? UInt16(littleEndian: v) : UInt16(bigEndian: v))
            case 4:
                let v = b.loadUnaligned(fromByteOffset: at, as: UInt32.self)
                return UInt64(little ? UInt32(littleEndian: v) : UInt32(bigEndian: v))
            default:
                let v = b.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                return little ? UInt64(littleEndian: v) : UInt64(bigEndian: v)
            }
        }
    }

    mutating func double(_ type: PLYScalar, what: @autoclosure () -> String) throws -> Double {
        let at = pos
        let v: Double
        if format == .ascii {
            let text = try token(what())
            guard let d = Double(text), !text.lowercased().hasPrefix("0x") else { throw fail("'\(text)' is not a number (\(what()))", at) }
            v = d
        } else {
            let r = try raw(type.size, what())
            switch type {
            case .int8: v = Double(Int8(truncatingIfNeeded: r))
            case .uint8: v = Double(UInt8(truncatingIfNeeded: r))
            case .int16: v = Double(Int16(truncatingIfNeeded: r))
            case .uint16: v = Double(UInt16(truncatingIfNeeded: r))
            case .int32: v = Double(Int32(truncatingIfNeeded: r))
            case .uint32: v = Double(UInt32(truncatingIfNeeded: r))
            case .float32: v = Double(Float(bitPattern: UInt32(truncatingIfNeeded: r)))
            case .float64: v = Double(bitPattern: r)
            }
        }
        guard v.isFinite else { throw fail("NaN or infinite value (\(what()))", at) }
        return v
    }

    mutating func integer(_ type: PLYScalar, what: @autoclosure () -> String) throws -> Int {
        let at = pos
        if format == .ascii {
            let text = try token(what())
            guard let v = Int(text) else { throw fail("'\(text)' is not an integer (\(what()))", at) }
            return v
        }
        let r = try raw(type.size, what())
        switch type {
        case .int8: return Int(Int8(truncatingIfNeeded: r))
        case .uint8: return Int(UInt8(truncatingIfNeeded: r))
        case .int16: return Int(Int16(truncatingIfNeeded: r))
        case .uint16: return Int(UInt16(truncatingIfNeeded: r))
        case .int32: return Int(Int32(truncatingIfNeeded: r))
        case .uint32: return Int(UInt32(truncatingIfNeeded: r))
        case .float32, .float64: throw fail("\(what()) must be an integer type", at)
        }
    }

    mutating func skip(_ type: PLYScalar, count: Int) throws {
        if format == .ascii {
            for _ in 0..<count { _ = try token("a value") }
        } else {
            let (n, overflow) = count.multipliedReportingOverflow(by: type.size)
            guard !overflow, bytes.count - pos >= n else { throw fail("PLY file is truncated", pos) }
            pos += n
        }
    }
}
