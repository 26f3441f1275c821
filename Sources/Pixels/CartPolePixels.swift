import Foundation
import Autodiff
import Learning
import Control

/// Cart-pole from pixels: the policy sees the last `frames` views (`FrameStack`,
/// or a window `crop` columns wide centred on the cart, `CartCrop`), nothing
/// else: dense(inputs → 32) relu → 1 tanh. Trained by `PixelBPTTTrainer`, by default with
/// a learned critic (`Hyperparameters.shac`); `--trainer surrogate`: with the state
/// recipe's loss (`CartPoleSurrogate`), windows of 8 steps, Adam,
/// the gradient clipped to norm 1, the LQR cost-to-go at every window's end and
/// the saved weights averaged (`hyperparameters`).
public enum CartPolePixels: PixelTask {
    /// `hidden` units; the view, `resolution` pixels wide (64: at 32, seed 1 evaluated at 356 after 50 episodes), `samples` per pixel;
    /// `frames` seen (the current one and the three before it); BPTT `window`s of
    /// 8 steps, Adam's `learningRate`, the gradient clipped to `clipNorm`; the saved
    /// policy the Polyak average of the weights at `averageRate` per update
    /// (`PixelBPTTTrainer.averageRate`); the LQR cost-to-go at every window's end
    /// weighted `costToGo` (`QuadraticCostToGo.cartPole`: an 8-step window sees too
    /// little of what the cart's place and speed cost later, and without it frozen
    /// policies drift off the track); training starts with the cart anywhere in
    /// ±`startSpread` m (off: with the window around the cart, ±1 m helped some
    /// seeds and hurt others); `defaultEpisodes`.
    public struct Hyperparameters: Recipe {
        public var hidden: Int, resolution: Int, samples: Int, frames: Int, window: Int
        public var learningRate: Double, clipNorm: Double, averageRate: Double, costToGo: Double, startSpread: Double
        public var defaultEpisodes: Int
        /// The learned critic (`--trainer shac`, the default): one environment
        /// (the one episode followed), windows of `horizon` steps (20: with 10, seeds 5 and 7 lost 26 and
        /// 65 of 100 evaluation episodes, most with the cart off the track; with 20 none), γ (0.99: at 0.9 the critic
        /// sees ten steps ahead, and a slow drift off the track costs little within them), λ,
        /// the critic's Adam rate and the loss scale, Gaussian action noise, the actor's rate
        /// (0.005: at 0.01 seed 1 learned sooner, then lost it). Both rates fall
        /// linearly to 0 over the budget, and the saved policy is the last weights
        /// (`shacAverageRate` 0: an average lags behind a policy that improves until the end).
        /// A training episode is a budget of `shacEpisodeSteps` simulated steps (one Gym
        /// episode's length), the cart-pole restarting inside it, so that the short episodes
        /// of the first policies do not use up the budget.
        public var shac: SHACSettings
        public var shacAverageRate: Double
        public var shacEpisodeSteps: Int
        /// The learned critic's loss adds `shacCartCost`·(x² + ẋ²) a step to minus the shaped reward
        /// (0: none), a pull towards the track's centre and a cart at rest (0.1: without it seeds 6 and 9
        /// lost about half their evaluation episodes to a slow drift off the track; with it 5 and 0 of 20).
        public var shacCartCost: Double
    }

    public static let problem = ControlProblem.cartpole
    public static let stateSize = CartPoleDynamics.stateSize
    public static let hyperparameters = Hyperparameters(
        hidden: 32, resolution: 64, samples: 4, frames: 4, window: 8, learningRate: 0.01, clipNorm: 1, averageRate: 0.01, costToGo: 3,
        startSpread: 0, defaultEpisodes: 50,
        shac: SHACSettings(environments: 1, horizon: 20, discount: 0.99, tdLambda: 0.95, actorLearningRate: 0.005, criticLearningRate: 0.002,
                           lossScale: 0.1, actionNoise: 0.3),
        shacAverageRate: 0, shacEpisodeSteps: CartPoleDynamics.maxSteps,
        shacCartCost: 0.1)
    public static let maxFrames = 16
    public static let defaults = PixelDefaults(resolution: hyperparameters.resolution, samples: hyperparameters.samples, resolutions: 4...256,
                                               learningRate: hyperparameters.learningRate, episodes: hyperparameters.defaultEpisodes)

    /// The view is wide, 3/8 as high as wide: the track and not much above the pole.
    public static func height(width: Int) -> Int { Swift.max(1, Int((Double(width) * 3 / 8).rounded())) }

    public static func defines(state: [Double]) -> [String: String] {
        precondition(state.count >= 4, "SceneTemplate: cart-pole state has 4 values")
        return ["cart_x": define(state[0]), "pole_angle": define(state[2] * 180 / .pi)]
    }

    /// x ∈ ±1 m, θ ∈ ±0.2 rad.
    public static func sweep(_ u: Double) -> [Double] { [2 * u - 1, 0, 0.2 * sin(6 * u), 0] }

    public static let poseKeys = ["cart.translate", "pole.translate", "pole.rotate"]
    public static let posedStateIndices = [0, 2]

    /// Hinge 0.5 m below the pole's centre, the pole leaning to +x for θ > 0 (a rotation by −θ about z).
    @inlinable
    public static func pose<T: Real>(state s: [T]) -> [[T]] {
        let z = T(0), x = s[0], th = s[2]
        return [[x, z, z],
                [x + T(0.5) * sin(th), T(0.5) * cos(th) - T(0.5), z],
                [z, z, -th]]
    }

    /// The layers for a view `resolution` pixels wide, `frames` stacked frames and
    /// a window `crop` columns wide centred on the cart (0: the whole frame).
    public static func layers(resolution r: Int, frames: Int = 2, crop: Int = 0) -> [Layer] {
        let inputs = inputSize(frames: frames, width: r, height: height(width: r),
                               crop: CartCrop.window(width: crop, frameWidth: r))
        return Network.mlpLayers([inputs, hyperparameters.hidden, 1], hidden: .relu, output: .tanh)
    }

    public static func layers(_ options: PixelTrainingOptions) -> [Layer] {
        layers(resolution: options.resolution, frames: options.frames, crop: options.cropWidth)
    }

    public static func layers(_ m: PixelModelMetadata, path: String) throws -> [Layer] {
        guard m.frames >= 2 && m.frames <= maxFrames else {
            throw ModelFileError(path: path, "metadata pixels_frames is \(m.frames), expected an integer in 2...\(maxFrames)")
        }
        guard m.cropWidth >= 0 && m.cropWidth <= maxCrop(resolution: m.resolution) else {
            throw ModelFileError(path: path, "metadata pixels_crop is \(m.cropWidth), expected an integer in 0...\(maxCrop(resolution: m.resolution))")
        }
        return layers(resolution: m.resolution, frames: m.frames, crop: m.cropWidth)
    }

    /// The stacked frames, the window, the frames rendered and the recipe's options.
    public static func describe(_ run: PixelTrainingRun, in m: inout PixelModelMetadata) {
        m.stackedFrames = run.options.frames
        m.crop = run.options.cropWidth > 0 ? run.options.cropWidth : nil
        m.renderedFrames = run.renderedFrames
        m.averageRate = run.options.averageRate
        m.startSpread = run.options.startSpreadWidth
        m.costToGo = run.options.costToGoWeight
    }

    /// The length of the policy input for `frames` stacked `width`×`height` frames,
    /// seen through `crop` or whole (nil).
    public static func inputSize(frames: Int, width: Int, height: Int, crop: CartCrop?) -> Int {
        crop?.inputSize(frames: frames, height: height) ?? frames * width * height
    }

    /// The default window around the cart (`CartCrop`): a quarter of the view's
    /// width (16 columns of 64, 1.4 m of track).
    public static func crop(resolution: Int) -> Int { Swift.max(1, resolution / 4) }
    /// The widest window: twice the frame (a window wider than that only adds zeros).
    public static func maxCrop(resolution: Int) -> Int { 2 * resolution }

    /// The policy input of `history` (contrast channels, newest first): the
    /// window around the cart when `crop` is set, the whole frames otherwise.
    @inlinable
    public static func input(_ history: [[Double]], background: [Double], crop: CartCrop?) -> [Double] {
        crop.map { $0.input(history) } ?? FrameStack.input(history, background: background)
    }
}

extension CartPolePixels {
    public static var criticSettings: SHACSettings? { hyperparameters.shac }
    public static var criticInputs: Int { CartPoleDynamics.observationSize }
}
