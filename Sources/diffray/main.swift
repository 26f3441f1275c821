import ArgumentParser
import DiffRay

struct DiffRayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffray",
        abstract: "A differentiable path tracer.",
        subcommands: [])
}
DiffRayCommand.main()
