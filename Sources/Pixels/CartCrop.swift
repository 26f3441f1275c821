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

    /// The window `width` columns wide, or nil for 0 (the policy sees whole frames).
    public static func window(width: Int, frameWidth: Int) -> CartCrop? {
        width > 0 ? CartCrop(width: width, frameWidth: frameWidth) : nil
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

    /// The network input of `history` (contrast channels, newest first).
    public func input(_ history: [[Double]]) -> [Double] {
        let w = frameWidth, n = history[0].count, h = n / w
        precondition(n == w * h, "CartCrop: a frame has \(n) values, expected a multiple of \(w)")
        let us = history.map { CartCrop.centre($0, frameWidth: w).u }
        let (k0, f) = sampling(us[0])
        // the stacked planes, current contrast first (no rest pose subtracted)
        let planes = FrameStack.input(history, background: nil)
        var x = [Double](repeating: 0, count: inputSize(frames: history.count, height: h))
        for p in history.indices {
            for r in 0..<h {
                let row = p * n + r * w
                func at(_ k: Int) -> Double { k >= 0 && k < w ? planes[row + k] : 0 }
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
        let planes = FrameStack.input(history, background: nil)
        var dPlanes = [Double](repeating: 0, count: count * n)
        var du = [Double](repeating: 0, count: count)
        for p in 0..<count {
            for r in 0..<h {
                let row = p * n + r * w
                func at(_ k: Int) -> Double { k >= 0 && k < w ? planes[row + k] : 0 }
                for j in 0..<width {
                    let d = dInput[(p * h + r) * width + j]
                    guard d != 0 else { continue }
                    let a = k0 + j, b = a + 1
                    du[0] += d * (at(b) - at(a))          // the window moves with u_t
                    if a >= 0 && a < w { dPlanes[row + a] += (1 - f) * d }
                    if b >= 0 && b < w { dPlanes[row + b] += f * d }
                }
            }
        }
        let base = count * width * h
        du[0] += dInput[base] * 2 / Double(w)
        for k in 1..<count {
            du[0] += CartCrop.motionGain * dInput[base + k]
            du[k] -= CartCrop.motionGain * dInput[base + k]
        }
        // the planes' pullback onto the frames (the differences), in linear RGB
        var rgb = FrameStack.pullback(dPlanes, count: count, pixels: n)
        // ∂u/∂c_i = (u − column_i)/mass on the cart's pixels (c = r − b)
        for k in 0..<count where du[k] != 0 {
            let (u, m) = CartCrop.centre(history[k], frameWidth: w)
            guard m > 0 else { continue }
            for i in 0..<n where history[k][i] < 0 {
                let d = du[k] * (u - (Double(i % w) + 0.5)) / m
                rgb[k][3 * i] += d; rgb[k][3 * i + 2] -= d
            }
        }
        return rgb
    }
}
