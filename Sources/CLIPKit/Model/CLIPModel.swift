// Ports CLIPModel of transformers 5.23 (models/clip/modeling_clip.py): get_text_features,
// get_image_features and the logit scale.
import Foundation

/// A CLIP model: text and vision towers projecting into one embedding space.
///
/// Loads a Hugging Face CLIP folder (`config.json` + `model.safetensors`) strictly: every
/// tensor the configuration implies must be present with its exact shape, and the file may hold
/// nothing else. Immutable after loading, so one model serves any number of concurrent tasks.
public final class CLIPModel: ZeroShotModel, LayerObservableModel {
    /// The hyper-parameters the model was built from.
    public let configuration: CLIPConfiguration
    /// `logit_scale`, the log of the temperature that multiplies cosine similarities.
    public let logitScale: Float
    /// The safetensors file the weights were read from (identifies the model in caches).
    public let weightsURL: URL
    /// The arithmetic of the encoder layers' linear layers.
    public let precision: Precision
    /// How the load used the packed-weight cache.
    public let packedWeightLoad: PackedWeightLoad

    let text: TextTransformer
    let vision: VisionTransformer
    /// `text_projection.weight`, bias-free. [projection, textWidth]
    let textProjection: Linear
    /// `visual_projection.weight`, bias-free. [projection, visionWidth]
    let visualProjection: Linear

    /// Width of the shared embedding space.
    public var embeddingSize: Int { configuration.projectionDimension }
    public var family: ModelFamily { .clip }
    /// CLIP has no logit bias: 0.
    public var logitBias: Float { 0 }
    public var visionInput: VisionInputShape {
        VisionInputShape(channelCount: configuration.vision.channelCount, imageSize: configuration.vision.imageSize,
                         patchSize: configuration.vision.patchSize)
    }
    public var textContextLength: Int { configuration.text.maxPositionEmbeddings }
    var visionTower: (layerCount: Int, width: Int) { (configuration.vision.layerCount, configuration.vision.hiddenSize) }
    func hasSameShape(as other: any LayerObservableModel) -> Bool {
        (other as? CLIPModel)?.configuration == configuration
    }

    /// Loads `config.json` and `model.safetensors` from a model folder. Throws ``ModelError``
    /// or ``WeightsError``, naming the file. `precision` chooses the arithmetic of the encoder
    /// layers (fp32, the exact default; bf16 or int8 weights are converted once, here).
    /// `weightCache` keeps the packed weights of reduced-precision (and packed fp32) layers
    /// between processes (``PackedWeightCache``; nil packs them in memory at every load).
    public convenience init(directory: URL, precision: Precision = .fp32,
                            weightCache: PackedWeightCache? = PackedWeightCache.standard()) throws {
        let configuration = try CLIPConfiguration.load(from: directory.appendingPathComponent("config.json"))
        let weights = try ModelFamily.weightsFile(in: directory)
        try self.init(configuration: configuration, weights: weights, precision: precision, weightCache: weightCache)
    }

    /// Builds the model described by `configuration` from a safetensors file, its encoder
    /// layers in `precision`, their packed weights kept in `weightCache`.
    public convenience init(configuration: CLIPConfiguration, weights url: URL, precision: Precision = .fp32,
                            weightCache: PackedWeightCache? = PackedWeightCache.standard()) throws {
        try self.init(configuration: configuration, weights: url, precision: precision, weightCache: weightCache,
                      fp32Packed: KernelVariants.fp32Packed)
    }

    /// The same, fp32 layers packed (or on BLAS) as `fp32Packed` says rather than as this
    /// process's ``KernelVariants/fp32Packed`` (tests of both layouts in one process).
    init(configuration: CLIPConfiguration, weights url: URL, precision: Precision, weightCache: PackedWeightCache?,
         fp32Packed: Bool) throws {
        try configuration.validate()
        let loader = try WeightLoader(weights: url, family: .clip, precision: precision, weightCache: weightCache,
                                      fp32Packed: fp32Packed)
        let root = loader.root
        text = try TextTransformer(root.scoped("text_model"), settings: configuration.text.towerSettings,
                                   precision: precision)
        vision = try VisionTransformer(root.scoped("vision_model"), settings: configuration.vision.towerSettings,
                                       precision: precision)
        textProjection = try Linear(root.scoped("text_projection"), input: configuration.text.hiddenSize,
                                    output: configuration.projectionDimension, hasBias: false)
        visualProjection = try Linear(root.scoped("visual_projection"), input: configuration.vision.hiddenSize,
                                      output: configuration.projectionDimension, hasBias: false)
        logitScale = try root.tensor("logit_scale", shape: []).first
        packedWeightLoad = try loader.finishLoad()
        self.configuration = configuration
        weightsURL = url
        self.precision = precision
    }

    /// Projected text embeddings (not normalised), one row per token sequence, as
    /// transformers' `get_text_features`. Each sequence is BOS … EOS as ``CLIPTokenizer`` makes
    /// it; sequences may differ in length and need no padding. [sequences, embeddingSize]
    public func textEmbeddings(tokenIDs sequences: [[Int]]) throws -> Tensor {
        try text.validate(sequences)
        guard !sequences.isEmpty else { return Tensor(zeros: [0, embeddingSize]) }
        let width = configuration.text.hiddenSize
        var pooled = [Float](repeating: 0, count: sequences.count * width)
        pooled.withUnsafeMutableBufferPointer { text.pooled(sequences, into: $0.baseAddress!) }
        return project(pooled, rows: sequences.count, with: textProjection)
    }

    /// Projected image embeddings (not normalised), as transformers' `get_image_features`.
    /// `pixels` is a preprocessed batch [images, channels, imageSize, imageSize].
    /// [images, embeddingSize]
    public func imageEmbeddings(pixels: Tensor) throws -> Tensor {
        try imageEmbeddings(pixels: pixels, observer: nil)
    }

    /// ``imageEmbeddings(pixels:)``, with `observer` seeing each encoder layer's output
    /// (diagnostics: ``PrecisionCheck``).
    func imageEmbeddings(pixels: Tensor, observer: LayerObserver?) throws -> Tensor {
        let v = configuration.vision
        let count = try imageCount(of: pixels)
        guard count > 0 else { return Tensor(zeros: [0, embeddingSize]) }
        var pooled = [Float](repeating: 0, count: count * v.hiddenSize)
        pixels.scalars.withUnsafeBufferPointer { source in
            pooled.withUnsafeMutableBufferPointer { vision.pooled(source.baseAddress!, count: count, into: $0.baseAddress!, observer: observer) }
        }
        return project(pooled, rows: count, with: visualProjection)
    }

    private func project(_ pooled: [Float], rows: Int, with projection: Linear) -> Tensor {
        var out = Tensor(zeros: [rows, embeddingSize])
        guard rows > 0 else { return out }
        pooled.withUnsafeBufferPointer { source in
            out.scalars.withUnsafeMutableBufferPointer { projection.apply(.fp32(source.baseAddress!), rows: rows, into: $0.baseAddress!) }
        }
        return out
    }
}
