import Geometry
import ImageIO
#if canImport(Glibc)
import Glibc
#endif

/// Mitsuba's reconstruction filters (`<rfilter type="box|tent|gaussian">`).
/// Samples are splatted into every pixel whose centre lies within the
/// filter's radius, weighted by the filter, and the film divides by the sum
/// of weights, as Mitsuba's `ImageBlock` does.
public enum ReconstructionFilter: Sendable, Equatable {
    case box
    case tent(radius: Double)
    case gaussian(stddev: Double)

    /// Half-width of the support, in pixels.
    @inlinable public var radius: Double {
        switch self {
        case .box: return 0.5
        case .tent(let r): return r
        case .gaussian(let s): return 4 * s
        }
    }

    @inlinable @inline(__always)
    public func eval(_ x: Double) -> Double {
        switch self {
        case .box: return abs(x) <= 0.5 ? 1 : 0
        case .tent(let r): return max(0, 1 - abs(x) / r)
        case .gaussian(let s):
            let alpha = -1 / (2 * s * s), r = 4 * s
            return max(0, exp(alpha * x * x) - exp(alpha * r * r))
        }
    }
}

extension ReconstructionFilter {
    /// Largest filter radius accepted, in pixels (gaussian: stddev ≤ 8; tent:
    /// radius ≤ 32). Mitsuba has no such limit: its image blocks grow with the
    /// radius, so a stddev of 10000 asks for hundreds of gigabytes. A sample
    /// touches (2·radius + 1)² pixels (4225 at the limit, against 25 for the
    /// default stddev 0.5), and every 16×16 tile's block carries a border of
    /// `radius` pixels (at the limit 25 times the tile's own pixels).
    public static let maximumRadius = 32.0

    /// Throws `FilmLimitError` unless the radius is finite, positive and at most `maximumRadius`.
    public func validate() throws {
        let name: String, value: Double
        switch self {
        case .box: return
        case .tent(let r): (name, value) = ("tent radius", r)
        case .gaussian(let s): (name, value) = ("gaussian stddev", s)
        }
        guard value > 0, radius.isFinite, radius <= ReconstructionFilter.maximumRadius else {
            let limit = ReconstructionFilter.maximumRadius
            throw FilmLimitError("\(name) \(value) is out of range: the filter radius must be in (0, \(limit)] pixels"
                                 + (name.hasPrefix("gaussian") ? " (4 stddev, so stddev ≤ \(limit / 4))" : ""))
        }
    }
}

/// A film or filter over DiffRay's limits (one line, what and why).
public struct FilmLimitError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The film: resolution and filter (Mitsuba's `hdrfilm`).
public struct Film: Sendable {
    public var width: Int
    public var height: Int
    public var filter: ReconstructionFilter
    public init(width: Int, height: Int, filter: ReconstructionFilter) {
        self.width = width; self.height = height; self.filter = filter
    }

    /// Most memory a render's film may take: every tile's bordered block
    /// (kept until the tiles are merged, in tile order), the accumulator and
    /// the developed image.
    public static let maximumMemory = 4 << 30

    /// Bytes a render of this film holds at its peak (see `maximumMemory`).
    /// Overflow-safe: huge sizes give `Int.max`.
    public var estimatedMemory: Int {
        guard width > 0, height > 0 else { return 0 }
        let radius = filter.radius
        let border = filter == .box ? 0 : (radius >= 0 && radius <= 1e6 ? Int(radius.rounded(.up)) : 1_000_000)
        let size = TileGrid.size
        let columns = width / size + (width % size == 0 ? 0 : 1), rows = height / size + (height % size == 0 ? 0 : 1)
        let tiles = columns.multipliedReportingOverflow(by: rows)
        let blockSide = size + 2 * border
        let perBlock = blockSide.multipliedReportingOverflow(by: blockSide * 4 * MemoryLayout<Double>.size)
        let blocks = perBlock.partialValue.multipliedReportingOverflow(by: tiles.partialValue)
        let pixels = width.multipliedReportingOverflow(by: height)
        let film = pixels.partialValue.multipliedReportingOverflow(by: 4 * MemoryLayout<Double>.size + 3 * MemoryLayout<Float>.size)
        let total = blocks.partialValue.addingReportingOverflow(film.partialValue)
        if tiles.overflow || perBlock.overflow || blocks.overflow || pixels.overflow || film.overflow || total.overflow { return .max }
        return total.partialValue
    }

    /// Throws `FilmLimitError` for a filter out of range or a film whose
    /// render would take more than `maximumMemory`; checked before anything is allocated.
    public func validate() throws {
        try filter.validate()
        guard width > 0, height > 0 else { throw FilmLimitError("film size \(width)x\(height) must be positive") }
        let bytes = estimatedMemory
        guard bytes <= Film.maximumMemory else {
            let gib = Double(bytes) / Double(1 << 30)
            throw FilmLimitError("film \(width)x\(height) with a filter radius of \(filter.radius) px needs "
                                 + (bytes == .max ? "more than 2^63 bytes" : "\((gib * 10).rounded() / 10) GiB")
                                 + " of image blocks and accumulator, over the limit of \(Film.maximumMemory >> 30) GiB")
        }
    }
}

/// A rectangular block of weighted RGB sums with a border for the filter's
/// footprint: one per tile, merged into the film in tile order so that the
/// result does not depend on which thread rendered which tile.
public struct ImageBlock {
    public let x0: Int, y0: Int, width: Int, height: Int, border: Int
    /// r, g, b, weight per pixel of the bordered block.
    public var data: [Double]
    public let filter: ReconstructionFilter
    /// The filter tabulated over [0, radius] (Mitsuba discretises it too).
    @usableFromInline let table: [Double]
    @usableFromInline static let tableSize = 512

    public init(x0: Int, y0: Int, width: Int, height: Int, filter: ReconstructionFilter) {
        let n = ImageBlock.tableSize
        self.table = (0...n).map { filter.eval(Double($0) / Double(n) * filter.radius) }
        self.border = filter == .box ? 0 : Int(filter.radius.rounded(.up))
        self.x0 = x0 - border; self.y0 = y0 - border
        self.width = width + 2 * border; self.height = height + 2 * border
        self.filter = filter
        data = [Double](repeating: 0, count: self.width * self.height * 4)
    }

    /// The tabulated filter at offset `x` (pixels) from a pixel centre.
    @inlinable @inline(__always)
    static func tabulatedWeight(_ x: Double, _ table: UnsafeBufferPointer<Double>, radius: Double) -> Double {
        // The nearest entry, halves rounded up: `v.rounded()` for v ≥ 0, without
        // its call into libm (v − k is exact for 0 ≤ v < 2⁵²; |x| spans a few pixels).
        let v = abs(x) * (Double(ImageBlock.tableSize) / radius)
        if !(v < Double(ImageBlock.tableSize) + 0.5) { return 0 }
        var k = Int(v)
        if v - Double(k) >= 0.5 { k += 1 }
        return table[k]  // k ≤ tableSize: the table has tableSize + 1 entries
    }

    /// Adds radiance `c` at film position (fx, fy) (pixels, continuous).
    @inlinable
    public mutating func put(fx: Double, fy: Double, _ c: RGB<Double>) {
        if case .box = filter {
            let px = Int(fx) - x0, py = Int(fy) - y0
            let i = (py * width + px) * 4
            data[i] += c.r; data[i + 1] += c.g; data[i + 2] += c.b; data[i + 3] += 1
            return
        }
        let r = filter.radius
        // Pixel i's centre is i + 0.5; weight f(i + 0.5 − fx).
        let xa = max(x0, Int((fx - r - 0.5).rounded(.up))), xb = min(x0 + width - 1, Int((fx + r - 0.5).rounded(.down)))
        let ya = max(y0, Int((fy - r - 0.5).rounded(.up))), yb = min(y0 + height - 1, Int((fy + r - 0.5).rounded(.down)))
        if xa > xb || ya > yb { return }
        // A pixel's r, g, b and weight are one `SIMD4<Double>`: each gets (r, g, b, 1) · w_x · w_y
        // added, the same products and sums as four scalar updates (1 · w is exact).
        let colour = SIMD4<Double>(c.r, c.g, c.b, 1)
        let width = self.width, x0 = self.x0, y0 = self.y0, table = self.table
        table.withUnsafeBufferPointer { table in
            @inline(__always) func weight(_ x: Double) -> Double { ImageBlock.tabulatedWeight(x, table, radius: r) }
            // Columns in groups of 16 (one group unless the radius exceeds 7.5 px).
            var wx = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var xs = xa
            while xs <= xb {
                let start = xs
                withUnsafeMutableBytes(of: &wx) { raw in
                    let w = raw.bindMemory(to: Double.self)
                    let n = min(16, xb - start + 1)
                    for k in 0..<n { w[k] = weight(Double(start + k) + 0.5 - fx) }
                    data.withUnsafeMutableBytes { bytes in
                        let d = bytes.baseAddress!
                        for y in ya...yb {
                            let wy = weight(Double(y) + 0.5 - fy)
                            if wy == 0 { continue }
                            var at = ((y - y0) * width + (start - x0)) * MemoryLayout<SIMD4<Double>>.stride
                            for k in 0..<n {
                                let sum = d.loadUnaligned(fromByteOffset: at, as: SIMD4<Double>.self) + colour * (w[k] * wy)
                                d.storeBytes(of: sum, toByteOffset: at, as: SIMD4<Double>.self)
                                at += MemoryLayout<SIMD4<Double>>.stride
                            }
                        }
                    }
                }
                xs += 16
            }
        }
    }
}

extension ImageBlock {
    /// Calls `body(x, y, w)` for every film pixel (x, y) within `0..<filmWidth`,
    /// `0..<filmHeight` that a sample at (fx, fy) reaches, with the same
    /// (tabulated) filter weight `put` uses. Gradient renderers splat and
    /// pull back through it.
    @inlinable
    public func forEachWeight(fx: Double, fy: Double, filmWidth: Int, filmHeight: Int, _ body: (Int, Int, Double) -> Void) {
        if case .box = filter { body(Int(fx), Int(fy), 1); return }
        let r = filter.radius
        table.withUnsafeBufferPointer { table in
            @inline(__always) func weight(_ x: Double) -> Double { ImageBlock.tabulatedWeight(x, table, radius: r) }
            let xa = max(0, Int((fx - r - 0.5).rounded(.up))), xb = min(filmWidth - 1, Int((fx + r - 0.5).rounded(.down)))
            let ya = max(0, Int((fy - r - 0.5).rounded(.up))), yb = min(filmHeight - 1, Int((fy + r - 0.5).rounded(.down)))
            if xa > xb || ya > yb { return }
            // Each column's weight once, not once a row (the same products, in the same order).
            withUnsafeTemporaryAllocation(of: Double.self, capacity: xb - xa + 1) { wx in
                for x in xa...xb { wx[x - xa] = weight(Double(x) + 0.5 - fx) }
                for y in ya...yb {
                    let wy = weight(Double(y) + 0.5 - fy)
                    if wy == 0 { continue }
                    for x in xa...xb {
                        let w = wx[x - xa] * wy
                        if w != 0 { body(x, y, w) }
                    }
                }
            }
        }
    }
}

/// Accumulates image blocks and develops the final image.
public struct FilmAccumulator {
    public let width: Int, height: Int
    public var data: [Double]
    public init(width: Int, height: Int) {
        self.width = width; self.height = height
        data = [Double](repeating: 0, count: width * height * 4)
    }

    public mutating func add(_ b: ImageBlock) {
        for by in 0..<b.height {
            let y = b.y0 + by
            if y < 0 || y >= height { continue }
            for bx in 0..<b.width {
                let x = b.x0 + bx
                if x < 0 || x >= width { continue }
                let s = (by * b.width + bx) * 4, d = (y * width + x) * 4
                data[d] += b.data[s]; data[d + 1] += b.data[s + 1]; data[d + 2] += b.data[s + 2]; data[d + 3] += b.data[s + 3]
            }
        }
    }

    /// The filter weight summed in each pixel (the film's normalisation).
    public var weights: [Double] { (0..<width * height).map { data[$0 * 4 + 3] } }

    /// Divides each pixel's sums by its weight.
    public func develop() -> Image {
        var px = [Float](repeating: 0, count: width * height * 3)
        for i in 0..<width * height {
            let w = data[i * 4 + 3]
            if w > 0 {
                px[i * 3] = Float(data[i * 4] / w); px[i * 3 + 1] = Float(data[i * 4 + 1] / w); px[i * 3 + 2] = Float(data[i * 4 + 2] / w)
            }
        }
        return Image(width: width, height: height, pixels: px)
    }
}
