import Foundation
import Testing
@testable import CLIPKit

/// Parts of the Hub client that need no server: environment, ids, digests, etags, file choice.
@Suite struct HubUnitTests {
    // MARK: SHA-256 (FIPS 180-4 test vectors)

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256MatchesTheStandardVectors(input: String, digest: String) {
        var sha = SHA256()
        sha.update(Array(input.utf8))
        #expect(sha.finalizeHex() == digest)
    }

    @Test func sha256IsTheSameInAnyChunking() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var whole = SHA256()
        whole.update(bytes)
        let expected = whole.finalizeHex()
        for chunk in [1, 3, 63, 64, 65, 127, 500] {
            var pieces = SHA256()
            var start = 0
            while start < bytes.count {
                pieces.update(Array(bytes[start..<min(start + chunk, bytes.count)]))
                start += chunk
            }
            #expect(pieces.finalizeHex() == expected, "chunk \(chunk)")
        }
        // One million 'a' (FIPS 180-2 appendix B.3).
        var million = SHA256()
        million.update([UInt8](repeating: 0x61, count: 1_000_000))
        #expect(million.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    // MARK: Environment

    @Test func environmentDefaultsFollowHuggingfaceHub() {
        let home = URL(fileURLWithPath: "/home/someone")
        let plain = HubEnvironment(environment: [:], home: home)
        #expect(plain.cacheDirectory.path == "/home/someone/.cache/huggingface/hub")
        #expect(plain.endpoint == "https://huggingface.co")
        #expect(plain.token == nil)
        #expect(!plain.isOffline)

        let xdg = HubEnvironment(environment: ["XDG_CACHE_HOME": "/x"], home: home)
        #expect(xdg.cacheDirectory.path == "/x/huggingface/hub")
        let hfHome = HubEnvironment(environment: ["HF_HOME": "~/hf", "XDG_CACHE_HOME": "/x"], home: home)
        #expect(hfHome.cacheDirectory.path == "/home/someone/hf/hub")
        let hubCache = HubEnvironment(
            environment: ["HF_HOME": "/a", "HF_HUB_CACHE": "/b", "HUGGINGFACE_HUB_CACHE": "/c"], home: home)
        #expect(hubCache.cacheDirectory.path == "/b")
        let legacy = HubEnvironment(environment: ["HUGGINGFACE_HUB_CACHE": "/c"], home: home)
        #expect(legacy.cacheDirectory.path == "/c")
        #expect(HubEnvironment(environment: ["HF_ENDPOINT": "http://h:1//"], home: home).endpoint == "http://h:1")
    }

    @Test(arguments: [("1", true), ("ON", true), ("yes", true), ("True", true), ("0", false), ("no", false), ("", false)])
    func offlineModeReadsTheSameTrueValues(value: String, offline: Bool) {
        #expect(HubEnvironment(environment: ["HF_HUB_OFFLINE": value]).isOffline == offline)
    }

    @Test func tokenComesFromTheVariableBeforeTheFile() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try Data("  hf_file\n".utf8).write(to: home.appendingPathComponent("token"))
        #expect(HubEnvironment(environment: ["HF_HOME": home.path]).token == "hf_file")
        #expect(HubEnvironment(environment: ["HF_HOME": home.path, "HF_TOKEN": "hf_env"]).token == "hf_env")
        #expect(HubEnvironment(environment: ["HF_HOME": home.path, "HUGGING_FACE_HUB_TOKEN": "hf_old"]).token == "hf_old")
        let other = home.appendingPathComponent("elsewhere")
        try Data("hf_path".utf8).write(to: other)
        #expect(HubEnvironment(environment: ["HF_HOME": home.path, "HF_TOKEN_PATH": other.path]).token == "hf_path")
        #expect(HubEnvironment(environment: ["HF_HOME": home.appendingPathComponent("none").path]).token == nil)
    }

    // MARK: Repository ids

    @Test func repoIDsParseWithAnOptionalRevision() throws {
        let plain = try RepoID(parsing: "openai/clip-vit-base-patch32")
        #expect(plain.id == "openai/clip-vit-base-patch32" && plain.revision == "main")
        #expect(plain.folderName == "models--openai--clip-vit-base-patch32")
        let pinned = try RepoID(parsing: "laion/CLIP-ViT-B-32-laion2B-s34B-b79K@refs/pr/3")
        #expect(pinned.id == "laion/CLIP-ViT-B-32-laion2B-s34B-b79K" && pinned.revision == "refs/pr/3")
        #expect(try RepoID(parsing: "gpt2").folderName == "models--gpt2")
        #expect(try RepoID(parsing: "a/b@\(HubSandbox.commit)").revisionIsCommit)
    }

    @Test(arguments: ["", "a/b/c", "/a", "a/", "-a/b", "a/b.", "a--b/c", "a/b..c", "a b/c", "org/naïve",
                      String(repeating: "x", count: 97)])
    func invalidRepoIDsAreRejected(id: String) {
        #expect(throws: HubError.self) { try RepoID(id) }
    }

    @Test(arguments: ["", "../x", "a/../b", "/main", "a b", "a\\b"])
    func invalidRevisionsAreRejected(revision: String) {
        #expect(throws: HubError.self) { try RepoID("a/b", revision: revision) }
    }

    // MARK: Protocol details

    @Test func etagsAreNormalizedLikeHuggingfaceHub() {
        #expect(HubClient.normalizeEtag("\"abc123\"") == "abc123")
        #expect(HubClient.normalizeEtag("W/\"abc123\"") == "abc123")
        #expect(HubClient.normalizeEtag("abc") == "abc")
        #expect(HubClient.normalizeEtag("\"../../etc\"") == nil)
        #expect(HubClient.normalizeEtag("\"\"") == nil)
        #expect(HubClient.normalizeEtag(nil) == nil)
    }

    @Test func clipSelectionTakesOnlyWhatAModelNeeds() throws {
        let all: Set = ["config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5", "vocab.json",
                        "merges.txt", "preprocessor_config.json", "tokenizer.json", "README.md"]
        let chosen = try HubFileSelection.clipModel.files(in: all, repo: "r")
        #expect(chosen == ["config.json", "model.safetensors", "vocab.json", "merges.txt",
                           "preprocessor_config.json", "tokenizer.json"])
        #expect(throws: HubError.unsupportedWeights(repo: "r", file: "pytorch_model.bin")) {
            try HubFileSelection.clipModel.files(in: all.subtracting(["model.safetensors"]), repo: "r")
        }
        #expect(throws: HubError.entryNotFound(repo: "r", file: "preprocessor_config.json or processor_config.json")) {
            try HubFileSelection.clipModel.files(in: all.subtracting(["preprocessor_config.json"]), repo: "r")
        }
    }

    @Test func everyErrorIsOneLine() {
        let errors: [HubError] = [
            .invalidRepoID("x", reason: "r"), .invalidRevision("x", reason: "r"), .invalidEndpoint("x"),
            .notADirectory(path: "/p"), .folderNotFound(path: "/p"),
            .offlineNotCached(repo: "a/b", revision: "main", cache: "/c"),
            .unreachable(repo: "a/b", endpoint: "e", reason: "r", cache: "/c"),
            .repoNotFound(repo: "a/b", hasToken: false), .revisionNotFound(repo: "a/b", revision: "v"),
            .gated(repo: "a/b", hasToken: true), .unauthorized(repo: "a/b", hasToken: false),
            .entryNotFound(repo: "a/b", file: "f"), .unsupportedWeights(repo: "a/b", file: "pytorch_model.bin"),
            .checksumMismatch(file: "f", expected: "e", actual: "a"), .sizeMismatch(file: "f", expected: 1, actual: 2),
            .network(url: "u", reason: "r"), .badResponse(url: "u", reason: "r"), .cacheIO(path: "p", reason: "r"),
            .lockTimeout(path: "p"),
        ]
        for error in errors {
            let text = error.errorDescription ?? ""
            #expect(!text.isEmpty && !text.contains("\n"), "\(error)")
        }
    }
}
