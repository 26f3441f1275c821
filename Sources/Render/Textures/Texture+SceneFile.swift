import Geometry
import ImageIO
import SceneFile

extension Texture where T == Double {
    /// Builds the texture a `<texture type="bitmap|checkerboard|rawconstant">` object describes.
    public init(_ object: SceneObject) throws {
        guard object.category == .texture else {
            throw SceneFileError("expected a texture, found a \(object.category) '\(object.type)'", at: object.location)
        }
        switch object.type {
        case "bitmap":
            self = .bitmap(try Bitmap(object))
        case "checkerboard":
            let c0 = try Texture.constantColor("color0", of: object)
            let c1 = try Texture.constantColor("color1", of: object)
            self = .checkerboard(Checkerboard(color0: c0, color1: c1, toUV: Texture.uvTransform(object)))
        case "rawconstant":
            // Mitsuba's `rawconstant`: a constant used as given (in RGB rendering the same as a colour).
            let value: RGB<Double>
            if let v = object.vector("value") {
                value = RGB(v)
            } else if let x = object.float("value") {
                value = RGB(repeating: x)
            } else {
                throw SceneFileError("rawconstant: missing 'value' (a float or a vector)", at: object.location)
            }
            self = .constant(try Texture.checkedColor(Vec3(value.r, value.g, value.b), "value", object))
        case "mesh_attribute":
            guard let name = object.string("name"), name.hasPrefix("vertex_") || name.hasPrefix("face_") else {
                throw SceneFileError("mesh_attribute: 'name' must name a vertex_* or face_* attribute (e.g. vertex_color)",
                                     at: object.location(of: "name"))
            }
            self = .meshAttribute(MeshAttributeTexture(name: name, scale: try object.defaulted("scale", object.float)))
        default:
            throw SceneFileError("unsupported texture type '\(object.type)' (supported: bitmap, checkerboard, rawconstant, mesh_attribute)",
                                 at: object.location)
        }
    }

    /// A texture-valued property (`reflectance`, `diffuse_reflectance`, ...):
    /// a constant colour or a nested / referenced texture, else its default
    /// from `Schema`; an error if there is none.
    public static func property(_ name: String, of object: SceneObject) throws -> Texture<Double> {
        switch try object.defaulted(name, object.colorOrTexture) {
        case .texture(let t): return try Texture(t)
        case .constant(let c): return .constant(try checkedColor(c, name, object))
        }
    }

    /// The texture-valued property if the file gives it, else nil (Mitsuba
    /// exposes no parameter for it then).
    public static func optionalProperty(_ name: String, of object: SceneObject) throws -> Texture<Double>? {
        guard object.has(name) || object.texture(name) != nil else { return nil }
        return try property(name, of: object)
    }

    /// A colour property that must be constant (no texture), else its default from `Schema`.
    public static func constantColor(_ name: String, of object: SceneObject) throws -> RGB<Double> {
        if object.texture(name) != nil {
            throw SceneFileError("\(object.type): '\(name)' must be a constant colour (rgb, spectrum or float); textures are not supported there",
                                 at: object.location(of: name))
        }
        return try checkedColor(try object.defaulted(name, object.rgb), name, object)
    }

    /// A scalar property given as a float or grey colour (`alpha`), refusing
    /// textures and non-grey colours.
    public static func constantScalar(_ name: String, of object: SceneObject) throws -> Double {
        let c = try constantColor(name, of: object)
        guard c.r == c.g && c.g == c.b else {
            throw SceneFileError("\(object.type): '\(name)' must be a single number, got \(c)", at: object.location(of: name))
        }
        return c.r
    }

    static func checkedColor(_ c: Vec3, _ name: String, _ object: SceneObject) throws -> RGB<Double> {
        guard c.isFinite else {
            throw SceneFileError("\(object.type): '\(name)' must be finite, got \(c)", at: object.location(of: name))
        }
        return RGB(c.x, c.y, c.z)
    }

    static func uvTransform(_ object: SceneObject) -> UVTransform {
        if let m = object.transform("to_uv") ?? object.transform("to_world") { return UVTransform(matrix4: m.elements) }
        return .identity
    }
}

extension Bitmap where T == Double {
    /// Loads a `<texture type="bitmap">`: the image file (PNG or EXR) with
    /// its `filter_type`, `wrap_mode`, `raw` and `to_uv`.
    public init(_ object: SceneObject) throws {
        guard let path = object.string("filename") else {
            throw SceneFileError("bitmap: missing 'filename' (a .png, .exr, .jpg or .hdr file)", at: object.location)
        }
        let where_ = object.location(of: "filename")
        let filterName = try object.defaulted("filter_type", object.string)
        guard let filter = BitmapFilter(rawValue: filterName) else {
            throw SceneFileError("bitmap: unsupported filter_type '\(filterName)' (supported: bilinear, nearest)",
                                 at: object.location(of: "filter_type"))
        }
        let wrapName = try object.defaulted("wrap_mode", object.string)
        guard let wrap = BitmapWrapMode(rawValue: wrapName) else {
            throw SceneFileError("bitmap: unsupported wrap_mode '\(wrapName)' (supported: repeat, mirror, clamp)",
                                 at: object.location(of: "wrap_mode"))
        }
        let raw = try object.defaulted("raw", object.boolean)
        let format = try object.defaulted("format", object.string)
        guard ["auto", "variant", "float16", "uint8"].contains(format) else {
            throw SceneFileError("bitmap: unsupported format '\(format)' (supported: auto, variant, float16, uint8)",
                                 at: object.location(of: "format"))
        }
        var (w, h, data): (Int, Int, [Double])
        do {
            (w, h, data) = try Bitmap.readRGB(path: path, raw: raw)
        } catch let e as SceneFileError {
            throw e
        } catch {
            throw SceneFileError("bitmap: cannot read '\(path)': \(error)", at: where_)
        }
        guard w > 0, h > 0 else { throw SceneFileError("bitmap: '\(path)' is empty (\(w)x\(h))", at: where_) }
        if let bad = data.firstIndex(where: { !$0.isFinite }) {
            throw SceneFileError("bitmap: '\(path)' has a non-finite value at pixel \(bad / 3)", at: where_)
        }
        // Mitsuba's storage precision: auto and variant keep the values (an 8-bit
        // image gives the same texels either way), float16 rounds the decoded values.
        switch format {
        case "float16":
            data = data.map { Double(Float16($0)) }
        case "uint8" where !Bitmap.isEightBit(path: path):
            throw SceneFileError("bitmap: format 'uint8' needs an 8-bit image (PNG, JPEG or BMP); '\(path)' is not one",
                                 at: object.location(of: "format"))
        default:
            break
        }
        self.init(width: w, height: h, data: data, filter: filter, wrapMode: wrap, toUV: Texture<Double>.uvTransform(object))
    }

    /// Reads a PNG, EXR, JPEG or Radiance HDR file as linear RGB, top row
    /// first. 8-bit PNG and JPEG samples are sRGB-decoded unless `raw` (then
    /// divided by 255); 16-bit PNG
    /// samples are linear (divided by 65535); alpha is dropped; grey is
    /// copied to the three channels.
    public static func readRGB(path: String, raw: Bool) throws -> (width: Int, height: Int, data: [Double]) {
        if path.lowercased().hasSuffix(".bmp") {
            let bmp = try BMPImage.read(from: path)
            return (bmp.width, bmp.height, bmp.samples.map { raw ? Double($0) / 255 : SRGB.toLinear(Double($0) / 255) })
        }
        switch ImageFileFormat(path: path) {
        case .png?:
            let png = try PNGImage.read(from: path)
            let n = png.width * png.height
            var data = [Double](repeating: 0, count: n * 3)
            let colour = png.isColor
            for p in 0..<n {
                for c in 0..<3 {
                    let s = Double(png.samples[p * png.channels + (colour ? c : 0)])
                    if png.bitDepth == 8 {
                        data[3 * p + c] = raw ? s / 255 : SRGB.toLinear(s / 255)
                    } else {
                        data[3 * p + c] = s / 65535
                    }
                }
            }
            return (png.width, png.height, data)
        case .jpeg?:
            let image = try JPEGImage.read(from: path).image(raw: raw)
            return (image.width, image.height, image.pixels.map { Double($0) })
        case .exr?, .hdr?:
            let image = try Image.read(from: path)
            return (image.width, image.height, image.pixels.map { Double($0) })
        case nil:
            throw ImageIOErrorLike(description: "unknown image file extension; expected .png, .exr, .jpg, .jpeg, .hdr or .bmp")
        }
    }

    /// Whether the image file holds 8-bit samples (8-bit PNG, JPEG, BMP).
    static func isEightBit(path: String) -> Bool {
        if path.lowercased().hasSuffix(".bmp") { return true }
        switch ImageFileFormat(path: path) {
        case .png?: return (try? PNGImage.read(from: path).bitDepth) == 8
        case .jpeg?: return true
        default: return false
        }
    }
}

/// A plain one-line error for `Bitmap.readRGB`.
struct ImageIOErrorLike: Error, CustomStringConvertible { var description: String }
