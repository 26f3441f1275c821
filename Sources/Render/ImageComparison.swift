import ImageIO

/// Per-channel relative error of an image against a reference,
/// |a − r| / max(|r|, floor), as used for the Mitsuba 3 reference tests.
public struct ImageComparison: Sendable {
    public var meanRelative: [Double], maxRelative: [Double]
    public var mean: [Double], referenceMean: [Double]

    public init(_ a: Image, _ r: Image, floor: Double = 0.02) {
        precondition(a.hasSameSize(as: r))
        var sum = [0.0, 0, 0], mx = [0.0, 0, 0], ma = [0.0, 0, 0], mr = [0.0, 0, 0]
        let n = a.width * a.height
        for i in 0..<n {
            for c in 0..<3 {
                let x = Double(a.pixels[3 * i + c]), y = Double(r.pixels[3 * i + c])
                let e = abs(x - y) / max(abs(y), floor)
                sum[c] += e; mx[c] = max(mx[c], e); ma[c] += x; mr[c] += y
            }
        }
        meanRelative = sum.map { $0 / Double(max(n, 1)) }
        maxRelative = mx
        mean = ma.map { $0 / Double(max(n, 1)) }
        referenceMean = mr.map { $0 / Double(max(n, 1)) }
    }
}
