import Foundation

/// Wavefront OBJ: `v`, `vt`, `vn` and `f` with `v`, `v/vt`, `v//vn`, `v/vt/vn`
/// corners (negative indices count back from the latest vertex); polygons are
/// fan-triangulated. `o`, `g`, `s`, `usemtl`, `mtllib`, `l`, `p`, `vp` are
/// ignored; any other statement is an error. Corners sharing a (v, vt, vn)
/// triple share one output vertex. Normals (uvs) are output only if every
/// corner has one. The v texture coordinate is as in the file (see
/// `SceneObject.loadMesh` for Mitsuba's `flip_tex_coords`).
extension MeshData {
    static let ignoredOBJStatements: Set<String> = ["o", "g", "s", "usemtl", "mtllib", "l", "p", "vp"]

    /// Reads an OBJ file.
    public static func readOBJ(path: String, display: String? = nil) throws -> MeshData {
        let name = display ?? path
        let bytes = try SceneReader.contents(of: path, display: name, limit: Int(Int32.max), at: nil)
        return try MeshData(obj: bytes, file: name)
    }

    /// Parses OBJ text; `file` names it in errors.
    public init(obj bytes: [UInt8], file: String) throws {
        var positions: [Double] = []
        var texcoords: [Double] = []
        var normalsIn: [Double] = []
        struct Corner: Hashable { var v: Int32; var t: Int32; var n: Int32 }
        var vertexOf: [Corner: UInt32] = [:]
        var corners: [Corner] = []
        var indices: [UInt32] = []
        var allHaveUV = true, allHaveNormal = true
        let limit = MeshData.maximumElementCount

        var lineNumber = 0
        var start = 0
        let count = bytes.count
        var tokens: [Range<Int>] = []
        tokens.reserveCapacity(16)
        while start < count {
            lineNumber += 1
            var end = start
            while end < count, bytes[end] != 0x0A { end += 1 }
            let lineEnd = end
            defer { start = lineEnd + 1 }
            // Tokenize, dropping comments.
            tokens.removeAll(keepingCapacity: true)
            var i = start
            while i < lineEnd {
                let b = bytes[i]
                if b == UInt8(ascii: "#") { break }
                if b == 0x20 || b == 0x09 || b == 0x0D { i += 1; continue }
                let s = i
                while i < lineEnd, bytes[i] != 0x20, bytes[i] != 0x09, bytes[i] != 0x0D, bytes[i] != UInt8(ascii: "#") { i += 1 }
                tokens.append(s..<i)
            }
            guard let first = tokens.first else { continue }
            let keyword = String(decoding: bytes[first], as: UTF8.self)
            /// At the token `r` (default: the line's keyword); columns count characters.
            func fail(_ message: String, _ r: Range<Int>? = nil) -> SceneFileError {
                let column = String(decoding: bytes[start..<(r ?? first).lowerBound], as: UTF8.self).count + 1
                return SceneFileError(message, at: SourceLocation(file: file, line: lineNumber, column: column))
            }
            func number(_ r: Range<Int>) throws -> Double {
                let text = String(decoding: bytes[r], as: UTF8.self)
                guard let v = Double(text), !text.lowercased().hasPrefix("0x") else { throw fail("'\(text)' is not a number in OBJ '\(keyword)' line", r) }
                guard v.isFinite else { throw fail("NaN or infinite value '\(text)' in OBJ '\(keyword)' line", r) }
                return v
            }
            switch keyword {
            case "v":
                guard tokens.count == 4 || tokens.count == 5 else {
                    throw fail("OBJ vertex needs 3 coordinates (v x y z), found \(tokens.count - 1)")
                }
                guard positions.count / 3 < limit else { throw fail("more than \(limit) OBJ vertices") }
                for k in 1...3 { positions.append(try number(tokens[k])) }
            case "vt":
                guard (2...4).contains(tokens.count) else {
                    throw fail("OBJ texture coordinate needs 1 to 3 values (vt u v), found \(tokens.count - 1)")
                }
                guard texcoords.count / 2 < limit else { throw fail("more than \(limit) OBJ texture coordinates") }
                texcoords.append(try number(tokens[1]))
                texcoords.append(tokens.count > 2 ? try number(tokens[2]) : 0)
            case "vn":
                guard tokens.count == 4 else { throw fail("OBJ normal needs 3 values (vn x y z), found \(tokens.count - 1)") }
                guard normalsIn.count / 3 < limit else { throw fail("more than \(limit) OBJ normals") }
                for k in 1...3 { normalsIn.append(try number(tokens[k])) }
            case "f":
                guard tokens.count >= 4 else { throw fail("OBJ face needs at least 3 vertices, found \(tokens.count - 1)") }
                corners.removeAll(keepingCapacity: true)
                for k in 1..<tokens.count {
                    let text = String(decoding: bytes[tokens[k]], as: UTF8.self)
                    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
                    guard (1...3).contains(parts.count), !parts[0].isEmpty else {
                        throw fail("OBJ face corner '\(text)' is not v, v/vt, v//vn or v/vt/vn", tokens[k])
                    }
                    func resolve(_ part: Substring, _ available: Int, _ what: String) throws -> Int32 {
                        guard let raw = Int(part), raw != 0 else {
                            throw fail("OBJ face corner '\(text)': '\(part)' is not a valid \(what) index (1-based, or negative)", tokens[k])
                        }
                        let index = raw > 0 ? raw - 1 : available + raw
                        guard index >= 0, index < available else {
                            throw fail("OBJ face corner '\(text)': \(what) index \(raw) is out of range (\(available) defined so far)", tokens[k])
                        }
                        return Int32(index)
                    }
                    var corner = Corner(v: try resolve(parts[0], positions.count / 3, "vertex"), t: -1, n: -1)
                    if parts.count > 1, !parts[1].isEmpty { corner.t = try resolve(parts[1], texcoords.count / 2, "texture coordinate") }
                    if parts.count > 2 {
                        guard !parts[2].isEmpty else { throw fail("OBJ face corner '\(text)' has an empty normal index", tokens[k]) }
                        corner.n = try resolve(parts[2], normalsIn.count / 3, "normal")
                    }
                    if corner.t < 0 { allHaveUV = false }
                    if corner.n < 0 { allHaveNormal = false }
                    corners.append(corner)
                }
                var ids: [UInt32] = []
                ids.reserveCapacity(corners.count)
                for c in corners {
                    if let id = vertexOf[c] {
                        ids.append(id)
                    } else {
                        guard vertexOf.count < limit else { throw fail("more than \(limit) OBJ vertices") }
                        let id = UInt32(vertexOf.count)
                        vertexOf[c] = id
                        ids.append(id)
                    }
                }
                guard indices.count / 3 + ids.count - 2 <= limit else { throw fail("more than \(limit) OBJ triangles") }
                for k in 1..<(ids.count - 1) {
                    indices.append(ids[0])
                    indices.append(ids[k])
                    indices.append(ids[k + 1])
                }
            case let other where MeshData.ignoredOBJStatements.contains(other):
                continue
            default:
                let shown = keyword.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 } ? keyword : "(binary data)"
                throw fail("unknown OBJ statement '\(shown.prefix(20))' (supported: v, vt, vn, f; ignored: "
                           + MeshData.ignoredOBJStatements.sorted().joined(separator: ", ") + ")")
            }
        }
        guard !indices.isEmpty else {
            throw SceneFileError("OBJ file has no faces", at: SourceLocation(file: file, line: max(lineNumber, 1), column: 0))
        }
        // Build the output vertices in id order.
        var ordered = [Corner](repeating: Corner(v: 0, t: -1, n: -1), count: vertexOf.count)
        for (c, id) in vertexOf { ordered[Int(id)] = c }
        var outPositions = [Double](); outPositions.reserveCapacity(ordered.count * 3)
        var outNormals = [Double](); var outUVs = [Double]()
        for c in ordered {
            let v = Int(c.v) * 3
            outPositions += [positions[v], positions[v + 1], positions[v + 2]]
            if allHaveNormal { let n = Int(c.n) * 3; outNormals += [normalsIn[n], normalsIn[n + 1], normalsIn[n + 2]] }
            if allHaveUV { let t = Int(c.t) * 2; outUVs += [texcoords[t], texcoords[t + 1]] }
        }
        self.init(positions: outPositions, normals: allHaveNormal ? outNormals : nil,
                  uvs: allHaveUV ? outUVs : nil, indices: indices)
    }
}
