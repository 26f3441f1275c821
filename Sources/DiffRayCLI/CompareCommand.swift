import ArgumentParser
import DiffRay
import Foundation

/// `diffray compare IMAGE REFERENCE`: the relative error metric the test suite
/// uses against Mitsuba 3 references, |a − r| / max(|r|, floor), per channel.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare an image against a reference: mean and max relative error per channel.")

    @Argument(help: "The image (EXR or PNG).") var image: String
    @Argument(help: "The reference (EXR or PNG).") var reference: String
    @Option(help: "Floor of the denominator.") var floor: Double = 0.02
    @OptionGroup var json: JSONOption

    /// What `compare --json` prints: per channel (r, g, b).
    struct Result: Encodable { var meanRelative, maxRelative, mean, referenceMean: [Double] }

    func validate() throws {
        if !(floor > 0) { throw ValidationError("--floor must be > 0") }
    }

    func run() throws {
        let a = try Image.read(from: image), r = try Image.read(from: reference)
        guard a.hasSameSize(as: r) else {
            throw ValidationError("\(image) is \(a.width)x\(a.height) but \(reference) is \(r.width)x\(r.height)")
        }
        let e = ImageComparison(a, r, floor: floor)
        let names = ["r", "g", "b"]
        for c in 0..<3 {
            print(names[c] + ": " + String(format: "mean relative error %.5f, max %.4f, mean image %.5f vs reference %.5f",
                                           e.meanRelative[c], e.maxRelative[c], e.mean[c], e.referenceMean[c]))
        }
        try json.print(Result(meanRelative: e.meanRelative, maxRelative: e.maxRelative, mean: e.mean, referenceMean: e.referenceMean))
    }
}
