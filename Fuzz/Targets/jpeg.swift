// JPEG through libjpeg-turbo.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do { _ = try JPEGImage.decode(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.jpg").image() } catch { FuzzCheck.oneLine(error) }
    return 0
}
