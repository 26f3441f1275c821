/// A fixed set of `count` independent pieces of work (the tiles of a film,
/// the frames of a sequence, the examples of a batch) dealt round-robin over
/// the processes of a `Communicator`: shard i belongs to rank i mod size.
///
/// The shards do not depend on the number of processes, and every reduction
/// over them runs in shard order on each process (`allGather`, then a sum in
/// shard order), so a result is bit for bit the same for 1, 2 or N processes.
public struct WorkShards: Sendable {
    public let count: Int
    public let communicator: Communicator

    public init(count: Int, over communicator: Communicator) {
        precondition(count >= 0, "WorkShards: negative count \(count)")
        self.count = count; self.communicator = communicator
    }

    /// The shards rank `rank` works on, in increasing order.
    public func shards(of rank: Int) -> StrideTo<Int> { stride(from: rank, to: count, by: communicator.size) }
    /// How many shards rank `rank` works on.
    public func shardCount(of rank: Int) -> Int { max(0, (count - rank + communicator.size - 1) / communicator.size) }
    /// This process's shards, in increasing order.
    public var owned: [Int] { Array(shards(of: communicator.rank)) }
    public func owns(_ shard: Int) -> Bool { shard % communicator.size == communicator.rank }

    /// Every shard's values on every process, indexed by shard: `mine[k]` is the
    /// buffer of `owned[k]`. Buffers may differ in length. Two collectives: the
    /// lengths, then the values.
    public func allGather(_ mine: [[Double]]) -> [[Double]] {
        precondition(mine.count == owned.count, "WorkShards.allGather: \(mine.count) buffers for \(owned.count) shards")
        let c = communicator
        guard c.isDistributed else { return mine }
        let perRank = (0..<c.size).map { shardCount(of: $0) }
        // The lengths arrive in rank order: rank 0's shards, then rank 1's, ...
        let lengths = c.allGather(mine.map { Double($0.count) }, counts: perRank).map { Int($0) }
        var counts = [Int](repeating: 0, count: c.size), k = 0
        for r in 0..<c.size { for _ in shards(of: r) { counts[r] += lengths[k]; k += 1 } }
        let values = c.allGather(Array(mine.joined()), counts: counts)
        var result = [[Double]](repeating: [], count: count)
        var offset = 0
        k = 0
        for r in 0..<c.size {
            for shard in shards(of: r) {
                result[shard] = Array(values[offset..<offset + lengths[k]])
                offset += lengths[k]; k += 1
            }
        }
        return result
    }

    /// The sum, in shard order, of one vector per shard (`mine[k]` of `owned[k]`,
    /// each `length` long), on every process: the fixed-order reduction of
    /// gradients. Sends `length` values per shard.
    public func sumInShardOrder(_ mine: [[Double]], length: Int) -> [Double] {
        var total = [Double](repeating: 0, count: length)
        for g in allGather(mine) {
            precondition(g.count == length, "WorkShards.sumInShardOrder: a shard has \(g.count) values, expected \(length)")
            for i in 0..<length { total[i] += g[i] }
        }
        return total
    }
}
