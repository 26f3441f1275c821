import Foundation
import Testing
import Learning

@Suite struct JSONFileTests {
    struct Holder: Codable { var generator: SeededGenerator }

    @Test func aGeneratorStateOfTheWrongLengthIsAnErrorNotATrap() throws {
        let text = "{\n  \"generator\": {\"state\": [1, 2, 3]}\n}\n"
        let error = #expect(throws: ModelFileError.self) {
            try JSONFile.decode(Holder.self, from: Data(text.utf8), path: "run.json", expected: "a test file")
        }
        // Line 2, column 26: where the state array starts.
        #expect(error?.path == "run.json:2:26")
        #expect(error?.message.contains("3 words, expected 4") == true)
        #expect(error?.message.contains("generator.state") == true)
        let zero = "{\"generator\": {\"state\": [0, 0, 0, 0]}}"
        #expect(throws: ModelFileError.self) {
            try JSONFile.decode(Holder.self, from: Data(zero.utf8), path: "run.json", expected: "a test file")
        }
        let good = "{\"generator\": {\"state\": [1, 2, 3, 4]}}"
        var g = try JSONFile.decode(Holder.self, from: Data(good.utf8), path: "run.json", expected: "a test file").generator
        _ = g.next()
    }

    @Test func syntaxErrorsAndMissingKeysSayWhere() throws {
        let broken = "{\n  \"generator\": {\"state\": [1, 2,, 3]}\n}"
        let e1 = #expect(throws: ModelFileError.self) {
            try JSONFile.decode(Holder.self, from: Data(broken.utf8), path: "x.json", expected: "a test file")
        }
        #expect(e1?.path == "x.json:2:32")
        #expect(e1?.message.hasPrefix("not valid JSON") == true)
        let missing = "{\n  \"other\": 1\n}"
        let e2 = #expect(throws: ModelFileError.self) {
            try JSONFile.decode(Holder.self, from: Data(missing.utf8), path: "x.json", expected: "a test file")
        }
        #expect(e2?.path == "x.json:1:1")
        #expect(e2?.message.contains("missing key 'generator'") == true)
        let wrongType = "{\"generator\": {\"state\": [1, \"two\", 3, 4]}}"
        let e3 = #expect(throws: ModelFileError.self) {
            try JSONFile.decode(Holder.self, from: Data(wrongType.utf8), path: "x.json", expected: "a test file")
        }
        #expect(e3?.path == "x.json:1:29")
        #expect(e3?.message.contains("generator.state[1]") == true)
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: ModelFileError.self) {
            try JSONFile.decode(Holder.self, from: Data(deep.utf8), path: "x.json", expected: "a test file")
        }
    }

    @Test func layerShapesOutOfRangeAreRefusedBeforeAnyProduct() throws {
        func layer(_ json: String) throws -> Layer {
            try JSONFile.decode(Layer.self, from: Data(json.utf8), path: "m.json", expected: "a layer")
        }
        // Stride 0 would divide by zero; 2^40 × 2^40 would overflow.
        #expect(throws: ModelFileError.self) {
            try layer("{\"type\":\"conv2d\",\"channels\":1,\"height\":8,\"width\":8,\"filters\":1,\"kernel\":3,\"stride\":0,\"padding\":0}")
        }
        #expect(throws: ModelFileError.self) { try layer("{\"type\":\"dense\",\"inputs\":1099511627776,\"outputs\":1099511627776}") }
        #expect(throws: ModelFileError.self) { try layer("{\"type\":\"dense\",\"inputs\":-4,\"outputs\":2}") }
        #expect(throws: ModelFileError.self) {
            try layer("{\"type\":\"conv2d\",\"channels\":1,\"height\":2,\"width\":2,\"filters\":1,\"kernel\":9,\"stride\":1,\"padding\":0}")
        }
        #expect(try layer("{\"type\":\"dense\",\"inputs\":4,\"outputs\":2}") == .dense(inputs: 4, outputs: 2))
    }

    @Test func adamWithMomentsOfAnotherLengthStartsThemAfresh() {
        var adam = Adam(learningRate: 0.1)
        adam.m = [0, 0, 0]
        adam.v = [0]
        var p = [1.0, 2.0, 3.0]
        adam.update(&p, gradient: [1, 1, 1])
        #expect(adam.m.count == 3 && adam.v.count == 3)
    }
}
