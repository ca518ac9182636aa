// Mirrors how huggingface_hub 2.4 (`constants.py`, `utils/_auth.py`) reads its environment, so
// both clients agree on the cache folder, the endpoint, the token and offline mode.
import Foundation

/// The Hub settings taken from `HF_*` environment variables, as huggingface_hub reads them.
public struct HubEnvironment: Sendable, Equatable {
    /// The public Hub, used when `HF_ENDPOINT` is unset.
    public static let defaultEndpoint = "https://huggingface.co"

    /// `HF_ENDPOINT` without a trailing slash, e.g. `https://huggingface.co`.
    public var endpoint: String
    /// `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, where `HF_HOME`
    /// defaults to `$XDG_CACHE_HOME/huggingface` and then `~/.cache/huggingface`.
    public var cacheDirectory: URL
    /// `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the token file (`HF_TOKEN_PATH`, default
    /// `$HF_HOME/token`, which `hf auth login` writes). `nil` when none is set.
    public var token: String?
    /// `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is one of `1`, `ON`, `YES`, `TRUE`.
    public var isOffline: Bool
    /// Seconds without data before a metadata request gives up (`HF_HUB_ETAG_TIMEOUT`, default 10).
    public var metadataTimeout: Double
    /// Seconds without data before a file transfer gives up (`HF_HUB_DOWNLOAD_TIMEOUT`, default 10).
    public var downloadTimeout: Double

    /// Reads the settings from `environment`; `home` stands for `~`.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        home: URL = FileManager.default.homeDirectoryForCurrentUser
    ) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name], !raw.isEmpty else { return nil }
            return raw
        }
        func path(_ raw: String) -> URL {
            if raw == "~" { return home }
            if raw.hasPrefix("~/") { return home.appendingPathComponent(String(raw.dropFirst(2))) }
            return URL(fileURLWithPath: raw)
        }
        func isTrue(_ name: String) -> Bool {
            guard let raw = value(name) else { return false }
            return ["1", "ON", "YES", "TRUE"].contains(raw.uppercased())
        }
        func seconds(_ name: String, default fallback: Double) -> Double {
            guard let raw = value(name), let number = Double(raw), number > 0, number.isFinite else {
                return fallback
            }
            return number
        }

        let hfHome = value("HF_HOME").map(path)
            ?? path(value("XDG_CACHE_HOME") ?? "~/.cache").appendingPathComponent("huggingface")
        cacheDirectory = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map(path)
            ?? hfHome.appendingPathComponent("hub")

        var endpoint = value("HF_ENDPOINT") ?? Self.defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint

        let tokenFile = value("HF_TOKEN_PATH").map(path) ?? hfHome.appendingPathComponent("token")
        token = [value("HF_TOKEN"), value("HUGGING_FACE_HUB_TOKEN"), Self.readToken(at: tokenFile)]
            .lazy
            .compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }
            .first { !$0.isEmpty }

        isOffline = isTrue("HF_HUB_OFFLINE") || isTrue("TRANSFORMERS_OFFLINE")
        metadataTimeout = seconds("HF_HUB_ETAG_TIMEOUT", default: 10)
        downloadTimeout = seconds("HF_HUB_DOWNLOAD_TIMEOUT", default: 10)
    }

    /// The token file's content, if the file exists and is small enough to be a token.
    private static func readToken(at url: URL) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = attributes[.size] as? NSNumber, size.intValue <= 4096,
              let data = try? Data(contentsOf: url)
        else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
