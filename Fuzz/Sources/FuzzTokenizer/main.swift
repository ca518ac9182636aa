// Tokenizer: first byte even → encode the rest with the real CLIP vocabulary (tiny-clip's
// files); odd → load vocab.json, merges.txt (the rest split at zero bytes) and encode the third part.
import CLIPKit
import Foundation
import FuzzSupport

let realTokenizer = try? CLIPTokenizer(directory: FuzzSupport.tinyModel)

FuzzSupport.run { start, count in
    let data = FuzzSupport.data(start, count)
    guard let mode = data.first else { return 0 }
    let rest = data.dropFirst()
    if mode & 1 == 0 {
        let text = String(decoding: rest, as: UTF8.self)
        _ = realTokenizer?.encodeReportingTruncation(text)
        _ = realTokenizer?.tokens(text)
        return 0
    }
    let parts = FuzzSupport.split(Data(rest), into: 3)
    let vocab = FuzzSupport.scratchFile(parts[0], suffix: "-vocab.json")
    let merges = FuzzSupport.scratchFile(parts[1], suffix: "-merges.txt")
    if let tokenizer = try? CLIPTokenizer(vocabularyURL: vocab, mergesURL: merges) {
        _ = tokenizer.encodeReportingTruncation(String(decoding: parts[2], as: UTF8.self))
    }
    return 0
}
