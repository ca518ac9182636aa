// config.json and preprocessor_config.json decoding and validation; for valid preprocessor
// settings, the resize/crop geometry for a spread of image sizes.
@testable import CLIPKit
import Foundation
import FuzzSupport

FuzzSupport.run { start, count in
    let data = FuzzSupport.data(start, count)
    if let configuration = try? JSONDecoder().decode(CLIPConfiguration.self, from: data) {
        if (try? configuration.validate()) != nil {
            _ = configuration.vision.tokenCount
        }
    }
    if let config = try? JSONDecoder().decode(PreprocessorConfig.self, from: data), config.problem == nil {
        let processor = ImagePreprocessor(config: config)
        for (h, w) in [(1, 1), (1, 60000), (60000, 1), (224, 224), (17, 4099), (65535, 65535)] {
            _ = processor.plan(for: DecodedImage(validatedWidth: w, height: h, pixels: [], format: .png,
                                                sourceMode: "RGB", transparentColor: nil))
        }
    }
    return 0
}
