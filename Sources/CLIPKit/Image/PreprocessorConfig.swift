import Foundation

/// Hugging Face's image-processor settings (`preprocessor_config.json`), with the defaults of
/// `openai/clip-vit-base-patch32` for every field a file leaves out.
public struct PreprocessorConfig: Codable, Sendable, Equatable {
    /// A `size` / `crop_size` value: an int, `{shortest_edge[, longest_edge]}` or `{height, width}`.
    public struct Size: Codable, Sendable, Equatable {
        public var shortestEdge: Int?
        public var longestEdge: Int?
        public var height: Int?
        public var width: Int?

        public init(shortestEdge: Int? = nil, longestEdge: Int? = nil, height: Int? = nil, width: Int? = nil) {
            self.shortestEdge = shortestEdge
            self.longestEdge = longestEdge
            self.height = height
            self.width = width
        }

        enum CodingKeys: String, CodingKey {
            case shortestEdge = "shortest_edge", longestEdge = "longest_edge", height, width
        }
    }

    public var doResize = true
    /// Resize target; a bare int means `{shortest_edge: n}` (CLIP's `default_to_square=False`).
    public var size = Size(shortestEdge: 224)
    public var resample = ResamplingFilter.bicubic
    public var doCenterCrop = true
    /// Crop target; a bare int means `{height: n, width: n}`.
    public var cropSize = Size(height: 224, width: 224)
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255.0
    public var doNormalize = true
    public var imageMean = [0.48145466, 0.4578275, 0.40821073]
    public var imageStd = [0.26862954, 0.26130258, 0.27577711]
    public var doConvertRGB = true

    /// The defaults (openai/clip-vit-base-patch32).
    public init() {}

    enum CodingKeys: String, CodingKey {
        case doResize = "do_resize", size, resample, doCenterCrop = "do_center_crop"
        case cropSize = "crop_size", doRescale = "do_rescale", rescaleFactor = "rescale_factor"
        case doNormalize = "do_normalize", imageMean = "image_mean", imageStd = "image_std"
        case doConvertRGB = "do_convert_rgb"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PreprocessorConfig()
        doResize = try c.decodeIfPresent(Bool.self, forKey: .doResize) ?? d.doResize
        size = try Self.decodeSize(c, .size, square: false) ?? d.size
        resample = try c.decodeIfPresent(ResamplingFilter.self, forKey: .resample) ?? d.resample
        doCenterCrop = try c.decodeIfPresent(Bool.self, forKey: .doCenterCrop) ?? d.doCenterCrop
        cropSize = try Self.decodeSize(c, .cropSize, square: true) ?? d.cropSize
        doRescale = try c.decodeIfPresent(Bool.self, forKey: .doRescale) ?? d.doRescale
        rescaleFactor = try c.decodeIfPresent(Double.self, forKey: .rescaleFactor) ?? d.rescaleFactor
        doNormalize = try c.decodeIfPresent(Bool.self, forKey: .doNormalize) ?? d.doNormalize
        imageMean = try Self.decodeTriple(c, .imageMean) ?? d.imageMean
        imageStd = try Self.decodeTriple(c, .imageStd) ?? d.imageStd
        doConvertRGB = try c.decodeIfPresent(Bool.self, forKey: .doConvertRGB) ?? d.doConvertRGB
        guard !doResize || size.shortestEdge.map({ $0 > 0 }) ?? (size.height.map { $0 > 0 } ?? false && size.width.map { $0 > 0 } ?? false) else {
            throw DecodingError.dataCorruptedError(
                forKey: .size, in: c, debugDescription: "size needs a positive shortest_edge or height and width")
        }
        guard !doCenterCrop || (cropSize.height ?? 0 > 0 && cropSize.width ?? 0 > 0) else {
            throw DecodingError.dataCorruptedError(
                forKey: .cropSize, in: c, debugDescription: "crop_size needs a positive height and width")
        }
    }

    private static func decodeSize(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, square: Bool) throws -> Size? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        if let n = try? c.decode(Int.self, forKey: key) {
            return square ? Size(height: n, width: n) : Size(shortestEdge: n)
        }
        return try c.decode(Size.self, forKey: key)
    }

    private static func decodeTriple(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [Double]? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        if let v = try? c.decode(Double.self, forKey: key) { return [v, v, v] }
        let values = try c.decode([Double].self, forKey: key)
        guard values.count == 3 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected 3 values")
        }
        return values
    }

    /// Reads `preprocessor_config.json`, else the `image_processor` object of
    /// `processor_config.json`, from a model folder; neither present → the defaults.
    public static func load(fromDirectory directory: URL) throws -> PreprocessorConfig {
        let legacy = directory.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: legacy.path) {
            return try JSONDecoder().decode(PreprocessorConfig.self, from: Data(contentsOf: legacy))
        }
        let combined = directory.appendingPathComponent("processor_config.json")
        if FileManager.default.fileExists(atPath: combined.path) {
            struct Wrapper: Decodable {
                let imageProcessor: PreprocessorConfig?
                enum CodingKeys: String, CodingKey { case imageProcessor = "image_processor" }
            }
            return try JSONDecoder().decode(Wrapper.self, from: Data(contentsOf: combined)).imageProcessor ?? .init()
        }
        return PreprocessorConfig()
    }
}
