import Learning

/// The positions of one generator's stream: `generator(at: k)` is the generator
/// after k draws (`next()` calls) from the first. Work that draws from a shared
/// stream one piece after another (each parallel environment's noise and
/// restarts, in environment order) can run out of order on several processes:
/// a piece started from the position the pieces before it end at draws exactly
/// what the sequential loop would, and `position(of:from:)` says where it ended.
struct GeneratorTimeline {
    private var snapshots: [SeededGenerator]

    init(_ start: SeededGenerator) { snapshots = [start] }

    /// The generator after `k` draws.
    mutating func generator(at k: Int) -> SeededGenerator {
        precondition(k >= 0, "GeneratorTimeline: negative position \(k)")
        while snapshots.count <= k {
            var g = snapshots[snapshots.count - 1]
            _ = g.next()
            snapshots.append(g)
        }
        return snapshots[k]
    }

    /// The position of `g`, a generator advanced from `generator(at: start)`.
    mutating func position(of g: SeededGenerator, from start: Int) -> Int {
        var k = start
        while generator(at: k) != g {
            k += 1
            precondition(k - start < 1 << 24, "GeneratorTimeline: the generator is not on this stream")
        }
        return k
    }
}
