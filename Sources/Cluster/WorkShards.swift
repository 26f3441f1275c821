/// A fixed set of `count` independent pieces of work (the tiles of a film,
/// the frames of a sequence, the examples of a batch) shared over the
/// processes of a `Communicator`.
///
/// The shards do not depend on the number of processes, and every reduction
/// over them runs in shard order (a gather followed by a sum in shard order, or
/// a fold passed from rank to rank), so a result is bit for bit the same for
/// 1, 2 or N processes.
public struct WorkShards: Sendable {
    /// How shards are dealt to ranks.
    public enum Layout: Sendable {
        /// Shard i on rank i mod size: balances shards of uneven cost (tiles of a film).
        case roundRobin
        /// Rank r holds one contiguous run of shards (about count / size of them):
        /// a sum in shard order passes one running total from rank to rank
        /// (`sumInShardOrder`), so it sends one vector, not one per shard.
        case blocks
    }

    public let count: Int
    public let communicator: Communicator
    public let layout: Layout

    public init(count: Int, over communicator: Communicator, layout: Layout = .roundRobin) {
        precondition(count >= 0, "WorkShards: negative count \(count)")
        self.count = count; self.communicator = communicator; self.layout = layout
    }

    /// The shards rank `rank` works on, in increasing order.
    public func shards(of rank: Int) -> [Int] {
        let size = communicator.size
        switch layout {
        case .roundRobin: return Array(stride(from: rank, to: count, by: size))
        case .blocks: return Array(rank * count / size..<(rank + 1) * count / size)
        }
    }

    /// This process's shards, in increasing order.
    public var owned: [Int] { shards(of: communicator.rank) }

    /// Every shard's values on every process, indexed by shard: `mine[k]` is the
    /// buffer of `owned[k]`. Buffers may differ in length. Two collectives: the
    /// lengths, then the values.
    public func allGather(_ mine: [[Double]]) -> [[Double]] {
        precondition(mine.count == owned.count, "WorkShards.allGather: \(mine.count) buffers for \(owned.count) shards")
        let c = communicator
        guard c.isDistributed else { return mine }
        let ranks = (0..<c.size).map { shards(of: $0) }
        // The lengths arrive in rank order: rank 0's shards, then rank 1's, ...
        let lengths = c.allGather(mine.map { Double($0.count) }, counts: ranks.map(\.count)).map { Int($0) }
        var counts = [Int](repeating: 0, count: c.size), k = 0
        for r in 0..<c.size { for _ in ranks[r] { counts[r] += lengths[k]; k += 1 } }
        let values = c.allGather(Array(mine.joined()), counts: counts)
        var result = [[Double]](repeating: [], count: count)
        var offset = 0
        k = 0
        for r in 0..<c.size {
            for shard in ranks[r] {
                result[shard] = Array(values[offset..<offset + lengths[k]])
                offset += lengths[k]; k += 1
            }
        }
        return result
    }

    /// The sum, in shard order, of one vector per shard (`mine[k]` of `owned[k]`,
    /// each `length` long), on every process: the fixed-order reduction of
    /// gradients, ((0 + g₀) + g₁) + … whatever the number of processes.
    /// Round-robin shards are gathered (`length` values a shard); blocks pass
    /// the running total from rank 0 to the last rank, which broadcasts it
    /// (`length` values a rank).
    public func sumInShardOrder(_ mine: [[Double]], length: Int) -> [Double] {
        sumInShardOrder(mine.map { [$0] }, length: length)
    }

    /// What one loop over the shards in order makes by adding each shard's terms
    /// into a running total (`add(shard, &total)`, at most one term an element a
    /// shard, as a network's backward pass adds an example's gradient), on every
    /// process. One process adds in place; several add each shard into zeros and
    /// sum the results in shard order, which is the same (0 + t = t).
    public func accumulateInShardOrder(length: Int, _ add: (_ shard: Int, _ total: inout [Double]) -> Void) -> [Double] {
        guard communicator.isDistributed else {
            var total = [Double](repeating: 0, count: length)
            for shard in owned { add(shard, &total) }
            return total
        }
        let mine = owned.map { shard -> [Double] in
            var terms = [Double](repeating: 0, count: length)
            add(shard, &terms)
            return terms
        }
        return sumInShardOrder(mine, length: length)
    }

    /// The sum of several vectors a shard (`mine[k]` of `owned[k]`, each vector
    /// `length` long), added one at a time in shard order and, within a shard, in
    /// the order given: the total a loop adding every vector into one running sum
    /// would make, for any number of processes. (A shard's vectors are not summed
    /// first: floating-point addition is not associative.)
    public func sumInShardOrder(_ mine: [[[Double]]], length: Int) -> [Double] {
        precondition(mine.count == owned.count, "WorkShards.sumInShardOrder: \(mine.count) shards' vectors for \(owned.count) shards")
        precondition(mine.allSatisfy { $0.allSatisfy { $0.count == length } }, "WorkShards.sumInShardOrder: a vector is not \(length) long")
        let c = communicator
        var total = [Double](repeating: 0, count: length)
        func fold(_ flat: [Double]) {
            total.withUnsafeMutableBufferPointer { t in
                flat.withUnsafeBufferPointer { g in
                    for start in stride(from: 0, to: g.count, by: Swift.max(length, 1)) {
                        for i in 0..<length { t[i] += g[start + i] }
                    }
                }
            }
        }
        guard c.isDistributed else { for vectors in mine { for g in vectors { fold(g) } }; return total }
        switch layout {
        case .roundRobin:
            for flat in allGather(mine.map { Array($0.joined()) }) { fold(flat) }
        case .blocks:
            if c.rank > 0 { total = c.receive(length, from: c.rank - 1) }
            for vectors in mine { for g in vectors { fold(g) } }
            if c.rank < c.size - 1 { c.send(total, to: c.rank + 1) }
            total = c.broadcast(total, from: c.size - 1)
        }
        return total
    }
}
