import Foundation

/// A Windows bitmap (`.bmp`) as Mitsuba's bitmap texture reads one: an
/// uncompressed image of 24 or 32 bits per pixel (blue, green, red, [unused]),
/// rows bottom-up (or top-down for a negative height), each padded to four
/// bytes; the samples are 8-bit sRGB. Other depths and compressed files are
/// refused with a one-line error.
struct BMPImage {
    var width: Int
    var height: Int
    /// RGB samples, interleaved, top row first.
    var samples: [UInt8]

    /// The largest width or height accepted (a guard against absurd headers).
    static let maximumSide = 1 << 15

    static func read(from path: String) throws -> BMPImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageIOErrorLike(description: "cannot read the file")
        }
        return try BMPImage(bytes: [UInt8](data))
    }

    init(bytes b: [UInt8]) throws {
        func fail(_ what: String) -> ImageIOErrorLike { ImageIOErrorLike(description: "not a supported BMP file: \(what)") }
        func u16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func i32(_ i: Int) -> Int { Int(Int32(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)) }
        guard b.count >= 54, b[0] == 0x42, b[1] == 0x4D else { throw fail("no 'BM' header") }
        let offset = i32(10), headerSize = i32(14)
        guard headerSize >= 40 else { throw fail("an old OS/2 header (\(headerSize) bytes)") }
        let w = i32(18), rawHeight = i32(22), bits = u16(28), compression = i32(30)
        let h = abs(rawHeight)
        guard w > 0, h > 0, w <= BMPImage.maximumSide, h <= BMPImage.maximumSide else { throw fail("size \(w)x\(rawHeight)") }
        guard bits == 24 || bits == 32 else { throw fail("\(bits) bits per pixel (expected 24 or 32)") }
        guard compression == 0 else { throw fail("compression \(compression) (expected none)") }
        let bytesPerPixel = bits / 8
        let stride = (w * bytesPerPixel + 3) / 4 * 4
        guard offset >= 54, offset + stride * h <= b.count else { throw fail("pixel data past the end of the file") }
        var samples = [UInt8](repeating: 0, count: w * h * 3)
        for row in 0..<h {
            // Bottom-up unless the height is negative.
            let fileRow = rawHeight > 0 ? h - 1 - row : row
            let start = offset + fileRow * stride
            for x in 0..<w {
                let p = start + x * bytesPerPixel, q = (row * w + x) * 3
                samples[q] = b[p + 2]; samples[q + 1] = b[p + 1]; samples[q + 2] = b[p]
            }
        }
        width = w; height = h; self.samples = samples
    }
}
