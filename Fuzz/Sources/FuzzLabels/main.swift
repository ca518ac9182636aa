// The labels-file parser, label validation, and the prompts' tokenization.
import CLIPKit
import Foundation
import FuzzSupport

let tokenizer = try? CLIPTokenizer(directory: FuzzSupport.tinyModel)

FuzzSupport.run { start, count in
    guard let labels = CandidateLabelsFile.labels(in: FuzzSupport.data(start, count)) else { return 0 }
    if (try? ZeroShotClassifier.validate(labels: labels, template: "a photo of {}")) != nil {
        _ = tokenizer?.encodeBatch(labels.map { "a photo of " + $0 })
    }
    return 0
}
