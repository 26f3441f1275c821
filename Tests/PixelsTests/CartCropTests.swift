import Testing
import Control
import Pixels
import Learning

@Suite struct CartCropTests {
    /// The window's pullback (interpolation, differences, centroids, the window's
    /// own motion) against central differences of the input map, for every third
    /// pixel of three frames, with the window partly outside the frame.
    @Test(arguments: [7.3, 2.2])
    func pullbackMatchesFiniteDifferences(cartColumn: Double) {
        let w = 16, h = 6, n = w * h, frames = 3
        let crop = CartCrop(width: 8, frameWidth: w)
        var g = SeededGenerator(seed: 3)
        func frame(_ cx: Double) -> [Double] {
            (0..<n).map { i in
                let col = Double(i % w) + 0.5, row = i / w
                let cart = row >= 4 ? max(0, 1 - abs(col - cx) / 2.5) : 0
                let pole = row < 4 ? max(0, 1 - abs(col - cx - 0.3 * Double(4 - row)) / 1.2) : 0
                return -cart + 0.7 * pole + 0.01 * g.uniform()
            }
        }
        let history = [frame(cartColumn), frame(cartColumn - 0.2), frame(cartColumn - 0.5)]
        let x0 = crop.input(history)
        let weights = (0..<x0.count).map { _ in g.uniform() - 0.5 }
        func f(_ hist: [[Double]]) -> Double { zip(crop.input(hist), weights).reduce(0) { $0 + $1.0 * $1.1 } }
        let adj = crop.pullback(weights, history: history)
        var worst = 0.0
        for k in 0..<frames {
            for i in stride(from: 0, to: n, by: 3) {
                var hp = history, hm = history
                hp[k][i] += 1e-6; hm[k][i] -= 1e-6
                let fd = (f(hp) - f(hm)) / 2e-6
                worst = max(worst, abs(fd - adj[k][3 * i]))
            }
        }
        #expect(worst < 1e-5, "worst |finite difference − pullback| \(worst)")
        #expect(x0.count == crop.inputSize(frames: frames, height: h))
    }
}
