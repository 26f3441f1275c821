import Foundation
import Learning

/// A model file's metadata (`NetworkFile.metadata`, a flat map of strings) as a
/// `Codable` type: `encode` writes every non-nil property as its text
/// (numbers as Swift prints them, booleans as `true`/`false`), `decode` parses
/// them back and names the file, key and expected type of a value that does not parse.
public enum ModelMetadata {
    public static func encode<M: Encodable>(_ value: M) -> [String: String] {
        let encoder = FlatEncoder()
        // the encoder below cannot fail: it takes strings, numbers, booleans and nil
        try! value.encode(to: encoder)
        return encoder.storage.values
    }

    public static func decode<M: Decodable>(_ type: M.Type, from metadata: [String: String], path: String) throws -> M {
        do { return try M(from: FlatDecoder(values: metadata)) } catch let error as MetadataError {
            throw ModelFileError(path: path, error.message)
        }
    }

    /// Reads a model file: its network (checked against the layers `layers` gives
    /// for its metadata) and its metadata.
    public static func load<M: Decodable>(_ type: M.Type, path: String, layers: (M) throws -> [Layer]) throws -> (network: Network, metadata: M) {
        let file = try NetworkFile.read(path: path)
        let m = try decode(M.self, from: file.metadata, path: path)
        return (try file.network(path: path, expecting: try layers(m)), m)
    }
}

/// The metadata of a state policy written by `diffray train ENV`.
public struct StateModelMetadata: Codable, Equatable, Sendable {
    public var environment: ControlProblem
    public var seed: UInt64
    public var episodes: Int
    public var environmentSteps: Int

    enum CodingKeys: String, CodingKey {
        case environment, seed, episodes
        case environmentSteps = "environment_steps"
    }

    public init(environment: ControlProblem, seed: UInt64, episodes: Int, environmentSteps: Int) {
        self.environment = environment; self.seed = seed; self.episodes = episodes; self.environmentSteps = environmentSteps
    }
}

struct MetadataError: Error { var message: String }

final class FlatStorage { var values: [String: String] = [:] }

struct FlatEncoder: Encoder {
    let storage = FlatStorage()
    var codingPath: [CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(FlatKeyedEncoder<Key>(storage: storage))
    }
    func unkeyedContainer() -> UnkeyedEncodingContainer { fatalError("model metadata is a flat map of strings") }
    func singleValueContainer() -> SingleValueEncodingContainer { fatalError("model metadata is a flat map of strings") }
}

struct FlatKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: FlatStorage
    var codingPath: [CodingKey] = []
    mutating func encodeNil(forKey key: Key) {}
    mutating func encode(_ value: String, forKey key: Key) { storage.values[key.stringValue] = value }
    mutating func encode(_ value: Bool, forKey key: Key) { storage.values[key.stringValue] = String(value) }
    mutating func encode(_ value: Double, forKey key: Key) { storage.values[key.stringValue] = String(value) }
    mutating func encode(_ value: Int, forKey key: Key) { storage.values[key.stringValue] = String(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) { storage.values[key.stringValue] = String(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        switch value {
        case let v as any RawRepresentable<String>: storage.values[key.stringValue] = v.rawValue
        case let v as any LosslessStringConvertible: storage.values[key.stringValue] = v.description
        default: fatalError("model metadata: \(key.stringValue) is not a string, number or boolean")
        }
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        fatalError("model metadata is a flat map of strings")
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer { fatalError("model metadata is a flat map of strings") }
    mutating func superEncoder() -> Encoder { fatalError("model metadata is a flat map of strings") }
    mutating func superEncoder(forKey key: Key) -> Encoder { fatalError("model metadata is a flat map of strings") }
}

struct FlatDecoder: Decoder {
    let values: [String: String]
    var codingPath: [CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(FlatKeyedDecoder<Key>(values: values))
    }
    func unkeyedContainer() throws -> UnkeyedDecodingContainer { throw MetadataError(message: "metadata is a flat map of strings") }
    func singleValueContainer() throws -> SingleValueDecodingContainer { throw MetadataError(message: "metadata is a flat map of strings") }
}

struct FlatKeyedDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let values: [String: String]
    var codingPath: [CodingKey] = []
    var allKeys: [Key] { values.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }
    func decodeNil(forKey key: Key) -> Bool { values[key.stringValue] == nil }

    func text(_ key: Key, _ expected: String) throws -> String {
        guard let v = values[key.stringValue] else {
            throw MetadataError(message: "metadata \(key.stringValue) missing, expected \(expected)")
        }
        return v
    }
    func parse<T: LosslessStringConvertible>(_ key: Key, _ expected: String) throws -> T {
        let v = try text(key, expected)
        guard let x = T(v) else { throw MetadataError(message: "metadata \(key.stringValue) is '\(v)', expected \(expected)") }
        return x
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try text(key, "a string") }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try parse(key, "true or false") }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try parse(key, "a number") }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try parse(key, "an integer") }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try parse(key, "an integer ≥ 0") }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        if let raw = T.self as? any (RawRepresentable<String> & CaseIterable).Type {
            let v = try text(key, "a name")
            func make<R: RawRepresentable<String> & CaseIterable>(_ r: R.Type) -> T? { R(rawValue: v) as? T }
            if let x = make(raw) { return x }
            func names<R: RawRepresentable<String> & CaseIterable>(_ r: R.Type) -> String { r.allCases.map(\.rawValue).joined(separator: ", ") }
            throw MetadataError(message: "metadata \(key.stringValue) is '\(v)', expected one of: \(names(raw))")
        }
        if let lossless = T.self as? any LosslessStringConvertible.Type {
            let v = try text(key, "a value")
            func make<L: LosslessStringConvertible>(_ l: L.Type) -> T? { L(v) as? T }
            if let x = make(lossless) { return x }
            throw MetadataError(message: "metadata \(key.stringValue) is '\(v)', expected a \(T.self)")
        }
        throw MetadataError(message: "metadata \(key.stringValue): \(T.self) is not a flat value")
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw MetadataError(message: "metadata is a flat map of strings")
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { throw MetadataError(message: "metadata is a flat map of strings") }
    func superDecoder() throws -> Decoder { throw MetadataError(message: "metadata is a flat map of strings") }
    func superDecoder(forKey key: Key) throws -> Decoder { throw MetadataError(message: "metadata is a flat map of strings") }
}
