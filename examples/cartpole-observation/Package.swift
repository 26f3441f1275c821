// swift-tools-version:6.0
// A study of what the cart-pole's rendered frames tell a policy (see the README's
// "Cart-pole from pixels"). A separate package that uses DiffRay by path.
import PackageDescription

let package = Package(
    name: "cartpole-observation",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "DiffRay", path: "../..")],
    targets: [
        .executableTarget(name: "cartpole-observation",
                          dependencies: [.product(name: "DiffRay", package: "DiffRay")],
                          swiftSettings: [.unsafeFlags(["-wmo"], .when(configuration: .release)), .swiftLanguageMode(.v5)]),
    ]
)
