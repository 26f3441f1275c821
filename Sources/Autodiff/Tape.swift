import CSupport

/// One 16-byte slot of the tape. An operation ends with its head, whose
/// `value` is the operation's adjoint; its index on the tape is the head's
/// position. The low 32 bits of the head's `bits` tell the two forms apart:
///
/// - a pair (one or two operands, the bulk of a renderer's tape) takes 2
///   slots: a partials slot (`value` the partial with respect to the second
///   parent, `bits` the first's as a `Double` bit pattern), then the head,
///   whose `bits` hold the first parent's index (≥ 0) in the low 32 bits and
///   the second's in the high 32. A one-operand pair's second parent is its
///   own partials slot with partial 0: the sweep adds 0 × adjoint to a
///   number nothing reads, instead of testing for a missing operand;
/// - a list (n ≥ 0 operands: a leaf, a fused expression) takes n + 1 slots:
///   its operands (the local partial derivative in `value`, the parent's
///   index in the low 32 bits of `bits`), then the head with ~n (< 0) in the
///   low 32 bits of `bits`.
@frozen @usableFromInline
struct TapeSlot {
    @usableFromInline var value: Double
    @usableFromInline var bits: UInt64

    @inlinable @inline(__always)
    init(_ value: Double, _ bits: UInt64) {
        self.value = value
        self.bits = bits
    }

    /// The low 32 bits of `bits`: a pair's first parent (≥ 0), a list's ~n
    /// (< 0), an operand's parent.
    @inlinable @inline(__always)
    var low: Int32 { Int32(truncatingIfNeeded: bits) }

    /// `bits` holding `low` in the low 32 bits and `high` in the high 32.
    @inlinable @inline(__always)
    static func bits(_ low: Int32, _ high: Int32 = 0) -> UInt64 {
        UInt64(UInt32(bitPattern: low)) | UInt64(UInt32(bitPattern: high)) &<< 32
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
        slots[k] = TapeSlot(partial, TapeSlot.bits(parent))
        return k &+ (parent >= 0 ? 1 : 0)
    }

    /// Closes the list whose operands run from `first` (the count before
    /// it) to `k` with its head at `k` and returns the head's position, its
    /// index.
    @inlinable @inline(__always)
    mutating func head(at k: Int, first: Int) -> Int32 {
        slots[k] = TapeSlot(0, TapeSlot.bits(~Int32(truncatingIfNeeded: k &- first)))
        count = k &+ 1
        return Int32(truncatingIfNeeded: k)
    }

    /// Appends a pair with two recorded parents and returns its index. Needs 2 slots of room.
    @inlinable @inline(__always)
    mutating func push(_ a: Int32, _ da: Double, _ b: Int32, _ db: Double) -> Int32 {
        let k = count
        let q = slots + k  // one address for both stores
        q[0] = TapeSlot(db, da.bitPattern)
        q[1] = TapeSlot(0, TapeSlot.bits(a, b))
        count = k &+ 2
        return Int32(truncatingIfNeeded: k &+ 1)
    }

    /// Appends a pair with one recorded parent (the second its own partials
    /// slot, partial 0) and returns its index. Needs 2 slots of room.
    @inlinable @inline(__always)
    mutating func push(_ a: Int32, _ da: Double) -> Int32 {
        let k = count
        let q = slots + k
        q[0] = TapeSlot(0, da.bitPattern)
        q[1] = TapeSlot(0, TapeSlot.bits(a, Int32(truncatingIfNeeded: k)))
        count = k &+ 2
        return Int32(truncatingIfNeeded: k &+ 1)
    }

    /// Appends a leaf (a list without operands). Needs 1 slot of room.
    @inlinable @inline(__always)
    mutating func pushLeaf() -> Int32 {
        let k = count
        slots[k] = TapeSlot(0, TapeSlot.bits(~0))
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
/// adjoint, in one flat array of 16-byte slots (`TapeSlot`): an operation of
/// one or two operands takes 2 slots, one of n operands otherwise n + 1.
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
        storageWithRoom(2).pointee.push(a, da, b, db)
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

    /// Slots recorded (an operation of one or two recorded operands takes 2,
    /// a fused expression one more than it has recorded operands, a leaf
    /// one). The next operation starts here: a mark for
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
            let low = s.slots[p].low
            p = low >= 0 ? p - 2 : p + Int(low)  // a pair, or a list of ~low operands
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
        // A pair takes no loop: its two contributions, in operand order,
        // then the head two slots below. A one-operand pair's second
        // contribution lands in its own partials slot (partial 0).
        var p = s.count - 1
        while p >= mark {
            let head = slots[p]
            let g = head.value
            let a = head.low
            if _fastPath(a >= 0) {
                let d = slots[p &- 1]
                slots[Int(a)].value += Double(bitPattern: d.bits) * g
                slots[Int(Int32(truncatingIfNeeded: head.bits &>> 32))].value += d.value * g
                p &-= 2
            } else {
                let first = p &+ Int(a) &+ 1  // a = ~n: the list's operands start n below the head
                var k = first
                while k < p {
                    let o = slots[k]
                    slots[Int(o.low)].value += o.value * g
                    k &+= 1
                }
                p = first &- 1
            }
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
