import CSupport

/// One 16-byte slot of the tape. An operation with n operands takes n + 1
/// consecutive slots: its operands (the parent's index in `index`, the local
/// partial derivative of the result with respect to that parent in `value`),
/// then its head (the operation's adjoint in `value`, n in `index`). An
/// operation's index on the tape is the position of its head, and an
/// operation takes as many operands as it has recorded inputs, so a fused
/// expression (a dot product, a normalisation) is one operation.
@frozen @usableFromInline
struct TapeSlot {
    @usableFromInline var value: Double
    @usableFromInline var index: Int64

    @inlinable @inline(__always)
    init(_ value: Double, _ index: Int64) {
        self.value = value
        self.index = index
    }
}

/// The tape's one array, kept behind a raw pointer so that recording an
/// operation costs no reference counting and no exclusivity check: the
/// thread-local pointer in CSupport points at one of these (before the
/// thread's first operation, at CSupport's all-zero `diffray_tape_none()`,
/// which has no room, so the first `Tape.record` takes the slow path that
/// makes the thread's tape).
@frozen @usableFromInline
struct TapeStorage {
    @usableFromInline var slots: UnsafeMutablePointer<TapeSlot>
    @usableFromInline var count: Int
    @usableFromInline var capacity: Int
    /// Adjoints of heads at positions ≥ `dirtyEnd` are 0: recording zeroes
    /// each new head's, only a backward sweep dirties them (and `truncate`
    /// lowers this).
    @usableFromInline var dirtyEnd: Int
    @usableFromInline var owner: Unmanaged<Tape>

    /// Appends an operand of the operation being recorded at position `k`
    /// and returns the next position: written either way, kept (the position
    /// advanced) only if `parent` is recorded (≥ 0), so that leaving out a
    /// constant operand takes no branch. Room reserved by the caller.
    @inlinable @inline(__always)
    func operand(at k: Int, _ parent: Int32, _ partial: Double) -> Int {
        slots[k] = TapeSlot(partial, Int64(parent))
        return k &+ (parent >= 0 ? 1 : 0)
    }

    /// Closes the operation whose operands run from `first` (the count
    /// before it) to `k` with its head at `k` and returns the head's
    /// position, its index.
    @inlinable @inline(__always)
    mutating func head(at k: Int, first: Int) -> Int32 {
        slots[k] = TapeSlot(0, Int64(k &- first))
        count = k &+ 1
        return Int32(truncatingIfNeeded: k)
    }

    /// Appends an operation with two recorded parents and returns its index. Needs 3 slots of room.
    @inlinable @inline(__always)
    mutating func push(_ a: Int32, _ da: Double, _ b: Int32, _ db: Double) -> Int32 {
        let k = count
        slots[k] = TapeSlot(da, Int64(a))
        slots[k &+ 1] = TapeSlot(db, Int64(b))
        slots[k &+ 2] = TapeSlot(0, 2)
        count = k &+ 3
        return Int32(truncatingIfNeeded: k &+ 2)
    }

    /// Appends an operation with one recorded parent and returns its index. Needs 2 slots of room.
    @inlinable @inline(__always)
    mutating func push(_ a: Int32, _ da: Double) -> Int32 {
        let k = count
        slots[k] = TapeSlot(da, Int64(a))
        slots[k &+ 1] = TapeSlot(0, 1)
        count = k &+ 2
        return Int32(truncatingIfNeeded: k &+ 1)
    }

    /// Appends a leaf (a head without operands). Needs 1 slot of room.
    @inlinable @inline(__always)
    mutating func pushLeaf() -> Int32 {
        let k = count
        slots[k] = TapeSlot(0, 0)
        count = k &+ 1
        return Int32(truncatingIfNeeded: k)
    }

    @usableFromInline @inline(never)
    mutating func grow(minimum: Int) {
        precondition(minimum <= Int(Int32.max), "Tape: more than \(Int32.max) slots recorded on one thread")
        let newCapacity = Swift.min(Swift.max(minimum, capacity * 2, 2048), Int(Int32.max))
        let newSlots = UnsafeMutablePointer<TapeSlot>.allocate(capacity: newCapacity)
        newSlots.moveInitialize(from: slots, count: count)
        slots.deallocate()
        slots = newSlots
        capacity = newCapacity
    }
}

/// A reverse-mode tape: the operations performed on `Adjoint` numbers by one
/// thread, each as its operands (parent indices and local partials) and its
/// adjoint, in one flat array of 16-byte slots (`TapeSlot`).
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

    /// An empty tape with room for `capacity` slots. Usually you want
    /// `Tape.current` instead: only the current thread's tape records.
    public init(capacity: Int = 4096) {
        let capacity = Swift.max(capacity, 16)
        storage = .allocate(capacity: 1)
        storage.initialize(to: TapeStorage(slots: .allocate(capacity: capacity), count: 0, capacity: capacity,
                                           dirtyEnd: 0, owner: .passUnretained(self)))
    }

    deinit {
        if diffray_tape_get() == UnsafeMutableRawPointer(storage) { diffray_tape_set(diffray_tape_none()) }
        storage.pointee.slots.deallocate()
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


    /// The current thread's storage with room for `n` more slots, for the
    /// hot path of `Adjoint`: one thread-local load and one comparison, the
    /// rest (the thread's first tape, growth) out of line.
    @inlinable @inline(__always)
    static func storageWithRoom(_ n: Int) -> UnsafeMutablePointer<TapeStorage> {
        let s = diffray_tape_get().assumingMemoryBound(to: TapeStorage.self)
        if _slowPath(s.pointee.count &+ n > s.pointee.capacity) { return makeRoom(n) }
        return s
    }

    /// The current thread's storage (made on first use), grown if full.
    @usableFromInline @inline(never)
    static func makeRoom(_ n: Int) -> UnsafeMutablePointer<TapeStorage> {
        let s = current.storage
        if s.pointee.count + n > s.pointee.capacity { s.pointee.grow(minimum: s.pointee.count + n) }
        return s
    }

    /// Records an operation with two recorded parents (`a`, `b` ≥ 0) on the
    /// current thread's tape; returns its index.
    @inlinable @inline(__always)
    static func record(_ a: Int32, _ da: Double, _ b: Int32, _ db: Double) -> Int32 {
        storageWithRoom(3).pointee.push(a, da, b, db)
    }

    /// Records a one-parent operation (`a` ≥ 0); returns its index.
    @inlinable @inline(__always)
    static func record(_ a: Int32, _ da: Double) -> Int32 {
        storageWithRoom(2).pointee.push(a, da)
    }

    /// Records an operation of at most `n` operands, which `operands` writes
    /// from the given position with `TapeStorage.operand(at:_:_:)` (constant
    /// operands left out), returning the position after the last; returns
    /// the operation's index. At least one operand must be recorded.
    @inlinable @inline(__always)
    static func record(operands n: Int, _ operands: (TapeStorage, Int) -> Int) -> Int32 {
        let s = storageWithRoom(n &+ 1)
        let first = s.pointee.count
        return s.pointee.head(at: operands(s.pointee, first), first: first)
    }

    // MARK: Size and memory

    /// Slots recorded (an operation takes one more than it has recorded
    /// operands; a leaf one). The next operation starts here: a mark for
    /// `truncate(to:)` and `backward(from:)`.
    public var count: Int { storage.pointee.count }
    /// Slots the tape holds without allocating.
    public var capacity: Int { storage.pointee.capacity }
    /// Bytes held by the tape's arrays.
    public var memoryFootprint: Int {
        capacity * MemoryLayout<TapeSlot>.stride
    }

    /// Makes room for `capacity` slots in all.
    public func reserveCapacity(_ capacity: Int) {
        if capacity > storage.pointee.capacity { storage.pointee.grow(minimum: capacity) }
    }

    /// Forgets every operation, keeping the memory for the next ones.
    /// Adjoint numbers recorded before must not be used afterwards.
    public func reset() {
        storage.pointee.count = 0
        storage.pointee.dirtyEnd = 0
    }

    /// Forgets the operations from `count` (a count the tape had) on, keeping the memory.
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
        let i = Tape.storageWithRoom(1).pointee.pushLeaf()
        return Adjoint(value: value, index: i)
    }

    // MARK: Backward pass

    /// Sets the adjoints of the operations from `mark` (a count the tape
    /// had) on to zero.
    public func zeroAdjoints(from mark: Int = 0) {
        let s = storage.pointee
        let end = Swift.min(s.dirtyEnd, s.count)  // heads above were zeroed when recorded
        if end <= mark { return }
        var p = s.count - 1
        while p >= mark {  // from head to head, downwards
            if p < end { s.slots[p].value = 0 }
            p -= Int(s.slots[p].index) + 1
        }
        storage.pointee.dirtyEnd = Swift.min(s.dirtyEnd, mark)
    }

    /// Adds `seed` to the adjoint of `output` (nothing for a constant).
    @inlinable
    public func seed(_ output: Adjoint, _ seed: Double) {
        let i = Int(output.index)
        if i >= 0 && i < storage.pointee.count { storage.pointee.slots[i].value += seed }
    }

    /// Propagates adjoints backwards through the operations from the last one
    /// down to `mark` (a count the tape had). Operations below `mark` only
    /// receive (their adjoints add up over several calls); they are not
    /// propagated further.
    public func propagate(from mark: Int = 0) {
        let s = storage.pointee
        let slots = s.slots
        // Every contribution goes through memory: the head of the operation
        // just below (the usual parent) is loaded right after the store to it,
        // which store-to-load forwarding serves. Keeping that contribution in a
        // register instead takes a select an operand and measured slower.
        var p = s.count - 1
        while p >= mark {
            let n = Int(slots[p].index)
            let g = slots[p].value
            let first = p &- n
            var k = first
            while k < p {
                let o = slots[k]
                slots[Int(o.index)].value += o.value * g
                k &+= 1
            }
            p = first &- 1
        }
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
        return i >= 0 && i < storage.pointee.count ? storage.pointee.slots[i].value : 0
    }

    /// The adjoints of several numbers, in order.
    public func adjoints(of xs: [Adjoint]) -> [Double] { xs.map { adjoint(of: $0) } }
}

/// Gives up the reference a thread held on its tape (`Tape.makeCurrent`);
/// called by the C runtime when the thread exits.
private func releaseThreadTape(_ storage: UnsafeMutableRawPointer) {
    storage.assumingMemoryBound(to: TapeStorage.self).pointee.owner.release()
}
