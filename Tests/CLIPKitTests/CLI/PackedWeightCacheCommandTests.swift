import Foundation
import Testing
@testable import CLIPKit

/// The CLI's side of the packed-weight cache: an int8 run writes a file that `cache info` lists
/// and `cache clear` removes; `--no-cache` and `CLIPKIT_WEIGHT_CACHE=0` write none.
@Suite("clipkit: packed-weight cache", .serialized)
struct PackedWeightCacheCommandTests {
    @Test func infoListsAndClearRemovesPackedFiles() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-xdg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["XDG_CACHE_HOME": home.path, "CLIPKIT_WEIGHT_CACHE": "1"]
        let cache = PackedWeightCache(directory: home.appendingPathComponent("clipkit"))
        let classify = ["classify", "--model", CLIRunner.model, "--precision", "int8", "--label", "cat", "--label", "dog"]

        let off = try CLIRunner.run(classify + ["--no-cache", "images/a.png"], environment: environment)
        #expect(off.status == 0)
        #expect(cache.summary().isEmpty)
        let disabled = try CLIRunner.run(classify + ["images/a.png"], environment: environment.merging(["CLIPKIT_WEIGHT_CACHE": "0"]) { $1 })
        #expect(disabled.status == 0)
        #expect(cache.summary().isEmpty)

        let cold = try CLIRunner.run(classify + ["images/a.png"], environment: environment)
        #expect(cold.status == 0)
        #expect(cache.summary().count == 1)
        let warm = try CLIRunner.run(classify + ["images/a.png"], environment: environment)
        #expect(warm.status == 0 && warm.stdout == cold.stdout && cold.stdout == off.stdout)

        let info = try CLIRunner.run(["cache", "info"], environment: environment)
        #expect(info.status == 0)
        #expect(info.stdout.contains("1 packed file(s)"))
        #expect(info.stdout.contains("precision int8"))
        #expect(info.stdout.contains("tiny-clip/model.safetensors"))
        let cleared = try CLIRunner.run(["cache", "clear"], environment: environment)
        #expect(cleared.status == 0 && cleared.stdout.contains(cache.filesDirectory.path))
        #expect(cache.summary().isEmpty)
    }
}
