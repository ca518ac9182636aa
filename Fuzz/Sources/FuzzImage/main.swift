// Image decoding (JPEG, PNG, GIF, BMP, WebP through the real libraries, chosen by magic
// bytes), EXIF orientation, then preprocessing to CLIP's 224×224 input.
import CLIPKit
import Foundation
import FuzzSupport

let preprocessor = ImagePreprocessor(config: PreprocessorConfig())
/// A limit that keeps each execution fast; the size checks themselves are what is fuzzed.
let options = ImageDecodingOptions(maxPixelCount: 1 << 18)

FuzzSupport.run { start, count in
    let data = FuzzSupport.data(start, count)
    guard let image = try? ImageDecoder.decode(data, name: "fuzz", options: options) else { return 0 }
    _ = preprocessor(image)
    return 0
}
