import Foundation
import ArgumentParser

/// Parses `-D name=value` options into a dictionary.
func parseDefines(_ pairs: [String]) throws -> [String: String] {
    var out = [String: String]()
    for p in pairs {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
            throw ValidationError("-D expects name=value, got '\(p)'")
        }
        out[String(p[..<eq])] = String(p[p.index(after: eq)...])
    }
    return out
}

/// A progress bar on standard error, shown once a task has run for a second.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let start = DispatchTimeNow.seconds()
    var shown = false
    init(_ label: String) { self.label = label }

    /// Redrawn in place only on a terminal; a log gets nothing.
    let enabled = isatty(2) != 0

    func update(_ fraction: Double) {
        if !enabled { return }
        let elapsed = DispatchTimeNow.seconds() - start
        if elapsed < 1 && fraction < 1 { return }
        if fraction >= 1 && !shown { return }
        shown = true
        let width = 30
        let filled = Int(fraction * Double(width))
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardErrorWrite("\r\(label) [\(bar)] \(Int(fraction * 100))%  \(formatSeconds(elapsed)) elapsed, \(formatSeconds(eta)) left ")
        if fraction >= 1 { FileHandle.standardErrorWrite("\n") }
    }
}

enum DispatchTimeNow {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

func formatSeconds(_ s: Double) -> String {
    s < 60 ? String(format: "%.1fs", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
}

/// Escapes a string for a JSON literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default:
            if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
        }
    }
    return out + "\""
}
