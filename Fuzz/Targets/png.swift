// PNG through libpng's simplified API.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do { _ = try PNGImage.decode(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.png") } catch { FuzzCheck.oneLine(error) }
    return 0
}
