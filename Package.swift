// swift-tools-version:6.0
import PackageDescription

/// Release builds of the hot generic code need whole-module optimisation and
/// inlining across modules; `@inlinable` does the latter (see DESIGN.md).
let optimised: [SwiftSetting] = [
    .unsafeFlags(["-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "DiffRay",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "DiffRay", targets: ["DiffRay"]),
        .executable(name: "diffray", targets: ["diffray"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        // C libraries from Debian packages.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "COpenEXR", path: "Sources/COpenEXR",
                       providers: [.apt(["libopenexr-dev"])]),
        .target(name: "CSupport", path: "Sources/CSupport"),

        // Library modules, one concept each.
        .target(name: "Autodiff", dependencies: ["CSupport"], swiftSettings: optimised),
        .target(name: "ImageIO", dependencies: ["CPNG", "COpenEXR", "CSupport"], swiftSettings: optimised),
        .target(name: "Geometry", dependencies: ["Autodiff"], swiftSettings: optimised),
        .target(name: "SceneFile", dependencies: [], swiftSettings: optimised),
        .target(name: "Render", dependencies: ["Geometry", "ImageIO", "SceneFile"], swiftSettings: optimised),
        .target(name: "Learning", dependencies: ["Autodiff", "ImageIO"], swiftSettings: optimised),
        .target(name: "Environments", dependencies: ["Learning", "Render"], swiftSettings: optimised),
        .target(name: "DiffRay",
                dependencies: ["Autodiff", "ImageIO", "Geometry", "SceneFile", "Render", "Learning", "Environments"],
                swiftSettings: optimised),
        .executableTarget(name: "diffray",
                          dependencies: ["DiffRay", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: optimised),

        // Tests, one target per module.
        .testTarget(name: "AutodiffTests",
                    dependencies: ["Autodiff", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "GeometryTests", dependencies: ["Geometry"]),
        .testTarget(name: "SceneFileTests", dependencies: ["SceneFile"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "SceneFile", "ImageIO"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning"]),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Environments"]),
        .testTarget(name: "CLITests", dependencies: ["DiffRay"]),
    ],
    swiftLanguageModes: [.v5]
)
