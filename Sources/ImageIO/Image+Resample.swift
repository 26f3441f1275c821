/// How `Image.resized(width:height:filter:)` interpolates.
public enum ResampleFilter: Sendable {
    /// The pixel whose centre is nearest (blocky enlargements of small renders).
    case nearest
    /// Bilinear interpolation between the four nearest pixel centres, clamped at the borders.
    case bilinear
}

extension Image {
    /// The image shrunk by an integer `factor` with a box filter: output pixel `(x, y)` is the
    /// mean of the input pixels `[x·f, x·f + f) × [y·f, y·f + f)` that exist. The output is
    /// `ceil(width / f) × ceil(height / f)`, so a border box of an odd-sized image averages
    /// fewer pixels. A linear operator, suitable for multi-scale (pyramid) losses.
    @inlinable
    public func downsampled(by factor: Int = 2) -> Image {
        precondition(factor >= 1, "Image.downsampled: factor \(factor) < 1")
        if factor == 1 { return self }
        let w = (width + factor - 1) / factor, h = (height + factor - 1) / factor
        var out = Image(width: w, height: h)
        for oy in 0..<h {
            let y0 = oy * factor, y1 = Swift.min(y0 + factor, height)
            for ox in 0..<w {
                let x0 = ox * factor, x1 = Swift.min(x0 + factor, width)
                var r: Float = 0, g: Float = 0, b: Float = 0
                for y in y0..<y1 {
                    for x in x0..<x1 {
                        let i = (y * width + x) * 3
                        r += pixels[i]; g += pixels[i + 1]; b += pixels[i + 2]
                    }
                }
                let n = Float((y1 - y0) * (x1 - x0))
                let o = (oy * w + ox) * 3
                out.pixels[o] = r / n; out.pixels[o + 1] = g / n; out.pixels[o + 2] = b / n
            }
        }
        return out
    }

    /// A pyramid of `levels` images: `self`, then each halved by `downsampled(by: 2)`,
    /// stopping early once an image is 1×1.
    public func pyramid(levels: Int) -> [Image] {
        var out = [self]
        while out.count < levels, let last = out.last, last.width > 1 || last.height > 1 {
            out.append(last.downsampled(by: 2))
        }
        return out
    }

    /// The image resampled to `width × height`, pixel centres aligned
    /// (source coordinate `(x + 0.5) · sourceWidth / width − 0.5`).
    public func resized(width newWidth: Int, height newHeight: Int,
                        filter: ResampleFilter = .bilinear) -> Image {
        precondition(newWidth >= 0 && newHeight >= 0, "Image.resized: negative size")
        if newWidth == width && newHeight == height { return self }
        var out = Image(width: newWidth, height: newHeight)
        if width == 0 || height == 0 { return out }
        let sx = Double(width) / Double(newWidth), sy = Double(height) / Double(newHeight)
        for y in 0..<newHeight {
            let fy = (Double(y) + 0.5) * sy - 0.5
            for x in 0..<newWidth {
                let fx = (Double(x) + 0.5) * sx - 0.5
                switch filter {
                case .nearest:
                    let ix = Swift.min(Swift.max(Int((fx + 0.5).rounded(.down)), 0), width - 1)
                    let iy = Swift.min(Swift.max(Int((fy + 0.5).rounded(.down)), 0), height - 1)
                    out[x, y] = self[ix, iy]
                case .bilinear:
                    let cx = Swift.min(Swift.max(fx, 0), Double(width - 1))
                    let cy = Swift.min(Swift.max(fy, 0), Double(height - 1))
                    let x0 = Int(cx), y0 = Int(cy)
                    let x1 = Swift.min(x0 + 1, width - 1), y1 = Swift.min(y0 + 1, height - 1)
                    let tx = Float(cx - Double(x0)), ty = Float(cy - Double(y0))
                    let top = self[x0, y0] * (1 - tx) + self[x1, y0] * tx
                    let bottom = self[x0, y1] * (1 - tx) + self[x1, y1] * tx
                    out[x, y] = top * (1 - ty) + bottom * ty
                }
            }
        }
        return out
    }

    /// The rectangle `[x, x + width) × [y, y + height)` (clipped to the image).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
        let x0 = Swift.max(x, 0), y0 = Swift.max(y, 0)
        let x1 = Swift.min(x + w, width), y1 = Swift.min(y + h, height)
        if x1 <= x0 || y1 <= y0 { return Image(width: 0, height: 0) }
        return Image(width: x1 - x0, height: y1 - y0) { px, py in self[x0 + px, y0 + py] }
    }

    /// Copies `image` into this one with its top-left corner at `(x, y)`; parts outside are dropped.
    public mutating func paste(_ image: Image, x: Int, y: Int) {
        for sy in 0..<image.height {
            let ty = y + sy
            if ty < 0 || ty >= height { continue }
            for sx in 0..<image.width {
                let tx = x + sx
                if tx < 0 || tx >= width { continue }
                self[tx, ty] = image[sx, sy]
            }
        }
    }

    /// The image flipped top to bottom.
    public func flippedVertically() -> Image {
        Image(width: width, height: height) { x, y in self[x, height - 1 - y] }
    }

    /// A grid of `images`, `columns` per row, left to right then top to bottom. Every cell is
    /// as large as the largest image; each image is centred in its cell; cells are separated
    /// (and framed) by `gap` pixels of `background`.
    public static func contactSheet(_ images: [Image], columns: Int, gap: Int = 2,
                                    background: LinearRGB = LinearRGB(gray: 0.05)) -> Image {
        precondition(columns >= 1, "Image.contactSheet: columns \(columns) < 1")
        precondition(gap >= 0, "Image.contactSheet: negative gap")
        if images.isEmpty { return Image(width: 0, height: 0) }
        let cellW = images.map(\.width).max()!, cellH = images.map(\.height).max()!
        let cols = Swift.min(columns, images.count)
        let rows = (images.count + cols - 1) / cols
        var sheet = Image(width: cols * cellW + (cols + 1) * gap,
                          height: rows * cellH + (rows + 1) * gap, fill: background)
        for (k, image) in images.enumerated() {
            let col = k % cols, row = k / cols
            let x = gap + col * (cellW + gap) + (cellW - image.width) / 2
            let y = gap + row * (cellH + gap) + (cellH - image.height) / 2
            sheet.paste(image, x: x, y: y)
        }
        return sheet
    }
}
