/// A 5×7 pixel font for plot labels: digits, capital letters (lower case is drawn as
/// capitals) and a little punctuation. Each glyph is seven rows of five bits, top row first.
enum BitmapFont {
    static let glyphWidth = 5
    static let glyphHeight = 7
    /// Horizontal advance per character, in font pixels (one column of spacing).
    static let advance = 6

    static let glyphs: [Character: [UInt8]] = {
        let table: [(Character, String)] = [
            ("0", "01110 10001 10011 10101 11001 10001 01110"),
            ("1", "00100 01100 00100 00100 00100 00100 01110"),
            ("2", "01110 10001 00001 00010 00100 01000 11111"),
            ("3", "11111 00010 00100 00010 00001 10001 01110"),
            ("4", "00010 00110 01010 10010 11111 00010 00010"),
            ("5", "11111 10000 11110 00001 00001 10001 01110"),
            ("6", "00110 01000 10000 11110 10001 10001 01110"),
            ("7", "11111 00001 00010 00100 01000 01000 01000"),
            ("8", "01110 10001 10001 01110 10001 10001 01110"),
            ("9", "01110 10001 10001 01111 00001 00010 01100"),
            ("A", "01110 10001 10001 11111 10001 10001 10001"),
            ("B", "11110 10001 10001 11110 10001 10001 11110"),
            ("C", "01110 10001 10000 10000 10000 10001 01110"),
            ("D", "11100 10010 10001 10001 10001 10010 11100"),
            ("E", "11111 10000 10000 11110 10000 10000 11111"),
            ("F", "11111 10000 10000 11110 10000 10000 10000"),
            ("G", "01110 10001 10000 10111 10001 10001 01111"),
            ("H", "10001 10001 10001 11111 10001 10001 10001"),
            ("I", "01110 00100 00100 00100 00100 00100 01110"),
            ("J", "00111 00010 00010 00010 00010 10010 01100"),
            ("K", "10001 10010 10100 11000 10100 10010 10001"),
            ("L", "10000 10000 10000 10000 10000 10000 11111"),
            ("M", "10001 11011 10101 10101 10001 10001 10001"),
            ("N", "10001 10001 11001 10101 10011 10001 10001"),
            ("O", "01110 10001 10001 10001 10001 10001 01110"),
            ("P", "11110 10001 10001 11110 10000 10000 10000"),
            ("Q", "01110 10001 10001 10001 10101 10010 01101"),
            ("R", "11110 10001 10001 11110 10100 10010 10001"),
            ("S", "01111 10000 10000 01110 00001 00001 11110"),
            ("T", "11111 00100 00100 00100 00100 00100 00100"),
            ("U", "10001 10001 10001 10001 10001 10001 01110"),
            ("V", "10001 10001 10001 10001 10001 01010 00100"),
            ("W", "10001 10001 10001 10101 10101 10101 01010"),
            ("X", "10001 10001 01010 00100 01010 10001 10001"),
            ("Y", "10001 10001 10001 01010 00100 00100 00100"),
            ("Z", "11111 00001 00010 00100 01000 10000 11111"),
            (".", "00000 00000 00000 00000 00000 01100 01100"),
            (",", "00000 00000 00000 00000 01100 00100 01000"),
            ("-", "00000 00000 00000 11111 00000 00000 00000"),
            ("+", "00000 00100 00100 11111 00100 00100 00000"),
            (":", "00000 01100 01100 00000 01100 01100 00000"),
            ("/", "00000 00001 00010 00100 01000 10000 00000"),
            ("(", "00010 00100 01000 01000 01000 00100 00010"),
            (")", "01000 00100 00010 00010 00010 00100 01000"),
            ("_", "00000 00000 00000 00000 00000 00000 11111"),
            ("=", "00000 00000 11111 00000 11111 00000 00000"),
            ("%", "11000 11001 00010 00100 01000 10011 00011"),
            ("?", "01110 10001 00001 00010 00100 00000 00100"),
            (" ", "00000 00000 00000 00000 00000 00000 00000"),
        ]
        var out: [Character: [UInt8]] = [:]
        for (c, rows) in table {
            out[c] = rows.split(separator: " ").map { UInt8($0, radix: 2)! }
        }
        return out
    }()

    /// The glyph of `c`: lower case as upper case, anything unknown as `?`.
    static func glyph(_ c: Character) -> [UInt8] {
        glyphs[c] ?? glyphs[Character(c.uppercased())] ?? glyphs["?"]!
    }

    /// Width in image pixels of `text` drawn at `scale`.
    static func width(of text: String, scale: Int) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }
}

extension Image {
    /// Draws `text` with its top-left corner at `(x, y)`, each font pixel a `scale`×`scale`
    /// square of `color`; parts outside the image are dropped.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: LinearRGB = .black) {
        var penX = x
        for c in text {
            let rows = BitmapFont.glyph(c)
            for (row, bits) in rows.enumerated() {
                for col in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - col)) != 0 {
                    fillRect(x: penX + col * scale, y: y + row * scale, width: scale, height: scale, color: color)
                }
            }
            penX += BitmapFont.advance * scale
        }
    }

    /// The size in pixels of `text` drawn by `drawText` at `scale`.
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        (BitmapFont.width(of: text, scale: scale), BitmapFont.glyphHeight * scale)
    }

    /// Fills the rectangle `[x, x + width) × [y, y + height)` (clipped) with `color`.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: LinearRGB) {
        let x0 = Swift.max(x, 0), x1 = Swift.min(x + w, width)
        let y0 = Swift.max(y, 0), y1 = Swift.min(y + h, height)
        if x1 <= x0 || y1 <= y0 { return }
        for py in y0..<y1 {
            for px in x0..<x1 { self[px, py] = color }
        }
    }

    /// Draws a straight line from `(x0, y0)` to `(x1, y1)` (Bresenham), `thickness` pixels wide.
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, color: LinearRGB, thickness: Int = 1) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        let lo = -(thickness - 1) / 2
        while true {
            fillRect(x: x + lo, y: y + lo, width: thickness, height: thickness, color: color)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }
}
