import Foundation
import Geometry
import SceneFile
import Testing

/// Wraps objects in a version 3 scene.
func scene(_ body: String, version: String = "3.0.0") -> String {
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<scene version=\"\(version)\">\n\(body)\n</scene>\n"
}

func parse(_ body: String, defines: [String: String] = [:], directory: String? = nil) throws -> SceneDescription {
    try SceneDescription(xml: scene(body), file: "test.xml", directory: directory, defines: defines)
}

/// The error thrown by `body`, or nil.
func error(_ body: () throws -> Void) -> SceneFileError? {
    do {
        try body()
        return nil
    } catch let e as SceneFileError {
        return e
    } catch {
        Issue.record("unexpected error type \(type(of: error)): \(error)")
        return nil
    }
}

/// Expects a SceneFileError whose one-line description contains every fragment.
func expectError(_ fragments: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) {
    guard let e = error(body) else {
        Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
        return
    }
    let text = e.description
    #expect(!text.contains("\n"), "error must be one line: \(text)", sourceLocation: sourceLocation)
    for f in fragments {
        #expect(text.contains(f), "\(text) should contain \(f)", sourceLocation: sourceLocation)
    }
}

func close(_ a: Vec3, _ b: Vec3, _ tolerance: Double = 1e-9) -> Bool {
    abs(a.x - b.x) <= tolerance && abs(a.y - b.y) <= tolerance && abs(a.z - b.z) <= tolerance
}

func close(_ a: Matrix4, _ b: Matrix4, _ tolerance: Double = 1e-9) -> Bool {
    zip(a.elements, b.elements).allSatisfy { abs($0 - $1) <= tolerance }
}
