import Autodiff

/// The primitives an `Accelerator`'s hits name (`Hit.primitive` indexes
/// this collection): either stored one by one (the BVH's leaf order, 12 bytes
/// a primitive), or as runs of consecutive primitives of one shape whose
/// indices count up (Embree keeps the input order, in which a mesh's
/// triangles and a grid's voxels follow each other: 20 bytes a run). Reading
/// a run's primitive is a binary search over the runs.
public struct PrimitiveTable: RandomAccessCollection, Sendable {
    /// The primitives one by one (empty when the table holds runs).
    @usableFromInline let stored: ContiguousArray<Primitive>
    /// Each run's first position in the table and its first primitive; the
    /// run's k-th primitive is the first with `index` + k.
    @usableFromInline let runStarts: ContiguousArray<Int>
    @usableFromInline let runFirsts: ContiguousArray<Primitive>
    public let count: Int

    /// The primitives as given, stored one by one.
    public init(_ primitives: ContiguousArray<Primitive>) {
        stored = primitives; runStarts = []; runFirsts = []; count = primitives.count
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
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> Primitive { primitive(position) }

    /// `self[position]`: a stored table read in line, a search of the runs out of line
    /// (the per-hit lookup of the BVH's table was a call of its own).
    @inlinable @inline(__always)
    public func primitive(_ position: Int) -> Primitive {
        if runStarts.isEmpty { return stored[position] }
        return searchRuns(position)
    }

    /// The primitive at `position` of a table kept as runs.
    @inlinable @inline(never)
    func searchRuns(_ position: Int) -> Primitive {
        precondition(position >= 0 && position < count, "primitive index out of range")
        // The last run that starts at or before `position`.
        var lo = 0, hi = runStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if runStarts[mid] <= position { lo = mid } else { hi = mid - 1 }
        }
        var p = runFirsts[lo]
        p.index += Int32(position - runStarts[lo])
        return p
    }
}
