// SentencePiece: first byte even → encode the rest with the SigLIP fixture tokenizer
// (Tests/Fixtures/tokenizer/siglip); odd → parse the rest as a `spiece.model` (protobuf ModelProto,
// precompiled charsmap) and, when it loads, encode a few texts with it.
@testable import CLIPKit
import Foundation
import FuzzSupport

let fixture = try? SiglipTokenizer(directory: FuzzSupport.fixture("tokenizer/siglip"))
let texts = ["a photo of a cat", "  Ünïcödé ＡＢＣ 猫 🐱 </s> <unk>!", "", "\u{2581}\u{2581}x"]

FuzzSupport.run { start, count in
    let data = FuzzSupport.data(start, count)
    guard let mode = data.first else { return 0 }
    let rest = data.dropFirst()
    if mode & 1 == 0 {
        let text = String(decoding: rest, as: UTF8.self)
        _ = fixture?.encode(text, maxLength: 64)
        _ = fixture?.encode(text, maxLength: .max)
        return 0
    }
    guard let model = try? SentencePieceModel(serialized: [UInt8](rest)) else { return 0 }
    for dummyPrefix in [nil, false] {
        guard let processor = try? SentencePieceProcessor(model: model, addDummyPrefix: dummyPrefix) else { continue }
        for text in texts { _ = processor.encode(text) }
    }
    return 0
}
