// The checkpoints `--resume` reads: train (each problem), train --pixels and optimize.
import DiffRay
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    // One problem an input (decoding a 60 KB checkpoint is the cost); the length picks it.
    for problem in [ControlProblem.allCases[size % ControlProblem.allCases.count]] {
        do {
            var run = try TrainingRun.decode(bytes, path: "fuzz.json", problem: problem)
            // What a resumed run does first: rebuild the network and draw from the generator.
            _ = try run.network.network(path: "fuzz.json", expecting: problem.layers)
            _ = run.generator.next()
        } catch { FuzzCheck.oneLine(error) }
    }
    do {
        var c = try OptimizationCheckpoint.decode(bytes, path: "fuzz.json")
        let keys = c.keys
        try c.validate(path: "fuzz.json", scene: c.scene, target: c.target, keys: keys,
                       sizes: Dictionary(keys.map { ($0, 3) }, uniquingKeysWith: { a, _ in a }), iterations: 100)
        var flat = keys.flatMap { c.values[$0] ?? [] }
        if var adam = c.adam { adam.update(&flat, gradient: [Double](repeating: 0.1, count: flat.count)) }
        if var sgd = c.sgd { sgd.update(&flat, gradient: [Double](repeating: 0.1, count: flat.count)) }
    } catch { FuzzCheck.oneLine(error) }
    return 0
}
