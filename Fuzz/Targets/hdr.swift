// Radiance RGBE (.hdr), flat and run-length encoded.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do { _ = try HDR.decode(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.hdr") } catch { FuzzCheck.oneLine(error) }
    return 0
}
