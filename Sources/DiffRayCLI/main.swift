import ArgumentParser
import DiffRay
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `diffray` command: one subcommand a file (`RenderCommand.swift`, ...), and one
/// file an environment for `train`, `eval` and `rollout` (`CartPoleCommands.swift`, ...).
struct DiffRayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffray",
        abstract: "A differentiable path tracer: render Mitsuba 3 scenes, differentiate them, train controllers from pixels.",
        subcommands: [
            // one line each; train, eval and rollout have a subcommand an environment
            RenderCommand.self,
            CompareCommand.self,
            ParamsCommand.self,
            GradCommand.self,
            OptimizeCommand.self,
            BenchCommand.self,
            TrainCommand.self,
            EvalCommand.self,
            AimCommand.self,
            RolloutCommand.self,
        ])
}

// The allocator setting the trainers and pixel observers apply themselves
// (`configureAllocator`), given to every command's renders as well.
configureAllocator()

/// Every failure, from a bad flag to a malformed scene file, ends as one line
/// on standard error (control characters escaped) and exit status 2; help and
/// version exit 0; SIGINT and SIGTERM remove temporary files and exit 130 / 143.
Interruption.install()
/// Under `mpirun` every rank runs the same command on its share of the work;
/// rank 0 alone prints and writes files (`AtomicFile.writesFiles`). An error on
/// any rank ends that rank with status 2 and mpirun then ends the whole job;
/// lines from ranks other than 0 name their rank.
var errorPrefix = ""
do {
    let world = try Communicator.startWorld()
    if !world.isRoot {
        AtomicFile.writesFiles = false
        FileHandle.isQuiet = true
        _ = freopen("/dev/null", "w", stdout)
        errorPrefix = "rank \(world.rank) of \(world.size): "
    }
    _ = try Accelerator.Kind.fromEnvironment()  // a DIFFRAY_ACCEL naming no accelerator is an error
    _ = try RenderOptions.Precision.fromEnvironment()  // nor may DIFFRAY_PRECISION name no precision
    var command = try DiffRayCommand.parseAsRoot()
    try command.run()
    // --mpi-report: what this process sent and the CPU time it used (bench/mpi-scaling.sh reads it).
    if (command as? ClusterCommand)?.cluster.mpiReport == true {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        FileHandle.errorWrite("rank \(world.rank) of \(world.size): \(world.traffic), " + String(format: "%.3f s CPU", cpu) + "\n")
    }
    world.finish()
} catch let interrupted as Interrupted {
    FileHandle.errorWrite(errorPrefix + CommandLineInput.errorLine("\(interrupted)") + "\n")
    exit(interrupted.status)
} catch {
    let code = DiffRayCommand.exitCode(for: error)
    if code == .success {
        if !errorPrefix.isEmpty { exit(0) }
        DiffRayCommand.exit(withError: error)
    }
    FileHandle.errorWrite(errorPrefix + CommandLineInput.errorLine(DiffRayCommand.message(for: error)) + "\n")
    exit(2)
}
