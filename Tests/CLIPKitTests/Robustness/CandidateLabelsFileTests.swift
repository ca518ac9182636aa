import Foundation
import Testing

@testable import CLIPKit

@Suite("Labels-file parser (CandidateLabelsFile)")
struct CandidateLabelsFileTests {
    @Test func bomCRLFCommentsAndBlankLines() {
        let data = Data("\u{FEFF}a photo of a cat\r\n# comment\r\n\r\n  dog  \r\nbird".utf8)
        #expect(CandidateLabelsFile.labels(in: data) == ["a photo of a cat", "dog", "bird"])
    }

    @Test func invalidUTF8IsNil() {
        #expect(CandidateLabelsFile.labels(in: Data([0x61, 0xFF, 0x0A])) == nil)
    }

    @Test func unicodeLineSeparatorsSplitLines() {
        #expect(CandidateLabelsFile.labels(inText: "a\u{2028}b\u{85}c") == ["a", "b", "c"])
    }
}
