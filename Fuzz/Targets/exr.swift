// OpenEXR through OpenEXRCore.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do { _ = try EXR.decode(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.exr") } catch { FuzzCheck.oneLine(error) }
    return 0
}
