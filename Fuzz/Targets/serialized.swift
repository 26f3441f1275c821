// Mitsuba's serialized meshes (zlib-compressed), every shape index the file's table names.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for index in 0..<3 {
        do { _ = try MeshData(serialized: bytes, shapeIndex: index, file: "fuzz.serialized") } catch { FuzzCheck.oneLine(error) }
    }
    return 0
}
