import Autodiff

/// A feed-forward network: a sequence of layers over one flat parameter vector.
///
/// Two ways to run it:
/// - generic over `T: Real` (`callAsFunction`, `apply(_:parameters:)`), so the
///   network composes with `Dual` and `Adjoint` numbers (inputs that carry
///   gradients from a renderer or a simulator, or weights on the tape);
/// - a fast `Double` path: `forward(_:trace:)` records each layer's output and
///   `backward(_:trace:gradient:)` is the hand-written pullback: given ∂L/∂output
///   it returns ∂L/∂input and accumulates ∂L/∂parameters.
public struct Network: Equatable, Sendable {
    public let layers: [Layer]
    /// Every layer's weights then biases, in layer order.
    public var parameters: [Double]
    /// Where each layer's parameters start in `parameters`.
    public let offsets: [Int]

    /// A network with the given parameters; the layer sizes must chain.
    public init(layers: [Layer], parameters: [Double]) {
        precondition(!layers.isEmpty, "a network needs at least one layer")
        for i in 1..<layers.count {
            precondition(layers[i].inputSize == layers[i - 1].outputSize,
                         "layer \(i) takes \(layers[i].inputSize) values but layer \(i - 1) gives \(layers[i - 1].outputSize)")
        }
        var offsets = [Int](), o = 0
        for l in layers { offsets.append(o); o += l.parameterCount }
        precondition(parameters.count == o, "expected \(o) parameters, got \(parameters.count)")
        self.layers = layers
        self.offsets = offsets
        self.parameters = parameters
    }

    /// A network with Glorot-uniform weights (Glorot & Bengio 2010) drawn from
    /// `generator` and zero biases.
    public init(layers: [Layer], generator: inout SeededGenerator) {
        var p = [Double]()
        for l in layers {
            switch l {
            case let .dense(i, o):
                let limit = (6.0 / Double(i + o)).squareRoot()
                for _ in 0..<(i * o) { p.append(generator.uniform(-limit, limit)) }
                p.append(contentsOf: repeatElement(0, count: o))
            case let .conv2d(s):
                let k2 = s.kernel * s.kernel
                let limit = (6.0 / Double(s.channels * k2 + s.filters * k2)).squareRoot()
                for _ in 0..<s.weightCount { p.append(generator.uniform(-limit, limit)) }
                p.append(contentsOf: repeatElement(0, count: s.filters))
            case .activation, .spatialSoftArgmax: break
            }
        }
        self.init(layers: layers, parameters: p)
    }

    /// A multilayer perceptron: `sizes[0]` inputs, dense layers between
    /// consecutive sizes, `hidden` after each but the last, `output` after the last.
    public static func mlp(_ sizes: [Int], hidden: Activation, output: Activation = .identity,
                           generator: inout SeededGenerator) -> Network {
        Network(layers: mlpLayers(sizes, hidden: hidden, output: output), generator: &generator)
    }

    /// The layers of `mlp(_:hidden:output:generator:)`.
    public static func mlpLayers(_ sizes: [Int], hidden: Activation, output: Activation = .identity) -> [Layer] {
        precondition(sizes.count >= 2)
        var layers = [Layer]()
        for i in 0..<(sizes.count - 1) {
            layers.append(.dense(inputs: sizes[i], outputs: sizes[i + 1]))
            let a = i == sizes.count - 2 ? output : hidden
            if a != .identity { layers.append(.activation(a, size: sizes[i + 1])) }
        }
        return layers
    }

    @inlinable public var inputSize: Int { layers[0].inputSize }
    @inlinable public var outputSize: Int { layers[layers.count - 1].outputSize }
    @inlinable public var parameterCount: Int { parameters.count }

    // MARK: Generic forward

    /// The network applied to generic inputs, with the weights as constants.
    @inlinable
    public func callAsFunction<T: Real>(_ input: [T]) -> [T] {
        apply(input, parameters: parameters.map { T($0) })
    }

    /// The network applied to generic inputs with generic weights (for example
    /// `Adjoint` weights on the tape, to get ∂/∂parameters by reverse mode).
    @inlinable
    public func apply<T: Real>(_ input: [T], parameters p: [T]) -> [T] {
        precondition(input.count == inputSize, "network takes \(inputSize) inputs, got \(input.count)")
        precondition(p.count == parameters.count)
        var x = input
        for (li, layer) in layers.enumerated() {
            let o = offsets[li]
            switch layer {
            case let .dense(ni, no):
                var y = [T]()
                y.reserveCapacity(no)
                for r in 0..<no {
                    var s = p[o + ni * no + r]
                    let row = o + r * ni
                    for c in 0..<ni { s += p[row + c] * x[c] }
                    y.append(s)
                }
                x = y
            case let .conv2d(s):
                let oh = s.outputHeight, ow = s.outputWidth, k = s.kernel
                var y = [T](repeating: T(0), count: s.outputSize)
                for f in 0..<s.filters {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            var acc = p[o + s.weightCount + f]
                            for ch in 0..<s.channels {
                                for ky in 0..<k {
                                    let iy = oy * s.stride + ky - s.padding
                                    if iy < 0 || iy >= s.height { continue }
                                    for kx in 0..<k {
                                        let ix = ox * s.stride + kx - s.padding
                                        if ix < 0 || ix >= s.width { continue }
                                        acc += p[o + ((f * s.channels + ch) * k + ky) * k + kx]
                                            * x[(ch * s.height + iy) * s.width + ix]
                                    }
                                }
                            }
                            y[(f * oh + oy) * ow + ox] = acc
                        }
                    }
                }
                x = y
            case let .activation(a, _):
                for i in x.indices { x[i] = a(x[i]) }
            case let .spatialSoftArgmax(c, h, w):
                var y = [T]()
                y.reserveCapacity(2 * c)
                for ch in 0..<c {
                    let base = ch * h * w
                    var m = x[base].primal
                    for i in 1..<(h * w) { m = Swift.max(m, x[base + i].primal) }
                    var z = T(0), su = T(0), sv = T(0)
                    for py in 0..<h {
                        for px in 0..<w {
                            let e = exp(x[base + py * w + px] - T(m))
                            z += e; su += e * T(Network.softArgmaxCoordinate(px, w)); sv += e * T(Network.softArgmaxCoordinate(py, h))
                        }
                    }
                    y.append(su / z); y.append(sv / z)
                }
                x = y
            }
        }
        return x
    }

    // MARK: Fast Double forward and hand-written pullback

    /// Every layer's output of one forward pass: `values[0]` is the input,
    /// `values[i + 1]` the output of layer `i`.
    public struct Trace: Sendable {
        public var values: [[Double]] = []
        public init() {}
        /// The network's output.
        public var output: [Double] { values[values.count - 1] }
    }

    /// The network's output for `input` (plain `Double`, no trace kept).
    @inlinable
    public func predict(_ input: [Double]) -> [Double] {
        var x = input
        var y = [Double]()
        for li in layers.indices {
            layerForward(li, x, &y)
            swap(&x, &y)
        }
        return x
    }

    /// The forward pass, recording each layer's output into `trace` for `backward`.
    @inlinable
    @discardableResult
    public func forward(_ input: [Double], trace: inout Trace) -> [Double] {
        if trace.values.count != layers.count + 1 {
            trace.values = [[Double]](repeating: [], count: layers.count + 1)
        }
        trace.values[0] = input
        for li in layers.indices {
            var y = trace.values[li + 1]
            layerForward(li, trace.values[li], &y)
            trace.values[li + 1] = y
        }
        return trace.values[layers.count]
    }

    @inlinable
    func layerForward(_ li: Int, _ x: [Double], _ y: inout [Double]) {
        let layer = layers[li], o = offsets[li]
        precondition(x.count == layer.inputSize, "layer \(li) takes \(layer.inputSize) values, got \(x.count)")
        if y.count != layer.outputSize { y = [Double](repeating: 0, count: layer.outputSize) }
        parameters.withUnsafeBufferPointer { pp in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    let p = pp.baseAddress! + o
                    switch layer {
                    case let .dense(ni, no):
                        let b = p + ni * no
                        for r in 0..<no {
                            var s = b[r]
                            let w = p + r * ni
                            for c in 0..<ni { s += w[c] * xp[c] }
                            yp[r] = s
                        }
                    case let .conv2d(s):
                        Network.convForward(s, p, xp, yp)
                    case let .spatialSoftArgmax(c, h, w):
                        Network.softArgmax(c, h, w, xp) { ch, _, u, v in yp[2 * ch] = u; yp[2 * ch + 1] = v }
                    case let .activation(a, n):
                        switch a {
                        case .relu: for i in 0..<n { yp[i] = xp[i] > 0 ? xp[i] : 0 }
                        default: for i in 0..<n { yp[i] = a.value(xp[i]) }
                        }
                    }
                }
            }
        }
    }

    /// The soft-argmax coordinate of cell `i` of `n`, in [−1, 1].
    @inlinable
    static func softArgmaxCoordinate(_ i: Int, _ n: Int) -> Double { n > 1 ? 2 * Double(i) / Double(n - 1) - 1 : 0 }

    /// Runs the softmax of each channel and hands `body` the channel, its
    /// probabilities (h·w) and its expected coordinates (u, v).
    @inlinable
    static func softArgmax(_ c: Int, _ h: Int, _ w: Int, _ x: UnsafeBufferPointer<Double>,
                           _ body: (_ channel: Int, _ pi: [Double], _ u: Double, _ v: Double) -> Void) {
        var pi = [Double](repeating: 0, count: h * w)
        for ch in 0..<c {
            let base = ch * h * w
            var m = -Double.infinity
            for i in 0..<(h * w) { m = Swift.max(m, x[base + i]) }
            var z = 0.0, su = 0.0, sv = 0.0
            for py in 0..<h {
                let cv = softArgmaxCoordinate(py, h)
                for px in 0..<w {
                    let e = Double.exp(x[base + py * w + px] - m)
                    pi[py * w + px] = e
                    z += e; su += e * softArgmaxCoordinate(px, w); sv += e * cv
                }
            }
            for i in pi.indices { pi[i] /= z }
            body(ch, pi, su / z, sv / z)
        }
    }

    @inlinable
    static func convForward(_ s: Conv2DShape, _ p: UnsafePointer<Double>, _ x: UnsafeBufferPointer<Double>,
                            _ y: UnsafeMutableBufferPointer<Double>) {
        let oh = s.outputHeight, ow = s.outputWidth, k = s.kernel, H = s.height, W = s.width
        for f in 0..<s.filters {
            let bias = p[s.weightCount + f]
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var acc = bias
                    for ch in 0..<s.channels {
                        let wbase = p + (f * s.channels + ch) * k * k
                        let xbase = ch * H * W
                        for ky in 0..<k {
                            let iy = oy * s.stride + ky - s.padding
                            if iy < 0 || iy >= H { continue }
                            for kx in 0..<k {
                                let ix = ox * s.stride + kx - s.padding
                                if ix < 0 || ix >= W { continue }
                                acc += wbase[ky * k + kx] * x[xbase + iy * W + ix]
                            }
                        }
                    }
                    y[(f * oh + oy) * ow + ox] = acc
                }
            }
        }
    }

    /// The hand-written pullback of the forward pass recorded in `trace`:
    /// returns ∂L/∂input and adds ∂L/∂parameters into `gradient`.
    @inlinable
    @discardableResult
    public func backward(_ outputGradient: [Double], trace: Trace, gradient: inout [Double]) -> [Double] {
        precondition(trace.values.count == layers.count + 1, "backward needs the trace of a forward pass")
        precondition(outputGradient.count == outputSize)
        if gradient.count != parameters.count { gradient = [Double](repeating: 0, count: parameters.count) }
        var dy = outputGradient
        var dx = [Double]()
        for li in layers.indices.reversed() {
            let layer = layers[li], o = offsets[li]
            dx = [Double](repeating: 0, count: layer.inputSize)
            parameters.withUnsafeBufferPointer { pp in
                gradient.withUnsafeMutableBufferPointer { gp in
                    trace.values[li].withUnsafeBufferPointer { xp in
                        trace.values[li + 1].withUnsafeBufferPointer { yp in
                            dy.withUnsafeBufferPointer { dyp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    let p = pp.baseAddress! + o, g = gp.baseAddress! + o
                                    switch layer {
                                    case let .dense(ni, no):
                                        let gb = g + ni * no
                                        for r in 0..<no {
                                            let d = dyp[r]
                                            if d == 0 { continue }
                                            gb[r] += d
                                            let w = p + r * ni, gw = g + r * ni
                                            for c in 0..<ni {
                                                gw[c] += d * xp[c]
                                                dxp[c] += d * w[c]
                                            }
                                        }
                                    case let .conv2d(s):
                                        Network.convBackward(s, p, g, xp, dyp, dxp)
                                    case let .activation(a, n):
                                        for i in 0..<n { dxp[i] = dyp[i] * a.derivative(output: yp[i]) }
                                    case let .spatialSoftArgmax(c, h, w):
                                        // ∂u/∂x_p = π_p (u_p − u), likewise v.
                                        Network.softArgmax(c, h, w, xp) { ch, pi, u, v in
                                            let du = dyp[2 * ch], dv = dyp[2 * ch + 1]
                                            let base = ch * h * w
                                            for py in 0..<h {
                                                let dvy = dv * (Network.softArgmaxCoordinate(py, h) - v)
                                                for px in 0..<w {
                                                    let i = py * w + px
                                                    dxp[base + i] = pi[i] * (du * (Network.softArgmaxCoordinate(px, w) - u) + dvy)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            swap(&dx, &dy)
        }
        return dy
    }

    @inlinable
    static func convBackward(_ s: Conv2DShape, _ p: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>,
                             _ x: UnsafeBufferPointer<Double>, _ dy: UnsafeBufferPointer<Double>,
                             _ dx: UnsafeMutableBufferPointer<Double>) {
        let oh = s.outputHeight, ow = s.outputWidth, k = s.kernel, H = s.height, W = s.width
        for f in 0..<s.filters {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let d = dy[(f * oh + oy) * ow + ox]
                    if d == 0 { continue }
                    g[s.weightCount + f] += d
                    for ch in 0..<s.channels {
                        let wi = (f * s.channels + ch) * k * k
                        let xbase = ch * H * W
                        for ky in 0..<k {
                            let iy = oy * s.stride + ky - s.padding
                            if iy < 0 || iy >= H { continue }
                            for kx in 0..<k {
                                let ix = ox * s.stride + kx - s.padding
                                if ix < 0 || ix >= W { continue }
                                g[wi + ky * k + kx] += d * x[xbase + iy * W + ix]
                                dx[xbase + iy * W + ix] += d * p[wi + ky * k + kx]
                            }
                        }
                    }
                }
            }
        }
    }
}
