import Foundation

/// Small raster charts for reports (training and loss curves), drawn into an `Image` that
/// `writePNG(to:)` saves. Text uses the built-in 5×7 bitmap font.
public enum Plot {
    /// Series colours: the "tab10" palette of matplotlib, as linear RGB.
    public static let palette: [LinearRGB] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
        0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ].map(srgbHex)

    /// The linear colour of a display colour given as `0xRRGGBB`.
    public static func srgbHex(_ hex: Int) -> LinearRGB {
        LinearRGB(SRGB.decodeTable[(hex >> 16) & 0xFF], SRGB.decodeTable[(hex >> 8) & 0xFF], SRGB.decodeTable[hex & 0xFF])
    }

    /// A line chart of `series` (y values; the x of the k-th value is `x[k]`, or `k` when
    /// `x` is nil) with axes, tick marks, tick labels, grid lines and, when `labels` are
    /// given, a legend. With `logY` the y axis is logarithmic and values ≤ 0 are left out.
    /// NaN and infinite values break a line instead of spoiling the scale.
    public static func lines(series: [[Double]], labels: [String] = [], logY: Bool = false,
                             x: [Double]? = nil, title: String? = nil,
                             xLabel: String? = nil, yLabel: String? = nil,
                             width: Int = 640, height: Int = 400) -> Image {
        precondition(width >= 64 && height >= 64, "Plot.lines: \(width)x\(height) is too small")
        let s = height >= 600 ? 2 : 1  // text scale
        let glyphH = 7 * s
        let white = LinearRGB.white, black = LinearRGB.black
        let grid = srgbHex(0xDDDDDD), axisGrey = srgbHex(0x444444)
        var image = Image(width: width, height: height, fill: white)

        // Data ranges.
        func xOf(_ k: Int) -> Double { x.map { k < $0.count ? $0[k] : Double(k) } ?? Double(k) }
        func yOf(_ v: Double) -> Double? {
            guard v.isFinite else { return nil }
            if logY { return v > 0 ? log10(v) : nil }
            return v
        }
        var xlo = Double.infinity, xhi = -Double.infinity, ylo = Double.infinity, yhi = -Double.infinity
        for ys in series {
            for (k, v) in ys.enumerated() {
                guard let y = yOf(v) else { continue }
                let xv = xOf(k)
                guard xv.isFinite else { continue }
                xlo = min(xlo, xv); xhi = max(xhi, xv); ylo = min(ylo, y); yhi = max(yhi, y)
            }
        }
        if !(xlo <= xhi) { xlo = 0; xhi = 1 }
        if !(ylo <= yhi) { ylo = 0; yhi = 1 }
        if xhi == xlo { xlo -= 0.5; xhi += 0.5 }
        if yhi == ylo {
            let pad = logY ? 0.5 : max(abs(ylo) * 0.1, 0.5)
            ylo -= pad; yhi += pad
        } else {
            let pad = (yhi - ylo) * 0.05
            ylo -= pad; yhi += pad
        }

        // Ticks.
        let xTicks = linearTicks(xlo, xhi, target: max(2, width / 90))
        let yTicks: [(position: Double, label: String)]
        if logY {
            yTicks = logTicks(ylo, yhi, target: max(2, height / 60))
        } else {
            yTicks = linearTicks(ylo, yhi, target: max(2, height / 60))
        }

        // Layout.
        let yLabelWidth = yTicks.map { BitmapFont.width(of: $0.label, scale: s) }.max() ?? 0
        let left = yLabelWidth + 10 * s
        let right = 12 * s + BitmapFont.width(of: xTicks.last?.label ?? "", scale: s) / 2
        var top = 8 * s
        if title != nil { top += glyphH + 6 * s }
        if yLabel != nil { top += glyphH + 4 * s }
        var bottom = glyphH + 12 * s
        if xLabel != nil { bottom += glyphH + 6 * s }
        let px0 = left, px1 = width - 1 - right, py0 = top, py1 = height - 1 - bottom
        guard px1 - px0 >= 8, py1 - py0 >= 8 else { return image }
        func sx(_ v: Double) -> Int { px0 + Int(((v - xlo) / (xhi - xlo) * Double(px1 - px0)).rounded()) }
        func sy(_ v: Double) -> Int { py1 - Int(((v - ylo) / (yhi - ylo) * Double(py1 - py0)).rounded()) }

        // Text above the plot.
        var textY = 6 * s
        if let title {
            let w = BitmapFont.width(of: title, scale: s)
            image.drawText(title, x: max(0, (width - w) / 2), y: textY, scale: s, color: black)
            textY += glyphH + 6 * s
        }
        if let yLabel {
            image.drawText(yLabel, x: max(0, px0 - yLabelWidth / 2), y: textY, scale: s, color: axisGrey)
        }

        // Grid, ticks and their labels.
        for tick in yTicks {
            let y = sy(tick.position)
            guard y >= py0 && y <= py1 else { continue }
            image.drawLine(x0: px0, y0: y, x1: px1, y1: y, color: grid)
            image.drawLine(x0: px0 - 4 * s, y0: y, x1: px0, y1: y, color: black, thickness: s)
            let w = BitmapFont.width(of: tick.label, scale: s)
            image.drawText(tick.label, x: px0 - 6 * s - w, y: y - glyphH / 2, scale: s, color: black)
        }
        for tick in xTicks {
            let x = sx(tick.position)
            guard x >= px0 && x <= px1 else { continue }
            image.drawLine(x0: x, y0: py0, x1: x, y1: py1, color: grid)
            image.drawLine(x0: x, y0: py1, x1: x, y1: py1 + 4 * s, color: black, thickness: s)
            let w = BitmapFont.width(of: tick.label, scale: s)
            image.drawText(tick.label, x: x - w / 2, y: py1 + 7 * s, scale: s, color: black)
        }
        if let xLabel {
            let w = BitmapFont.width(of: xLabel, scale: s)
            image.drawText(xLabel, x: (px0 + px1 - w) / 2, y: py1 + 7 * s + glyphH + 6 * s, scale: s, color: axisGrey)
        }

        // The series, clipped to the plot area.
        for (index, ys) in series.enumerated() {
            let color = palette[index % palette.count]
            var previous: (Int, Int)?
            for (k, v) in ys.enumerated() {
                guard let y = yOf(v), xOf(k).isFinite else { previous = nil; continue }
                let point = (sx(xOf(k)), min(max(sy(y), py0), py1))
                if let p = previous {
                    image.drawLine(x0: p.0, y0: p.1, x1: point.0, y1: point.1, color: color, thickness: 2 * s)
                } else if ys.count == 1 || !(k + 1 < ys.count && yOf(ys[k + 1]) != nil) {
                    image.fillRect(x: point.0 - 2 * s, y: point.1 - 2 * s, width: 4 * s, height: 4 * s, color: color)
                }
                previous = point
            }
        }

        // Axes on top of everything else.
        image.drawLine(x0: px0, y0: py1, x1: px1, y1: py1, color: black, thickness: s)
        image.drawLine(x0: px0, y0: py0, x1: px0, y1: py1, color: black, thickness: s)

        // Legend in the top-right corner of the plot area.
        let named = Array(zip(labels, series.indices).prefix(series.count))
        if !named.isEmpty {
            let swatch = 14 * s, gap = 4 * s, line = glyphH + 4 * s
            let textW = named.map { BitmapFont.width(of: $0.0, scale: s) }.max() ?? 0
            let boxW = gap + swatch + gap + textW + gap, boxH = gap + named.count * line
            let bx = px1 - boxW - 4 * s, by = py0 + 4 * s
            image.fillRect(x: bx, y: by, width: boxW, height: boxH, color: white)
            image.drawLine(x0: bx, y0: by, x1: bx + boxW, y1: by, color: grid)
            image.drawLine(x0: bx, y0: by + boxH, x1: bx + boxW, y1: by + boxH, color: grid)
            image.drawLine(x0: bx, y0: by, x1: bx, y1: by + boxH, color: grid)
            image.drawLine(x0: bx + boxW, y0: by, x1: bx + boxW, y1: by + boxH, color: grid)
            for (row, (label, index)) in named.enumerated() {
                let y = by + gap + row * line
                image.fillRect(x: bx + gap, y: y + glyphH / 2 - s, width: swatch, height: 2 * s,
                               color: palette[index % palette.count])
                image.drawText(label, x: bx + gap + swatch + gap, y: y, scale: s, color: black)
            }
        }
        return image
    }

    // MARK: Ticks

    /// A step of 1, 2 or 5 times a power of ten giving about `target` intervals over `span`.
    public static func niceStep(_ span: Double, target: Int) -> Double {
        let raw = span / Double(max(target, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let f = raw / magnitude
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude
    }

    static func linearTicks(_ lo: Double, _ hi: Double, target: Int) -> [(position: Double, label: String)] {
        let step = niceStep(hi - lo, target: target)
        var out: [(Double, String)] = []
        var k = (lo / step).rounded(.up)
        while k * step <= hi + step * 1e-9 && out.count < 100 {
            let v = k * step
            out.append((v, tickLabel(abs(v) < step * 1e-9 ? 0 : v, step: step)))
            k += 1
        }
        return out
    }

    /// Ticks of a log10 axis over exponents `[lo, hi]`: powers of ten when the axis spans a
    /// decade or more, else linear ticks between `10^lo` and `10^hi`.
    static func logTicks(_ lo: Double, _ hi: Double, target: Int) -> [(position: Double, label: String)] {
        if hi - lo >= 1 {
            let step = max(1, niceStep(hi - lo, target: target).rounded())
            var out: [(Double, String)] = []
            var e = (lo / step).rounded(.up) * step
            while e <= hi && out.count < 100 {
                out.append((e, powerOfTenLabel(Int(e))))
                e += step
            }
            return out
        }
        return linearTicks(pow(10, lo), pow(10, hi), target: target).compactMap { tick in
            tick.position > 0 ? (log10(tick.position), tick.label) : nil
        }
    }

    public static func powerOfTenLabel(_ e: Int) -> String {
        if e >= 0 && e <= 4 { return String(Int(pow(10, Double(e)))) }
        if e < 0 && e >= -3 { return "0." + String(repeating: "0", count: -e - 1) + "1" }
        return "1E\(e)"
    }

    /// `v` with as many decimals as `step` needs; exponent form for very large or small values.
    public static func tickLabel(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 {
            let e = Int(floor(log10(a)))
            var m = v / pow(10, Double(e))
            m = (m * 100).rounded() / 100
            var ms = String(format: "%.2f", m)
            while ms.hasSuffix("0") { ms.removeLast() }
            if ms.hasSuffix(".") { ms.removeLast() }
            return "\(ms)E\(e)"
        }
        let decimals = max(0, min(6, Int(-floor(log10(step) + 1e-9))))
        return String(format: "%.\(decimals)f", v)
    }
}
