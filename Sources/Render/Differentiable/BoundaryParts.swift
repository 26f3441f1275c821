/// The kinds of boundary samples (`BoundaryOptions.parts`). The boundary term
/// is the sum of their estimates; every sample is numbered in one sequence
/// and draws its own random numbers, so leaving some kinds out leaves the
/// others' samples as they are in the whole term (`bench/gradient-components.sh`
/// measures each kind's share of a gradient's spread this way).
public struct BoundaryParts: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Silhouettes seen by the camera, and their images through specular faces.
    public static let camera = BoundaryParts(rawValue: 1 << 0)
    /// Secondary edges at the first surface, drawn from film points.
    public static let firstSurface = BoundaryParts(rawValue: 1 << 1)
    /// Secondary edges at the first surface, drawn from the area lights' side.
    public static let fromLights = BoundaryParts(rawValue: 1 << 2)
    /// Delta lights' shadows on the first surface.
    public static let deltaShadows = BoundaryParts(rawValue: 1 << 3)
    /// Secondary edges at path vertices beyond the first.
    public static let deeper = BoundaryParts(rawValue: 1 << 4)
    /// Delta lights' shadows seen after a bounce.
    public static let deltaShadowsBeyond = BoundaryParts(rawValue: 1 << 5)
    public static let all: BoundaryParts = [.camera, .firstSurface, .fromLights, .deltaShadows, .deeper, .deltaShadowsBeyond]

    /// The names `grad --edge-parts` takes, in sample order.
    public static let named: [(name: String, part: BoundaryParts)] = [
        ("camera", .camera), ("film", .firstSurface), ("delta", .deltaShadows), ("deeper", .deeper),
        ("delta-beyond", .deltaShadowsBeyond), ("lights", .fromLights),
    ]
}
