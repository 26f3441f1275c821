import Testing
import Foundation
import Learning

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diffray-learning-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

@Test func jsonRoundTripIsExact() throws {
    let net = smallNetwork()
    let path = temporaryPath("round.json")
    try net.save(to: path, metadata: ["environment": "test"])
    let back = try Network.load(from: path, expecting: net.layers)
    #expect(back == net)
    let file = try NetworkFile.read(path: path)
    #expect(file.format == "diffray-network" && file.version == 1 && file.metadata["environment"] == "test")
}

@Test func wrongShapesVersionsAndCorruptFilesAreRefused() throws {
    let net = smallNetwork()
    let path = temporaryPath("refuse.json")
    try net.save(to: path)
    // A different architecture than the caller expects.
    let other = Network.mlpLayers([4, 24, 48, 1], hidden: .relu, output: .tanh)
    #expect(throws: ModelFileError.self) { try Network.load(from: path, expecting: other) }
    do { _ = try Network.load(from: path, expecting: other); Issue.record("accepted") } catch {
        let text = "\(error)"
        #expect(text.contains(path) && !text.contains("\n"))
    }
    // A newer version, a parameter missing, a broken chain, garbage, a missing file.
    var file = try NetworkFile.read(path: path)
    file.version = 2
    try file.write(path: path)
    #expect(throws: ModelFileError.self) { try Network.load(from: path) }
    file = NetworkFile(network: net)
    file.parameters.removeLast()
    try file.write(path: path)
    #expect(throws: ModelFileError.self) { try Network.load(from: path) }
    file = NetworkFile(network: net)
    file.layers[2] = .dense(inputs: 7, outputs: 5)
    try file.write(path: path)
    #expect(throws: ModelFileError.self) { try Network.load(from: path) }
    try Data("{\"format\": \"diffray-network\", \"version\": 1, \"layers\": [".utf8).write(to: URL(fileURLWithPath: path))
    #expect(throws: ModelFileError.self) { try Network.load(from: path) }
    #expect(throws: ModelFileError.self) { try Network.load(from: temporaryPath("missing.json")) }
}
