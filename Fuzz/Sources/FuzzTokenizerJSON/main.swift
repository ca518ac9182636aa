// tokenizer.json: first byte even → encode the rest with the SigLIP 2 fixture (as Siglip2Tokenizer
// and as the bare file); odd → parse the rest as a tokenizer.json (the second byte picks the class:
// none, GemmaTokenizer, Siglip2Tokenizer) and, when it loads, encode a few texts with it.
@testable import CLIPKit
import Foundation
import FuzzSupport

let folder = FuzzSupport.fixture("tokenizer/siglip2")
let siglip2 = try? TokenizerPipeline(directory: folder)
let bare = (try? Data(contentsOf: folder.appendingPathComponent("tokenizer.json"))).flatMap {
    try? TokenizerPipeline(json: [UInt8]($0), path: "fixture", configuration: nil, className: nil)
}
let texts = ["a photo of a cat", "  Ünïcödé ＡＢＣ 猫 🐱 <bos> <unk>!", "", "\u{2581}\u{2581}x"]
let classes: [String?] = [nil, "GemmaTokenizer", "Siglip2Tokenizer"]

FuzzSupport.run { start, count in
    let data = FuzzSupport.data(start, count)
    guard let mode = data.first else { return 0 }
    let rest = data.dropFirst()
    if mode & 1 == 0 {
        let text = String(decoding: rest, as: UTF8.self)
        _ = siglip2?.encode(text, maxLength: 64)
        _ = bare?.encode(text, maxLength: .max)
        return 0
    }
    guard let selector = rest.first else { return 0 }
    let className = classes[Int(selector) % classes.count]
    guard let tokenizer = try? TokenizerPipeline(
        json: [UInt8](rest.dropFirst()), path: "fuzz", configuration: nil, className: className) else { return 0 }
    for text in texts { _ = tokenizer.encode(text, maxLength: 16) }
    return 0
}
