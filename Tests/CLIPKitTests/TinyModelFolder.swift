import Foundation

/// A complete model folder around the tiny fixture model: `Tests/Fixtures/models/tiny-clip`
/// (config.json, model.safetensors, and vocab.json/merges.txt once feat/tokenizer is merged)
/// plus `Tests/Fixtures/cli/preprocessor_config.json`, linked into a temporary folder.
enum TinyModelFolder {
    static let url: URL = {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("clipkit-tiny-model-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        try? FileManager.default.removeItem(at: folder)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tiny = Fixtures.url("models/tiny-clip")
        for name in ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"] {
            let source = tiny.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: source.path) {
                try? FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: source)
            }
        }
        let preprocessor = folder.appendingPathComponent("preprocessor_config.json")
        if !FileManager.default.fileExists(atPath: preprocessor.path) {
            try? FileManager.default.createSymbolicLink(at: preprocessor, withDestinationURL: Fixtures.url("cli/preprocessor_config.json"))
        }
        // TEMPORARY (until feat/tokenizer is merged, which commits the real vocabulary into
        // tiny-clip): a few words, enough for the stand-in tokenizer.
        let vocab = folder.appendingPathComponent("vocab.json")
        if !FileManager.default.fileExists(atPath: vocab.path) {
            let words = ["<|startoftext|>": 49406, "<|endoftext|>": 49407, "a</w>": 320, "cat</w>": 2368,
                         "dog</w>": 1929, "photo</w>": 1125, "of</w>": 539, "bird</w>": 3329]
            try? JSONEncoder().encode(words).write(to: vocab)
            try? "#version: 0.2\n".write(to: folder.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        }
        return folder
    }()
}
