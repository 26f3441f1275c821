// A model file (diffray-network JSON), decoded and turned into a network.
import DiffRay
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        let file = try NetworkFile.decode(Data(UnsafeBufferPointer(start: data, count: size)), path: "fuzz.json")
        let network = try file.network(path: "fuzz.json")
        // A small network must also run: the shapes it was checked against are the ones used.
        if network.parameterCount <= 1 << 16 && network.layers[0].inputSize <= 1 << 12 {
            _ = network.predict([Double](repeating: 0.5, count: network.layers[0].inputSize))
        }
    } catch { FuzzCheck.oneLine(error) }
    return 0
}
