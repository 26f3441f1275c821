import Geometry
import ImageIO
#if canImport(Glibc)
import Glibc
#endif

/// The map and its sampling tables, shared by reference (one retain a copy).
/// Per-ray code reads them through `view`, which holds no reference.
public final class EnvironmentMapStorage: @unchecked Sendable {
    public let width: Int, height: Int
    /// World-to-local rotation and its inverse, in that order (an array, so
    /// that `View` can point at them).
    let transforms: ContiguousArray<Transform>
    public var toLocal: Transform { transforms[0] }
    public var toWorld: Transform { transforms[1] }
    /// Linear RGB texels, row-major, top row first (v = 0 is straight up).
    public let texels: [Float]
    /// Row marginal CDF and per-row conditional CDFs (normalised).
    let rowCDF: [Double], columnCDF: [Double]
    let rowWeights: [Double], texelProb: [Double]
    init(width: Int, height: Int, texels: [Float], rowCDF: [Double], columnCDF: [Double], rowWeights: [Double], texelProb: [Double],
         toWorld: Transform) {
        self.width = width; self.height = height; self.texels = texels; self.rowCDF = rowCDF
        self.columnCDF = columnCDF; self.rowWeights = rowWeights; self.texelProb = texelProb
        transforms = [toWorld.inverse, toWorld]
    }

    /// The map's arrays borrowed (`View`): valid while this storage lives.
    public var view: View {
        View(width: width, height: height, texels: texels.withUnsafeBufferPointer { $0 },
             rowCDF: rowCDF.withUnsafeBufferPointer { $0 }, columnCDF: columnCDF.withUnsafeBufferPointer { $0 },
             rowWeights: rowWeights.withUnsafeBufferPointer { $0 }, texelProb: texelProb.withUnsafeBufferPointer { $0 },
             transforms: transforms.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// An environment map's arrays as plain pointers, what per-ray code reads:
    /// copying one touches no reference count, where copying the storage
    /// reference (inside an `Emitter` copied out of `Scene.emitters`) retained
    /// and released it several times a path.
    ///
    /// It borrows: it does not keep the storage alive. The arrays are `let`s
    /// of the final class, never mutated, so their storage stays where it is
    /// for as long as the map lives. `EnvironmentMap.view` sits beside the
    /// `storage` that owns it, and the scene's `environmentEmitters` table is
    /// made from its `emitters` (docs/design.md, "Borrowed environment maps").
    @frozen
    public struct View {
        public let width: Int, height: Int
        public let texels: UnsafeBufferPointer<Float>
        @usableFromInline let rowCDF: UnsafeBufferPointer<Double>, columnCDF: UnsafeBufferPointer<Double>
        @usableFromInline let rowWeights: UnsafeBufferPointer<Double>, texelProb: UnsafeBufferPointer<Double>
        /// World-to-local, then local-to-world.
        @usableFromInline let transforms: UnsafePointer<Transform>

        @usableFromInline
        init(width: Int, height: Int, texels: UnsafeBufferPointer<Float>, rowCDF: UnsafeBufferPointer<Double>,
             columnCDF: UnsafeBufferPointer<Double>, rowWeights: UnsafeBufferPointer<Double>, texelProb: UnsafeBufferPointer<Double>,
             transforms: UnsafePointer<Transform>) {
            self.width = width; self.height = height; self.texels = texels; self.rowCDF = rowCDF; self.columnCDF = columnCDF
            self.rowWeights = rowWeights; self.texelProb = texelProb; self.transforms = transforms
        }

        /// Texture coordinates of local direction `dLocal` (unit).
        @inlinable
        func uv(_ dLocal: Vec3) -> (Double, Double) {
            var u = atan2(dLocal.x, -dLocal.z) / (2 * .pi)
            if u < 0 { u += 1 }
            let v = acos(min(max(dLocal.y, -1), 1)) / .pi
            return (u, v)
        }

        /// Texel (x, y) as a colour.
        @inlinable @inline(__always)
        func texel(_ x: Int, _ y: Int) -> RGB<Double> {
            let i = (y * width + x) * 3
            return RGB(Double(texels[i]), Double(texels[i + 1]), Double(texels[i + 2]))
        }

        /// Bilinear lookup at (u, v), wrapping in u and clamping in v. As
        /// Mitsuba 3's envmap: column x is centred at u = (x + 0.5) / width, but
        /// row y lies at v = y / (height − 1) (the first and last rows sit on the
        /// poles), so v is scaled by height − 1, not height. The four texels are
        /// summed row by row, each weighted by wx · wy.
        @inlinable
        func lookup(_ u: Double, _ v: Double) -> RGB<Double> {
            let x = u * Double(width) - 0.5, y = v * Double(max(height - 1, 1))
            let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
            let fx = x - Double(x0), fy = y - Double(y0)
            let wy0 = 1 - fy, wx0 = 1 - fx
            let ya = min(max(y0, 0), height - 1), yb = min(max(y0 + 1, 0), height - 1)
            var xa = x0 % width, xb = (x0 + 1) % width
            if xa < 0 { xa += width }
            if xb < 0 { xb += width }
            var c = RGB<Double>.zero
            c = c + texel(xa, ya) * (wx0 * wy0)
            c = c + texel(xb, ya) * (fx * wy0)
            c = c + texel(xa, yb) * (wx0 * fy)
            c = c + texel(xb, yb) * (fx * fy)
            return c
        }

        /// Radiance arriving from world direction `d`, before the emitter's scale.
        @inlinable
        public func radiance(_ d: Vec3) -> RGB<Double> {
            let l = transforms[0].vector(d).normalized
            let (u, v) = uv(l)
            return lookup(u, v)
        }

        /// Solid-angle pdf of `sample` returning world direction `d`.
        @inlinable
        public func pdf(_ d: Vec3) -> Double {
            let l = transforms[0].vector(d).normalized
            let (u, v) = uv(l)
            let sinTheta = (max(0, 1 - l.y * l.y)).squareRoot()
            if sinTheta <= 0 { return 0 }
            let x = min(Int(u * Double(width)), width - 1), y = min(Int(v * Double(height)), height - 1)
            return texelProb[y * width + x] * Double(width * height) / (2 * .pi * .pi * sinTheta)
        }

        /// Samples a world direction in proportion to the map; returns it with its pdf.
        @inlinable
        public func sample(_ s: (Double, Double)) -> (Vec3, Double) {
            let y = rowCDF.cdfBin(s.1 * rowCDF[height - 1])
            let rowStart = y == 0 ? 0 : rowCDF[y - 1]
            let fy = min(max((s.1 * rowCDF[height - 1] - rowStart) / max(rowWeights[y], 1e-300), 0), 1)
            let row = UnsafeBufferPointer(rebasing: columnCDF[(y * width)..<(y * width + width)])
            let x = row.cdfBin(s.0)
            let colStart = x == 0 ? 0 : row[x - 1]
            let colWidth = row[x] - colStart
            let fx = colWidth > 0 ? min(max((s.0 - colStart) / colWidth, 0), 1) : 0.5
            let u = (Double(x) + fx) / Double(width), v = (Double(y) + fy) / Double(height)
            let phi = u * 2 * .pi, theta = v * .pi
            let st = sin(theta)
            let local = Vec3(st * sin(phi), cos(theta), -st * cos(phi))
            let d = transforms[1].vector(local).normalized
            if st <= 0 { return (d, 0) }
            return (d, texelProb[y * width + x] * Double(width * height) / (2 * .pi * .pi * st))
        }
    }
}

/// Mitsuba's `envmap`: an equirectangular (latitude–longitude) radiance
/// map with +Y up in its local frame. A direction d maps to
/// u = atan2(d.x, −d.z) / 2π, v = acos(d.y) / π (Mitsuba's convention);
/// texels are interpolated bilinearly and sampled in proportion to their
/// luminance times sin θ. Looked up and sampled through `view`
/// (`EnvironmentEmitter`).
///
/// ```xml
/// <emitter type="envmap">
///     <string name="filename" value="sky.exr"/>
///     <float name="scale" value="1.0"/>
/// </emitter>
/// ```
public struct EnvironmentMap<T: Real> {
    /// Owns the map and its tables.
    public let storage: EnvironmentMapStorage
    /// `storage`'s arrays borrowed: valid as long as `storage`, beside which it is kept.
    public let view: EnvironmentMapStorage.View
    public var scale: T
    @inlinable public var toLocal: Transform { storage.toLocal }
    @inlinable public var toWorld: Transform { storage.toWorld }
    @inlinable public var width: Int { storage.width }
    @inlinable public var height: Int { storage.height }
    @inlinable public var texels: [Float] { storage.texels }

    /// The same map with another scalar type for `scale`.
    public init<U: Real>(_ other: EnvironmentMap<U>, scale: T) {
        storage = other.storage; view = other.view; self.scale = scale
    }

    public init(image: Image, scale: T, toWorld: Transform) {
        let width = image.width, height = image.height, texels = image.pixels
        self.scale = scale
        var prob = [Double](repeating: 0, count: width * height)
        var total = 0.0
        for y in 0..<height {
            let sinTheta = sin((Double(y) + 0.5) / Double(height) * .pi)
            for x in 0..<width {
                let i = (y * width + x) * 3
                let lum = 0.212671 * Double(texels[i]) + 0.715160 * Double(texels[i + 1]) + 0.072169 * Double(texels[i + 2])
                let w = max(lum, 0) * sinTheta + 1e-12
                prob[y * width + x] = w
                total += w
            }
        }
        var rows = [Double](repeating: 0, count: height), rowCDF = [Double](repeating: 0, count: height)
        var colCDF = [Double](repeating: 0, count: width * height)
        var acc = 0.0
        for y in 0..<height {
            var rowSum = 0.0
            for x in 0..<width { rowSum += prob[y * width + x]; colCDF[y * width + x] = rowSum }
            for x in 0..<width { colCDF[y * width + x] /= rowSum }
            rows[y] = rowSum / total
            acc += rowSum / total
            rowCDF[y] = acc
        }
        for i in 0..<prob.count { prob[i] /= total }
        storage = EnvironmentMapStorage(width: width, height: height, texels: texels, rowCDF: rowCDF, columnCDF: colCDF,
                                        rowWeights: rows, texelProb: prob, toWorld: toWorld)
        view = storage.view
    }
}
