// swift-tools-version:6.0
// A separate package that uses DiffRay by path, as a user's package would.
import PackageDescription

let package = Package(
    name: "gradient-hello",
    dependencies: [.package(name: "DiffRay", path: "../..")],
    targets: [
        .executableTarget(name: "gradient-hello",
                          dependencies: [.product(name: "DiffRay", package: "DiffRay")]),
    ]
)
