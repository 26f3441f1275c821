import CPNG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A PNG file's samples exactly as libpng's simplified API (`png_image_*`) delivers them.
///
/// Only the simplified API is used: the classic API reports errors by `longjmp`, which a
/// Swift process cannot survive. The simplified API has two sample encodings, and DiffRay
/// keeps its conventions:
/// - **8-bit** samples are sRGB-encoded colour (0...255) with straight (not premultiplied) alpha.
/// - **16-bit** samples are *linear* (0...65535); colour is premultiplied by alpha when there
///   is alpha. A 16-bit file without a gAMA or sRGB chunk is taken as linear; the files
///   written here carry gAMA 1.0, so they read back bit-exactly.
/// Palette files are expanded to 8-bit RGB(A); 1-, 2- and 4-bit greys to 8-bit grey.
public struct PNGImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// 8 or 16.
    public let bitDepth: Int
    /// `width * height * channels` samples, interleaved, row-major, top row first;
    /// 0...255 when `bitDepth` is 8.
    public var samples: [UInt16]

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) {
        precondition((1...4).contains(channels), "PNGImage: \(channels) channels")
        precondition(bitDepth == 8 || bitDepth == 16, "PNGImage: bit depth \(bitDepth)")
        precondition(width >= 0 && height >= 0 && samples.count == width * height * channels,
                     "PNGImage: \(samples.count) samples do not make \(width)x\(height)x\(channels)")
        precondition(bitDepth == 16 || samples.allSatisfy { $0 <= 255 }, "PNGImage: 8-bit sample above 255")
        self.width = width; self.height = height
        self.channels = channels; self.bitDepth = bitDepth
        self.samples = samples
    }

    public var hasAlpha: Bool { channels == 2 || channels == 4 }
    public var isColor: Bool { channels >= 3 }
}

// Mirrors of png.h's PNG_FORMAT_FLAG_* and PNG_IMAGE_VERSION (macros built from
// other macros do not all import into Swift).
private let formatAlpha: UInt32 = 0x01
private let formatColor: UInt32 = 0x02
private let formatLinear: UInt32 = 0x04
private let imageVersion: UInt32 = 1

/// Whether `chunk` occurs in `bytes`, looked for from the end (where it normally is).
private func containsSuffixChunk(_ bytes: [UInt8], _ chunk: [UInt8]) -> Bool {
    if bytes.count < chunk.count { return false }
    var start = bytes.count - chunk.count
    while start >= 8 {
        if bytes[start] == chunk[0] && Array(bytes[start..<(start + chunk.count)]) == chunk { return true }
        start -= 1
    }
    return false
}

/// libpng's own message for the last failure of a `png_image` call.
private func libpngMessage(_ image: inout png_image) -> String {
    let text = withUnsafeBytes(of: &image.message) { raw -> String in
        let chars = raw.bindMemory(to: UInt8.self)
        let end = chars.firstIndex(of: 0) ?? chars.count
        return String(decoding: chars[0..<end], as: UTF8.self)
    }
    return text.isEmpty ? "unknown libpng error" : text
}

extension PNGImage {
    /// Decodes PNG bytes; `name` (the file) is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> PNGImage {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count < 8 || Array(bytes[0..<8]) != signature {
            throw ImageIOError(path: name, reason: bytes.isEmpty ? "not a PNG file (the file is empty)"
                                                                 : "not a PNG file (no PNG signature)")
        }
        // libpng stops reading after the last image row, so a file cut inside or after its
        // final IDAT chunk would pass unnoticed: the IEND chunk marks a complete file.
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        if !containsSuffixChunk(bytes, iend) {
            throw ImageIOError(path: name, reason: "truncated PNG (no IEND chunk at the end)")
        }
        var image = png_image()
        image.version = imageVersion
        defer { png_image_free(&image) }
        let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        if began == 0 {
            throw ImageIOError(path: name, reason: "corrupt PNG header (libpng: \(libpngMessage(&image)))")
        }
        let format = image.format & (formatAlpha | formatColor | formatLinear)
        image.format = format
        let width = Int(image.width), height = Int(image.height)
        let channels = Int(format & (formatColor | formatAlpha)) + 1
        let sixteen = format & formatLinear != 0
        // Checked before the samples are allocated (a 100-byte header can claim 10^12 pixels).
        guard width <= Image.maximumPixelCount, height <= Image.maximumPixelCount,
              width * height <= Image.maximumPixelCount else {
            throw ImageIOError(path: name, reason: "PNG of \(width)x\(height) pixels is over the limit of \(Image.maximumPixelCount) pixels (byte 16: the IHDR size)")
        }
        let count = width * height * channels
        var samples: [UInt16]
        var finished: Int32
        if sixteen {
            samples = [UInt16](repeating: 0, count: count)
            finished = samples.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        } else {
            var bytes8 = [UInt8](repeating: 0, count: count)
            finished = bytes8.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            samples = bytes8.map { UInt16($0) }
        }
        if finished == 0 {
            throw ImageIOError(path: name, reason: "corrupt or truncated PNG data (libpng: \(libpngMessage(&image)))")
        }
        return PNGImage(width: width, height: height, channels: channels,
                        bitDepth: sixteen ? 16 : 8, samples: samples)
    }

    /// Reads and decodes the PNG file at `path`.
    public static func read(from path: String) throws -> PNGImage {
        try decode(AtomicFile.read(path), name: path)
    }

    /// The PNG file's bytes; `name` is used in errors.
    public func encoded(name: String = "PNG image") throws -> [UInt8] {
        if width == 0 || height == 0 {
            throw ImageIOError(path: name, reason: "cannot write an empty \(width)x\(height) PNG")
        }
        var image = png_image()
        image.version = imageVersion
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(channels - 1) | (bitDepth == 16 ? formatLinear : 0)
        defer { png_image_free(&image) }
        let bytes8: [UInt8] = bitDepth == 8 ? samples.map { UInt8($0) } : []
        func write(_ memory: UnsafeMutableRawPointer?, _ size: inout Int) -> Int32 {
            if bitDepth == 16 {
                return samples.withUnsafeBytes { png_image_write_to_memory(&image, memory, &size, 0, $0.baseAddress, 0, nil) }
            }
            return bytes8.withUnsafeBytes { png_image_write_to_memory(&image, memory, &size, 0, $0.baseAddress, 0, nil) }
        }
        var size = 0
        if write(nil, &size) == 0 || size == 0 {
            throw ImageIOError(path: name, reason: "cannot encode PNG (libpng: \(libpngMessage(&image)))")
        }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { write($0.baseAddress, &size) }
        if ok == 0 {
            throw ImageIOError(path: name, reason: "cannot encode PNG (libpng: \(libpngMessage(&image)))")
        }
        out.removeSubrange(size...)
        return out
    }

    /// Writes the PNG file atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(name: path), to: path)
    }
}

// MARK: - Conversion to and from `Image`

extension PNGImage {
    /// 8-bit sRGB samples of `image` (RGB): `2^exposure` times the image, tone-mapped, encoded.
    public init(srgb8 image: Image, exposure: Double = 0, toneMap: ToneMap = .clamp) {
        self.init(width: image.width, height: image.height, channels: 3, bitDepth: 8,
                  samples: image.srgb8(exposure: exposure, toneMap: toneMap).map { UInt16($0) })
    }

    /// 16-bit linear samples of `image` (RGB): `2^exposure` times the image, clamped to
    /// [0, 1] (NaN → 0), times 65535, rounded.
    public init(linear16 image: Image, exposure: Double = 0) {
        let k = Float(exp2(exposure))
        self.init(width: image.width, height: image.height, channels: 3, bitDepth: 16,
                  samples: image.pixels.map { v in
                      let c = (v * k).isNaN ? 0 : Swift.min(Swift.max(v * k, 0), 1)
                      return UInt16((c * 65535).rounded())
                  })
    }

    /// The linear RGB image: 8-bit samples decoded by the exact sRGB curve, 16-bit samples
    /// divided by 65535; grey is copied to all three channels. With alpha the colour is
    /// premultiplied (composited over black), as libpng delivers 16-bit samples.
    public var image: Image {
        var out = Image(width: width, height: height)
        let table = SRGB.decodeTable
        let colourChannels = isColor ? 3 : 1
        for p in 0..<(width * height) {
            let base = p * channels
            let alpha: Float
            if hasAlpha {
                let a = Float(samples[base + channels - 1])
                alpha = bitDepth == 8 ? a / 255 : 1 // 16-bit colour is already premultiplied
            } else {
                alpha = 1
            }
            for c in 0..<3 {
                let s = samples[base + (colourChannels == 3 ? c : 0)]
                let v = bitDepth == 8 ? table[Int(s)] * alpha : Float(s) / 65535
                out.pixels[3 * p + c] = v
            }
        }
        return out
    }
}

extension Image {
    /// Reads a PNG file into a linear image (see `PNGImage.image` for the conventions).
    public static func readPNG(from path: String) throws -> Image {
        try PNGImage.read(from: path).image
    }

    /// The bytes of an 8-bit sRGB PNG of the image (exposure in stops, then `toneMap`).
    public func pngData(exposure: Double = 0, toneMap: ToneMap = .clamp, name: String = "PNG image") throws -> [UInt8] {
        try PNGImage(srgb8: self, exposure: exposure, toneMap: toneMap).encoded(name: name)
    }

    /// Writes an 8-bit sRGB PNG atomically (exposure in stops, then `toneMap`).
    public func writePNG(to path: String, exposure: Double = 0, toneMap: ToneMap = .clamp) throws {
        try PNGImage(srgb8: self, exposure: exposure, toneMap: toneMap).write(to: path)
    }

    /// Writes a 16-bit linear PNG atomically (values clamped to [0, 1] after exposure).
    public func writePNG16(to path: String, exposure: Double = 0) throws {
        try PNGImage(linear16: self, exposure: exposure).write(to: path)
    }
}
