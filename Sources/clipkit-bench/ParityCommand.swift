import ArgumentParser
import CLIPKit
import Foundation

/// Compares clipkit with transformers on a full-size model written by scripts/parity_full.py.
struct ParityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Compare embeddings and probabilities with a transformers reference file.")

    @Option(help: "Model folder (config.json + model.safetensors).") var model: String
    @Option(help: "reference.json written by scripts/parity_full.py.") var reference: String
    @Option(help: "Raw little-endian float32 pixels [images, 3, S, S].") var pixels: String

    struct Reference: Decodable {
        let preset: String
        let token_ids: [[Int]]
        let image_count: Int
        let image_size: Int
        let text_features: [[Float]]
        let image_features: [[Float]]
        let probabilities: [[Float]]
        /// SigLIP: the texts' lengths before padding, and transformers' outputs with the
        /// tokenizer's attention mask, as the zero-shot pipeline runs them (text embeddings
        /// normalised).
        let content_lengths: [Int]?
        let masked_text_features: [[Float]]?
        let pipeline_probabilities: [[Float]]?
    }

    func run() throws {
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: reference)))
        let model = try ModelFamily.loadModel(directory: URL(fileURLWithPath: model))
        let raw = try Data(contentsOf: URL(fileURLWithPath: pixels))
        let count = ref.image_count * 3 * ref.image_size * ref.image_size
        guard raw.count == count * 4 else { throw ValidationError("pixels file has \(raw.count) bytes, expected \(count * 4)") }
        let values = raw.withUnsafeBytes { bytes in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        let pixelTensor = Tensor(shape: [ref.image_count, 3, ref.image_size, ref.image_size], scalars: values)!
        let text = try model.textEmbeddings(tokenIDs: ref.token_ids)
        let images = try model.imageEmbeddings(pixels: pixelTensor)
        // The family's pipeline probabilities: softmax over labels (CLIP), sigmoid per label (SigLIP).
        let probabilities = ZeroShotScores.scores(images: images, texts: text, logitScale: model.logitScale,
                                                  logitBias: model.logitBias, kind: model.family.defaultScoreKind)
        print("\(ref.preset) (\(model.family.rawValue)):")
        let textCosine = report("text features", text, ref.text_features)
        let imageCosine = report("image features", images, ref.image_features)
        let probabilityError = report("probabilities", probabilities, ref.probabilities, cosine: false)
        var gates = [probabilityError.maxDifference <= 1e-5, textCosine.minCosine >= 0.99999,
                     imageCosine.minCosine >= 0.99999]
        if let lengths = ref.content_lengths, let maskedReference = ref.masked_text_features,
           let pipelineReference = ref.pipeline_probabilities {
            // The pipeline's way: unpadded ids, padded to 64 with the attention mask.
            let content = zip(ref.token_ids, lengths).map { Array($0.prefix($1)) }
            let masked = ZeroShotScores.normalized(try model.textEmbeddings(
                tokenIDs: content, padding: .toLength(64, masked: true), paddingID: 1, side: .right))
            let maskedCosine = report("masked text features", masked, maskedReference)
            let piped = ZeroShotScores.scores(images: images, texts: masked, logitScale: model.logitScale,
                                              logitBias: model.logitBias, kind: model.family.defaultScoreKind)
            let pipedError = report("pipeline probabilities", piped, pipelineReference, cosine: false)
            gates += [maskedCosine.minCosine >= 0.99999, pipedError.maxDifference <= 1e-5]
        }
        // The gates of issue 20: |Δp| ≤ 1e-5, embeddings' cosine ≥ 0.99999.
        guard gates.allSatisfy({ $0 }) else {
            throw ValidationError("\(ref.preset): outside the gates (|Δp| <= 1e-5, cosine >= 0.99999)")
        }
        print("\(ref.preset): within the gates")
    }

    /// Prints the largest absolute difference and the smallest per-row cosine similarity.
    @discardableResult
    func report(_ name: String, _ tensor: Tensor, _ reference: [[Float]], cosine: Bool = true)
        -> (maxDifference: Float, minCosine: Double) {
        let width = reference.first?.count ?? 0
        var maxDiff: Float = 0
        var minCosine = 1.0
        for (r, row) in reference.enumerated() {
            let mine = tensor.scalars[(r * width)..<((r + 1) * width)]
            var dot = 0.0, a = 0.0, b = 0.0
            for (x, y) in zip(mine, row) {
                maxDiff = max(maxDiff, abs(x - y))
                dot += Double(x) * Double(y); a += Double(x) * Double(x); b += Double(y) * Double(y)
            }
            minCosine = min(minCosine, dot / max((a * b).squareRoot(), .leastNormalMagnitude))
        }
        let cos = cosine ? String(format: "  min cosine %.8f", minCosine) : ""
        print("\(name): max |Δ| \(maxDiff)\(cos)")
        return (maxDiff, minCosine)
    }
}
