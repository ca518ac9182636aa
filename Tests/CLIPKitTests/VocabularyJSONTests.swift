import Foundation
import Testing
@testable import CLIPKit

@Suite struct VocabularyJSONTests {
    private func parse(_ text: String) -> Result<[String: Int], VocabularyJSON.SyntaxError> {
        Array(text.utf8).withUnsafeBufferPointer { bytes in
            Result { () throws(VocabularyJSON.SyntaxError) in try VocabularyJSON.parse(bytes) }
        }
    }

    @Test func agreesWithJSONDecoderOnTheFixtureVocabulary() throws {
        let data = try Data(contentsOf: Fixtures.url("models/tiny-clip/vocab.json"))
        let expected = try JSONDecoder().decode([String: Int].self, from: data)
        let parsed = try [UInt8](data).withUnsafeBufferPointer { try VocabularyJSON.parse($0) }
        #expect(parsed.count == 49_408)
        #expect(parsed == expected)
    }

    @Test func escapesAndWhitespace() throws {
        let text = #" { "a\"b" : 1 ,"\\\/\b\f\n\r\t":2, "\u00e9\u4E2D": 3, "\ud83d\ude00" :4, "ü":0 } "#
        let parsed = try parse(text).get()
        #expect(parsed == ["a\"b": 1, "\\/\u{8}\u{C}\n\r\t": 2, "é中": 3, "😀": 4, "ü": 0])
        #expect(try parse("{}").get() == [:])
        #expect(try parse("\u{FEFF}{\"x\":-3}").get() == ["x": -3])
    }

    @Test(arguments: [
        "", "[]", "{", "{\"a\":1", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":1.5}", "{\"a\":1e3}",
        "{\"a\":\"1\"}", "{\"a\":01}", "{\"a\":-}", "{a:1}", "{\"a\":1} x", "{\"a\\q\":1}",
        "{\"\\ud83d\":1}", "{\"\\u12\":1}", "{\"a\u{1}\":1}", "{\"a\":99999999999999999999}",
        "{\"a\":true}", "{\"a\":null}",
    ])
    func rejectsWhatIsNotAnObjectOfIntegers(text: String) {
        #expect(throws: VocabularyJSON.SyntaxError.self) { try parse(text).get() }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        let bytes: [UInt8] = Array("{\"".utf8) + [0xC3, 0x28] + Array("\":1}".utf8)
        let result = bytes.withUnsafeBufferPointer { bytes in
            Result { () throws(VocabularyJSON.SyntaxError) in try VocabularyJSON.parse(bytes) }
        }
        #expect(throws: VocabularyJSON.SyntaxError.self) { try result.get() }
    }
}
