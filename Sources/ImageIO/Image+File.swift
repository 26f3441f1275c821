/// The image file formats DiffRay reads and writes, chosen by file extension.
public enum ImageFileFormat: Sendable {
    /// `.png`: written as 8-bit sRGB; read at 8 or 16 bits (see `PNGImage`).
    case png
    /// `.exr`: linear float32 (or half) RGB.
    case exr

    /// The format of `path` by its extension (case-insensitive), or `nil`.
    public init?(path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "exr": self = .exr
        default: return nil
        }
    }

    static func of(_ path: String) throws -> ImageFileFormat {
        guard let format = ImageFileFormat(path: path) else {
            throw ImageIOError(path: path, reason: "unknown image file extension; expected .png or .exr")
        }
        return format
    }
}

extension Image {
    /// Reads a `.png` or `.exr` file into a linear image.
    public static func read(from path: String) throws -> Image {
        switch try ImageFileFormat.of(path) {
        case .png: return try readPNG(from: path)
        case .exr: return try readEXR(from: path)
        }
    }

    /// Writes the image atomically: `.png` as 8-bit sRGB (exposure in stops, clamped),
    /// `.exr` as linear float32.
    public func write(to path: String, exposure: Double = 0) throws {
        switch try ImageFileFormat.of(path) {
        case .png: try writePNG(to: path, exposure: exposure)
        case .exr: try (exposure == 0 ? self : exposed(stops: exposure)).writeEXR(to: path)
        }
    }
}
