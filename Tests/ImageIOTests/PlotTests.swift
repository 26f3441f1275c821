import Foundation
import TestSupport
import Testing
import ImageIO

@Suite struct PlotTests {
    /// The number of pixels of exactly `color`.
    func count(_ image: Image, _ color: LinearRGB) -> Int {
        (0..<image.height).reduce(0) { n, y in n + (0..<image.width).filter { image[$0, y] == color }.count }
    }

    @Test func lossCurveHasAxesSeriesAndLegend() throws {
        let loss = (0..<100).map { 3 * exp(-Double($0) / 20) + 0.01 }
        let eval = (0..<100).map { 2 * exp(-Double($0) / 40) + 0.05 }
        let plot = Plot.lines(series: [loss, eval], labels: ["train", "eval"], logY: true,
                              title: "loss", xLabel: "iteration", width: 320, height: 200)
        #expect(plot.width == 320 && plot.height == 200)
        #expect(plot.isFinite)
        #expect(count(plot, Plot.palette[0]) > 150)
        #expect(count(plot, Plot.palette[1]) > 150)
        #expect(count(plot, .black) > 300)  // axes, ticks and text
        // A white plot background remains.
        #expect(count(plot, .white) > 320 * 200 / 2)
        // Saved as PNG and read back, the series colour survives 8-bit sRGB exactly.
        let folder = ScratchFolder(); defer { folder.remove() }
        try plot.writePNG(to: folder.file("loss.png"))
        let back = try PNGImage.read(from: folder.file("loss.png"))
        #expect(back.width == 320 && back.channels == 3)
        #expect(folder.contents == ["loss.png"])
    }

    @Test func logAxisLeavesOutNonPositiveValuesAndNaNBreaksALine() {
        let plot = Plot.lines(series: [[1, 0, -1, .nan, 10, 100]], logY: true, width: 200, height: 120)
        #expect(count(plot, Plot.palette[0]) > 10)
        let empty = Plot.lines(series: [], width: 100, height: 80)
        #expect(count(empty, .black) > 100)  // axes and ticks still drawn
        let flat = Plot.lines(series: [[2, 2, 2]], width: 100, height: 80)
        #expect(count(flat, Plot.palette[0]) > 20)
    }

    @Test func ticksAreRoundNumbers() {
        #expect(Plot.niceStep(10, target: 5) == 2)
        #expect(Plot.niceStep(0.37, target: 4) == 0.1)
        #expect(Plot.tickLabel(0.25, step: 0.05) == "0.25")
        #expect(Plot.tickLabel(1500, step: 500) == "1500")
        #expect(Plot.tickLabel(2e-5, step: 1e-5) == "2E-5")
        #expect(Plot.powerOfTenLabel(-2) == "0.01" && Plot.powerOfTenLabel(3) == "1000" && Plot.powerOfTenLabel(-6) == "1E-6")
    }

    @Test func textIsDrawnInsideTheImage() {
        var image = Image(width: 40, height: 10, fill: .white)
        image.drawText("Ab1.", x: 1, y: 1)
        #expect(count(image, .black) > 20)
        #expect(Image.textSize("Ab1.", scale: 2) == (46, 14))
        image.drawText("clipped", x: 35, y: 5, scale: 3)  // no crash at the border
    }
}
