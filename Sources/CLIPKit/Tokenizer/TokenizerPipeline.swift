import Foundation

// Runs a `tokenizer.json` as HF `tokenizers` 0.23 does (tokenizer/mod.rs `encode_single_sequence`,
// added_vocabulary.rs `extract_and_normalize`, `post_process`), and as transformers 5.23 builds it
// (tokenization_utils_tokenizers.py): `GemmaTokenizer` and `Siglip2Tokenizer` keep only the
// vocabulary, merges and post-processor of the file and rebuild the rest (models/gemma,
// models/siglip2 `tokenization_*.py`); `add_bos_token`/`add_eos_token` in tokenizer_config.json are
// dropped when a tokenizer.json exists (tokenization_utils_base.py `_from_pretrained`).

/// A tokenizer read from `tokenizer.json`: added tokens, normalizer, pre-tokenizer, model (BPE with
/// byte fallback, or Unigram) and a `TemplateProcessing` post-processor.
///
/// With `tokenizer_class` `GemmaTokenizer` or `Siglip2Tokenizer`, the pipeline is the one transformers
/// builds for those classes: normalizer `Replace(" ", "▁")` (after `Lowercase` for SigLIP 2),
/// pre-tokenizer `Split(" ", merged_with_previous)`, BPE with byte fallback and fused unknowns over
/// the file's vocabulary and merges, the file's post-processor, padding on the left unless
/// `padding_side` says otherwise. Without a class, the file's own components run.
public struct TokenizerPipeline: TextTokenizer {
    private enum Model: Sendable {
        case bpe(BPEModel)
        case unigram(UnigramModel)
    }

    /// The id that pads batches (`pad_token`).
    public let paddingID: Int
    /// Which side padding goes on.
    public let paddingSide: PaddingSide

    private let rawTokens: AddedTokenSplitter
    private let normalizedTokens: AddedTokenSplitter
    private let normalizer: NormalizerComponent?
    private let preTokenizer: PreTokenizerComponent?
    private let model: Model
    private let postProcessor: TemplatePostProcessor?

    /// The largest `tokenizer.json` read (Gemma's 256k-token file is about 34 MB).
    static let maximumFileSize = 512 << 20

    /// Loads the `tokenizer.json` of a model folder, with its `tokenizer_config.json` when present.
    ///
    /// - Throws: `TokenizerError` naming the file and what is malformed or unsupported.
    public init(directory: URL) throws {
        let configuration = try TokenizerConfiguration.read(directory: directory)
        var className = configuration?.tokenizerClass
        if let name = className, name.hasSuffix("Fast") { className = String(name.dropLast(4)) }
        try self.init(
            fileURL: directory.appendingPathComponent("tokenizer.json"), configuration: configuration, className: className)
    }

    /// Loads `fileURL` for `className` (`GemmaTokenizer`, `Siglip2Tokenizer`, or nil for the file as it is).
    init(fileURL: URL, configuration: TokenizerConfiguration?, className: String?) throws(TokenizerError) {
        let path = fileURL.path
        let data: Data
        do {
            if let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber,
               size.intValue > Self.maximumFileSize {
                throw TokenizerError.malformedFile(path: path, reason: "it is larger than \(Self.maximumFileSize >> 20) MB")
            }
            data = try FileBytes.read(fileURL)
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(json: [UInt8](data), path: path, configuration: configuration, className: className)
    }

    /// Parses the bytes of a `tokenizer.json`; `path` names it in errors.
    init(json bytes: [UInt8], path: String, configuration: TokenizerConfiguration?, className: String?) throws(TokenizerError) {
        let root: JSONNode
        do {
            root = try JSONNode.parse(bytes)
        } catch {
            throw .malformedFile(path: path, reason: "it is not valid JSON: \(error.description)")
        }
        guard case .object = root else { throw .malformedFile(path: path, reason: "it is not a JSON object") }
        try self.init(root: root, path: path, configuration: configuration ?? TokenizerConfiguration(), className: className)
    }

    private init(
        root: JSONNode, path: String, configuration: TokenizerConfiguration, className: String?
    ) throws(TokenizerError) {
        let isGemmaFamily = className == "GemmaTokenizer" || className == "Siglip2Tokenizer"
        guard let modelNode = root["model"] else { throw .malformedFile(path: path, reason: "it has no \"model\"") }
        let modelType = modelNode["type"]?.string ?? (modelNode["merges"] != nil ? "BPE" : "")
        let unknownToken = configuration.unknownToken ?? "<unk>"

        // The vocabulary, and the model over it.
        var vocabulary: [[UInt8]: Int] = [:]
        switch modelType {
        case "BPE":
            let bpe = try Self.bpe(modelNode, path: path, forcedUnknown: isGemmaFamily ? unknownToken : nil)
            vocabulary = bpe.vocabulary
            model = .bpe(bpe)
        case "Unigram" where !isGemmaFamily:
            let (unigram, tokens) = try Self.unigram(modelNode, path: path)
            for (id, token) in tokens.enumerated() { vocabulary[token] = id }
            model = .unigram(unigram)
        default:
            let reason = isGemmaFamily ? "\(className ?? "") needs a BPE model" : "model \(modelType.debugDescription)"
            throw .unsupportedComponent(path: path, component: "model", type: isGemmaFamily ? reason : modelType)
        }

        // Normalizer and pre-tokenizer: the file's, or transformers' rebuild for the Gemma family.
        let normalizer: NormalizerComponent?
        if isGemmaFamily {
            let replace = NormalizerComponent.replace(pattern: [UInt8(ascii: " ")], content: SentencePieceNormalizer.spaceSymbol)
            normalizer = className == "Siglip2Tokenizer" ? .sequence([.lowercase, replace]) : replace
            preTokenizer = .split(pattern: [UInt8(ascii: " ")], behavior: .mergedWithPrevious)
        } else {
            normalizer = try root["normalizer"].map { node throws(TokenizerError) in try NormalizerComponent.parse(node, path: path) } ?? nil
            preTokenizer = try root["pre_tokenizer"].map { node throws(TokenizerError) in try PreTokenizerComponent.parse(node, path: path) } ?? nil
        }
        self.normalizer = normalizer
        postProcessor = try root["post_processor"].map { node throws(TokenizerError) in try TemplatePostProcessor.parse(node, path: path) } ?? nil

        // Added tokens: the file's (not kept by transformers' rebuild), the config's, the named special tokens.
        var added: [TokenizerConfiguration.AddedToken] = isGemmaFamily ? [] : try Self.addedTokens(root, path: path)
        var contents = Set(added.map(\.content))
        for token in configuration.addedTokens where !contents.contains(token.content) {
            added.append(token)
            contents.insert(token.content)
        }
        let defaults = isGemmaFamily ? ["<bos>", "<eos>", unknownToken, "<pad>", "<mask>"] : []
        let named = [configuration.bosToken, configuration.eosToken, configuration.unknownToken,
                     configuration.padToken, configuration.maskToken].compactMap { $0 }
        var usedIDs = Set(added.map(\.id))
        var nextID = vocabulary.count
        for name in defaults + named + configuration.extraSpecialTokens where !name.isEmpty && !contents.contains(name) {
            var id = vocabulary[Array(name.utf8)] ?? nextID
            if vocabulary[Array(name.utf8)] == nil {
                while usedIDs.contains(nextID) { nextID += 1 }
                id = nextID
                nextID += 1
            }
            added.append(.init(content: name, id: id, special: true, normalized: false))
            contents.insert(name)
            usedIDs.insert(id)
        }
        func splitterToken(_ token: TokenizerConfiguration.AddedToken, content: String) -> AddedTokenSplitter.Token {
            .init(content: content, id: token.id, lstrip: token.lstrip, rstrip: token.rstrip, special: token.special)
        }
        rawTokens = AddedTokenSplitter(
            tokens: added.filter { !$0.normalized }.map { splitterToken($0, content: $0.content) }, whitespace: .rust)
        // Normalised added tokens are matched in normalised text by their normalised content.
        let contentNormalizer = normalizer
        normalizedTokens = AddedTokenSplitter(
            tokens: added.filter(\.normalized).map { token in
                let content = contentNormalizer.map { String(decoding: $0.apply(Array(token.content.utf8)), as: UTF8.self) }
                return splitterToken(token, content: content ?? token.content)
            }, whitespace: .rust)

        // Padding.
        let padding = root["padding"]
        var side = configuration.paddingSide
        if side == nil, let direction = padding?["direction"]?.string {
            side = direction == "Left" ? .left : .right
        }
        paddingSide = side ?? (isGemmaFamily ? .left : .right)
        let padName = configuration.padToken ?? (isGemmaFamily ? "<pad>" : nil)
        if let padName, let token = added.first(where: { $0.content == padName }) {
            paddingID = token.id
        } else if let padName, let id = vocabulary[Array(padName.utf8)] {
            paddingID = id
        } else if let id = padding?["pad_id"]?.integer(in: 0...Int(Int32.max)) {
            paddingID = id
        } else {
            paddingID = vocabulary[Array("<pad>".utf8)] ?? 0
        }
    }

    /// The ids of `text` with the post-processor's special tokens, at most `maxLength` of them when
    /// the text has to be cut (the special tokens are always kept).
    public func encode(_ text: String, maxLength: Int) -> TokenizedText {
        var ids: [Int] = []
        for segment in rawTokens.segments(of: text) {
            switch segment {
            case .token(let token):
                ids.append(token.id)
            case .text(let stretch):
                var bytes = Array(stretch.utf8)
                if let normalizer { bytes = normalizer.apply(bytes) }
                let isAtStart = stretch.startIndex == text.startIndex
                if normalizedTokens.isEmpty {
                    appendModelIDs(of: bytes, isAtStart: isAtStart, to: &ids)
                    continue
                }
                let normalized = String(decoding: bytes, as: UTF8.self)
                for inner in normalizedTokens.segments(of: normalized) {
                    switch inner {
                    case .token(let token):
                        ids.append(token.id)
                    case .text(let part):
                        appendModelIDs(of: Array(part.utf8), isAtStart: isAtStart && part.startIndex == normalized.startIndex, to: &ids)
                    }
                }
            }
        }
        let added = postProcessor?.addedCount ?? 0
        let room = maxLength > added ? maxLength - added : 0
        let truncated = ids.count > room
        if truncated { ids.removeLast(ids.count - room) }
        if let postProcessor { ids = postProcessor.prefix + ids + postProcessor.suffix }
        return TokenizedText(ids: ids, truncated: truncated)
    }

    private func appendModelIDs(of bytes: [UInt8], isAtStart: Bool, to ids: inout [Int]) {
        guard !bytes.isEmpty else { return }
        let start = [PreTokenizerComponent.Piece(bytes: bytes, isAtStart: isAtStart)]
        for piece in preTokenizer?.apply(start) ?? start {
            switch model {
            case .bpe(let bpe): bpe.tokenize(piece.bytes, into: &ids)
            case .unigram(let unigram): unigram.tokenize(piece.bytes, into: &ids)
            }
        }
    }

    // MARK: Reading the file

    private static func bpe(_ node: JSONNode, path: String, forcedUnknown: String?) throws(TokenizerError) -> BPEModel {
        guard case .object(let entries)? = node["vocab"] else {
            throw .malformedFile(path: path, reason: "the BPE model has no \"vocab\" object")
        }
        var vocabulary: [[UInt8]: Int] = [:]
        vocabulary.reserveCapacity(entries.count)
        for (token, value) in entries {
            guard let id = value.integer(in: 0...Int(Int32.max)) else {
                throw .malformedFile(path: path, reason: "vocabulary entry \(String(decoding: token, as: UTF8.self).debugDescription) has no valid id")
            }
            vocabulary[token] = id
        }
        if let dropout = node["dropout"]?.number, dropout > 0, forcedUnknown == nil {
            throw .unsupportedComponent(path: path, component: "model", type: "BPE with dropout")
        }
        func optionalString(_ key: String) throws(TokenizerError) -> [UInt8]? {
            guard let value = node[key], !value.isNull else { return nil }
            guard let bytes = value.stringBytes else { throw .malformedFile(path: path, reason: "BPE \(key) is not a string") }
            return bytes
        }
        let prefix = forcedUnknown == nil ? try optionalString("continuing_subword_prefix") : nil
        let suffix = forcedUnknown == nil ? try optionalString("end_of_word_suffix") : nil
        guard let mergeList = node["merges"]?.array else {
            throw .malformedFile(path: path, reason: "the BPE model has no \"merges\" list")
        }
        var merges: [UInt64: (rank: Int32, merged: Int32)] = [:]
        merges.reserveCapacity(mergeList.count)
        for (rank, item) in mergeList.enumerated() {
            let left: [UInt8]
            let right: [UInt8]
            if let line = item.stringBytes {
                let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw .malformedFile(path: path, reason: "merge \(rank) is not two tokens separated by one space")
                }
                left = Array(parts[0])
                right = Array(parts[1])
            } else if let pair = item.array, pair.count == 2, let first = pair[0].stringBytes, let second = pair[1].stringBytes {
                left = first
                right = second
            } else {
                throw .malformedFile(path: path, reason: "merge \(rank) is neither \"a b\" nor [\"a\", \"b\"]")
            }
            var mergedToken = left
            if let prefix, right.starts(with: prefix) { mergedToken += right.dropFirst(prefix.count) } else { mergedToken += right }
            guard let leftID = vocabulary[left], let rightID = vocabulary[right], let mergedID = vocabulary[mergedToken] else {
                throw .malformedFile(path: path, reason: "merge \(rank) uses a token that is not in the vocabulary")
            }
            guard rank <= Int(Int32.max) else { throw .malformedFile(path: path, reason: "too many merges") }
            merges[BPEModel.key(Int32(leftID), Int32(rightID))] = (Int32(rank), Int32(mergedID))
        }
        let unknownName: [UInt8]?
        if let forcedUnknown {
            unknownName = Array(forcedUnknown.utf8)
        } else {
            unknownName = try optionalString("unk_token")
        }
        var unknownID: Int?
        if let unknownName {
            guard let id = vocabulary[unknownName] else {
                throw .malformedFile(path: path, reason: "unk_token \(String(decoding: unknownName, as: UTF8.self).debugDescription) is not in the vocabulary")
            }
            unknownID = id
        }
        let isGemma = forcedUnknown != nil
        return BPEModel(
            vocabulary: vocabulary, merges: merges, unknownID: unknownID,
            fuseUnknown: isGemma || node["fuse_unk"]?.bool == true,
            byteFallback: isGemma || node["byte_fallback"]?.bool == true,
            ignoreMerges: !isGemma && node["ignore_merges"]?.bool == true,
            continuingSubwordPrefix: prefix, endOfWordSuffix: suffix)
    }

    private static func unigram(_ node: JSONNode, path: String) throws(TokenizerError) -> (UnigramModel, [[UInt8]]) {
        guard let list = node["vocab"]?.array, !list.isEmpty else {
            throw .malformedFile(path: path, reason: "the Unigram model has no \"vocab\" list")
        }
        var vocabulary: [(bytes: [UInt8], score: Double)] = []
        vocabulary.reserveCapacity(list.count)
        for (index, entry) in list.enumerated() {
            guard let pair = entry.array, pair.count == 2, let token = pair[0].stringBytes, let score = pair[1].number else {
                throw .malformedFile(path: path, reason: "Unigram vocabulary entry \(index) is not [token, score]")
            }
            vocabulary.append((token, score))
        }
        guard let unknownID = node["unk_id"]?.integer(in: 0...(vocabulary.count - 1)) else {
            throw .malformedFile(path: path, reason: "the Unigram model has no valid unk_id")
        }
        let model = UnigramModel(vocabulary: vocabulary, unknownID: unknownID, byteFallback: node["byte_fallback"]?.bool == true)
        return (model, vocabulary.map(\.bytes))
    }

    private static func addedTokens(_ root: JSONNode, path: String) throws(TokenizerError) -> [TokenizerConfiguration.AddedToken] {
        guard let list = root["added_tokens"], !list.isNull else { return [] }
        guard let entries = list.array else { throw .malformedFile(path: path, reason: "\"added_tokens\" is not a list") }
        var tokens: [TokenizerConfiguration.AddedToken] = []
        for (index, entry) in entries.enumerated() {
            guard let id = entry["id"]?.integer(in: 0...Int(Int32.max)), let content = entry["content"]?.string, !content.isEmpty else {
                throw .malformedFile(path: path, reason: "added token \(index) needs an id and a non-empty content")
            }
            // Word-boundary matching is not implemented; refusing beats silently different ids.
            if entry["single_word"]?.bool == true {
                throw .unsupportedComponent(path: path, component: "added token \(content.debugDescription)", type: "single_word")
            }
            let special = entry["special"]?.bool ?? false
            tokens.append(.init(
                content: content, id: id, lstrip: entry["lstrip"]?.bool ?? false, rstrip: entry["rstrip"]?.bool ?? false,
                special: special, normalized: entry["normalized"]?.bool ?? !special))
        }
        return tokens
    }
}
