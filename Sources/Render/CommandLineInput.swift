import Foundation
import Autodiff
import Geometry
import SceneFile

/// What the command line does with what a user types: `-D` options, and the one
/// line every failure prints.
public enum CommandLineInput {
    /// Parses `-D name=value` options; a malformed one is an error naming it.
    public static func defines(_ options: [String]) throws -> [String: String] {
        var out = [String: String]()
        for option in options {
            guard let eq = option.firstIndex(of: "="), eq != option.startIndex else {
                throw ParameterError("-D expects name=value, got '\(option)'")
            }
            out[String(option[..<eq])] = String(option[option.index(after: eq)...])
        }
        return out
    }

    /// `text` with every control character (C0, DEL, C1; also newlines and tabs) written
    /// as `\u{1B}`-style escapes, so that bytes from an input file cannot move the cursor,
    /// clear the screen or forge further lines on a terminal.
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The line a failure prints: the first line of `message` (argument-parser adds usage
    /// lines after it), control characters escaped, prefixed with `diffray: `.
    public static func errorLine(_ message: String) -> String {
        let first = message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? message
        return "diffray: " + escaped(first)
    }
}

extension Scene where T == Double {
    /// Loads a scene for the command line: `defines` are the raw `-D name=value` options.
    /// Besides `load(path:defines:)`'s checks, a `-D` name that the scene neither declares
    /// with `<default>` nor uses as `$name` is an error listing the scene's defaults.
    public static func load(path: String, commandLineDefines defines: [String],
                            accelerator: Accelerator.Kind = .preferred) throws -> Scene<Double> {
        let description = try SceneDescription(path: path, defines: CommandLineInput.defines(defines))
        try description.checkDefines()
        return try Scene(description: description, accelerator: accelerator)
    }
}
