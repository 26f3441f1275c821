import COpenEXR

/// The sample type of the colour channels of an EXR file.
public enum EXRPixelType: Sendable {
    /// 32-bit IEEE floats: a lossless copy of an `Image`.
    case float
    /// 16-bit IEEE halves (11 significant bits, largest finite value 65504).
    case half
}

/// The compression of a written EXR file (all lossless).
public enum EXRCompression: Sendable {
    case none, zip, piz

    var core: exr_compression_t {
        switch self {
        case .none: return EXR_COMPRESSION_NONE
        case .zip: return EXR_COMPRESSION_ZIP
        case .piz: return EXR_COMPRESSION_PIZ
        }
    }
}

/// OpenEXR through OpenEXRCore's C API (Debian's libopenexr-dev 3.1).
///
/// Reading handles single-part scanline files whose colour is in channels `R`, `G`, `B`
/// (any of half, float or uint; `A` and other channels are ignored) or a single `Y`
/// (grey), any compression the library supports: this covers Mitsuba 3's `hdrfilm`
/// output (B, G, R float32, PIZ). The data window becomes the image. Writing produces a
/// scanline file with `B`, `G`, `R` channels in float32 or half. Bytes go through memory
/// with custom stream callbacks, so files are read whole and written atomically.
public enum EXR {
    /// The most bytes of pixel samples a file may claim per byte of its size (see `decode`).
    public static let maximumCompressionRatio = 2048

    /// Decodes EXR bytes; `name` (the file) is used in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> Image {
        if bytes.count < 4 || Array(bytes[0..<4]) != [0x76, 0x2F, 0x31, 0x01] {
            throw ImageIOError(path: name, reason: bytes.isEmpty ? "not an EXR file (the file is empty)"
                                                                 : "not an EXR file (no OpenEXR magic number)")
        }
        return try bytes.withUnsafeBytes { raw in
            let stream = EXRStream(name: name)
            stream.input = raw
            return try stream.decode()
        }
    }

    /// Reads the EXR file at `path`.
    public static func read(from path: String) throws -> Image {
        try decode(AtomicFile.read(path), name: path)
    }

    /// The bytes of an EXR file holding `image`; `name` is used in errors.
    public static func encode(_ image: Image, pixelType: EXRPixelType = .float,
                              compression: EXRCompression = .zip, name: String = "EXR image") throws -> [UInt8] {
        let stream = EXRStream(name: name)
        try stream.encode(image, pixelType: pixelType, compression: compression)
        return stream.output
    }

    /// Writes `image` to an EXR file atomically.
    public static func write(_ image: Image, to path: String, pixelType: EXRPixelType = .float,
                             compression: EXRCompression = .zip) throws {
        try AtomicFile.write(encode(image, pixelType: pixelType, compression: compression, name: path), to: path)
    }
}

extension Image {
    /// Reads an EXR file (see `EXR`).
    public static func readEXR(from path: String) throws -> Image { try EXR.read(from: path) }

    /// Writes the image to an EXR file atomically, float32 by default.
    public func writeEXR(to path: String, pixelType: EXRPixelType = .float,
                         compression: EXRCompression = .zip) throws {
        try EXR.write(self, to: path, pixelType: pixelType, compression: compression)
    }
}

// MARK: - The stream behind a context

/// The user data of one OpenEXR context: the bytes read, the bytes written, the name used in
/// errors and the last message the library reported.
private final class EXRStream {
    let name: String
    var input = UnsafeRawBufferPointer(start: nil, count: 0)
    var output: [UInt8] = []
    var lastMessage: String?

    init(name: String) { self.name = name }

    var initializer: exr_context_initializer_t {
        // EXR_DEFAULT_CONTEXT_INITIALIZER does not import: zero, then the macro's values.
        var i = exr_context_initializer_t()
        i.size = MemoryLayout<exr_context_initializer_t>.size
        i.zip_level = -2
        i.dwa_quality = -1
        i.flags = 0
        i.user_data = Unmanaged.passUnretained(self).toOpaque()
        i.error_handler_fn = { ctxt, code, message in
            // Silence the default print to standard error; keep the message for the thrown error.
            guard let ctxt, let message else { return }
            var user: UnsafeMutableRawPointer?
            if exr_get_user_data(ctxt, &user) == EXR_ERR_SUCCESS.rawValue, let user {
                Unmanaged<EXRStream>.fromOpaque(user).takeUnretainedValue().lastMessage = String(cString: message)
            }
        }
        i.read_fn = { _, user, buffer, size, offset, _ in
            guard let user, let buffer else { return -1 }
            let input = Unmanaged<EXRStream>.fromOpaque(user).takeUnretainedValue().input
            if offset >= UInt64(input.count) { return 0 }
            let n = Int(min(size, UInt64(input.count) - offset))
            buffer.copyMemory(from: input.baseAddress! + Int(offset), byteCount: n)
            return Int64(n)
        }
        i.size_fn = { _, user in
            guard let user else { return -1 }
            return Int64(Unmanaged<EXRStream>.fromOpaque(user).takeUnretainedValue().input.count)
        }
        i.write_fn = { _, user, buffer, size, offset, _ in
            guard let user, let buffer else { return -1 }
            let stream = Unmanaged<EXRStream>.fromOpaque(user).takeUnretainedValue()
            let end = Int(offset) + Int(size)
            if stream.output.count < end { stream.output += [UInt8](repeating: 0, count: end - stream.output.count) }
            stream.output.withUnsafeMutableBytes { out in
                (out.baseAddress! + Int(offset)).copyMemory(from: buffer, byteCount: Int(size))
            }
            return Int64(size)
        }
        return i
    }

    /// Throws, naming the file, when `rv` is not success.
    func check(_ rv: exr_result_t, _ doing: String) throws {
        if rv == EXR_ERR_SUCCESS.rawValue { return }
        let code = String(cString: exr_get_error_code_as_string(rv))
        let detail = lastMessage ?? String(cString: exr_get_default_error_message(rv))
        throw ImageIOError(path: name, reason: "\(doing) failed (OpenEXR \(code): \(detail))")
    }

    // MARK: Reading

    func decode() throws -> Image {
        var initializer = self.initializer
        // Strict: a damaged file is an error, not a partly reconstructed image.
        initializer.flags = EXR_CONTEXT_FLAG_SILENT_HEADER_PARSE | EXR_CONTEXT_FLAG_DISABLE_CHUNK_RECONSTRUCTION
        var ctxt: exr_context_t?
        defer { if ctxt != nil { exr_finish(&ctxt) } }
        try check(exr_start_read(&ctxt, name, &initializer), "reading the EXR header")

        var parts: Int32 = 0
        try check(exr_get_count(ctxt, &parts), "counting the parts")
        if parts < 1 { throw ImageIOError(path: name, reason: "EXR file has no image part") }
        var storage = EXR_STORAGE_LAST_TYPE
        try check(exr_get_storage(ctxt, 0, &storage), "reading the storage type")
        if storage != EXR_STORAGE_SCANLINE {
            let kind = storage == EXR_STORAGE_TILED ? "tiled" : "deep"
            throw ImageIOError(path: name, reason: "\(kind) EXR files are not supported (only scanline)")
        }
        var window = exr_attr_box2i_t()
        try check(exr_get_data_window(ctxt, 0, &window), "reading the data window")
        let width = Int(window.max.x) - Int(window.min.x) + 1
        let height = Int(window.max.y) - Int(window.min.y) + 1
        // Checked before any allocation; width and height first so the product cannot overflow.
        if width <= 0 || height <= 0 || width > Image.maximumPixelCount || height > Image.maximumPixelCount
            || width * height > Image.maximumPixelCount {
            throw ImageIOError(path: name, reason: "EXR data window of \(width)x\(height) pixels is empty or over the limit of \(Image.maximumPixelCount) pixels")
        }

        // Which channel feeds which colour.
        var list: UnsafePointer<exr_attr_chlist_t>?
        try check(exr_get_channels(ctxt, 0, &list), "reading the channel list")
        var names: [String] = []
        var bytesPerPixel = 0
        if let list {
            for k in 0..<Int(list.pointee.num_channels) {
                names.append(String(cString: list.pointee.entries[k].name.str))
                bytesPerPixel += list.pointee.entries[k].pixel_type == EXR_PIXEL_HALF ? 2 : 4
            }
        }
        // No lossless EXR compression shrinks pixel data by more than about 1000× (ZIP's
        // deflate of a constant image); a short file claiming far more samples is refused
        // before the planes are allocated.
        let sampleBytes = width * height * max(bytesPerPixel, 1)
        if sampleBytes / EXR.maximumCompressionRatio > input.count {
            throw ImageIOError(path: name, reason: "EXR data window of \(width)x\(height) pixels (\(sampleBytes) bytes of samples) cannot come from a \(input.count)-byte file (at most \(EXR.maximumCompressionRatio)× compression): truncated or damaged")
        }
        let wanted: [String]
        if ["R", "G", "B"].allSatisfy(names.contains) {
            wanted = ["R", "G", "B"]
        } else if names.contains("Y") {
            wanted = ["Y"]
        } else {
            throw ImageIOError(path: name, reason: "EXR has no R, G, B (or Y) channels; it has \(names.joined(separator: ", "))")
        }

        var linesPerChunk: Int32 = 0
        try check(exr_get_scanlines_per_chunk(ctxt, 0, &linesPerChunk), "reading the chunk height")
        if linesPerChunk < 1 { throw ImageIOError(path: name, reason: "EXR chunk height \(linesPerChunk)") }
        // Before the pixel planes are allocated: the offset table (8 bytes a chunk) must fit
        // in the file, and every chunk must be listed, so a header alone claiming millions of
        // pixels fails here rather than after allocating them.
        let chunkCount = (height + Int(linesPerChunk) - 1) / Int(linesPerChunk)
        if chunkCount * 8 > input.count {
            throw ImageIOError(path: name, reason: "truncated EXR: \(chunkCount) chunks need an offset table of \(chunkCount * 8) bytes, the file has \(input.count)")
        }
        var chunkY = Int(window.min.y)
        while chunkY <= Int(window.max.y) {
            var chunk = exr_chunk_info_t()
            try check(exr_read_scanline_chunk_info(ctxt, 0, Int32(chunkY), &chunk), "reading the chunk table at scanline \(chunkY)")
            if chunk.height < 1 || Int(chunk.start_y) + Int(chunk.height) <= chunkY {
                throw ImageIOError(path: name, reason: "EXR chunk at scanline \(chunkY) lies outside the data window")
            }
            chunkY = Int(chunk.start_y) + Int(chunk.height)
        }

        // Each wanted channel decodes, in its stored type, into its own plane.
        // 4 bytes a sample; half planes use the first 2·w·h bytes, packed.
        let planes = (0..<wanted.count).map { _ -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: width * height * 4, alignment: 4)
            p.initializeMemory(as: UInt32.self, repeating: 0, count: width * height)
            return p
        }
        defer { for p in planes { p.deallocate() } }
        var planeTypes: [exr_pixel_type_t] = Array(repeating: EXR_PIXEL_FLOAT, count: wanted.count)
        var decoder = exr_decode_pipeline_t()
        var decoderLive = false
        defer { if decoderLive { exr_decoding_destroy(ctxt, &decoder) } }
        var first = true
        var y = Int(window.min.y)
        while y <= Int(window.max.y) {
            var chunk = exr_chunk_info_t()
            try check(exr_read_scanline_chunk_info(ctxt, 0, Int32(y), &chunk), "reading the chunk table at scanline \(y)")
            if first {
                try check(exr_decoding_initialize(ctxt, 0, &chunk, &decoder), "starting to decode")
                decoderLive = true
            } else {
                try check(exr_decoding_update(ctxt, 0, &chunk, &decoder), "decoding scanline \(y)")
            }
            let row = Int(chunk.start_y) - Int(window.min.y)
            if row < 0 || chunk.height < 1 || row + Int(chunk.height) > height || Int(chunk.width) != width
                || Int(chunk.start_y) + Int(chunk.height) <= y {
                throw ImageIOError(path: name, reason: "EXR chunk at scanline \(y) lies outside the data window")
            }
            for c in 0..<Int(decoder.channel_count) {
                let channelName = String(cString: decoder.channels[c].channel_name)
                guard let plane = wanted.firstIndex(of: channelName) else {
                    decoder.channels[c].decode_to_ptr = nil
                    continue
                }
                let type = exr_pixel_type_t(rawValue: UInt32(decoder.channels[c].data_type))
                let bytes = Int(decoder.channels[c].bytes_per_element)
                if decoder.channels[c].x_samples != 1 || decoder.channels[c].y_samples != 1 {
                    throw ImageIOError(path: name, reason: "EXR channel \(channelName) is subsampled; not supported")
                }
                planeTypes[plane] = type
                decoder.channels[c].user_bytes_per_element = Int16(bytes)
                decoder.channels[c].user_data_type = decoder.channels[c].data_type
                decoder.channels[c].user_pixel_stride = Int32(bytes)
                decoder.channels[c].user_line_stride = Int32(bytes * width)
                decoder.channels[c].decode_to_ptr = planes[plane]
                    .advanced(by: row * width * bytes)
                    .assumingMemoryBound(to: UInt8.self)
            }
            if first {
                try check(exr_decoding_choose_default_routines(ctxt, 0, &decoder), "choosing the decoder")
                first = false
            }
            try check(exr_decoding_run(ctxt, 0, &decoder), "decoding the pixels of scanline \(y)")
            y = Int(chunk.start_y) + Int(chunk.height)
        }

        var image = Image(width: width, height: height)
        for (plane, raw) in planes.enumerated() {
            let n = width * height
            let values: [Float]
            switch planeTypes[plane] {
            case EXR_PIXEL_HALF:
                let h = raw.assumingMemoryBound(to: UInt16.self)
                values = (0..<n).map { Float(halfBits: h[$0]) }
            case EXR_PIXEL_UINT:
                let u = raw.assumingMemoryBound(to: UInt32.self)
                values = (0..<n).map { Float(u[$0]) }
            default:
                let f = raw.assumingMemoryBound(to: Float.self)
                values = (0..<n).map { f[$0] }
            }
            let targets = wanted.count == 1 ? [0, 1, 2] : [plane]
            for c in targets {
                for p in 0..<(width * height) { image.pixels[3 * p + c] = values[p] }
            }
        }
        return image
    }

    // MARK: Writing

    func encode(_ image: Image, pixelType: EXRPixelType, compression: EXRCompression) throws {
        let width = image.width, height = image.height
        if width == 0 || height == 0 {
            throw ImageIOError(path: name, reason: "cannot write an empty \(width)x\(height) EXR")
        }
        var initializer = self.initializer
        var ctxt: exr_context_t?
        var finished = false
        defer { if ctxt != nil && !finished { exr_finish(&ctxt) } }
        try check(exr_start_write(&ctxt, name, EXR_WRITE_FILE_DIRECTLY, &initializer), "starting the EXR")
        var part: Int32 = 0
        try check(exr_add_part(ctxt, "main", EXR_STORAGE_SCANLINE, &part), "adding the image part")
        try check(exr_initialize_required_attr_simple(ctxt, part, Int32(width), Int32(height), compression.core),
                  "setting the header")
        let type = pixelType == .float ? EXR_PIXEL_FLOAT : EXR_PIXEL_HALF
        for channel in ["B", "G", "R"] {
            try check(exr_add_channel(ctxt, part, channel, type, EXR_PERCEPTUALLY_LOGARITHMIC, 1, 1),
                      "adding channel \(channel)")
        }
        try check(exr_write_header(ctxt), "writing the header")

        var linesPerChunk: Int32 = 0
        try check(exr_get_scanlines_per_chunk(ctxt, part, &linesPerChunk), "reading the chunk height")
        let bytes = pixelType == .float ? 4 : 2
        // The source, interleaved RGB in the file's sample type.
        let halves: [UInt16] = pixelType == .half ? image.pixels.map { $0.halfBits } : []

        var encoder = exr_encode_pipeline_t()
        var encoderLive = false
        defer { if encoderLive { exr_encoding_destroy(ctxt, &encoder) } }
        try image.pixels.withUnsafeBytes { floatBytes in
            try halves.withUnsafeBytes { halfBytes in
                let source = pixelType == .float ? floatBytes.baseAddress! : halfBytes.baseAddress!
                var first = true
                var y: Int32 = 0
                while y < Int32(height) {
                    var chunk = exr_chunk_info_t()
                    try check(exr_write_scanline_chunk_info(ctxt, part, y, &chunk), "starting scanline \(y)")
                    if first {
                        try check(exr_encoding_initialize(ctxt, part, &chunk, &encoder), "starting to encode")
                        encoderLive = true
                    } else {
                        try check(exr_encoding_update(ctxt, part, &chunk, &encoder), "encoding scanline \(y)")
                    }
                    for c in 0..<Int(encoder.channel_count) {
                        let channelName = String(cString: encoder.channels[c].channel_name)
                        let offset = ["R": 0, "G": 1, "B": 2][channelName] ?? 0
                        encoder.channels[c].user_bytes_per_element = Int16(bytes)
                        encoder.channels[c].user_data_type = UInt16(type.rawValue)
                        encoder.channels[c].user_pixel_stride = Int32(3 * bytes)
                        encoder.channels[c].user_line_stride = Int32(3 * bytes * width)
                        encoder.channels[c].encode_from_ptr = UnsafePointer(
                            source.advanced(by: ((Int(chunk.start_y) * width) * 3 + offset) * bytes)
                                .assumingMemoryBound(to: UInt8.self))
                    }
                    if first {
                        try check(exr_encoding_choose_default_routines(ctxt, part, &encoder), "choosing the encoder")
                        first = false
                    }
                    try check(exr_encoding_run(ctxt, part, &encoder), "encoding scanline \(y)")
                    y = chunk.start_y + chunk.height
                }
            }
        }
        exr_encoding_destroy(ctxt, &encoder)
        encoderLive = false
        finished = true
        try check(exr_finish(&ctxt), "finishing the EXR")
    }
}

// MARK: - Half precision

extension Float {
    /// The value of an IEEE 754 binary16 bit pattern (exact).
    @inlinable
    public init(halfBits bits: UInt16) {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24.
            let v = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            self = sign != 0 ? -v : v
        } else {
            self = Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// The nearest IEEE 754 binary16 bit pattern (round to nearest even; overflow → infinity).
    @inlinable
    public var halfBits: UInt16 {
        let bits = bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {  // infinity or NaN (keep NaN quiet and non-zero)
            return sign | 0x7C00 | (mantissa != 0 ? 0x200 | UInt16(mantissa >> 13) : 0)
        }
        let e = exponent - 127 + 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }  // below half the smallest subnormal
            let m = mantissa | 0x80_0000  // implicit bit
            let shift = UInt32(14 - e)
            var h = m >> shift
            let rest = m & ((1 << shift) - 1), half = UInt32(1) << (shift - 1)
            if rest > half || (rest == half && h & 1 == 1) { h += 1 }
            return sign | UInt16(h)
        }
        var h = UInt32(e) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) { h += 1 }  // may carry into infinity: correct
        return sign | UInt16(h)
    }
}
