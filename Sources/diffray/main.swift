import ArgumentParser
import DiffRay

/// The `diffray` command: one subcommand a file (`RenderCommand.swift`, ...).
struct DiffRayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffray",
        abstract: "A differentiable path tracer: render Mitsuba 3 scenes, differentiate them, train controllers from pixels.",
        subcommands: [
            // one line each, keep sorted by workflow
        ])
}
DiffRayCommand.main()
