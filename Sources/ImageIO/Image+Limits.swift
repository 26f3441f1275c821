extension Image {
    /// The most pixels an image read from a file may have (2^28, 16384²): checked against
    /// the header before any pixel memory is allocated.
    public static let maximumPixelCount = 1 << 28
}
