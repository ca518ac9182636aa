import Foundation

/// `Tests/Fixtures/images/manifest.json`, written by `scripts/fixtures/images.py`.
struct ImageManifest: Decodable {
    struct DecodeCase: Decodable, Sendable, CustomStringConvertible {
        let file: String
        let golden: String
        let format: String
        let mode: String
        let width: Int
        let height: Int
        let orientation: Int
        let transparentColor: [Int]?
        var description: String { file }
    }

    struct PreprocessCase: Decodable, Sendable, CustomStringConvertible {
        let `case`: String
        let source: String
        let config: String?
        let shape: [Int]
        let golden: String
        let goldenFloat: String?
        var description: String { `case` }
    }

    struct BadCase: Decodable, Sendable, CustomStringConvertible {
        let file: String
        let error: String
        var description: String { file }
    }

    let decode: [DecodeCase]
    let preprocess: [PreprocessCase]
    let bad: [BadCase]

    static let shared: ImageManifest = {
        let url = Fixtures.url("images/manifest.json")
        guard let data = try? Data(contentsOf: url),
            let manifest = try? JSONDecoder().decode(ImageManifest.self, from: data)
        else { return ImageManifest(decode: [], preprocess: [], bad: []) }
        return manifest
    }()

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("images/" + relative)))
    }

    static func url(_ relative: String) -> URL { Fixtures.url("images/" + relative) }
}
