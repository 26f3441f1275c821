import Autodiff

/// The shape of a 2-D convolution over a channels × height × width input
/// (row-major, channel first). Weights are stored filter-major as
/// `[filters][channels][kernel][kernel]`, followed by one bias per filter.
public struct Conv2DShape: Codable, Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var filters: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int

    public init(channels: Int, height: Int, width: Int, filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.channels = channels; self.height = height; self.width = width
        self.filters = filters; self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    @inlinable public var outputHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    @inlinable public var outputWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    @inlinable public var inputSize: Int { channels * height * width }
    @inlinable public var outputSize: Int { filters * outputHeight * outputWidth }
    @inlinable public var weightCount: Int { filters * channels * kernel * kernel }
}

/// One layer of a `Network`: a closed set, switched on in the hot loops.
public enum Layer: Equatable, Sendable {
    /// y = W x + b with W stored row-major `[outputs][inputs]`, then b.
    case dense(inputs: Int, outputs: Int)
    /// A 2-D convolution (see `Conv2DShape`).
    case conv2d(Conv2DShape)
    /// An element-wise activation of `size` values.
    case activation(Activation, size: Int)
    /// Spatial soft-argmax (Levine, Finn, Darrell and Abbeel 2016, "End-to-end
    /// training of deep visuomotor policies"): for each of `channels` maps of
    /// `height` × `width` values, the expected image position under the softmax
    /// of the map, (u, v) ∈ [−1, 1]² (u along the width); 2·channels outputs
    /// `[u₀, v₀, u₁, v₁, …]`. Turns feature maps into feature *points*.
    case spatialSoftArgmax(channels: Int, height: Int, width: Int)

    @inlinable public var inputSize: Int {
        switch self {
        case let .dense(i, _): return i
        case let .conv2d(s): return s.inputSize
        case let .activation(_, n): return n
        case let .spatialSoftArgmax(c, h, w): return c * h * w
        }
    }
    @inlinable public var outputSize: Int {
        switch self {
        case let .dense(_, o): return o
        case let .conv2d(s): return s.outputSize
        case let .activation(_, n): return n
        case let .spatialSoftArgmax(c, _, _): return 2 * c
        }
    }
    @inlinable public var parameterCount: Int {
        switch self {
        case let .dense(i, o): return i * o + o
        case let .conv2d(s): return s.weightCount + s.filters
        case .activation, .spatialSoftArgmax: return 0
        }
    }
    /// Human-readable one-word description, e.g. `dense(4→24)`.
    public var summary: String {
        switch self {
        case let .dense(i, o): return "dense(\(i)→\(o))"
        case let .conv2d(s):
            return "conv2d(\(s.channels)×\(s.height)×\(s.width)→\(s.filters)×\(s.outputHeight)×\(s.outputWidth), k\(s.kernel) s\(s.stride) p\(s.padding))"
        case let .activation(a, n): return "\(a.rawValue)(\(n))"
        case let .spatialSoftArgmax(c, h, w): return "spatial_soft_argmax(\(c)×\(h)×\(w)→\(2 * c))"
        }
    }
}

// MARK: - Codable (a flat, readable JSON object per layer)

extension Layer: Codable {
    enum CodingKeys: String, CodingKey {
        case type, inputs, outputs, function, size
        case channels, height, width, filters, kernel, stride, padding
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "dense":
            self = .dense(inputs: try c.decode(Int.self, forKey: .inputs), outputs: try c.decode(Int.self, forKey: .outputs))
        case "conv2d":
            self = .conv2d(Conv2DShape(
                channels: try c.decode(Int.self, forKey: .channels), height: try c.decode(Int.self, forKey: .height),
                width: try c.decode(Int.self, forKey: .width), filters: try c.decode(Int.self, forKey: .filters),
                kernel: try c.decode(Int.self, forKey: .kernel), stride: try c.decode(Int.self, forKey: .stride),
                padding: try c.decode(Int.self, forKey: .padding)))
        case "activation":
            let name = try c.decode(String.self, forKey: .function)
            guard let a = Activation(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: .function, in: c, debugDescription: "unknown activation '\(name)'")
            }
            self = .activation(a, size: try c.decode(Int.self, forKey: .size))
        case "spatial_soft_argmax":
            self = .spatialSoftArgmax(channels: try c.decode(Int.self, forKey: .channels),
                                      height: try c.decode(Int.self, forKey: .height), width: try c.decode(Int.self, forKey: .width))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown layer type '\(type)'")
        }
        if let problem = limitProblem {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "layer \(type): \(problem)")
        }
    }

    /// Largest input, output or parameter count a layer read from a file may have (2^28).
    public static let maximumSize = 1 << 28

    /// Why this layer's shape is out of range (a count not positive or over
    /// `maximumSize`, a stride or kernel that does not fit), or nil when it is fine.
    /// Checked before any size is multiplied out, so no count overflows.
    public var limitProblem: String? {
        let cap = Layer.maximumSize
        func product(_ factors: [Int]) -> Int? {
            var p = 1
            for f in factors {
                let (r, overflow) = p.multipliedReportingOverflow(by: f)
                if overflow || r > cap { return nil }
                p = r
            }
            return p
        }
        func positive(_ named: [(String, Int)]) -> String? {
            for (name, v) in named where v < 1 || v > cap { return "\(name) is \(v), expected 1...\(cap)" }
            return nil
        }
        switch self {
        case let .dense(i, o):
            if let p = positive([("inputs", i), ("outputs", o)]) { return p }
            if product([i, o]) == nil || product([i, o]).map({ $0 + o > cap }) == true {
                return "\(i)×\(o) weights, over the limit of \(cap) parameters"
            }
        case let .conv2d(s):
            if let p = positive([("channels", s.channels), ("height", s.height), ("width", s.width), ("filters", s.filters),
                                 ("kernel", s.kernel), ("stride", s.stride)]) { return p }
            if s.padding < 0 || s.padding > 1 << 16 { return "padding is \(s.padding), expected 0...\(1 << 16)" }
            if s.kernel > s.height + 2 * s.padding || s.kernel > s.width + 2 * s.padding {
                return "kernel \(s.kernel) is larger than the padded \(s.height)×\(s.width) input"
            }
            if product([s.channels, s.height, s.width]) == nil { return "input of \(s.channels)×\(s.height)×\(s.width) values, over the limit of \(cap)" }
            if product([s.filters, s.outputHeight, s.outputWidth]) == nil { return "output over the limit of \(cap) values" }
            guard let w = product([s.filters, s.channels, s.kernel, s.kernel]), w + s.filters <= cap else {
                return "weights over the limit of \(cap) parameters"
            }
        case let .activation(_, n):
            if let p = positive([("size", n)]) { return p }
        case let .spatialSoftArgmax(ch, h, w):
            if let p = positive([("channels", ch), ("height", h), ("width", w)]) { return p }
            if product([ch, h, w]) == nil { return "input of \(ch)×\(h)×\(w) values, over the limit of \(cap)" }
        }
        return nil
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .dense(i, o):
            try c.encode("dense", forKey: .type); try c.encode(i, forKey: .inputs); try c.encode(o, forKey: .outputs)
        case let .conv2d(s):
            try c.encode("conv2d", forKey: .type)
            try c.encode(s.channels, forKey: .channels); try c.encode(s.height, forKey: .height)
            try c.encode(s.width, forKey: .width); try c.encode(s.filters, forKey: .filters)
            try c.encode(s.kernel, forKey: .kernel); try c.encode(s.stride, forKey: .stride)
            try c.encode(s.padding, forKey: .padding)
        case let .activation(a, n):
            try c.encode("activation", forKey: .type); try c.encode(a.rawValue, forKey: .function); try c.encode(n, forKey: .size)
        case let .spatialSoftArgmax(ch, h, w):
            try c.encode("spatial_soft_argmax", forKey: .type)
            try c.encode(ch, forKey: .channels); try c.encode(h, forKey: .height); try c.encode(w, forKey: .width)
        }
    }
}
