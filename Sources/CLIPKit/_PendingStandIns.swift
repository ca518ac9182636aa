// ============================================================================================
// TEMPORARY STAND-INS — DELETE THIS WHOLE FILE WHEN feat/tokenizer, feat/images AND feat/hub
// ARE MERGED. Nothing else lives here.
//
// Minimal versions of the agreed public APIs of the tokenizer, image and hub areas, so that
// feat/cli builds and its tests run before those branches land. They are deliberately naive
// (whitespace "tokenizer", PNG-only decoder, nearest-neighbour preprocessor, local folders only)
// and are not the behaviour clipkit ships.
// ============================================================================================
import CPNG
import Foundation

/// Stand-in for the real CLIP BPE tokenizer (feat/tokenizer).
public struct CLIPTokenizer: Sendable {
    public static let contextLength = 77
    let vocabulary: [String: Int]

    public init(directory: URL) throws {
        let url = directory.appendingPathComponent("vocab.json")
        guard let data = try? Data(contentsOf: url),
              let vocabulary = try? JSONDecoder().decode([String: Int].self, from: data)
        else { throw StandInError(description: "cannot read \(url.path)") }
        self.vocabulary = vocabulary
    }

    public func encode(_ text: String) -> [Int] { encodeWithTruncationFlag(text).ids }

    public func encodeWithTruncationFlag(_ text: String) -> (ids: [Int], truncated: Bool) {
        let eos = vocabulary["<|endoftext|>"] ?? 49407
        var ids = [vocabulary["<|startoftext|>"] ?? 49406]
        for word in text.lowercased().split(whereSeparator: \.isWhitespace) {
            ids.append(vocabulary[word + "</w>"] ?? eos)
        }
        ids.append(eos)
        guard ids.count > Self.contextLength else { return (ids, false) }
        return (Array(ids.prefix(Self.contextLength - 1)) + [eos], true)
    }
}

/// Stand-in: the container format of a decoded image.
public enum ImageFormat: String, Sendable { case png }

/// Stand-in: an image decoded to 8-bit RGB.
public struct DecodedImage: Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
    public var format: ImageFormat
    public var sourceMode: String
}

/// Stand-in: decoding options.
public struct ImageDecodingOptions: Sendable {
    public var appliesEXIFOrientation = true
    public var maxPixelCount = 178_956_970
    public init() {}
}

/// Stand-in: the image area's error.
public enum ImageError: LocalizedError {
    case unreadable(path: String, reason: String)
    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason): return "cannot read image \(path): \(reason)"
        }
    }
}

/// Stand-in decoder: PNG only, through libpng's simplified API.
public enum ImageDecoder {
    public static func decode(contentsOf url: URL, options: ImageDecodingOptions = .init()) throws -> DecodedImage {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImageError.unreadable(path: url.path, reason: "cannot open file")
        }
        return try decode(data, name: url.path, options: options)
    }

    public static func decode(_ data: Data, name: String, options: ImageDecodingOptions = .init()) throws -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let ok = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard ok != 0, image.width > 0, image.height > 0 else {
            png_image_free(&image)
            throw ImageError.unreadable(path: name, reason: "not a PNG image")
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        let (width, height) = (Int(image.width), Int(image.height))
        guard width * height <= options.maxPixelCount else {
            png_image_free(&image)
            throw ImageError.unreadable(path: name, reason: "too many pixels")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let finished = data.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        }
        guard finished != 0 else {
            png_image_free(&image)
            throw ImageError.unreadable(path: name, reason: "corrupt PNG data")
        }
        return DecodedImage(width: width, height: height, pixels: pixels, format: .png, sourceMode: "RGB")
    }
}

/// Stand-in preprocessor configuration: crop size, mean and std only.
public struct PreprocessorConfig: Codable, Sendable {
    var cropSize = 224
    var mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    var std: [Float] = [0.26862954, 0.26130258, 0.27577711]

    public static func load(fromDirectory directory: URL) throws -> PreprocessorConfig {
        for name in ["preprocessor_config.json", "processor_config.json"] {
            let url = directory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url) else { continue }
            guard var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw StandInError(description: "invalid JSON in \(url.path)")
            }
            if let inner = object["image_processor"] as? [String: Any] { object = inner }
            var config = PreprocessorConfig()
            if let crop = object["crop_size"] as? Int { config.cropSize = crop }
            if let crop = object["crop_size"] as? [String: Int], let h = crop["height"] { config.cropSize = h }
            if let mean = object["image_mean"] as? [Double] { config.mean = mean.map(Float.init) }
            if let std = object["image_std"] as? [Double] { config.std = std.map(Float.init) }
            return config
        }
        throw StandInError(description: "no preprocessor_config.json in \(directory.path)")
    }
}

/// Stand-in preprocessor: nearest-neighbour resize straight to the crop size, then normalise.
public struct ImagePreprocessor: Sendable {
    let config: PreprocessorConfig
    public init(config: PreprocessorConfig) { self.config = config }

    public var outputShape: (channels: Int, height: Int, width: Int) { (3, config.cropSize, config.cropSize) }

    public func callAsFunction(_ image: DecodedImage) -> Tensor {
        var out = Tensor(zeros: [3, config.cropSize, config.cropSize])
        out.scalars.withUnsafeMutableBufferPointer { preprocess(image, into: $0) }
        return out
    }

    public func preprocess(_ image: DecodedImage, into buffer: UnsafeMutableBufferPointer<Float>) {
        let side = config.cropSize
        for c in 0..<3 {
            for y in 0..<side {
                let sy = min(image.height - 1, y * image.height / side)
                for x in 0..<side {
                    let sx = min(image.width - 1, x * image.width / side)
                    let v = Float(image.pixels[(sy * image.width + sx) * 3 + c]) / 255
                    buffer[(c * side + y) * side + x] = (v - config.mean[c]) / config.std[c]
                }
            }
        }
    }
}

/// Stand-in for the Hub client type.
public struct HubClient: Sendable { public init() {} }

/// Stand-in locator: local folders only.
public enum ModelLocator {
    public static func resolve(_ idOrPath: String, hub: HubClient = HubClient()) async throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: idOrPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StandInError(description: "model folder not found: \(idOrPath) (Hub ids need feat/hub)")
        }
        return URL(fileURLWithPath: idOrPath, isDirectory: true)
    }
}

/// Stand-in error for the stand-ins above.
public struct StandInError: LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
}
