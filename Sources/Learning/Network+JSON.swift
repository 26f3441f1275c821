import Foundation
import ImageIO

/// A failure reading or writing a model or checkpoint file; its description is
/// one line naming the file and what was expected.
public struct ModelFileError: Error, CustomStringConvertible, LocalizedError {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
    public var errorDescription: String? { description }
}

/// Writes `data` to `path` atomically (`AtomicFile`: a temporary file in the same
/// folder, flushed, then renamed; part of an open `OutputTransaction` if one holds `path`).
public func writeAtomically(_ data: Data, to path: String) throws {
    try AtomicFile.write(data, to: path)
}

/// The versioned JSON form of a network:
/// `{"format": "diffray-network", "version": 1, "layers": [...], "parameter_count": n, "parameters": [...], "metadata": {...}}`.
public struct NetworkFile: Codable, Equatable {
    public static let formatName = "diffray-network"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    public var layers: [Layer]
    public var parameterCount: Int
    public var parameters: [Double]
    /// Free-form facts about the model (environment, seed, training episodes...).
    public var metadata: [String: String]

    enum CodingKeys: String, CodingKey {
        case format, version, layers, parameters, metadata
        case parameterCount = "parameter_count"
    }

    public init(network: Network, metadata: [String: String] = [:]) {
        format = NetworkFile.formatName
        version = NetworkFile.currentVersion
        layers = network.layers
        parameterCount = network.parameterCount
        parameters = network.parameters
        self.metadata = metadata
    }

    /// Checks the format, version and shapes and builds the network; `expected`
    /// (if given) are the layers the caller needs, and any difference is refused.
    public func network(path: String, expecting expected: [Layer]? = nil) throws -> Network {
        guard format == NetworkFile.formatName else {
            throw ModelFileError(path: path, "format is '\(format)', expected '\(NetworkFile.formatName)'")
        }
        guard version == NetworkFile.currentVersion else {
            throw ModelFileError(path: path, "version \(version) is not supported, expected \(NetworkFile.currentVersion)")
        }
        guard !layers.isEmpty else { throw ModelFileError(path: path, "no layers") }
        for i in layers.indices {
            let l = layers[i]
            if l.inputSize <= 0 || l.outputSize <= 0 {
                throw ModelFileError(path: path, "layer \(i) \(l.summary) has an empty shape")
            }
            if i > 0 && l.inputSize != layers[i - 1].outputSize {
                throw ModelFileError(path: path, "layer \(i) \(l.summary) takes \(l.inputSize) values but layer \(i - 1) gives \(layers[i - 1].outputSize)")
            }
        }
        let count = layers.reduce(0) { $0 + $1.parameterCount }
        guard parameterCount == count, parameters.count == count else {
            throw ModelFileError(path: path, "the layers need \(count) parameters, the file has parameter_count \(parameterCount) and \(parameters.count) values")
        }
        guard parameters.allSatisfy({ $0.isFinite }) else {
            throw ModelFileError(path: path, "parameters contain NaN or infinity")
        }
        if let expected, expected != layers {
            throw ModelFileError(path: path, "layers [\(layers.map(\.summary).joined(separator: ", "))] do not match the expected [\(expected.map(\.summary).joined(separator: ", "))]")
        }
        return Network(layers: layers, parameters: parameters)
    }

    /// Reads a network file; every failure is a one-line `ModelFileError`.
    public static func read(path: String) throws -> NetworkFile {
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch let e as ImageIOError {
            throw ModelFileError(path: path, "cannot read the model file: missing or unreadable (\(e.reason))")
        }
        return try decode(Data(bytes), path: path)
    }

    /// Decodes a network file's bytes; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> NetworkFile {
        try JSONFile.decode(NetworkFile.self, from: data, path: path, expected: "a \(formatName) JSON file")
    }

    /// Writes the file atomically.
    public func write(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do { data = try encoder.encode(self) } catch {
            throw ModelFileError(path: path, "cannot encode the model: \(error)")
        }
        try writeAtomically(data, to: path)
    }
}

extension Network {
    /// Saves the network as versioned JSON, atomically.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try NetworkFile(network: self, metadata: metadata).write(path: path)
    }

    /// Loads a network, refusing a wrong format, version or shape (`expecting`).
    public static func load(from path: String, expecting layers: [Layer]? = nil) throws -> Network {
        try NetworkFile.read(path: path).network(path: path, expecting: layers)
    }
}
