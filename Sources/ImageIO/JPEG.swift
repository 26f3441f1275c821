import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JPEG file's 8-bit samples as libjpeg-turbo decodes them: sRGB-encoded
/// RGB or grey, rows top first. Decoding goes through the C shim of the
/// `CJPEG` module, which turns libjpeg's errors (and its warnings about
/// corrupt or truncated data) into return values.
public struct JPEGImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 grey or 3 RGB.
    public let channels: Int
    /// `width * height * channels` sRGB-encoded samples, interleaved, top row first.
    public var samples: [UInt8]

    /// Most pixels a JPEG (or any image file) may declare.
    public static let maximumPixelCount = ImageLimits.maximumPixelCount

    public init(width: Int, height: Int, channels: Int, samples: [UInt8]) {
        precondition(channels == 1 || channels == 3, "JPEGImage: \(channels) channels")
        precondition(samples.count == width * height * channels, "JPEGImage: \(samples.count) samples do not make \(width)x\(height)x\(channels)")
        self.width = width; self.height = height; self.channels = channels; self.samples = samples
    }

    /// Decodes JPEG bytes; `name` (the file) is used in errors, which give the byte offset.
    public static func decode(_ bytes: [UInt8], name: String) throws -> JPEGImage {
        guard bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF else {
            throw ImageIOError(path: name, reason: bytes.isEmpty ? "not a JPEG file (the file is empty)"
                                                                 : "not a JPEG file (no SOI marker FF D8 FF at byte 0)")
        }
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0, offset: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { data in
            diffray_jpeg_decode(data.baseAddress, UInt(data.count), UInt(maximumPixelCount), &pixels, &width, &height,
                                &components, &message, message.count, &offset)
        }
        guard status == 0, let pixels else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageIOError(path: name, reason: "\(text.isEmpty ? "cannot decode JPEG" : text) (at byte \(offset))")
        }
        defer { free(pixels) }
        let count = Int(width) * Int(height) * Int(components)
        return JPEGImage(width: Int(width), height: Int(height), channels: Int(components),
                         samples: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Reads and decodes the JPEG file at `path`.
    public static func read(from path: String) throws -> JPEGImage {
        try decode(AtomicFile.read(path), name: path)
    }

    /// The linear RGB image: samples decoded by the exact sRGB curve (as
    /// Mitsuba reads 8-bit bitmaps unless `raw`), or divided by 255 when `raw`;
    /// grey is copied to the three channels.
    public func image(raw: Bool = false) -> Image {
        var out = Image(width: width, height: height)
        let table = SRGB.decodeTable
        for p in 0..<(width * height) {
            for c in 0..<3 {
                let s = samples[p * channels + (channels == 3 ? c : 0)]
                out.pixels[3 * p + c] = raw ? Float(s) / 255 : table[Int(s)]
            }
        }
        return out
    }

    /// The JPEG file's bytes at `quality` (1...100); `name` is used in errors.
    public func encoded(quality: Int = 95, name: String = "JPEG image") throws -> [UInt8] {
        guard width > 0, height > 0, width <= 65_500, height <= 65_500 else {
            throw ImageIOError(path: name, reason: "cannot write a \(width)x\(height) JPEG (sides must be 1...65500)")
        }
        let rgb: [UInt8] = channels == 3 ? samples : samples.flatMap { [$0, $0, $0] }
        var bytes: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = rgb.withUnsafeBufferPointer {
            diffray_jpeg_encode($0.baseAddress, Int32(width), Int32(height), Int32(min(max(quality, 1), 100)),
                                &bytes, &size, &message, message.count)
        }
        guard status == 0, let bytes else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageIOError(path: name, reason: "cannot encode JPEG (libjpeg: \(text))")
        }
        defer { free(bytes) }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(size)))
    }
}

/// Sizes every image reader checks before allocating pixels.
public enum ImageLimits {
    /// Most pixels an image file may declare: 2^28 (16384²), 3 GiB as linear float RGB.
    public static let maximumPixelCount = 1 << 28
}

extension Image {
    /// Reads a JPEG file into a linear image (8-bit sRGB decoded).
    public static func readJPEG(from path: String) throws -> Image {
        try JPEGImage.read(from: path).image()
    }

    /// Writes an 8-bit sRGB JPEG atomically (exposure in stops, then `toneMap`).
    public func writeJPEG(to path: String, exposure: Double = 0, toneMap: ToneMap = .clamp, quality: Int = 95) throws {
        let jpeg = JPEGImage(width: width, height: height, channels: 3, samples: srgb8(exposure: exposure, toneMap: toneMap))
        try AtomicFile.write(jpeg.encoded(quality: quality, name: path), to: path)
    }
}
