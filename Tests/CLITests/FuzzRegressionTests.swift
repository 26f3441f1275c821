import DiffRay
import Foundation
import Testing

/// Every input in `Fuzz/Regressions/TARGET/` (what the fuzzers once crashed on) and the
/// seeds in `Fuzz/Corpus/TARGET/`, run through the reader of that target, as the fuzz
/// target does: each must either be read or fail with one line naming the file.
@Suite("fuzz regressions and seeds")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The reader behind each fuzz target (Fuzz/Targets/NAME.swift), on `bytes`.
    static let readers: [String: ([UInt8], String) throws -> Void] = [
        "scene-xml": { bytes, name in
            _ = try SceneDescription(xml: String(decoding: bytes, as: UTF8.self), file: name,
                                     directory: "/nonexistent-fuzz-folder", defines: ["spp": "4"])
        },
        "obj": { bytes, name in _ = try MeshData(obj: bytes, file: name) },
        "ply": { bytes, name in _ = try MeshData(ply: bytes, file: name) },
        "png": { bytes, name in _ = try PNGImage.decode(bytes, name: name) },
        "exr": { bytes, name in _ = try EXR.decode(bytes, name: name) },
        "jpeg": { bytes, name in _ = try JPEGImage.decode(bytes, name: name).image() },
        "hdr": { bytes, name in _ = try HDR.decode(bytes, name: name) },
        "serialized": { bytes, name in
            var failure: Error?
            for index in 0..<3 {
                do { _ = try MeshData(serialized: bytes, shapeIndex: index, file: name) } catch { failure = error }
            }
            if let failure { throw failure }
        },
        "model-json": { bytes, name in _ = try NetworkFile.decode(Data(bytes), path: name).network(path: name) },
        "checkpoint-json": { bytes, name in
            var failure: Error?
            for problem in ControlProblem.allCases {
                do { _ = try TrainingRun.decode(Data(bytes), path: name, problem: problem) } catch { failure = error }
            }
            do {
                var c = try OptimizationCheckpoint.decode(Data(bytes), path: name)
                try c.validate(path: name, scene: c.scene, target: c.target, keys: c.keys,
                               sizes: Dictionary(c.keys.map { ($0, 3) }, uniquingKeysWith: { a, _ in a }), iterations: 100)
            } catch { failure = error }
            if let failure { throw failure }
        },
    ]

    static var cases: [String] {
        var out = [String]()
        for folder in ["Fuzz/Regressions", "Fuzz/Corpus"] {
            for target in readers.keys.sorted() {
                let dir = root + "/\(folder)/\(target)"
                for file in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
                    out.append("\(folder)/\(target)/\(file)")
                }
            }
        }
        return out
    }

    @Test("read, or one line naming the file", arguments: cases)
    func replay(_ relative: String) throws {
        let parts = relative.split(separator: "/")
        let target = String(parts[parts.count - 2])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.root + "/" + relative)))
        let name = "input-" + String(parts.last!)
        let start = Date()
        do {
            try Self.readers[target]!(bytes, name)
        } catch {
            let text = "\(error)"
            #expect(!text.contains("\n") && text.contains(name), "\(relative): \(text)")
        }
        // The fuzzers report an input that takes over 10 s (under AddressSanitizer) as a
        // failure; a release build must read or refuse every regression input at once.
        #expect(Date().timeIntervalSince(start) < 3, "\(relative) took \(Date().timeIntervalSince(start)) s")
    }
}
