import Foundation
import ImageIO
import Control

/// A pixel policy in an episode (`evaluate(policy:task:episodes:seed:)`): each
/// state is path-traced by `observer` (primal render, the policy's frame
/// seed), its contrast channel pushed onto the last `frames` (`FrameStack`, or
/// `CartCrop` with a window `crop` columns wide), and `act` maps that input to
/// the action; the first step's earlier frames repeat its own (no motion seen).
/// `onFrame` sees each frame.
public struct RenderedFramePolicy: Policy {
    public let observer: PixelObservation
    public let frames: Int
    public let crop: CartCrop?
    public var frameSeed = PixelObservation.frameSeed
    public var act: ([Double]) -> Double
    public var onFrame: ((_ episode: Int, _ step: Int, _ state: [Double], _ image: Image) throws -> Void)?
    var history = [[Double]]()
    var episode = 0

    public init(observer: PixelObservation, frames: Int = 2, crop: Int = 0, act: @escaping ([Double]) -> Double,
                onFrame: ((_ episode: Int, _ step: Int, _ state: [Double], _ image: Image) throws -> Void)? = nil) {
        self.observer = observer; self.frames = frames; self.crop = CartCrop.window(width: crop, frameWidth: observer.width)
        self.act = act; self.onFrame = onFrame
    }

    public mutating func startEpisode(_ episode: Int) { history = []; self.episode = episode }

    public mutating func action(state: [Double], step: Int) throws -> Double {
        let image = try observer.render(state: state, seed: frameSeed)
        try onFrame?(episode, step, state, image)
        history = FrameStack.push(PixelInput.channel(image), onto: history, count: frames)
        return act(CartPolePixels.input(history, background: observer.background, crop: crop))
    }
}
