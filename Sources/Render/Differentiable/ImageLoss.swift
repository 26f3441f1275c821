import ImageIO

/// Losses on linear images, with their gradient with respect to every pixel
/// channel (the image adjoint the reverse renderer is seeded with).
public enum ImageLoss: String, Sendable, CaseIterable {
    /// The mean over all pixels and channels, as Mitsuba's `dr.mean(image, axis=None)`; no target.
    case mean
    /// Mean squared error to the target.
    case l2
    /// Mean absolute error to the target.
    case l1
    /// Mean of (a − t)² / (t² + 0.01): relative L2, robust to bright pixels.
    case relativeL2 = "relative-l2"

    public var needsTarget: Bool { self != .mean }

    /// The adjoint image (`count` values) of a loss whose adjoint does not
    /// depend on the image (the mean: 1/count everywhere), or nil: such a
    /// gradient needs no image first (`Scene.renderReverseWithImage`).
    public func imageIndependentAdjoint(count: Int) -> [Double]? {
        guard self == .mean else { return nil }
        return [Double](repeating: 1 / Double(max(count, 1)), count: count)
    }

    /// The loss value and its adjoint image (w·h·3 values).
    public func evaluate(_ image: Image, target: Image?) -> (value: Double, adjoint: [Double]) {
        let n = image.pixels.count
        let inv = 1 / Double(max(n, 1))
        var adjoint = [Double](repeating: 0, count: n)
        var value = 0.0
        for i in 0..<n {
            let a = Double(image.pixels[i])
            switch self {
            case .mean:
                value += a; adjoint[i] = inv
            case .l2:
                let d = a - Double(target!.pixels[i])
                value += d * d; adjoint[i] = 2 * d * inv
            case .l1:
                let d = a - Double(target!.pixels[i])
                value += abs(d); adjoint[i] = (d > 0 ? 1 : (d < 0 ? -1 : 0)) * inv
            case .relativeL2:
                let t = Double(target!.pixels[i])
                let d = a - t, s = 1 / (t * t + 0.01)
                value += d * d * s; adjoint[i] = 2 * d * s * inv
            }
        }
        return (value * inv, adjoint)
    }

    /// The loss summed over a pyramid of 2× box-downsampled levels (each level
    /// weighted equally), which widens the basin for geometry; adjoints are
    /// pulled back through the downsampling to full resolution.
    public func evaluatePyramid(_ image: Image, target: Image?, levels: Int) -> (value: Double, adjoint: [Double]) {
        var (value, adjoint) = evaluate(image, target: target)
        var img = image, tgt = target
        var factor = 1
        for _ in 1..<max(levels, 1) {
            if img.width < 2 || img.height < 2 { break }
            img = img.downsampled(by: 2); tgt = tgt?.downsampled(by: 2); factor *= 2
            let (v, a) = evaluate(img, target: tgt)
            value += v
            // Each coarse pixel is the mean of the fine pixels it covers (clipped at the border).
            for y in 0..<image.height {
                for x in 0..<image.width {
                    let cx = x / factor, cy = y / factor
                    if cx >= img.width || cy >= img.height { continue }
                    let cw = min(factor, image.width - cx * factor), ch = min(factor, image.height - cy * factor)
                    let share = 1 / Double(cw * ch)
                    for c in 0..<3 { adjoint[(y * image.width + x) * 3 + c] += a[(cy * img.width + cx) * 3 + c] * share }
                }
            }
        }
        return (value, adjoint)
    }
}
