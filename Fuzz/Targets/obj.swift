// Wavefront OBJ meshes.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do { _ = try MeshData(obj: Array(UnsafeBufferPointer(start: data, count: size)), file: "fuzz.obj") } catch { FuzzCheck.oneLine(error) }
    return 0
}
