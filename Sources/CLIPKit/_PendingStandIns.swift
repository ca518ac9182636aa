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
