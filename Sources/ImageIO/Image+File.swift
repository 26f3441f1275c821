/// The image file formats DiffRay reads and writes, chosen by file extension.
public enum ImageFileFormat: Sendable {
    /// `.png`: written as 8-bit sRGB; read at 8 or 16 bits (see `PNGImage`).
    case png
    /// `.exr`: linear float32 (or half) RGB.
    case exr
    /// `.jpg`, `.jpeg`: 8-bit sRGB (libjpeg-turbo); written at quality 95.
    case jpeg
    /// `.hdr`: Radiance RGBE, linear (see `HDR`).
    case hdr

    /// The format of `path` by its extension (case-insensitive), or `nil`.
    public init?(path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "exr": self = .exr
        case "jpg", "jpeg": self = .jpeg
        case "hdr": self = .hdr
        default: return nil
        }
    }

    static func of(_ path: String) throws -> ImageFileFormat {
        guard let format = ImageFileFormat(path: path) else {
            throw ImageIOError(path: path, reason: "unknown image file extension; expected .png, .exr, .jpg, .jpeg or .hdr")
        }
        return format
    }
}

extension Image {
    /// Reads a `.png`, `.exr`, `.jpg`/`.jpeg` or `.hdr` file into a linear image
    /// (8-bit PNG and JPEG samples sRGB-decoded).
    public static func read(from path: String) throws -> Image {
        switch try ImageFileFormat.of(path) {
        case .png: return try readPNG(from: path)
        case .exr: return try readEXR(from: path)
        case .jpeg: return try readJPEG(from: path)
        case .hdr: return try readHDR(from: path)
        }
    }

    /// Writes the image atomically: `.png` and `.jpg` as 8-bit sRGB (exposure in
    /// stops, clamped), `.exr` as linear float32, `.hdr` as linear RGBE.
    public func write(to path: String, exposure: Double = 0) throws {
        switch try ImageFileFormat.of(path) {
        case .png: try writePNG(to: path, exposure: exposure)
        case .exr: try (exposure == 0 ? self : exposed(stops: exposure)).writeEXR(to: path)
        case .jpeg: try writeJPEG(to: path, exposure: exposure)
        case .hdr: try (exposure == 0 ? self : exposed(stops: exposure)).writeHDR(to: path)
        }
    }
}
