#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, deterministic pseudo-random generator: xoshiro256** (Blackman &
/// Vigna 2018) seeded through SplitMix64, so any 64-bit seed gives a good state.
///
/// Used for weight initialisation, environment start states, training targets
/// and evaluation episodes. Its state is public and `Codable` so a training run
/// can be checkpointed and resumed bit for bit.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    public var state: [UInt64]

    /// A generator whose state is expanded from `seed` by SplitMix64.
    public init(seed: UInt64) {
        var s = seed
        var words = [UInt64]()
        for _ in 0..<4 { words.append(SeededGenerator.splitMix64(&s)) }
        if words.allSatisfy({ $0 == 0 }) { words[0] = 1 }
        state = words
    }

    enum CodingKeys: String, CodingKey { case state }

    /// Reads a saved state, refusing one that is not four words or is all zero (the
    /// one state xoshiro256** never leaves), so a damaged checkpoint is an error
    /// naming the key rather than a trap in `next()`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let words = try container.decode([UInt64].self, forKey: .state)
        guard words.count == 4 else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: container,
                debugDescription: "the generator state has \(words.count) words, expected 4")
        }
        guard words.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: container,
                debugDescription: "the generator state is all zero")
        }
        state = words
    }

    /// One SplitMix64 step (Steele, Lea & Flood 2014).
    @inlinable
    public static func splitMix64(_ s: inout UInt64) -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    @inlinable
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [`lo`, `hi`).
    @inlinable
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// Standard normal by Box–Muller (one value a call; deterministic).
    @inlinable
    public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        var u = uniform()
        if u < 1e-300 { u = 1e-300 }
        let v = uniform()
        return mean + standardDeviation * (-2 * Glibc.log(u)).squareRoot() * Glibc.cos(2 * Double.pi * v)
    }

    /// A new independent generator derived from this one's next output and `stream`.
    public mutating func split(stream: UInt64 = 0) -> SeededGenerator {
        SeededGenerator(seed: next() ^ (stream &* 0xD1B5_4A32_D192_ED03))
    }
}
