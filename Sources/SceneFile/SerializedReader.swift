import CZlib
import Foundation

/// Mitsuba's `.serialized` meshes (file versions 3 and 4), little-endian:
///
/// - per mesh: `uint16` 0x041C, `uint16` version, then one zlib stream holding
///   `uint32` flags (0x1 normals, 0x2 texture coordinates, 0x8 vertex colours,
///   0x10 face normals, 0x1000 single / 0x2000 double precision), in version 4
///   a NUL-terminated name, `uint64` vertex and triangle counts, positions,
///   the optional normals, texture coordinates and colours, and `uint32`
///   triangle indices;
/// - at the end of the file, the byte offset of each mesh (`uint64` in
///   version 4, `uint32` in version 3) and the `uint32` mesh count, which
///   `shape_index` looks up.
///
/// Vertex colours are skipped. Errors name the byte offset in the file (for
/// compressed data, the compressed byte being read).
extension MeshData {
    /// Reads mesh `shapeIndex` of a `.serialized` file.
    public static func readSerialized(path: String, shapeIndex: Int = 0, display: String? = nil) throws -> MeshData {
        let name = display ?? path
        let bytes = try SceneReader.contents(of: path, display: name, limit: Int(Int32.max), at: nil)
        return try MeshData(serialized: bytes, shapeIndex: shapeIndex, file: name)
    }

    /// Parses `.serialized` bytes; `file` names them in errors.
    public init(serialized bytes: [UInt8], shapeIndex: Int, file: String) throws {
        var reader = SerializedReader(bytes: bytes, file: file)
        self = try reader.read(shapeIndex: shapeIndex)
    }
}

struct SerializedReader {
    static let header: UInt16 = 0x041C
    static let hasNormals: UInt32 = 0x0001, hasTexcoords: UInt32 = 0x0002, hasColors: UInt32 = 0x0008
    static let faceNormals: UInt32 = 0x0010, singlePrecision: UInt32 = 0x1000, doublePrecision: UInt32 = 0x2000

    let bytes: [UInt8]
    let file: String

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    func fail(_ message: String, at offset: Int) -> SceneFileError {
        SceneFileError(message, at: SourceLocation(file: file, byteOffset: offset))
    }

    func uint16(at offset: Int) throws -> UInt16 {
        guard offset >= 0, offset + 2 <= bytes.count else { throw fail("file ends inside a 2-byte field", at: offset) }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func uint32(at offset: Int) throws -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { throw fail("file ends inside a 4-byte field", at: offset) }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[offset + k]) << (8 * k) }
        return v
    }

    func uint64(at offset: Int) throws -> UInt64 {
        guard offset >= 0, offset + 8 <= bytes.count else { throw fail("file ends inside an 8-byte field", at: offset) }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[offset + k]) << (8 * k) }
        return v
    }

    /// The file version, checking the 0x041C identifier at `offset`.
    func version(at offset: Int) throws -> UInt16 {
        let format = try uint16(at: offset)
        guard format == SerializedReader.header else {
            throw fail("not a Mitsuba serialized mesh: identifier 0x\(String(format, radix: 16)), expected 0x41c", at: offset)
        }
        let version = try uint16(at: offset + 2)
        guard version == 3 || version == 4 else {
            throw fail("serialized mesh version \(version) is not supported (supported: 3, 4)", at: offset + 2)
        }
        return version
    }

    /// Where mesh `shapeIndex` starts, from the end-of-file dictionary.
    func meshOffset(_ shapeIndex: Int, version: UInt16) throws -> Int {
        if shapeIndex == 0 { return 0 }
        let countOffset = bytes.count - 4
        guard countOffset >= 4 else { throw fail("file too short for the end-of-file mesh dictionary", at: max(countOffset, 0)) }
        let count = Int(try uint32(at: countOffset))
        guard shapeIndex < count else {
            throw fail("shape_index \(shapeIndex) is out of range: the file holds \(count) mesh\(count == 1 ? "" : "es") (0...\(count - 1))",
                       at: countOffset)
        }
        let entrySize = version == 4 ? 8 : 4
        let entry = countOffset - entrySize * (count - shapeIndex)
        guard entry >= 4 else { throw fail("the end-of-file dictionary of \(count) meshes does not fit in the file", at: countOffset) }
        let offset = version == 4 ? try uint64(at: entry) : UInt64(try uint32(at: entry))
        guard offset <= UInt64(bytes.count - 4) else {
            throw fail("mesh \(shapeIndex) starts at byte \(offset), past the end of the file (\(bytes.count) bytes)", at: entry)
        }
        return Int(offset)
    }

    mutating func read(shapeIndex: Int) throws -> MeshData {
        guard shapeIndex >= 0 else { throw fail("shape_index must be >= 0, got \(shapeIndex)", at: 0) }
        let firstVersion = try version(at: 0)
        let start = try meshOffset(shapeIndex, version: firstVersion)
        let version = try self.version(at: start)
        let stream = try Inflater(bytes: bytes, start: start + 4, file: file)

        let flags = try stream.uint32()
        if version == 4 {
            // The mesh name, NUL-terminated; not used.
            var length = 0
            while try stream.bytes(1)[0] != 0 {
                length += 1
                guard length < 1 << 16 else { throw stream.fail("mesh name longer than 65536 bytes (no NUL terminator)") }
            }
        }
        let vertexCount64 = try stream.uint64(), triangleCount64 = try stream.uint64()
        let limit = UInt64(MeshData.maximumElementCount)
        guard vertexCount64 <= limit, triangleCount64 <= limit else {
            throw stream.fail("\(vertexCount64) vertices and \(triangleCount64) triangles: over the limit of \(limit)")
        }
        let vertexCount = Int(vertexCount64), triangleCount = Int(triangleCount64)
        let double = flags & SerializedReader.doublePrecision != 0
        if double, flags & SerializedReader.singlePrecision != 0 {
            throw stream.fail("flags 0x\(String(flags, radix: 16)) ask for both single and double precision")
        }
        let scalarSize = double ? 8 : 4
        // Everything the flags promise must be there; refuse before allocating more than the file can hold.
        var payload = vertexCount * 3 * scalarSize + triangleCount * 3 * 4
        if flags & SerializedReader.hasNormals != 0 { payload += vertexCount * 3 * scalarSize }
        if flags & SerializedReader.hasTexcoords != 0 { payload += vertexCount * 2 * scalarSize }
        if flags & SerializedReader.hasColors != 0 { payload += vertexCount * 3 * scalarSize }
        guard payload <= Int(Int32.max) else { throw stream.fail("mesh data of \(payload) bytes is over the 2 GiB limit") }

        func floats(_ count: Int) throws -> [Double] {
            let raw = try stream.bytes(count * scalarSize)
            var out = [Double](repeating: 0, count: count)
            raw.withUnsafeBytes { buffer in
                for i in 0..<count {
                    if double {
                        out[i] = Double(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                    } else {
                        out[i] = Double(Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                    }
                }
            }
            return out
        }

        let positions = try floats(vertexCount * 3)
        guard positions.allSatisfy(\.isFinite) else { throw stream.fail("a vertex position is NaN or infinite") }
        let normals = flags & SerializedReader.hasNormals != 0 ? try floats(vertexCount * 3) : nil
        let uvs = flags & SerializedReader.hasTexcoords != 0 ? try floats(vertexCount * 2) : nil
        if flags & SerializedReader.hasColors != 0 { _ = try stream.bytes(vertexCount * 3 * scalarSize) }
        let indexOffset = stream.compressedOffset
        let raw = try stream.bytes(triangleCount * 3 * 4)
        var indices = [UInt32](repeating: 0, count: triangleCount * 3)
        try raw.withUnsafeBytes { buffer in
            for i in 0..<indices.count {
                let v = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                guard Int(v) < vertexCount else {
                    throw fail("triangle \(i / 3) uses vertex \(v), but the mesh has \(vertexCount) vertices", at: indexOffset)
                }
                indices[i] = v
            }
        }
        var mesh = MeshData(positions: positions, normals: normals, uvs: uvs, indices: indices)
        mesh.faceNormals = flags & SerializedReader.faceNormals != 0
        return mesh
    }
}

/// Pulls bytes out of one zlib stream that starts at `start` in `bytes`.
/// A class: zlib keeps a pointer back to its `z_stream`, which must not move.
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let bytes: [UInt8]
    private let start: Int
    private let file: String
    private var input: UnsafeMutableBufferPointer<UInt8>
    private var finished = false

    init(bytes: [UInt8], start: Int, file: String) throws {
        self.bytes = bytes
        self.start = start
        self.file = file
        input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count - start, 1))
        if bytes.count > start { _ = input.initialize(from: bytes[start...]) }
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        stream.pointee.next_in = input.baseAddress
        stream.pointee.avail_in = UInt32(max(bytes.count - start, 0))
        let status = inflateInit_(stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw SceneFileError("zlib could not start (status \(status))", at: SourceLocation(file: file, byteOffset: start))
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// The byte of the file zlib reads next.
    var compressedOffset: Int { start + Int(stream.pointee.total_in) }

    func fail(_ message: String) -> SceneFileError {
        SceneFileError(message, at: SourceLocation(file: file, byteOffset: compressedOffset))
    }

    /// Exactly `count` decompressed bytes. The output grows as zlib produces it
    /// (at most 1 MiB at a time), so counts a corrupt header promises cost nothing
    /// until the data is really there.
    func bytes(_ count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8]()
        out.reserveCapacity(min(count, 1 << 20))
        var chunk = [UInt8](repeating: 0, count: min(count, 1 << 20))
        try chunk.withUnsafeMutableBufferPointer { buffer in
            while out.count < count {
                if finished {
                    throw fail("the compressed mesh data ends \(count - out.count) bytes too early (the flags or counts promise more)")
                }
                let want = min(count - out.count, buffer.count)
                stream.pointee.next_out = buffer.baseAddress!
                stream.pointee.avail_out = UInt32(want)
                let status = inflate(stream, Z_NO_FLUSH)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<(want - Int(stream.pointee.avail_out))]))
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    finished = true
                case Z_BUF_ERROR:
                    if stream.pointee.avail_in == 0 {
                        throw fail("file truncated: the compressed mesh data stops at the end of the file (\(count - out.count) more bytes expected)")
                    }
                    throw fail("zlib made no progress (status Z_BUF_ERROR)")
                default:
                    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw fail("bad zlib data: \(detail)")
                }
            }
        }
        return out
    }

    func uint32() throws -> UInt32 {
        let b = try bytes(4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    func uint64() throws -> UInt64 {
        let b = try bytes(8)
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(b[k]) << (8 * k) }
        return v
    }
}
