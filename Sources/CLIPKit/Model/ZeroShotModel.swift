import Foundation

/// The pixel input a vision tower reads: `[channels, imageSize, imageSize]` per image.
public struct VisionInputShape: Sendable, Equatable {
    public var channelCount: Int
    /// Height and width of the (square) input.
    public var imageSize: Int
    /// Side of the square patches the tower cuts the input into.
    public var patchSize: Int

    public init(channelCount: Int, imageSize: Int, patchSize: Int) {
        self.channelCount = channelCount
        self.imageSize = imageSize
        self.patchSize = patchSize
    }
}

/// A contrastive image–text model of one ``ModelFamily``: a vision tower and a text tower that
/// embed into one space, and the scale and bias that turn cosine similarities into logits,
/// `exp(logitScale) · cosine + logitBias`.
///
/// ``CLIPModel`` and ``SiglipModel`` conform; ``ModelFamily/loadModel(directory:precision:)``
/// builds the one a folder holds. Instances are immutable after loading.
public protocol ZeroShotModel: AnyObject, Sendable {
    /// The family the model belongs to.
    var family: ModelFamily { get }
    /// Width of the shared embedding space.
    var embeddingSize: Int { get }
    /// `logit_scale`, the log of the factor that multiplies cosine similarities.
    var logitScale: Float { get }
    /// `logit_bias`, added to the scaled cosines (SigLIP; 0 for CLIP).
    var logitBias: Float { get }
    /// The safetensors file the weights were read from (identifies the model in caches).
    var weightsURL: URL { get }
    /// The arithmetic of the encoder layers' linear layers.
    var precision: Precision { get }
    /// How the load used the packed-weight cache (``PackedWeightCache``).
    var packedWeightLoad: PackedWeightLoad { get }
    /// The pixels the vision tower reads.
    var visionInput: VisionInputShape { get }
    /// The most token ids a text may have.
    var textContextLength: Int { get }

    /// Text embeddings (not normalised), one row per token sequence, as transformers'
    /// `get_text_features`. Sequences may differ in length; each is run as given (padding, if
    /// the family needs it, is the caller's: see ``ModelFamily/textPadding``).
    /// [sequences, embeddingSize]
    func textEmbeddings(tokenIDs sequences: [[Int]]) throws -> Tensor

    /// Text embeddings (not normalised) of unpadded token sequences, run as the family's
    /// zero-shot pipeline runs them: padded as `padding` says with `paddingID` on `side`
    /// (``ModelFamily/textPadding(directory:)``). [sequences, embeddingSize]
    func textEmbeddings(tokenIDs sequences: [[Int]], padding: TextPadding, paddingID: Int,
                        side: PaddingSide) throws -> Tensor

    /// Image embeddings (not normalised), as transformers' `get_image_features`. `pixels` is a
    /// preprocessed batch [images, channels, imageSize, imageSize] (or one image without the
    /// leading dimension). [images, embeddingSize]
    func imageEmbeddings(pixels: Tensor) throws -> Tensor
}

/// Models whose image tower can report every encoder layer's output (diagnostics:
/// ``PrecisionCheck``).
protocol LayerObservableModel: ZeroShotModel {
    /// The vision tower's encoder: its layer count and width.
    var visionTower: (layerCount: Int, width: Int) { get }
    /// Whether `other` has the same family and configuration (the same model in another
    /// precision, say).
    func hasSameShape(as other: any LayerObservableModel) -> Bool

    /// ``ZeroShotModel/imageEmbeddings(pixels:)``, with `observer` seeing each encoder layer's
    /// output of the vision tower.
    func imageEmbeddings(pixels: Tensor, observer: LayerObserver?) throws -> Tensor
}

extension ZeroShotModel {
    /// Models built without the packed-weight cache report ``PackedWeightLoad/none``.
    public var packedWeightLoad: PackedWeightLoad { .none }

    /// Pads each sequence (``TextPadding/apply(to:paddingID:side:)``) and runs it as given,
    /// every position attending to every other. Models whose family masks padding implement
    /// the requirement themselves.
    public func textEmbeddings(tokenIDs sequences: [[Int]], padding: TextPadding, paddingID: Int,
                               side: PaddingSide) throws -> Tensor {
        if case .toLength(_, masked: true) = padding {
            throw ModelError.invalidInput(reason: "a \(family.rawValue) model does not run masked padding")
        }
        return try textEmbeddings(tokenIDs: sequences.map { padding.apply(to: $0, paddingID: paddingID, side: side) })
    }

    /// The number of images in `pixels` after checking its shape against ``visionInput``.
    func imageCount(of pixels: Tensor) throws -> Int {
        let v = visionInput
        var shape = pixels.shape
        if shape.count == 3 { shape.insert(1, at: 0) }
        guard shape.count == 4, shape[1] == v.channelCount, shape[2] == v.imageSize, shape[3] == v.imageSize else {
            throw ModelError.invalidInput(reason: "pixels have shape \(pixels.shape), expected [images, \(v.channelCount), \(v.imageSize), \(v.imageSize)]")
        }
        return shape[0]
    }
}
