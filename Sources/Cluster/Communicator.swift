import CMPI
import Foundation

/// The processes one run is spread over: this process's `rank` among `size`.
///
/// Run without `mpirun` a program has `Communicator.local` (rank 0 of 1) and
/// nothing here touches MPI. Under Open MPI's `mpirun` (which sets
/// `OMPI_COMM_WORLD_SIZE`), `Communicator.startWorld()` loads libmpi.so.40 at
/// run time, calls `MPI_Init_thread`, and returns `MPI_COMM_WORLD`. The
/// collectives are made from the calling thread only (`MPI_THREAD_FUNNELED`);
/// worker threads never communicate.
public final class Communicator: @unchecked Sendable {
    /// This process's rank, 0..<size.
    public let rank: Int
    /// The number of processes.
    public let size: Int
    let usesMPI: Bool

    /// Rank 0: the one process that writes outputs and prints.
    public var isRoot: Bool { rank == 0 }
    /// Whether there is more than one process.
    public var isDistributed: Bool { size > 1 }

    /// What this process has communicated: calls, and payload bytes sent and
    /// received (an all-gather sends its own part and receives the others').
    public private(set) var traffic = Traffic()
    public struct Traffic: Sendable, CustomStringConvertible {
        public var calls = 0, bytesSent = 0, bytesReceived = 0
        public var description: String { "\(calls) calls, \(bytesSent) bytes sent, \(bytesReceived) bytes received" }
    }

    init(rank: Int, size: Int, usesMPI: Bool) {
        self.rank = rank; self.size = size; self.usesMPI = usesMPI
    }

    /// One process, no MPI.
    public static let local = Communicator(rank: 0, size: 1, usesMPI: false)

    /// The world of this run: `local` until `startWorld()` finds `mpirun`.
    nonisolated(unsafe) public private(set) static var world = Communicator.local

    /// The Open MPI library loaded at run time (Debian's libopenmpi3 package).
    public static let library = "libmpi.so.40"

    /// Sets up `world`: under `mpirun` (the environment has `OMPI_COMM_WORLD_SIZE`)
    /// it loads Open MPI and initialises it; otherwise it stays `local`. Throws
    /// when the environment asks for MPI and the library cannot be used.
    /// Call once, from the main thread, before any other MPI use.
    @discardableResult
    public static func startWorld(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Communicator {
        guard world === local, let sizeText = environment["OMPI_COMM_WORLD_SIZE"] else { return world }
        guard let expected = Int(sizeText), expected >= 1 else {
            throw ClusterError("OMPI_COMM_WORLD_SIZE: expected a positive process count, got '\(sizeText)'")
        }
        var message = [CChar](repeating: 0, count: 512)
        if diffray_mpi_open(library, &message, message.count) != 0 {
            throw ClusterError("running under mpirun (OMPI_COMM_WORLD_SIZE=\(expected)) but Open MPI cannot be loaded: "
                               + String(cString: message) + " (install openmpi-bin and libopenmpi-dev: make deps)")
        }
        var rank: Int32 = 0, size: Int32 = 0
        let status = diffray_mpi_init(&rank, &size)
        if status != 0 { throw ClusterError("MPI_Init_thread failed with status \(status)") }
        world = Communicator(rank: Int(rank), size: Int(size), usesMPI: true)
        return world
    }

    /// The work a process should get from one collective for spreading it to pay,
    /// in examples × network weights (a forward and backward pass costs about
    /// three multiply–adds a weight): 0.1–0.2 ms, several times the latency of a
    /// collective between processes of one machine.
    public static let worthwhileShare = 1 << 17

    /// `self` where splitting `work` (examples × weights) over the processes gives
    /// each at least `worthwhileShare`, else `local`: every process then does the
    /// whole work itself, with the same result and no message (a mini-batch of a
    /// few examples of a small network, one collective each).
    public func sharing(work: Int) -> Communicator {
        isDistributed && work / size >= Communicator.worthwhileShare ? self : .local
    }

    /// Ends MPI (`MPI_Finalize`) after the last collective; nothing for `local`.
    public func finish() {
        if usesMPI { _ = diffray_mpi_finalize() }
    }

    /// Ends every process of the job with `status` (`MPI_Abort`); exits this one for `local`.
    public func abort(status: Int32) -> Never {
        if usesMPI { diffray_mpi_abort(status) }
        exit(status)
    }

    /// Waits until every process reaches this point.
    public func barrier() {
        if usesMPI { check(diffray_mpi_barrier(), "MPI_Barrier") }
    }

    /// `mine` from every process, in rank order.
    public func allGather(_ mine: Int) -> [Int] {
        guard usesMPI else { return [mine] }
        count(sent: 8, received: 8 * (size - 1))
        var all = [Int64](repeating: 0, count: size)
        check(diffray_mpi_allgather_int64(Int64(mine), &all), "MPI_Allgather")
        return all.map { Int($0) }
    }

    /// The concatenation of every process's `mine` in rank order; `counts[r]`
    /// is how many values rank r contributes (each rank passes the same `counts`).
    public func allGather(_ mine: [Double], counts: [Int]) -> [Double] {
        precondition(counts.count == size && counts[rank] == mine.count,
                     "allGather: rank \(rank) contributes \(mine.count) values, the counts say \(counts)")
        guard usesMPI else { return mine }
        let total = counts.reduce(0, +)
        // MPI counts and displacements are C ints: 2^31 - 1 doubles (16 GiB) per collective.
        precondition(total <= Int(Int32.max), "allGather: \(total) values exceed one MPI collective's limit")
        count(sent: 8 * mine.count, received: 8 * (total - mine.count))
        var displacements = [Int32](), offset: Int32 = 0
        for c in counts { displacements.append(offset); offset += Int32(c) }
        var all = [Double](repeating: 0, count: total)
        check(diffray_mpi_allgatherv_double(mine, Int32(mine.count), &all, counts.map { Int32($0) }, displacements),
              "MPI_Allgatherv")
        return all
    }

    /// Sends `values` to rank `destination` (matched by its `receive`).
    public func send(_ values: [Double], to destination: Int, tag: Int = 0) {
        precondition(usesMPI && values.count <= Int(Int32.max), "send: needs MPI and at most 2^31 - 1 values")
        count(sent: 8 * values.count, received: 0)
        check(diffray_mpi_send_double(values, Int32(values.count), Int32(destination), Int32(tag)), "MPI_Send")
    }

    /// Receives `count` values sent by rank `source`.
    public func receive(_ count: Int, from source: Int, tag: Int = 0) -> [Double] {
        precondition(usesMPI && count <= Int(Int32.max), "receive: needs MPI and at most 2^31 - 1 values")
        self.count(sent: 0, received: 8 * count)
        var values = [Double](repeating: 0, count: count)
        check(diffray_mpi_receive_double(&values, Int32(count), Int32(source), Int32(tag)), "MPI_Recv")
        return values
    }

    /// `values` of rank `root` on every process (each passes a buffer of the same length).
    public func broadcast(_ values: [Double], from root: Int) -> [Double] {
        guard usesMPI else { return values }
        precondition(values.count <= Int(Int32.max) / 8, "broadcast: \(values.count) values exceed one MPI collective's limit")
        count(sent: rank == root ? 8 * values.count : 0, received: rank == root ? 0 : 8 * values.count)
        var values = values
        values.withUnsafeMutableBytes { raw in
            check(diffray_mpi_broadcast(raw.baseAddress, Int32(raw.count), Int32(root)), "MPI_Bcast")
        }
        return values
    }

    private func count(sent: Int, received: Int) {
        traffic.calls += 1; traffic.bytesSent += sent; traffic.bytesReceived += received
    }

    /// Open MPI's default error handler ends the job on a failed collective;
    /// a non-zero status that still returns is a bug worth stopping for.
    private func check(_ status: Int32, _ call: String) {
        if status != 0 {
            FileHandle.standardError.write("diffray: rank \(rank): \(call) failed with status \(status)\n".data(using: .utf8)!)
            abort(status: 2)
        }
    }
}

/// A failure to set up MPI.
public struct ClusterError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
