// PLY meshes, ASCII and binary.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do { _ = try MeshData(ply: Array(UnsafeBufferPointer(start: data, count: size)), file: "fuzz.ply") } catch { FuzzCheck.oneLine(error) }
    return 0
}
