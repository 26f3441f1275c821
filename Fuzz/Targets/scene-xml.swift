// The Mitsuba 3 scene reader: XML, defaults, includes, every object's properties.
import DiffRay

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try SceneDescription(xml: text, file: "fuzz.xml", directory: "/nonexistent-fuzz-folder", defines: ["spp": "4"])
    } catch {
        FuzzCheck.oneLine(error)
    }
    return 0
}
