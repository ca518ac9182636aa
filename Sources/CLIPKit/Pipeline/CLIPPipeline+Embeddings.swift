import Foundation

extension CLIPPipeline {
    /// Texts encoded per call of the text tower, so a long label list never needs one huge
    /// activation buffer.
    static let textChunkSize = 64

    /// Tokenizes `text` as the model's tokenizer does, cut to the text tower's context length,
    /// reporting whether it was truncated. The ids are not padded (``textEmbeddings(tokenized:)``
    /// pads them as ``textPadding`` says).
    public func tokenize(_ text: String) -> TokenizedText {
        tokenizer.encode(text, maxLength: model.textContextLength)
    }

    /// L2-normalised, projected text embeddings, one row per text, in order.
    /// [texts.count, embeddingSize]
    public func textEmbeddings(_ texts: [String]) throws -> Tensor {
        try textEmbeddings(tokenized: texts.map(tokenize))
    }

    /// L2-normalised, projected embeddings of already tokenized texts. [texts.count, embeddingSize]
    public func textEmbeddings(tokenized texts: [TokenizedText]) throws -> Tensor {
        var scalars = [Float]()
        scalars.reserveCapacity(texts.count * embeddingSize)
        var start = 0
        while start < texts.count {
            let end = min(texts.count, start + Self.textChunkSize)
            let chunk = try model.textEmbeddings(tokenIDs: texts[start..<end].map(\.ids), padding: textPadding,
                                                 paddingID: tokenizer.paddingID, side: tokenizer.paddingSide)
            scalars += ZeroShotScores.normalized(chunk).scalars
            start = end
        }
        return Tensor(shape: [texts.count, embeddingSize], scalars: scalars) ?? Tensor(zeros: [0, embeddingSize])
    }

    /// L2-normalised, projected image embeddings of preprocessed pixels
    /// [images, channels, size, size] (or one image [channels, size, size]). [images, embeddingSize]
    public func imageEmbeddings(pixels: Tensor) throws -> Tensor {
        ZeroShotScores.normalized(try model.imageEmbeddings(pixels: pixels))
    }

    /// L2-normalised, projected embeddings of decoded images, one row per image.
    /// [images.count, embeddingSize]
    public func imageEmbeddings(_ images: [DecodedImage]) throws -> Tensor {
        try imageEmbeddings(pixels: pixels(for: images))
    }

    /// The L2-normalised embedding of one image file. [embeddingSize]
    public func imageEmbedding(contentsOf url: URL, options: ImageDecodingOptions = .init()) throws -> [Float] {
        try imageEmbeddings([ImageDecoder.decode(contentsOf: url, options: options)]).scalars
    }

    /// Streams L2-normalised image embeddings for many inputs, in input order, with bounded
    /// memory and decoding overlapped with inference (see ``ImageBatchSequence``).
    public func imageEmbeddings(of inputs: [ImageInput], options: BatchOptions = .init()) -> ImageBatchSequence<[Float]> {
        let width = embeddingSize
        return ImageBatchSequence(inputs: inputs, pipeline: self, options: options) { embeddings in
            let rows = embeddings.shape.first ?? 0
            return (0..<rows).map { Array(embeddings.scalars[$0 * width..<($0 + 1) * width]) }
        }
    }

    /// Preprocesses decoded images into one batch tensor. [images, channels, height, width]
    func pixels(for images: [DecodedImage]) -> Tensor {
        let shape = preprocessor.outputShape
        let size = shape.channels * shape.height * shape.width
        var batch = Tensor(zeros: [images.count, shape.channels, shape.height, shape.width])
        batch.scalars.withUnsafeMutableBufferPointer { buffer in
            for (i, image) in images.enumerated() {
                preprocessor.preprocess(image, into: UnsafeMutableBufferPointer(rebasing: buffer[i * size..<(i + 1) * size]))
            }
        }
        return batch
    }
}
