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

    /// The `userInfo` key of a decoder's defaults for absent fields (a ``PreprocessorConfig``;
    /// CLIP's when unset).
    static let defaultsKey = CodingUserInfoKey(rawValue: "clipkit.preprocessorDefaults")!

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = decoder.userInfo[Self.defaultsKey] as? PreprocessorConfig ?? PreprocessorConfig()
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
        if let problem { throw InvalidSettings(reason: problem) }
    }

    /// The largest edge accepted in `size` / `crop_size`: far above any CLIP checkpoint (224,
    /// 336, 448), low enough that sizes times image dimensions cannot overflow.
    public static let maxEdge = 1 << 14

    /// Why these settings cannot preprocess images, or `nil` when they can: sizes that are used
    /// must be positive and at most ``maxEdge``; factors, means and standard deviations finite,
    /// and standard deviations non-zero.
    public var problem: String? {
        func bad(_ value: Int?) -> Bool { value.map { $0 <= 0 || $0 > Self.maxEdge } ?? false }
        if doResize {
            if bad(size.shortestEdge) || bad(size.longestEdge) || bad(size.height) || bad(size.width) {
                return "size \(size.describe) must have edges between 1 and \(Self.maxEdge)"
            }
            guard size.shortestEdge != nil || (size.height != nil && size.width != nil) else {
                return "size needs shortest_edge, or height and width"
            }
        }
        if doCenterCrop {
            guard let h = cropSize.height, let w = cropSize.width else {
                return "crop_size needs height and width"
            }
            if bad(h) || bad(w) {
                return "crop_size \(cropSize.describe) must have edges between 1 and \(Self.maxEdge)"
            }
        }
        if doRescale, !rescaleFactor.isFinite { return "rescale_factor must be a finite number" }
        if doNormalize {
            guard imageMean.count == 3, imageStd.count == 3 else { return "image_mean and image_std need 3 values" }
            guard imageMean.allSatisfy(\.isFinite), imageStd.allSatisfy({ $0.isFinite && $0 != 0 }) else {
                return "image_mean must be finite and image_std finite and non-zero"
            }
        }
        return nil
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
    /// `processor_config.json`, from a model folder; neither present → `defaults` (a family's
    /// image processor defaults, ``ModelFamily/defaultPreprocessorConfig``; CLIP's unless given),
    /// which also fill every field a file leaves out.
    /// Throws ``ModelError/invalidConfiguration(path:reason:)`` naming the file when it is not
    /// JSON, has a value of the wrong type, or fails ``problem``.
    public static func load(fromDirectory directory: URL, defaults: PreprocessorConfig = .init()) throws -> PreprocessorConfig {
        let decoder = JSONDecoder()
        decoder.userInfo[defaultsKey] = defaults
        let legacy = directory.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: legacy.path) {
            return try decode(from: legacy) { try decoder.decode(PreprocessorConfig.self, from: $0) }
        }
        let combined = directory.appendingPathComponent("processor_config.json")
        if FileManager.default.fileExists(atPath: combined.path) {
            struct Wrapper: Decodable {
                let imageProcessor: PreprocessorConfig?
                enum CodingKeys: String, CodingKey { case imageProcessor = "image_processor" }
            }
            return try decode(from: combined) { try decoder.decode(Wrapper.self, from: $0).imageProcessor ?? defaults }
        }
        return defaults
    }

    /// Reads `url` and decodes it with `body`, turning every failure into a one-line
    /// ``ModelError/invalidConfiguration(path:reason:)``.
    private static func decode(from url: URL, _ body: (Data) throws -> PreprocessorConfig) throws -> PreprocessorConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.invalidConfiguration(path: url.path, reason: "cannot read the file")
        }
        do {
            return try body(data)
        } catch let error as InvalidSettings {
            throw ModelError.invalidConfiguration(path: url.path, reason: error.reason)
        } catch let error as DecodingError {
            throw ModelError.invalidConfiguration(path: url.path, reason: error.shortDescription)
        } catch {
            throw ModelError.invalidConfiguration(path: url.path, reason: "not valid JSON")
        }
    }
}

/// Thrown by `PreprocessorConfig.init(from:)` when the decoded values fail `problem`.
struct InvalidSettings: Error {
    let reason: String
}

extension PreprocessorConfig {
    /// transformers' `SiglipImageProcessorPil` defaults: resize to 224 × 224 (no crop), bicubic,
    /// rescale 1/255, mean = std = 0.5.
    public static let siglip: PreprocessorConfig = {
        var c = PreprocessorConfig()
        c.size = Size(height: 224, width: 224)
        c.doCenterCrop = false
        c.imageMean = [0.5, 0.5, 0.5]
        c.imageStd = [0.5, 0.5, 0.5]
        return c
    }()
}

extension PreprocessorConfig.Size {
    /// The size as written in JSON, for messages: `{"shortest_edge": 0}`.
    var describe: String {
        let parts = [("shortest_edge", shortestEdge), ("longest_edge", longestEdge), ("height", height), ("width", width)]
            .compactMap { key, value in value.map { "\"\(key)\": \($0)" } }
        return "{" + parts.joined(separator: ", ") + "}"
    }

}
