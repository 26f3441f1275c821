#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Radiance RGBE (`.hdr`, also `.pic`): a text header, a blank line, the
/// resolution line `-Y height +X width` and the scanlines, each either
/// adaptive run-length encoded (the four bytes 2 2 hi lo, then each of the
/// four components run-length encoded across the row) or flat (four bytes a
/// pixel). A pixel (r, g, b, e) is (r, g, b) · 2^(e − 136), 0 when e is 0,
/// as Greg Ward's `rgbe.c` and Mitsuba decode it.
///
/// Read: `FORMAT=32-bit_rle_rgbe` (or no FORMAT line); `EXPOSURE` other
/// than 1, the XYZE format and flipped or rotated resolution lines are refused
/// (not silently ignored). Written: flat scanlines, which every reader accepts.
/// Errors name the file and the byte offset.
public enum HDR {
    /// Decodes `.hdr` bytes to a linear image; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> Image {
        var reader = HDRReader(bytes: bytes, name: name)
        return try reader.read()
    }

    /// Reads the `.hdr` file at `path`.
    public static func read(from path: String) throws -> Image {
        try decode(AtomicFile.read(path), name: path)
    }

    /// The RGBE bytes of one linear colour: the largest component's binary
    /// exponent shared, mantissas truncated to 8 bits (Ward's `float2rgbe`).
    /// Negative and NaN components are written as 0.
    static func rgbe(_ r: Float, _ g: Float, _ b: Float) -> (UInt8, UInt8, UInt8, UInt8) {
        func clean(_ v: Float) -> Double { v.isNaN || v < 0 ? 0 : Double(v) }
        let (r, g, b) = (clean(r), clean(g), clean(b))
        let v = max(r, max(g, b))
        if v < 1e-32 { return (0, 0, 0, 0) }
        if !v.isFinite { return (255, 255, 255, 255) }
        var e: Int32 = 0
        let m = frexp(v, &e)
        let scale = m * 256 / v
        return (UInt8(min(255, r * scale)), UInt8(min(255, g * scale)), UInt8(min(255, b * scale)), UInt8(clamping: Int(e) + 128))
    }

    /// The `.hdr` file's bytes: flat (uncompressed) scanlines.
    public static func encode(_ image: Image) -> [UInt8] {
        var out = Array("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\nSOFTWARE=DiffRay\n\n-Y \(image.height) +X \(image.width)\n".utf8)
        out.reserveCapacity(out.count + image.width * image.height * 4)
        for p in 0..<(image.width * image.height) {
            let (r, g, b, e) = rgbe(image.pixels[3 * p], image.pixels[3 * p + 1], image.pixels[3 * p + 2])
            out += [r, g, b, e]
        }
        return out
    }
}

extension Image {
    /// Reads a Radiance `.hdr` file (linear RGB).
    public static func readHDR(from path: String) throws -> Image { try HDR.read(from: path) }

    /// Writes a Radiance `.hdr` file atomically (linear RGB, 8-bit mantissas with a shared exponent).
    public func writeHDR(to path: String) throws { try AtomicFile.write(HDR.encode(self), to: path) }
}

private struct HDRReader {
    let bytes: [UInt8]
    let name: String
    var pos = 0

    func fail(_ reason: String, at offset: Int) -> ImageIOError {
        ImageIOError(path: name, reason: "\(reason) (at byte \(offset))")
    }

    /// The next line without its newline; the header's lines are short.
    mutating func line() throws -> String {
        let start = pos
        while pos < bytes.count, bytes[pos] != 0x0A {
            pos += 1
            if pos - start > 4096 { throw fail("Radiance header line too long (or not an .hdr file)", at: start) }
        }
        guard pos < bytes.count else { throw fail("the .hdr header ends before its resolution line", at: start) }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        pos += 1
        return text
    }

    mutating func read() throws -> Image {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "#"), bytes[1] == UInt8(ascii: "?") else {
            throw fail(bytes.isEmpty ? "not a Radiance .hdr file (the file is empty)"
                                     : "not a Radiance .hdr file (it must start with '#?', e.g. '#?RADIANCE')", at: 0)
        }
        _ = try line()
        // Header variables up to the blank line.
        while true {
            let at = pos
            let text = try line()
            if text.isEmpty || text == "\r" { break }
            if text.hasPrefix("#") { continue }
            if text.hasPrefix("FORMAT=") {
                let format = text.dropFirst(7).trimmingSpaces
                guard format == "32-bit_rle_rgbe" else {
                    throw fail("unsupported .hdr format '\(format.prefix(40))' (supported: 32-bit_rle_rgbe)", at: at)
                }
            } else if text.hasPrefix("EXPOSURE=") {
                let value = Double(text.dropFirst(9).trimmingSpaces)
                guard value == 1 else {
                    throw fail("unsupported .hdr EXPOSURE '\(text.dropFirst(9).prefix(20))' (only 1 is read)", at: at)
                }
            }
            // Other variables (SOFTWARE, GAMMA, PRIMARIES, VIEW, ...) are metadata.
        }
        let at = pos
        let words = try line().split(separator: " ", omittingEmptySubsequences: true).map { $0.trimmingSpaces }
        guard words.count == 4, words[0] == "-Y", words[2] == "+X", let height = Int(words[1]), let width = Int(words[3]) else {
            throw fail("unsupported .hdr resolution line '\(words.joined(separator: " ").prefix(40))' "
                       + "(expected '-Y <height> +X <width>'; flipped or rotated images are not read)", at: at)
        }
        guard width > 0, height > 0 else { throw fail(".hdr image of \(width)x\(height) pixels is empty", at: at) }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= ImageLimits.maximumPixelCount else {
            throw fail(".hdr image of \(width)x\(height) pixels is over the limit of \(ImageLimits.maximumPixelCount) pixels", at: at)
        }
        // The fewest bytes the scanlines can take: a run-length row at least
        // 4 + 4 · 2 bytes per 127 pixels, a flat row 4 per pixel.
        let rle = width >= 8 && width < 0x8000
        let perRow = rle ? 4 + 8 * ((width + 126) / 127) : 4 * width
        let remaining = bytes.count - pos
        let (need, tooMany) = perRow.multipliedReportingOverflow(by: height)
        guard !tooMany, need <= remaining else {
            throw fail(".hdr file is truncated: \(width)x\(height) pixels need at least \(need) bytes of scanlines, \(remaining) follow",
                       at: bytes.count)
        }
        var image = Image(width: width, height: height)
        var row = [UInt8](repeating: 0, count: 4 * width)
        for y in 0..<height {
            try scanline(&row, width: width, y: y, rle: rle)
            for x in 0..<width {
                let e = row[4 * x + 3]
                let i = 3 * (y * width + x)
                if e == 0 { continue }
                let f = Float(ldexp(1.0, Int32(e) - 136))
                image.pixels[i] = Float(row[4 * x]) * f
                image.pixels[i + 1] = Float(row[4 * x + 1]) * f
                image.pixels[i + 2] = Float(row[4 * x + 2]) * f
            }
        }
        return image
    }

    /// One scanline into `row` as r g b e bytes per pixel.
    mutating func scanline(_ row: inout [UInt8], width: Int, y: Int, rle: Bool) throws {
        let start = pos
        guard bytes.count - pos >= 4 else { throw fail(".hdr file is truncated in scanline \(y)", at: pos) }
        let isRLE = rle && bytes[pos] == 2 && bytes[pos + 1] == 2 && bytes[pos + 2] & 0x80 == 0
        if !isRLE {
            guard bytes.count - pos >= 4 * width else { throw fail(".hdr file is truncated in flat scanline \(y)", at: bytes.count) }
            for k in 0..<(4 * width) { row[k] = bytes[pos + k] }
            pos += 4 * width
            return
        }
        let declared = Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3])
        guard declared == width else {
            throw fail(".hdr scanline \(y) declares a width of \(declared), the image has \(width)", at: start)
        }
        pos += 4
        for c in 0..<4 {
            var x = 0
            while x < width {
                guard pos < bytes.count else { throw fail(".hdr file is truncated in scanline \(y)", at: pos) }
                let count = Int(bytes[pos])
                if count > 128 {
                    let n = count - 128
                    guard x + n <= width else { throw fail(".hdr run of \(n) overruns scanline \(y)", at: pos) }
                    guard pos + 1 < bytes.count else { throw fail(".hdr file is truncated in scanline \(y)", at: pos + 1) }
                    let v = bytes[pos + 1]
                    for k in 0..<n { row[4 * (x + k) + c] = v }
                    x += n; pos += 2
                } else {
                    guard count > 0 else { throw fail(".hdr run of length 0 in scanline \(y)", at: pos) }
                    guard x + count <= width else { throw fail(".hdr run of \(count) overruns scanline \(y)", at: pos) }
                    guard pos + count < bytes.count else { throw fail(".hdr file is truncated in scanline \(y)", at: bytes.count) }
                    for k in 0..<count { row[4 * (x + k) + c] = bytes[pos + 1 + k] }
                    x += count; pos += 1 + count
                }
            }
        }
    }
}

private extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
