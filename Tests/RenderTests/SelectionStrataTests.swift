import Foundation
import Render
import Testing

/// The emitter choices of the camera's edge samples, stratified along the
/// silhouettes (`SelectionStrata`): each window of m^k consecutive samples
/// picks every combination of emitters once, each sample's numbers stay
/// uniform, and with one stratum nothing changes.
@Suite("Selection strata")
struct SelectionStrataTests {
    /// `scenes/sphere-sun.xml`: the sun and a sky, `max_depth` 3 (two vertices sample a light).
    static func sphereSun(maxDepth: Int = 3) throws -> Scene<Double> {
        try Scene.load(path: RenderFixtures.root + "/scenes/sphere-sun.xml", defines: ["res": "16", "max_depth": "\(maxDepth)"])
    }

    /// Number `dimension` (1-based) of `sampler`'s sequence.
    static func number(_ sampler: PathSampler, _ dimension: UInt64) -> Double {
        var s = sampler
        for _ in 1..<dimension { _ = s.next() }
        return s.next()
    }

    /// The emitter each stratified vertex of sample `i` picks.
    static func picks(_ strata: SelectionStrata, _ i: Int, seed: UInt64) -> [Int] {
        let s = strata.sampler(stratum: i, base: PathSampler(seed: seed, pixel: i, index: 0))
        return strata.dimensions.map { min(Int(number(s, $0) * Double(strata.emitters)), strata.emitters - 1) }
    }

    @Test func everyWindowPicksEveryCombinationOnce() throws {
        let scene = try Self.sphereSun()
        let strata = SelectionStrata(scene: scene, vertices: 2, seed: 11)
        #expect(strata.emitters == 2 && strata.vertices == 2 && strata.cells == 4)
        // The first vertex reads its choice first; the second after 6 numbers (light 3, BSDF 3).
        #expect(strata.dimensions == [1, 7])
        let picks = (0..<400).map { Self.picks(strata, $0, seed: 11) }
        for start in 0...(picks.count - 4) {
            let window = Set(picks[start..<start + 4].map { $0[0] + 2 * $0[1] })
            #expect(window.count == 4, "samples \(start) ..< \(start + 4)")
        }
        // Consecutive samples alternate the first vertex's choice.
        #expect(zip(picks, picks.dropFirst()).allSatisfy { $0[0] != $1[0] })
    }

    /// Over renders (seeds), sample 0's selection numbers are uniform on
    /// [0, 1) and an unstratified number (the light sample's) is uniform
    /// whatever cell the sample fell in: chi-square over 8 bins, 4,000 seeds.
    @Test func numbersStayUniform() throws {
        let scene = try Self.sphereSun()
        let n = 4000, bins = 8
        var first = [Int](repeating: 0, count: bins), second = first
        var light = [[Int]](repeating: [Int](repeating: 0, count: bins), count: 2)
        for seed in 0..<n {
            let strata = SelectionStrata(scene: scene, vertices: 2, seed: UInt64(seed) &* 0x9E37_79B9)
            let s = strata.sampler(stratum: 0, base: PathSampler(seed: UInt64(seed), pixel: 0, index: 0))
            let u1 = Self.number(s, 1)
            first[Int(u1 * Double(bins))] += 1
            second[Int(Self.number(s, 7) * Double(bins))] += 1
            light[u1 < 0.5 ? 0 : 1][Int(Self.number(s, 2) * Double(bins))] += 1
        }
        func chiSquare(_ counts: [Int]) -> Double {
            let e = Double(counts.reduce(0, +)) / Double(counts.count)
            return counts.reduce(0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        }
        // 7 degrees of freedom: P(χ² > 24.3) = 0.001.
        for counts in [first, second] + light { #expect(chiSquare(counts) < 24.3, "\(counts)") }
    }

    /// Nothing to stratify (no vertex asked for, or `max_depth` 1: no light
    /// sample): the sample's own sampler, unchanged.
    @Test func withoutStrataTheSamplerIsTheSamples() throws {
        for (scene, vertices) in [(try Self.sphereSun(), 0), (try Self.sphereSun(maxDepth: 1), 2)] {
            let strata = SelectionStrata(scene: scene, vertices: vertices, seed: 5)
            #expect(strata.vertices == 0 && strata.cells == 1)
            for i in 0..<16 {
                let base = PathSampler(seed: 5, pixel: i, index: 0)
                let s = strata.sampler(stratum: i, base: base)
                #expect((1...12).allSatisfy { Self.number(s, $0) == Self.number(base, $0) })
            }
        }
    }
}
