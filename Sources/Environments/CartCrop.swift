import Foundation

/// The cart-pole policy's view of its frame stack, centred on the cart: a fixed,
/// parameter-free spatial transformer in front of the dense layer.
///
/// The cart is the only surface with a negative contrast (`PixelInput.channel`:
/// blue cart, orange pole, grey backdrop, black track), so its column in frame t
/// is the centroid u_t of the pixels with c < 0, weighted by −c. The policy sees,
/// for the N stacked frames (newest first),
/// - the planes `[c_t, g·(c_t − c_{t−1}), …, g·(c_t − c_{t−N+1})]` (g =
///   `PixelInput.differenceGain`), each resampled (linear interpolation along x)
///   on `width` columns centred on u_t: the pole and the cart's edges always fall
///   on the same inputs, wherever the cart is on the track;
/// - the cart's place `2·u_t/w − 1` and its motion `4·(u_t − u_{t−k})`, k = 1…N−1.
///
/// Everything is read from the pixels; no state goes in. The map is piecewise
/// smooth in the pixels, and `pullback` is its exact derivative (the crop's
/// dependence on u_t included), so the renderer's ∂frame/∂state reaches the
/// policy's weights through it. Without it, a dense layer on the whole frame reads
/// the pole only at the columns where the cart was during training.
public struct CartCrop: Equatable, Sendable {
    /// Columns of the window centred on the cart.
    public let width: Int
    /// Width of the frames it is cut from.
    public let frameWidth: Int
    /// Gain on the cart's motion between stacked frames, in pixels.
    public static let motionGain = 4.0

    public init(width: Int, frameWidth: Int) {
        precondition(width > 0 && frameWidth > 0, "CartCrop: width \(width) and frame width \(frameWidth) must be positive")
        self.width = width; self.frameWidth = frameWidth
    }

    /// The policy input's length for `frames` stacked frames `height` pixels high.
    public func inputSize(frames: Int, height: Int) -> Int { frames * width * height + frames }

    /// The cart's column in a contrast channel `w` pixels wide (pixel centres at
    /// k + 0.5) and the weight it rests on; the frame's centre when no cart pixel shows.
    @inlinable
    public static func centre(_ c: [Double], frameWidth w: Int) -> (u: Double, mass: Double) {
        var m = 0.0, mu = 0.0
        for i in c.indices where c[i] < 0 {
            m -= c[i]; mu -= c[i] * (Double(i % w) + 0.5)
        }
        return m > 0 ? (mu / m, m) : (Double(w) / 2, 0)
    }

    /// The leftmost frame column read by crop column 0 and the interpolation weight
    /// of the column after it, for a window centred on u.
    @usableFromInline
    func sampling(_ u: Double) -> (k0: Int, f: Double) {
        let s = u - Double(width) / 2
        let k = s.rounded(.down)
        return (Int(k), s - k)
    }

    @usableFromInline
    static func planes(_ history: [[Double]]) -> [[Double]] {
        let g = PixelInput.differenceGain, current = history[0]
        return [current] + history.dropFirst().map { older in zip(current, older).map { g * ($0 - $1) } }
    }

    /// The network input of `history` (contrast channels, newest first).
    public func input(_ history: [[Double]]) -> [Double] {
        let w = frameWidth, h = history[0].count / w
        precondition(history[0].count == w * h, "CartCrop: a frame has \(history[0].count) values, expected a multiple of \(w)")
        let us = history.map { CartCrop.centre($0, frameWidth: w).u }
        let (k0, f) = sampling(us[0])
        var x = [Double](repeating: 0, count: inputSize(frames: history.count, height: h))
        for (p, plane) in CartCrop.planes(history).enumerated() {
            for r in 0..<h {
                let row = r * w
                func at(_ k: Int) -> Double { k >= 0 && k < w ? plane[row + k] : 0 }
                for j in 0..<width { x[(p * h + r) * width + j] = (1 - f) * at(k0 + j) + f * at(k0 + j + 1) }
            }
        }
        let base = history.count * width * h
        x[base] = 2 * us[0] / Double(w) - 1
        for k in 1..<history.count { x[base + k] = CartCrop.motionGain * (us[0] - us[k]) }
        return x
    }

    /// Pulls ∂loss/∂input back to ∂loss/∂image of each stacked frame (linear RGB
    /// adjoints, newest first, `3·pixels` values each), through the interpolation,
    /// the differences and the centroids.
    public func pullback(_ dInput: [Double], history: [[Double]]) -> [[Double]] {
        let w = frameWidth, n = history[0].count, h = n / w, count = history.count
        let (k0, f) = sampling(CartCrop.centre(history[0], frameWidth: w).u)
        let planes = CartCrop.planes(history)
        var dPlanes = [[Double]](repeating: [Double](repeating: 0, count: n), count: count)
        var du = [Double](repeating: 0, count: count)
        for p in 0..<count {
            for r in 0..<h {
                let row = r * w
                func at(_ k: Int) -> Double { k >= 0 && k < w ? planes[p][row + k] : 0 }
                for j in 0..<width {
                    let d = dInput[(p * h + r) * width + j]
                    guard d != 0 else { continue }
                    let a = k0 + j, b = a + 1
                    du[0] += d * (at(b) - at(a))          // the window moves with u_t
                    if a >= 0 && a < w { dPlanes[p][row + a] += (1 - f) * d }
                    if b >= 0 && b < w { dPlanes[p][row + b] += f * d }
                }
            }
        }
        let base = count * width * h
        du[0] += dInput[base] * 2 / Double(w)
        for k in 1..<count {
            du[0] += CartCrop.motionGain * dInput[base + k]
            du[k] -= CartCrop.motionGain * dInput[base + k]
        }
        let g = PixelInput.differenceGain
        var dc = [[Double]](repeating: [Double](repeating: 0, count: n), count: count)
        for i in 0..<n {
            var current = dPlanes[0][i]
            for k in 1..<count { current += g * dPlanes[k][i]; dc[k][i] -= g * dPlanes[k][i] }
            dc[0][i] += current
        }
        // ∂u/∂c_i = (u − column_i)/mass on the cart's pixels
        for k in 0..<count where du[k] != 0 {
            let (u, m) = CartCrop.centre(history[k], frameWidth: w)
            guard m > 0 else { continue }
            for i in 0..<n where history[k][i] < 0 { dc[k][i] += du[k] * (u - (Double(i % w) + 0.5)) / m }
        }
        return dc.map { PixelInput.channelPullback($0) }
    }
}
