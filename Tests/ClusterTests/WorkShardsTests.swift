import Cluster
import Testing

/// The shards of one process, without MPI.
@Suite("work shards")
struct WorkShardsTests {
    @Test("one process owns every shard, in order, and its reduction is a sum in shard order")
    func localShards() {
        let shards = WorkShards(count: 5, over: .local)
        #expect(shards.owned == [0, 1, 2, 3, 4])
        let values: [[Double]] = [[1e16, 1], [1, 0], [-1e16, 2], [1, 3], [0.5, 4]]
        // (((1e16 + 1) + 1) - 1e16) + 1 + 0.5: the order shows in the first component.
        var expected = [Double](repeating: 0, count: 2)
        for v in values { for i in 0..<2 { expected[i] += v[i] } }
        #expect(shards.sumInShardOrder(values, length: 2) == expected)
    }

    @Test("several vectors a shard are added one at a time, as one loop adds them; accumulating in place gives the same total")
    func sequenceSums() {
        let shards = WorkShards(count: 3, over: .local, layout: .blocks)
        let vectors: [[[Double]]] = [[[1e16, 1], [1, 2]], [], [[-1e16, 3], [1, 4], [0.25, 5]]]
        var expected = [Double](repeating: 0, count: 2)
        for shard in vectors { for v in shard { for i in 0..<2 { expected[i] += v[i] } } }
        #expect(shards.sumInShardOrder(vectors, length: 2) == expected)
        // summing each shard first would lose the 1 added to 1e16
        #expect(expected[0] != vectors.map { $0.reduce(0) { $0 + $1[0] } }.reduce(0, +))
        let accumulated = shards.accumulateInShardOrder(length: 2) { shard, total in
            for v in vectors[shard] { for i in 0..<2 { total[i] += v[i] } }
        }
        #expect(accumulated == expected)
    }

    @Test("shard counts per rank add up for uneven splits")
    func unevenCounts() throws {
        for count in [0, 1, 7, 16, 17] {
            for size in 1...5 {
                let ranks = (0..<size).map { r in Array(stride(from: r, to: count, by: size)) }
                #expect(ranks.map(\.count).reduce(0, +) == count)
                #expect(Set(ranks.joined()).count == count)
            }
        }
    }
}
