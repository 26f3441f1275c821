import Autodiff

/// The primitives an `Accelerator`'s hits name (`Hit.primitive` indexes
/// this collection): either stored one by one (the BVH's leaf order, 12 bytes
/// a primitive), or as runs of consecutive primitives of one shape whose
/// indices count up (Embree keeps the input order, in which a mesh's
/// triangles and a grid's voxels follow each other: 20 bytes a run, and a
/// block table of at most 16 bytes a run or 16 KB). Reading a run's
/// primitive looks its block up in that table, then searches the runs that
/// meet the block (nearly always one).
public struct PrimitiveTable: RandomAccessCollection, Sendable {
    /// The primitives one by one (empty when the table holds runs).
    @usableFromInline let stored: ContiguousArray<Primitive>
    /// Each run's first position in the table and its first primitive; the
    /// run's k-th primitive is the first with `index` + k.
    @usableFromInline let runStarts: ContiguousArray<Int>
    @usableFromInline let runFirsts: ContiguousArray<Primitive>
    /// The positions cut into blocks of 2^`blockShift`, at most
    /// max(4 × runs, `blockCount`) of them: entry b is the run that holds block
    /// b's first position, and a last entry is the last run. A position of
    /// block b lies in one of the runs `blockRuns[b]...blockRuns[b + 1]`,
    /// nearly always the only one (a block seldom meets a run's start).
    @usableFromInline let blockRuns: ContiguousArray<Int32>
    @usableFromInline let blockShift: Int
    public let count: Int

    /// The primitives as given, stored one by one.
    public init(_ primitives: ContiguousArray<Primitive>) {
        stored = primitives; runStarts = []; runFirsts = []; blockRuns = []; blockShift = 0; count = primitives.count
    }

    /// `count` primitives, `primitive(k)` the k-th, kept as runs.
    public init(runsOf count: Int, _ primitive: (Int) -> Primitive) {
        var starts = ContiguousArray<Int>(), firsts = ContiguousArray<Primitive>()
        var previous: Primitive? = nil
        for k in 0..<count {
            let p = primitive(k)
            if let q = previous, q.kind == p.kind, q.shape == p.shape, q.index != Int32.max, p.index == q.index + 1 {
                previous = p
                continue
            }
            starts.append(k); firsts.append(p)
            previous = p
        }
        stored = []; runStarts = starts; runFirsts = firsts; self.count = count
        (blockRuns, blockShift) = PrimitiveTable.blocks(runStarts: starts, count: count)
    }

    /// Blocks a table may have whatever its number of runs (16 KB of `Int32`).
    static let blockCount = 4096

    /// `blockRuns` and `blockShift` for runs starting at `runStarts` over `count` positions.
    static func blocks(runStarts: ContiguousArray<Int>, count: Int) -> (ContiguousArray<Int32>, Int) {
        guard count > 0 else { return ([], 0) }
        var shift = 0
        while (count - 1) >> shift >= Swift.max(4 * runStarts.count, blockCount) { shift += 1 }
        var table = ContiguousArray<Int32>()
        table.reserveCapacity(((count - 1) >> shift) + 2)
        var run = 0
        for block in 0...((count - 1) >> shift) {
            let first = block << shift
            while run + 1 < runStarts.count && runStarts[run + 1] <= first { run += 1 }
            table.append(Int32(run))
        }
        table.append(Int32(runStarts.count - 1))
        return (table, shift)
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> Primitive { primitive(position) }

    /// `self[position]`: a stored table read in line, or the run found
    /// through the block table (the per-hit lookup of the BVH's table was a
    /// call of its own).
    @inlinable @inline(__always)
    public func primitive(_ position: Int) -> Primitive {
        if runStarts.isEmpty { return stored[position] }
        return searchRuns(position)
    }

    /// The primitive at `position` of a table kept as runs: the last run that
    /// starts at or before `position`, searched among the runs of its block.
    /// Out of line, so that the BVH's stored table, read in line, keeps its
    /// callers' code as it was; the arrays are read unchecked once `position`
    /// is (the block table indexes `runStarts` by construction).
    @inlinable @inline(never)
    func searchRuns(_ position: Int) -> Primitive {
        precondition(position >= 0 && position < count, "primitive index out of range")
        return blockRuns.withUnsafeBufferPointer { blocks in
            runStarts.withUnsafeBufferPointer { starts in
                let block = position &>> blockShift
                var lo = Int(blocks[block]), hi = Int(blocks[block &+ 1])
                while lo < hi {
                    let mid = (lo &+ hi &+ 1) &>> 1
                    if starts[mid] <= position { lo = mid } else { hi = mid &- 1 }
                }
                var p = runFirsts.withUnsafeBufferPointer { $0[lo] }
                p.index &+= Int32(truncatingIfNeeded: position &- starts[lo])
                return p
            }
        }
    }
}
