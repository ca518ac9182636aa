import Foundation

// The keys of transformers 5.23's `tokenizer_config.json` (tokenization_utils_base.py
// `save_pretrained`) that decide how a tokenizer class behaves.

/// What a model folder's `tokenizer_config.json` declares.
struct TokenizerConfiguration: Sendable {
    /// An entry of `added_tokens_decoder`: text matched verbatim before tokenization.
    struct AddedToken: Sendable, Equatable {
        var content: String
        var id: Int
        var lstrip = false
        var rstrip = false
        var special = false
        /// Matched after normalisation (HF `tokenizers`); false for special tokens unless said otherwise.
        var normalized = false
    }

    /// `tokenizer_class`, e.g. `SiglipTokenizer`, `GemmaTokenizer`.
    var tokenizerClass: String?
    var bosToken: String?
    var eosToken: String?
    var unknownToken: String?
    var padToken: String?
    var doLowerCase: Bool?
    var addBOSToken: Bool?
    var addEOSToken: Bool?
    var paddingSide: PaddingSide?
    /// `legacy`: false turns off SentencePiece's dummy prefix in transformers' SentencePiece backend.
    var legacy: Bool?
    var addedTokens: [AddedToken] = []
    /// `mask_token`.
    var maskToken: String?
    /// `additional_special_tokens` / `extra_special_tokens` given as strings.
    var extraSpecialTokens: [String] = []

    /// Reads `tokenizer_config.json` from `directory`; nil when the folder has none.
    ///
    /// - Throws: `TokenizerError.malformedFile` when the file is not the JSON object expected.
    static func read(directory: URL) throws(TokenizerError) -> TokenizerConfiguration? {
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do {
            data = try FileBytes.read(url)
        } catch {
            throw .unreadableFile(path: url.path, reason: (error as NSError).localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw .malformedFile(path: url.path, reason: "it is not a JSON object")
        }
        return try TokenizerConfiguration(json: json, path: url.path)
    }

    init() {}

    init(json: [String: Any], path: String) throws(TokenizerError) {
        func flag(_ key: String) throws(TokenizerError) -> Bool? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let bool = value as? Bool else { throw .malformedFile(path: path, reason: "\(key) is not true or false") }
            return bool
        }
        func token(_ key: String) throws(TokenizerError) -> String? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let content = Self.tokenContent(value) else {
                throw .malformedFile(path: path, reason: "\(key) is neither a string nor an object with \"content\"")
            }
            return content
        }
        if let value = json["tokenizer_class"], !(value is NSNull) {
            guard let name = value as? String else { throw .malformedFile(path: path, reason: "tokenizer_class is not a string") }
            tokenizerClass = name
        }
        bosToken = try token("bos_token")
        eosToken = try token("eos_token")
        unknownToken = try token("unk_token")
        padToken = try token("pad_token")
        maskToken = try token("mask_token")
        doLowerCase = try flag("do_lower_case")
        addBOSToken = try flag("add_bos_token")
        addEOSToken = try flag("add_eos_token")
        legacy = try flag("legacy")
        if let value = json["padding_side"], !(value is NSNull) {
            guard let raw = value as? String, let side = PaddingSide(rawValue: raw) else {
                throw .malformedFile(path: path, reason: "padding_side is neither \"left\" nor \"right\"")
            }
            paddingSide = side
        }
        if let value = json["added_tokens_decoder"] {
            guard let entries = value as? [String: Any] else {
                throw .malformedFile(path: path, reason: "added_tokens_decoder is not an object")
            }
            for (key, entry) in entries {
                guard let id = Int(key), id >= 0, id <= Int(Int32.max), let fields = entry as? [String: Any],
                      let content = fields["content"] as? String, !content.isEmpty else {
                    throw .malformedFile(path: path, reason: "added_tokens_decoder entry \(key.debugDescription) is malformed")
                }
                // Word-boundary matching is not implemented; refusing beats silently different ids.
                if fields["single_word"] as? Bool == true {
                    throw .unsupportedComponent(path: path, component: "added token \(content.debugDescription)", type: "single_word")
                }
                addedTokens.append(AddedToken(
                    content: content, id: id, lstrip: fields["lstrip"] as? Bool ?? false,
                    rstrip: fields["rstrip"] as? Bool ?? false, special: fields["special"] as? Bool ?? false,
                    normalized: fields["normalized"] as? Bool ?? !(fields["special"] as? Bool ?? false)))
            }
            addedTokens.sort { $0.id < $1.id }
        }
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            guard let value = json[key], !(value is NSNull) else { continue }
            if let list = value as? [Any] {
                extraSpecialTokens += list.compactMap(Self.tokenContent)
            } else if let named = value as? [String: Any] {
                extraSpecialTokens += named.keys.sorted().compactMap { named[$0].flatMap(Self.tokenContent) }
            }
        }
    }

    private static func tokenContent(_ value: Any) -> String? {
        if let string = value as? String { return string }
        if let object = value as? [String: Any] { return object["content"] as? String }
        return nil
    }
}
