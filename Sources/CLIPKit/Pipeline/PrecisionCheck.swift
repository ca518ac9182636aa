import Foundation

/// How closely a model in reduced precision follows the same model in fp32, on the user's own
/// images and labels (`clipkit check-precision`).
public struct PrecisionReport: Sendable {
    /// Minimum and mean cosine similarity over a set of vectors.
    public struct Cosines: Sendable, Equatable {
        public var minimum: Double
        public var mean: Double
    }

    /// The precision compared with fp32.
    public let precision: Precision
    /// The kernel variant that ran (``Precision/kernelDescription``).
    public let kernel: String
    /// Per image-tower encoder layer: the residual stream after the layer, every token of every
    /// image, against fp32.
    public let layers: [Cosines]
    /// Final (projected) image embeddings against fp32.
    public let imageEmbeddings: Cosines
    /// Final text embeddings of the labels against fp32.
    public let textEmbeddings: Cosines
    /// Images whose best label is the one fp32 picks.
    public let topOneMatches: Int
    /// Images compared.
    public let imageCount: Int
}

/// Compares a reduced-precision model with its fp32 original.
public enum PrecisionCheck {
    /// Images run through both towers at once while the fp32 layer states are kept.
    static let chunkSize = 4

    /// Runs `reference` (fp32) and `candidate` (the same weights in another precision) on
    /// preprocessed `pixels` [images, channels, size, size] and the labels' token ids, and
    /// reports per-layer and final cosines and top-1 agreement.
    public static func compare(_ candidate: any ZeroShotModel, with reference: any ZeroShotModel, pixels: Tensor,
                               labelTokenIDs: [[Int]]) throws -> PrecisionReport {
        let reports = try compare([candidate], with: reference, pixels: pixels, labelTokenIDs: labelTokenIDs)
        guard let report = reports.first else {
            throw ModelError.invalidInput(reason: "no candidate to compare")
        }
        return report
    }

    /// ``compare(_:with:pixels:labelTokenIDs:)`` for several candidates at once: the fp32 model
    /// runs once per chunk of images, each candidate after it. One report per candidate.
    public static func compare(_ candidates: [any ZeroShotModel], with reference: any ZeroShotModel, pixels: Tensor,
                               labelTokenIDs: [[Int]]) throws -> [PrecisionReport] {
        guard let reference = reference as? any LayerObservableModel else {
            throw ModelError.invalidInput(reason: "the reference model cannot report its layers")
        }
        let observed = try candidates.map { candidate -> any LayerObservableModel in
            guard let model = candidate as? any LayerObservableModel, model.hasSameShape(as: reference) else {
                throw ModelError.invalidInput(reason: "the models to compare have different configurations")
            }
            return model
        }
        let shape = pixels.shape.count == 3 ? [1] + pixels.shape : pixels.shape
        guard shape.count == 4 else {
            throw ModelError.invalidInput(reason: "pixels have shape \(pixels.shape), expected [images, channels, size, size]")
        }
        let count = shape[0]
        let imageSize = shape[1] * shape[2] * shape[3]
        let layerCount = reference.visionTower.layerCount
        let width = reference.visionTower.width
        var layers = Array(repeating: [CosineAccumulator](repeating: CosineAccumulator(), count: layerCount),
                           count: candidates.count)
        var images = [CosineAccumulator](repeating: CosineAccumulator(), count: candidates.count)
        var referenceImages: [Float] = []
        var candidateImages = [[Float]](repeating: [], count: candidates.count)
        var start = 0
        while start < count {
            let end = min(count, start + chunkSize)
            let chunk = Tensor(shape: [end - start] + Array(shape.dropFirst()),
                               scalars: Array(pixels.scalars[(start * imageSize)..<(end * imageSize)]))
                ?? Tensor(zeros: [0])
            var states: [[Float]] = Array(repeating: [], count: layerCount)
            let expected = try reference.imageEmbeddings(pixels: chunk) { layer, hidden in
                states[layer] = Array(hidden)
            }
            referenceImages += expected.scalars
            for (c, candidate) in observed.enumerated() {
                let actual = try candidate.imageEmbeddings(pixels: chunk) { layer, hidden in
                    layers[c][layer].add(rowsOf: Array(hidden), states[layer], width: width)
                }
                images[c].add(rowsOf: actual.scalars, expected.scalars, width: reference.embeddingSize)
                candidateImages[c] += actual.scalars
            }
            start = end
        }
        let size = reference.embeddingSize
        let labels = labelTokenIDs.count
        func best(_ imageRows: [Float], _ textRows: Tensor, _ model: any ZeroShotModel) -> [Int] {
            let imageTensor = Tensor(shape: [count, size], scalars: imageRows) ?? Tensor(zeros: [0, size])
            let logits = ZeroShotScores.logits(images: imageTensor, texts: textRows, logitScale: model.logitScale)
            return (0..<count).map { n in
                let row = logits.scalars[(n * labels)..<((n + 1) * labels)]
                return row.indices.max { row[$0] < row[$1] }.map { $0 - n * labels } ?? 0
            }
        }
        let expectedText = labels > 0 ? try reference.textEmbeddings(tokenIDs: labelTokenIDs) : nil
        let expectedBest = expectedText.map { best(referenceImages, $0, reference) } ?? []
        return try candidates.enumerated().map { c, candidate in
            var texts = CosineAccumulator()
            var matches = 0
            if let expectedText {
                let actualText = try candidate.textEmbeddings(tokenIDs: labelTokenIDs)
                texts.add(rowsOf: actualText.scalars, expectedText.scalars, width: size)
                matches = zip(expectedBest, best(candidateImages[c], actualText, candidate)).filter { $0 == $1 }.count
            }
            return PrecisionReport(precision: candidate.precision, kernel: candidate.precision.kernelDescription,
                                   layers: layers[c].map(\.cosines), imageEmbeddings: images[c].cosines,
                                   textEmbeddings: texts.cosines, topOneMatches: matches, imageCount: count)
        }
    }
}

/// Running minimum and mean of row-wise cosines.
struct CosineAccumulator {
    private(set) var minimum = 1.0
    private(set) var sum = 0.0
    private(set) var count = 0

    var cosines: PrecisionReport.Cosines {
        PrecisionReport.Cosines(minimum: count > 0 ? minimum : 1, mean: count > 0 ? sum / Double(count) : 1)
    }

    /// Adds the cosine of each pair of `width`-wide rows of `a` and `b`.
    mutating func add(rowsOf a: [Float], _ b: [Float], width: Int) {
        guard width > 0, a.count == b.count else { return }
        for row in 0..<(a.count / width) {
            var dot = 0.0, na = 0.0, nb = 0.0
            for i in (row * width)..<((row + 1) * width) {
                let x = Double(a[i]), y = Double(b[i])
                dot += x * y
                na += x * x
                nb += y * y
            }
            let c = na > 0 && nb > 0 ? dot / (na * nb).squareRoot() : (na == nb ? 1 : 0)
            minimum = min(minimum, c)
            sum += c
            count += 1
        }
    }
}
