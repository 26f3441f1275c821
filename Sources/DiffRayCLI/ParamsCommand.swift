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
    @OptionGroup var json: JSONOption

    /// What `params --json` prints: each key's values.
    struct Result: Encodable { var params: [String: [Double]] }

    func run() throws {
        let s = try Scene.load(path: scene, commandLineDefines: defines)
        let params = s.parameters()
        for p in params {
            let shown = p.values.count > 12
                ? p.values.prefix(9).map { formatNumber($0) }.joined(separator: ", ") + ", … (\(p.values.count) values)"
                : p.values.map { formatNumber($0) }.joined(separator: ", ")
            print("\(p.key) = [\(shown)]")
        }
        try json.print(Result(params: Dictionary(params.map { ($0.key, $0.values) }, uniquingKeysWith: { a, _ in a })))
    }
}

func formatNumber(_ v: Double) -> String { String(format: "%.6g", v) }
