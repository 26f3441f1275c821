// swift-tools-version:6.0
import PackageDescription

// DiffRay builds on Linux (Debian 12, Swift 6.3): its math goes through Glibc and its
// image formats through the Debian packages libpng-dev and libopenexr-dev, Embree through libembree-dev.
// Release builds already use whole-module optimisation; cross-module inlining of
// the hot generic code comes from `@inlinable` (docs/design.md).
let package = Package(
    name: "DiffRay",
    products: [
        .library(name: "DiffRay", targets: ["DiffRay"]),
        .executable(name: "diffray", targets: ["DiffRayCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian packages.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "COpenEXR", path: "Sources/COpenEXR",
                       providers: [.apt(["libopenexr-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // Embree 3 (intersection core; libembree-dev), through its C API and a few inline helpers.
        .systemLibrary(name: "CEmbree", path: "Sources/CEmbree",
                       providers: [.apt(["libembree-dev"])]),
        .target(name: "CSupport", path: "Sources/CSupport"),
        // Open MPI's C API, loaded at run time (dlopen): no build dependency on MPI.
        .target(name: "CMPI", path: "Sources/CMPI"),

        // Library modules, one concept each.
        .target(name: "Autodiff", dependencies: ["CSupport"]),
        // Cluster: processes under mpirun, work shards and their fixed-order reductions.
        .target(name: "Cluster", dependencies: ["CMPI"]),
        .target(name: "ImageIO", dependencies: ["CPNG", "COpenEXR", "CJPEG", "CSupport"]),
        .target(name: "Geometry", dependencies: ["Autodiff", "CEmbree"]),
        .target(name: "SceneFile", dependencies: ["Geometry", "CZlib"]),
        .target(name: "Learning", dependencies: ["Autodiff", "ImageIO"]),
        .target(name: "Render", dependencies: ["Geometry", "ImageIO", "SceneFile", "Learning", "Cluster"]),
        // Control: dynamics, losses, BPTT and trainers; no rendering.
        .target(name: "Control", dependencies: ["CSupport", "Autodiff", "ImageIO", "Learning", "Cluster"]),
        // Pixels: what the pixel policies see (scene templates shipped as resources, observation, frame caches).
        .target(name: "Pixels", dependencies: ["Control", "Render", "ImageIO"], resources: [.copy("Templates")]),
        // The umbrella: re-exports the library modules, holds no code of its own.
        .target(name: "DiffRay",
                dependencies: ["Autodiff", "ImageIO", "Geometry", "SceneFile", "Render", "Learning", "Control", "Pixels", "Cluster"]),
        // The command-line tool `diffray`; its module name differs from the umbrella's by more than case.
        .executableTarget(name: "DiffRayCLI",
                          dependencies: ["DiffRay", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Tests, one target per module, and the test support they share.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "AutodiffTests",
                    dependencies: ["Autodiff", "TestSupport",
                                   .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "TestSupport"]),
        .testTarget(name: "GeometryTests", dependencies: ["Geometry", "TestSupport"]),
        .testTarget(name: "SceneFileTests", dependencies: ["SceneFile", "Geometry", "TestSupport"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "SceneFile", "ImageIO", "TestSupport"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "TestSupport"]),
        .testTarget(name: "ControlTests", dependencies: ["Control", "TestSupport"]),
        .testTarget(name: "PixelsTests", dependencies: ["Pixels", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["DiffRay", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
