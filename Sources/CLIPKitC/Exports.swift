// The functions of clipkit.h (see it for the contract). Every function catches every error:
// nothing here may trap, print or exit, whatever the caller passes.
import CLIPKit
import CLIPKitABI
import Foundation

/// This library's version (static storage).
private let versionString: StaticString = "0.1.0"

@_cdecl("clipkit_version")
public func clipkitVersion() -> UnsafePointer<CChar>? {
    UnsafeRawPointer(versionString.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("clipkit_options_init")
public func clipkitOptionsInit(_ options: UnsafeMutablePointer<clipkit_options>?) {
    options?.pointee = clipkit_options(
        struct_size: UInt32(MemoryLayout<clipkit_options>.size), threads: 0, batch_size: 0, ignore_exif: 0,
        precision: nil, preprocessor_json: nil)
}

@_cdecl("clipkit_string_free")
public func clipkitStringFree(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}

@_cdecl("clipkit_resolve_model")
public func clipkitResolveModel(
    _ model: UnsafePointer<CChar>?, _ path: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(error) {
        guard let path else { throw ABIError.invalidArgument("path is NULL") }
        path.pointee = nil
        let folder = try ModelRegistry.resolve(try CStrings.read(model, "model"))
        path.pointee = CStrings.copy(folder.path)
    }
}

// MARK: - Classifier

@_cdecl("clipkit_classifier_create")
public func clipkitClassifierCreate(
    _ model: UnsafePointer<CChar>?, _ labels: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int32,
    _ template: UnsafePointer<CChar>?, _ options: UnsafePointer<clipkit_options>?,
    _ classifier: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(error) {
        guard let classifier else { throw ABIError.invalidArgument("classifier is NULL") }
        classifier.pointee = nil
        guard labelCount > 0, let labels else { throw ABIError.invalidArgument("give at least one label") }
        let names = try (0..<Int(labelCount)).map { try CStrings.read(labels[$0], "label \($0 + 1)") }
        let given = template.map { ClassifierHandle.templates(from: String(cString: $0)) }
        for template in given ?? [] { try ZeroShotClassifier.validate(labels: names, template: template) }
        if given == nil { try ZeroShotClassifier.validate(labels: names) }
        let engine = try Engine(reference: try CStrings.read(model, "model"), options: try EngineOptions(options))
        // NULL: the model family's template ("{}" for CLIP, "This is a photo of {}." for SigLIP).
        let templates = given ?? [engine.pipeline.family.defaultTemplate]
        classifier.pointee = Handles.open(try ClassifierHandle(engine: engine, labels: names, templates: templates))
    }
}

@_cdecl("clipkit_classifier_label_count")
public func clipkitClassifierLabelCount(_ classifier: OpaquePointer?) -> Int32 {
    guard let handle = try? Handles.borrow(classifier, as: ClassifierHandle.self) else { return 0 }
    return Int32(clamping: handle.classifier.labels.count)
}

@_cdecl("clipkit_classifier_classify_encoded")
public func clipkitClassifierClassifyEncoded(
    _ classifier: OpaquePointer?, _ count: Int64, _ data: UnsafePointer<UInt8>?, _ offsets: UnsafePointer<Int64>?,
    _ probabilities: UnsafeMutablePointer<Float>?, _ sizes: UnsafeMutablePointer<Int32>?, _ statuses: UnsafeMutablePointer<Int32>?,
    _ messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(nil) {
        let source = try BatchSource(count: count, data: data, offsets: offsets, kind: .encoded)
        try classify(classifier, source, probabilities, sizes, statuses, messages)
    }
}

@_cdecl("clipkit_classifier_classify_pixels")
public func clipkitClassifierClassifyPixels(
    _ classifier: OpaquePointer?, _ count: Int64, _ data: UnsafePointer<UInt8>?, _ offsets: UnsafePointer<Int64>?,
    _ heights: UnsafePointer<Int32>?, _ widths: UnsafePointer<Int32>?, _ channels: UnsafePointer<Int32>?,
    _ order: Int32, _ probabilities: UnsafeMutablePointer<Float>?, _ sizes: UnsafeMutablePointer<Int32>?, _ statuses: UnsafeMutablePointer<Int32>?,
    _ messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(nil) {
        let source = try pixelSource(count, data, offsets, heights, widths, channels, order)
        try classify(classifier, source, probabilities, sizes, statuses, messages)
    }
}

@_cdecl("clipkit_classifier_free")
public func clipkitClassifierFree(_ classifier: OpaquePointer?) {
    Handles.close(classifier, as: ClassifierHandle.self)
}

private func classify(
    _ classifier: OpaquePointer?, _ source: BatchSource, _ probabilities: UnsafeMutablePointer<Float>?,
    _ sizes: UnsafeMutablePointer<Int32>?, _ statuses: UnsafeMutablePointer<Int32>?, _ messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) throws {
    let handle = try Handles.borrow(classifier, as: ClassifierHandle.self)
    let width = handle.classifier.labels.count
    let out = try ItemOutputs(rows: probabilities, width: width, sizes: sizes, statuses: statuses, messages: messages, count: source.count)
    handle.engine.embedImages(source, deliver: { embeddings, indices in
        for (row, result) in zip(indices, handle.classifier.classify(imageEmbeddings: embeddings)) {
            for score in result.scores {
                if let column = handle.columns[score.label] { out.rows[row * width + column] = score.score }
            }
            out.succeed(row)
        }
    }, decoded: out.decoded, fail: out.fail)
}

private func pixelSource(
    _ count: Int64, _ data: UnsafePointer<UInt8>?, _ offsets: UnsafePointer<Int64>?, _ heights: UnsafePointer<Int32>?,
    _ widths: UnsafePointer<Int32>?, _ channels: UnsafePointer<Int32>?, _ order: Int32
) throws -> BatchSource {
    guard let heights, let widths, let channels else { throw ABIError.invalidArgument("heights, widths or channels is NULL") }
    guard let order = RawImage.ChannelOrder(rawValue: order) else {
        throw ABIError.invalidArgument("unknown channel order \(order)")
    }
    return try BatchSource(count: count, data: data, offsets: offsets,
                           kind: .pixels(heights: heights, widths: widths, channels: channels, order: order))
}

// MARK: - Embedder

@_cdecl("clipkit_embedder_create")
public func clipkitEmbedderCreate(
    _ model: UnsafePointer<CChar>?, _ options: UnsafePointer<clipkit_options>?,
    _ embedder: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(error) {
        guard let embedder else { throw ABIError.invalidArgument("embedder is NULL") }
        embedder.pointee = nil
        let engine = try Engine(reference: try CStrings.read(model, "model"), options: try EngineOptions(options))
        embedder.pointee = Handles.open(EmbedderHandle(engine: engine))
    }
}

@_cdecl("clipkit_embedder_dimension")
public func clipkitEmbedderDimension(_ embedder: OpaquePointer?) -> Int32 {
    guard let handle = try? Handles.borrow(embedder, as: EmbedderHandle.self) else { return 0 }
    return Int32(clamping: handle.engine.pipeline.embeddingSize)
}

@_cdecl("clipkit_embedder_embed_encoded")
public func clipkitEmbedderEmbedEncoded(
    _ embedder: OpaquePointer?, _ count: Int64, _ data: UnsafePointer<UInt8>?, _ offsets: UnsafePointer<Int64>?,
    _ embeddings: UnsafeMutablePointer<Float>?, _ sizes: UnsafeMutablePointer<Int32>?,
    _ statuses: UnsafeMutablePointer<Int32>?, _ messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(nil) {
        let source = try BatchSource(count: count, data: data, offsets: offsets, kind: .encoded)
        try embed(embedder, source, embeddings, sizes, statuses, messages)
    }
}

@_cdecl("clipkit_embedder_embed_pixels")
public func clipkitEmbedderEmbedPixels(
    _ embedder: OpaquePointer?, _ count: Int64, _ data: UnsafePointer<UInt8>?, _ offsets: UnsafePointer<Int64>?,
    _ heights: UnsafePointer<Int32>?, _ widths: UnsafePointer<Int32>?, _ channels: UnsafePointer<Int32>?,
    _ order: Int32, _ embeddings: UnsafeMutablePointer<Float>?, _ sizes: UnsafeMutablePointer<Int32>?,
    _ statuses: UnsafeMutablePointer<Int32>?, _ messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(nil) {
        let source = try pixelSource(count, data, offsets, heights, widths, channels, order)
        try embed(embedder, source, embeddings, sizes, statuses, messages)
    }
}

@_cdecl("clipkit_embedder_embed_texts")
public func clipkitEmbedderEmbedTexts(
    _ embedder: OpaquePointer?, _ count: Int64, _ texts: UnsafePointer<UnsafePointer<CChar>?>?,
    _ embeddings: UnsafeMutablePointer<Float>?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guarded(error) {
        let handle = try Handles.borrow(embedder, as: EmbedderHandle.self)
        guard count >= 0, let n = Int(exactly: count) else { throw ABIError.invalidArgument("count must not be negative") }
        guard n == 0 || texts != nil else { throw ABIError.invalidArgument("texts is NULL") }
        guard let embeddings else { throw ABIError.invalidArgument("embeddings is NULL") }
        let strings = try (0..<n).map { try CStrings.read(texts?[$0], "text \($0 + 1)") }
        let result = try handle.engine.pipeline.textEmbeddings(strings)
        result.scalars.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            embeddings.update(from: p, count: b.count)
        }
    }
}

@_cdecl("clipkit_embedder_free")
public func clipkitEmbedderFree(_ embedder: OpaquePointer?) {
    Handles.close(embedder, as: EmbedderHandle.self)
}

private func embed(
    _ embedder: OpaquePointer?, _ source: BatchSource, _ embeddings: UnsafeMutablePointer<Float>?,
    _ sizes: UnsafeMutablePointer<Int32>?, _ statuses: UnsafeMutablePointer<Int32>?, _ messages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) throws {
    let handle = try Handles.borrow(embedder, as: EmbedderHandle.self)
    let width = handle.engine.pipeline.embeddingSize
    let out = try ItemOutputs(rows: embeddings, width: width, sizes: sizes, statuses: statuses, messages: messages, count: source.count)
    handle.engine.embedImages(source, deliver: { tensor, indices in
        tensor.scalars.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress, b.count == indices.count * width else { return }
            for (k, row) in indices.enumerated() {
                (out.rows + row * width).update(from: p + k * width, count: width)
                out.succeed(row)
            }
        }
    }, decoded: out.decoded, fail: out.fail)
}
