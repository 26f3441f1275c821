import Foundation
import Autodiff
import ImageIO
import Render
import Control

/// A rendered frame of an environment state and its Jacobian with respect to the state.
public struct PixelFrame: Sendable {
    /// The path-traced image (linear RGB).
    public var image: Image
    /// ∂image/∂state: one `width·height·3` column per state variable, row-major
    /// linear RGB like `image.pixels` (all zeros for variables the picture does not show,
    /// such as velocities). Empty when the frame was rendered without derivatives.
    public var jacobian: [[Float]]

    public init(image: Image, jacobian: [[Float]]) { self.image = image; self.jacobian = jacobian }

    /// The vector-Jacobian product: given ∂loss/∂image (linear RGB, `width·height·3`),
    /// returns ∂loss/∂state (one value per state variable).
    public func pullback(_ imageAdjoint: [Double]) -> [Double] {
        precondition(imageAdjoint.count == image.pixels.count, "PixelFrame.pullback: adjoint has \(imageAdjoint.count) values, expected \(image.pixels.count)")
        return jacobian.map { column in
            var s = 0.0
            column.withUnsafeBufferPointer { c in
                imageAdjoint.withUnsafeBufferPointer { a in
                    for i in 0..<a.count { s += Double(c[i]) * a[i] }
                }
            }
            return s
        }
    }
}

/// The differentiable "render the state" step of the pixel controllers.
///
/// The environment's scene template (`scenes/ENV.xml`) is parsed ONCE at the
/// rest pose; a state then only changes the rigid pose offsets of the moving
/// shapes (`cart.translate`; `pole.translate`, `pole.rotate` about the pole's
/// centroid, re-centred on the hinge; `rod.*`, `bob.translate` for the
/// pendulum) through `Scene.updated(_:)`. The Jacobian ∂image/∂state comes from
/// forward-mode rendering (`Scene.renderForward`, dual numbers, with the
/// renderer's boundary (silhouette) term unless `boundary` is `.interiorOnly`)
/// with respect to the pose parameters, chained with ∂pose/∂state computed by
/// `Dual4` through `pose(_:state:)`.
public struct PixelObservation: @unchecked Sendable {
    public let problem: ControlProblem
    /// The scene at the rest pose (all pose offsets zero).
    public let rest: Scene<Double>
    public let resolution: Int
    public let samples: Int
    public var boundary: BoundaryOptions
    public var threads: Int
    /// The contrast channel (`PixelInput.channel`) of the rest pose rendered
    /// with `frameSeed`: a fixed background the policy input
    /// subtracts (a constant image, like a data set's mean; no state).
    public let background: [Double]
    /// The static part's paths at `frameSeed` (`StaticPaths`): frames rendered at
    /// that seed trace again only the samples whose segments meet the moving
    /// shapes, and are bit-identical to frames rendered without them. Nil when
    /// turned off or refused (`staticPathsNote` says why).
    public let staticPaths: StaticPaths?
    /// Why `staticPaths` is nil, if it is.
    public let staticPathsNote: String?

    /// Loads `directory/ENV.xml` `resolution` pixels wide, `samples` per pixel and
    /// path depth `depth` (2: direct lighting only). `boundary` defaults to the
    /// camera's silhouettes only when every light is a point light at the camera
    /// (its shadows hide behind what casts them), to both terms otherwise. The trebuchet has no pose
    /// keys (its picture is exogenous data: see `TrebuchetPixels`). `reusingStaticPaths`
    /// keeps the static part's paths at `frameSeed` (`staticPaths`).
    public init(problem: ControlProblem, directory: String? = nil, resolution: Int = 32, samples: Int = 4,
                depth: Int = 2, boundary: BoundaryOptions? = nil,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, reusingStaticPaths: Bool = true) throws {
        guard !problem.pixelTask.poseKeys.isEmpty else {
            throw ControlError("PixelObservation.init: the \(problem.rawValue) has no moving parts to differentiate; expected cartpole or pendulum")
        }
        configureAllocator()
        let template = try SceneTemplate(problem: problem, directory: directory)
        var defines = template.defines(state: [0, 0, 0, 0], resolution: resolution, samples: samples)
        defines["depth"] = String(depth)
        rest = try Scene.load(path: template.path, defines: defines)
        try rest.validate(keys: problem.pixelTask.poseKeys)
        self.problem = problem
        self.resolution = resolution
        self.samples = samples
        // A point light at the camera's centre of projection hides every shadow
        // behind what casts it (the built-in views): there the camera's
        // silhouettes are all the boundary there is. Any other light (a sun, a
        // lamp beside the camera, an area light) casts shadows in view, whose
        // edges ∂frame/∂state needs: both terms.
        let eye = rest.camera.toWorld.origin
        let shadowsHidden = rest.emitters.allSatisfy { e in
            if case .point(let light) = e { return light.position == eye }
            return false
        }
        self.boundary = boundary ?? (shadowsHidden ? .primaryOnly : .standard)
        self.threads = threads
        let frameOptions = RenderOptions(samplesPerPixel: samples, seed: PixelObservation.frameSeed, threads: threads)
        if !reusingStaticPaths {
            (staticPaths, staticPathsNote) = (nil, "turned off")
        } else {
            do {
                (staticPaths, staticPathsNote) = (try StaticPaths(scene: rest, varying: problem.pixelTask.poseKeys, frameOptions), nil)
            } catch {
                (staticPaths, staticPathsNote) = (nil, "\(error)")
            }
        }
        background = PixelInput.channel(rest.render(frameOptions, reusing: staticPaths).0)
        staticPaths?.resetCounts()
    }

    /// The film's size: `resolution` wide, `SceneTemplate.height(of:width:)` high.
    public var width: Int { rest.film.width }
    public var height: Int { rest.film.height }

    public var stateSize: Int { problem.pixelTask.stateSize }

    /// Every frame of a policy's view is rendered with this seed (the same
    /// sample pattern each step, so the difference channel shows motion, not noise).
    public static let frameSeed: UInt64 = 7

    /// The scene posed in `state` (no XML parsing; the BVH is rebuilt).
    public func scene(state: [Double]) throws -> Scene<Double> {
        let keys = problem.pixelTask.poseKeys
        let values = problem.pixelTask.pose(state: state)
        return try rest.updated(Dictionary(uniqueKeysWithValues: zip(keys, values)))
    }

    /// The image of `state` (primal only). At `frameSeed`, from `staticPaths` where they reach.
    public func render(state: [Double], seed: UInt64 = 0) throws -> Image {
        try scene(state: state).render(RenderOptions(samplesPerPixel: samples, seed: seed, threads: threads), reusing: staticPaths).0
    }

    /// The image of `state` and ∂image/∂state, by ONE forward-mode pass whose
    /// dual lanes are the directions of the posed state variables, one derivative
    /// image each (the pose offsets are lifted with ∂pose/∂state from
    /// `pose(_:state:)`), with the boundary (silhouette) term unless `boundary`
    /// is `.interiorOnly`.
    public func renderWithJacobian(state: [Double], seed: UInt64 = 0) throws -> PixelFrame {
        typealias D = Dual<SIMD2<Double>>
        let indices = problem.pixelTask.posedStateIndices
        precondition(indices.count <= 2 && state.count == stateSize, "PixelObservation: state has \(state.count) values, expected \(stateSize)")
        let keys = problem.pixelTask.poseKeys
        let posed = try scene(state: state)
        var dualState = state.map { D($0) }
        for (lane, i) in indices.enumerated() { dualState[i] = D(state[i], variable: lane) }
        var tangents = [String: [D]]()
        for (k, v) in zip(keys, problem.pixelTask.pose(state: dualState)) { tangents[k] = v }
        let (image, derivatives) = posed.renderForward(
            directions: SIMD2<Double>.self, lanes: indices.count, differentiates: { tangents[$0] != nil },
            tangent: { key, _ in tangents[key]! },
            RenderOptions(samplesPerPixel: samples, seed: seed, threads: threads), boundary: boundary, reusing: staticPaths)
        var jacobian = [[Float]](repeating: [Float](repeating: 0, count: image.pixels.count), count: state.count)
        for (lane, i) in indices.enumerated() { jacobian[i] = derivatives[lane].pixels }
        return PixelFrame(image: image, jacobian: jacobian)
    }
}

/// The single channel a pixel policy sees of each frame (`FrameStack` stacks them).
///
/// The channel is the fixed colour contrast r − b of the linear image (the
/// cart and the bob are blue, the pole and the rod orange, the backdrop
/// grey: a contrast that needs no learned colour layer).
public enum PixelInput {
    /// The gain on frame differences in the policy's input.
    public static let differenceGain = 4.0

    /// The contrast channel of an image.
    @inlinable
    public static func channel(_ image: Image) -> [Double] {
        let n = image.width * image.height
        var out = [Double](repeating: 0, count: n)
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n { out[i] = Double(p[3 * i] - p[3 * i + 2]) }
        }
        return out
    }
}
