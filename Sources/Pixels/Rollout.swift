import Cluster
import Foundation
import ImageIO
import Control

/// Rendering what a controller did, for a person to look at: every `every`-th
/// state of an episode (and the last) path-traced into `DIR/frame-NNNN.png`,
/// and contact sheets of at most 24 evenly spaced frames.
public enum Rollout {
    /// The indices of every `every`-th of `count` states, and of the last one.
    public static func picked(count: Int, every: Int) -> [Int] {
        var picked = Swift.stride(from: 0, to: count, by: every).map { $0 }
        if picked.last != count - 1 { picked.append(count - 1) }
        return picked
    }

    /// Renders state `i` (`render(i)`) of every `every`-th of `count` states and
    /// the last into `directory/frame-NNNN.png` (N counting the frames written).
    /// With a distributed `communicator` the frames are shared over the
    /// processes (frame k on rank k mod size) and gathered on every one; the
    /// files are written where files are written (rank 0, `AtomicFile.writesFiles`).
    public static func renderFrames(count: Int, every: Int, directory: String, communicator: Communicator = .local,
                                    render: (_ index: Int) throws -> Image) throws -> [Image] {
        let picked = picked(count: count, every: every)
        let shards = WorkShards(count: picked.count, over: communicator)
        // Width, height, then the linear RGB pixels of each frame.
        let mine = try shards.owned.map { k -> [Double] in
            let image = try render(picked[k])
            return [Double(image.width), Double(image.height)] + image.pixels.map { Double($0) }
        }
        var images = [Image]()
        for (k, frame) in shards.allGather(mine).enumerated() {
            let image = Image(width: Int(frame[0]), height: Int(frame[1]), pixels: frame.dropFirst(2).map { Float($0) })
            try image.write(to: path(directory, String(format: "frame-%04d.png", k)))
            images.append(image)
        }
        return images
    }

    /// At most 24 of `images`, evenly spaced from the first to the last, each
    /// enlarged `scale` times (nearest pixel), in rows of 6.
    public static func contactSheet(_ images: [Image], scale: Int = 1) -> Image {
        let count = Swift.min(24, images.count)
        let chosen = (0..<count).map { images[$0 * (images.count - 1) / Swift.max(count - 1, 1)] }
        return Image.contactSheet(chosen.map { scale > 1 ? $0.resized(width: $0.width * scale, height: $0.height * scale, filter: .nearest) : $0 },
                                  columns: 6)
    }

    /// `directory/name`.
    public static func path(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }
}
