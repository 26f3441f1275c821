import Foundation

/// Folders of this repository, found from this file's place in it
/// (Tests/TestSupport/Repository.swift), so tests run from any working folder.
public enum Repository {
    /// The package root.
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// `scenes/`, the example and environment scenes.
    public static let scenes: URL = root.appendingPathComponent("scenes")
    /// `Tests/Fixtures/`, the committed test scenes and Mitsuba references.
    public static let fixtures: URL = root.appendingPathComponent("Tests/Fixtures")
}
