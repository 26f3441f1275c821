import CSupport

/// One recorded operation: up to two parents and the local partial
/// derivative of the result with respect to each, followed by the
/// operation's adjoint, 32 bytes in all. A missing parent is the entry
/// itself with partial 0 (see `TapeStorage.push`). Keeping the adjoint beside
/// the partials makes one stream to write when recording and one to read
/// when sweeping.
@frozen @usableFromInline
struct TapeEntry {
    @usableFromInline var a: Int32
    @usableFromInline var b: Int32
    @usableFromInline var da: Double
    @usableFromInline var db: Double
    @usableFromInline var adjoint: Double

    @inlinable @inline(__always)
    init(a: Int32, da: Double, b: Int32, db: Double) {
        self.a = a
        self.b = b
        self.da = da
        self.db = db
        self.adjoint = 0
    }
}

/// The tape's flat array, kept behind a raw pointer so that recording an
/// operation costs no reference counting and no exclusivity check: the
/// thread-local pointer in CSupport points at one of these (before the
/// thread's first operation, at CSupport's all-zero `diffray_tape_none()`,
/// which has no room, so the first `Tape.record` takes the slow path that
/// makes the thread's tape).
@frozen @usableFromInline
struct TapeStorage {
    @usableFromInline var entries: UnsafeMutablePointer<TapeEntry>
    @usableFromInline var count: Int
    @usableFromInline var capacity: Int
    /// Adjoints at indices ≥ `dirtyEnd` are 0: `push` zeroes each new entry's,
    /// only a backward sweep dirties them (and `truncate` lowers this).
    @usableFromInline var dirtyEnd: Int
    @usableFromInline var owner: Unmanaged<Tape>

    /// Appends an entry whose parents are both recorded operations (indices
    /// ≥ 0) and returns its index. Needs room (`count < capacity`).
    @inlinable @inline(__always)
    mutating func push(_ a: Int32, _ da: Double, _ b: Int32, _ db: Double) -> Int32 {
        let i = count
        entries[i] = TapeEntry(a: a, da: da, b: b, db: db)
        count = i &+ 1
        return Int32(truncatingIfNeeded: i)
    }

    /// Appends an entry with one parent (`a` ≥ 0) and returns its index. The
    /// missing parent is the entry itself with partial 0, so the backward
    /// sweep needs no branch and no shared dummy slot (which would chain
    /// every step through one memory location). Needs room.
    @inlinable @inline(__always)
    mutating func push(_ a: Int32, _ da: Double) -> Int32 {
        let i = count
        let me = Int32(truncatingIfNeeded: i)
        entries[i] = TapeEntry(a: a, da: da, b: me, db: 0)
        count = i &+ 1
        return me
    }

    /// Appends a leaf (no parents: both are the entry itself, partial 0). Needs room.
    @inlinable @inline(__always)
    mutating func pushLeaf() -> Int32 {
        let i = count
        let me = Int32(truncatingIfNeeded: i)
        entries[i] = TapeEntry(a: me, da: 0, b: me, db: 0)
        count = i &+ 1
        return me
    }

    @usableFromInline @inline(never)
    mutating func grow(minimum: Int) {
        precondition(minimum <= Int(Int32.max), "Tape: more than \(Int32.max) operations recorded on one thread")
        let newCapacity = Swift.min(Swift.max(minimum, capacity * 2, 1024), Int(Int32.max))
        let newEntries = UnsafeMutablePointer<TapeEntry>.allocate(capacity: newCapacity)
        newEntries.moveInitialize(from: entries, count: count)
        entries.deallocate()
        entries = newEntries
        capacity = newCapacity
    }
}

/// A reverse-mode tape: the operations performed on `Adjoint` numbers by one
/// thread, each as (parent indices, local partials) in flat arrays.
///
/// Every thread has its own tape (`Tape.current`), found through a C
/// thread-local pointer, so several threads can differentiate at once.
/// `reset()` and `truncate(to:)` forget operations but keep the memory, so a
/// loop that records, propagates and resets allocates nothing after its
/// first iteration.
///
/// Typical use (one path of a path-replay pass):
/// ```swift
/// let tape = Tape.current
/// tape.reset()
/// let albedo = tape.variable(0.5)
/// let (r, g, b) = shade(albedo)                  // generic code on Adjoint
/// tape.backward(seeds: [(r, dR), (g, dG), (b, dB)])
/// gradient += tape.adjoint(of: albedo)
/// ```
public final class Tape {
    @usableFromInline let storage: UnsafeMutablePointer<TapeStorage>

    /// An empty tape with room for `capacity` operations. Usually you want
    /// `Tape.current` instead: only the current thread's tape records.
    public init(capacity: Int = 4096) {
        let capacity = Swift.max(capacity, 16)
        storage = .allocate(capacity: 1)
        storage.initialize(to: TapeStorage(entries: .allocate(capacity: capacity), count: 0, capacity: capacity,
                                           dirtyEnd: 0, owner: .passUnretained(self)))
    }

    deinit {
        if diffray_tape_get() == UnsafeMutableRawPointer(storage) { diffray_tape_set(diffray_tape_none()) }
        storage.pointee.entries.deallocate()
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// The calling thread's tape, created on first use; it lives as long as
    /// the thread and is freed when the thread exits.
    public static var current: Tape {
        let p = diffray_tape_get()
        if p != diffray_tape_none() {
            return p.assumingMemoryBound(to: TapeStorage.self).pointee.owner.takeUnretainedValue()
        }
        return makeCurrent()
    }

    @usableFromInline @inline(never)
    static func makeCurrent() -> Tape {
        precondition(MemoryLayout<TapeStorage>.size <= Int(DIFFRAY_TAPE_NONE_SIZE), "Tape: CSupport's empty tape is too small")
        let tape = Tape()
        _ = Unmanaged.passRetained(tape)  // owned by the thread from now on
        diffray_tape_adopt(UnsafeMutableRawPointer(tape.storage), releaseThreadTape)
        return tape
    }


    /// The current thread's storage with room for one more entry, for the
    /// hot path of `Adjoint`: one thread-local load and one comparison, the
    /// rest (the thread's first tape, growth) out of line.
    @inlinable @inline(__always)
    static var storageWithRoom: UnsafeMutablePointer<TapeStorage> {
        let s = diffray_tape_get().assumingMemoryBound(to: TapeStorage.self)
        if _slowPath(s.pointee.count == s.pointee.capacity) { return makeRoom() }
        return s
    }

    /// The current thread's storage (made on first use), grown if full.
    @usableFromInline @inline(never)
    static func makeRoom() -> UnsafeMutablePointer<TapeStorage> {
        let s = current.storage
        if s.pointee.count == s.pointee.capacity { s.pointee.grow(minimum: s.pointee.count + 1) }
        return s
    }

    /// Records an operation with two recorded parents (`a`, `b` ≥ 0) on the
    /// current thread's tape; returns its index.
    @inlinable @inline(__always)
    static func record(_ a: Int32, _ da: Double, _ b: Int32, _ db: Double) -> Int32 {
        storageWithRoom.pointee.push(a, da, b, db)
    }

    /// Records a one-parent operation (`a` ≥ 0); returns its index.
    @inlinable @inline(__always)
    static func record(_ a: Int32, _ da: Double) -> Int32 {
        storageWithRoom.pointee.push(a, da)
    }

    // MARK: Size and memory

    /// Operations recorded (leaves included). Indices of the next ones start here.
    public var count: Int { storage.pointee.count }
    /// Operations the tape holds without allocating.
    public var capacity: Int { storage.pointee.capacity }
    /// Bytes held by the tape's arrays.
    public var memoryFootprint: Int {
        capacity * MemoryLayout<TapeEntry>.stride
    }

    /// Makes room for `capacity` operations in all.
    public func reserveCapacity(_ capacity: Int) {
        if capacity > storage.pointee.capacity { storage.pointee.grow(minimum: capacity) }
    }

    /// Forgets every operation, keeping the memory for the next ones.
    /// Adjoint numbers recorded before must not be used afterwards.
    public func reset() {
        storage.pointee.count = 0
        storage.pointee.dirtyEnd = 0
    }

    /// Forgets the operations from index `count` on, keeping the memory.
    public func truncate(to count: Int) {
        precondition(count >= 0 && count <= storage.pointee.count,
                     "Tape.truncate: \(count) outside 0...\(storage.pointee.count)")
        storage.pointee.count = count
        storage.pointee.dirtyEnd = Swift.min(storage.pointee.dirtyEnd, count)
    }

    // MARK: Recording

    /// A new independent variable (a leaf) with the given value, recorded on
    /// this tape; its adjoint starts at 0.
    ///
    /// Only the current thread's tape records operations: call this on
    /// `Tape.current`.
    public func variable(_ value: Double) -> Adjoint {
        precondition(diffray_tape_get() == UnsafeMutableRawPointer(storage),
                     "Tape.variable: only the current thread's tape (Tape.current) records")
        let i = Tape.storageWithRoom.pointee.pushLeaf()
        return Adjoint(value: value, index: i)
    }

    // MARK: Backward pass

    /// Sets the adjoints of the operations from `mark` on to zero.
    public func zeroAdjoints(from mark: Int = 0) {
        let s = storage.pointee
        let end = Swift.min(s.dirtyEnd, s.count)  // slots above were zeroed when recorded
        var i = mark
        while i < end { s.entries[i].adjoint = 0; i += 1 }
        storage.pointee.dirtyEnd = Swift.min(s.dirtyEnd, mark)
    }

    /// Adds `seed` to the adjoint of `output` (nothing for a constant).
    @inlinable
    public func seed(_ output: Adjoint, _ seed: Double) {
        let i = Int(output.index)
        if i >= 0 && i < storage.pointee.count { storage.pointee.entries[i].adjoint += seed }
    }

    /// Propagates adjoints backwards through the operations from the last one
    /// down to index `mark`. Operations below `mark` only receive (their
    /// adjoints add up over several calls); they are not propagated further.
    public func propagate(from mark: Int = 0) {
        let s = storage.pointee
        let entries = s.entries
        var i = s.count - 1
        // Contributions to the entry just below the current one (the usual
        // case: an operation on the previous result) stay in a register
        // (`carry`) instead of going through memory, which would chain every
        // step through a store-to-load round trip. No branches: a missing
        // parent was recorded as the entry itself with partial 0 (see `push`),
        // and the split between `carry` and memory is a vector select.
        var carry = 0.0
        while i >= mark {
            let g = entries[i].adjoint + carry
            entries[i].adjoint = g
            let e = entries[i]
            let c = SIMD2(e.da, e.db) * g
            let previous = Int64(i &- 1)
            let toPrevious = SIMD2(Int64(e.a), Int64(e.b)) .== SIMD2(repeating: previous)
            let near = SIMD2<Double>(repeating: 0).replacing(with: c, where: toPrevious)
            let far = c.replacing(with: 0, where: toPrevious)
            carry = near.x + near.y
            entries[Int(e.a)].adjoint += far.x
            entries[Int(e.b)].adjoint += far.y
            i &-= 1
        }
        if mark > 0 && mark <= s.count { entries[mark - 1].adjoint += carry }
        storage.pointee.dirtyEnd = s.count
    }

    /// The reverse pass: zeroes the adjoints from `mark` on, adds each seed to
    /// its output's adjoint and propagates down to `mark`. Read the results
    /// with `adjoint(of:)`. With `mark` > 0, leaves created before `mark`
    /// accumulate their adjoints over several calls (path replay: one call a
    /// path, `truncate(to: mark)` in between).
    public func backward<S: Sequence>(seeds: S, from mark: Int = 0) where S.Element == (Adjoint, Double) {
        zeroAdjoints(from: mark)
        for (output, s) in seeds { seed(output, s) }
        propagate(from: mark)
    }

    /// The reverse pass for one output seeded with `seed`.
    public func backward(_ output: Adjoint, seed s: Double = 1, from mark: Int = 0) {
        zeroAdjoints(from: mark)
        seed(output, s)
        propagate(from: mark)
    }

    /// The reverse pass for three outputs (a colour), without allocating.
    public func backward(_ r: Adjoint, _ g: Adjoint, _ b: Adjoint,
                         seeds sr: Double, _ sg: Double, _ sb: Double, from mark: Int = 0) {
        zeroAdjoints(from: mark)
        seed(r, sr)
        seed(g, sg)
        seed(b, sb)
        propagate(from: mark)
    }

    /// The adjoint of `x` after a backward pass: ∂(Σ seed·output)/∂x.
    /// 0 for constants.
    @inlinable
    public func adjoint(of x: Adjoint) -> Double {
        let i = Int(x.index)
        return i >= 0 && i < storage.pointee.count ? storage.pointee.entries[i].adjoint : 0
    }

    /// The adjoints of several numbers, in order.
    public func adjoints(of xs: [Adjoint]) -> [Double] { xs.map { adjoint(of: $0) } }
}

/// Gives up the reference a thread held on its tape (`Tape.makeCurrent`);
/// called by the C runtime when the thread exits.
private func releaseThreadTape(_ storage: UnsafeMutableRawPointer) {
    storage.assumingMemoryBound(to: TapeStorage.self).pointee.owner.release()
}
