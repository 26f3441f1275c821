import ArgumentParser
import DiffRay
import Foundation

/// `diffray params SCENE.xml`: every differentiable parameter with its value.
struct ParamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "params",
        abstract: "List the scene's differentiable parameters (Mitsuba mi.traverse keys) with their values.")

    @Argument(help: "The scene file.") var scene: String
    @Option(name: .customShort("D"), help: ArgumentHelp("Set a scene default: -D name=value.", valueName: "name=value"))
    var defines: [String] = []
    @Flag(help: "Print one JSON object as the last line of standard output.") var json = false

    func run() throws {
        let s = try Scene.load(path: scene, commandLineDefines: defines)
        let params = s.parameters()
        for p in params {
            let shown = p.values.count > 12
                ? p.values.prefix(9).map { formatNumber($0) }.joined(separator: ", ") + ", … (\(p.values.count) values)"
                : p.values.map { formatNumber($0) }.joined(separator: ", ")
            print("\(p.key) = [\(shown)]")
        }
        if json {
            let items = params.map { "\(jsonString($0.key)): [\($0.values.map { "\($0)" }.joined(separator: ", "))]" }
            print("{\"params\": {\(items.joined(separator: ", "))}}")
        }
    }
}

func formatNumber(_ v: Double) -> String { String(format: "%.6g", v) }
