import Foundation

/// A grid of values read from Mitsuba's binary volume-grid format (`.vol`),
/// the file its `gridvolume` and `sdfgrid` plugins read, little-endian:
///
/// - the bytes `VOL` and the version byte 3;
/// - `int32` encoding (1: float32, the only one Mitsuba 3 reads);
/// - `int32` resolutions x, y, z and the channel count;
/// - six `float32`: the bounding box (min x y z, max x y z), which `sdfgrid` ignores;
/// - the values, `float32`, x fastest, then y, then z, channels innermost.
///
/// Errors name the file and the byte offset.
public struct VolumeGridData: Sendable {
    /// Samples along x, y and z.
    public var resolution: (x: Int, y: Int, z: Int)
    public var channels: Int
    /// `((z · ny + y) · nx + x) · channels + c`.
    public var values: [Float]

    public init(resolution: (x: Int, y: Int, z: Int), channels: Int, values: [Float]) {
        self.resolution = resolution; self.channels = channels; self.values = values
    }

    /// Reads a `.vol` file; `display` names it in errors.
    public static func read(path: String, display: String? = nil) throws -> VolumeGridData {
        let name = display ?? path
        let bytes = try SceneReader.contents(of: path, display: name, limit: Int(Int32.max), at: nil)
        return try VolumeGridData(vol: bytes, file: name)
    }

    /// Parses `.vol` bytes; `file` names them in errors.
    public init(vol bytes: [UInt8], file: String) throws {
        func fail(_ message: String, at offset: Int) -> SceneFileError {
            SceneFileError(message, at: SourceLocation(file: file, byteOffset: offset))
        }
        func int32(at offset: Int) throws -> Int {
            guard offset + 4 <= bytes.count else { throw fail("file ends inside the header (a 4-byte field)", at: offset) }
            let u = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            return Int(Int32(bitPattern: u))
        }
        guard bytes.count >= 4, bytes[0] == 0x56, bytes[1] == 0x4F, bytes[2] == 0x4C else {
            throw fail("not a Mitsuba volume grid: expected the bytes 'VOL'", at: 0)
        }
        guard bytes[3] == 3 else { throw fail("volume grid version \(bytes[3]) is not supported (supported: 3)", at: 3) }
        let encoding = try int32(at: 4)
        guard encoding == 1 else {
            throw fail("volume grid encoding \(encoding) is not supported (supported: 1, float32)", at: 4)
        }
        let nx = try int32(at: 8), ny = try int32(at: 12), nz = try int32(at: 16), channels = try int32(at: 20)
        for (k, (n, axis)) in [(nx, "x"), (ny, "y"), (nz, "z")].enumerated() where !(1...(1 << 20)).contains(n) {
            throw fail("volume grid resolution along \(axis) is \(n); expected 1 to \(1 << 20)", at: 8 + 4 * k)
        }
        guard (1...64).contains(channels) else { throw fail("volume grid has \(channels) channels; expected 1 to 64", at: 20) }
        let header = 48
        let count = nx.multipliedReportingOverflow(by: ny)
        let count3 = count.partialValue.multipliedReportingOverflow(by: nz)
        let total = count3.partialValue.multipliedReportingOverflow(by: channels)
        guard !count.overflow, !count3.overflow, !total.overflow, total.partialValue <= (bytes.count - header) / 4 else {
            throw fail("volume grid of \(nx)×\(ny)×\(nz)×\(channels) values needs \(header) + 4 × that many bytes; the file has "
                       + "\(bytes.count)", at: bytes.count)
        }
        var values = [Float](repeating: 0, count: total.partialValue)
        bytes.withUnsafeBytes { raw in
            for i in 0..<values.count {
                values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: header + 4 * i, as: UInt32.self)))
            }
        }
        self.init(resolution: (nx, ny, nz), channels: channels, values: values)
    }
}
