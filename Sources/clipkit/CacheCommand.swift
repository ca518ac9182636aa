import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit cache`: inspect or empty the text-embedding and packed-weight caches.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect or clear the text-embedding and packed-weight caches.",
        discussion: """
            classify and evaluate keep the embeddings of their prompts in $XDG_CACHE_HOME/clipkit \
            (default ~/.cache/clipkit), one file per model, so a label set is encoded once per model. \
            The cache is bounded (1 GiB; least recently used prompts go first). --no-cache bypasses it. \
            Every command that loads a model in int8 or bf16 (or fp32 on clipkit's packed kernels) keeps \
            the packed weights in packed/ there, one file per model, precision and layout, so later \
            loads map them instead of packing again (bounded to 2 GiB, least recently used files go \
            first; CLIPKIT_WEIGHT_CACHE=0 or --no-cache turns it off).
            """,
        subcommands: [Info.self, Clear.self])

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cached models: prompts, packed weights, size, last use.")

        func run() throws {
            let cache = TextEmbeddingCache()
            let files = cache.summary()
            var out = "text-embedding cache: \(cache.filesDirectory.path)\n"
            out += "\(files.count) model file(s), \(Self.bytes(files.reduce(0) { $0 + $1.bytes })) of \(Self.bytes(cache.maxBytes))\n"
            let formatter = ISO8601DateFormatter()
            for file in files {
                let name = URL(fileURLWithPath: file.path).lastPathComponent
                if let problem = file.problem {
                    out += "  \(name)  \(Self.bytes(file.bytes))  damaged: \(problem) (rebuilt on next use)\n"
                } else {
                    let last = file.lastUsed.map { formatter.string(from: $0) } ?? "-"
                    out += "  \(name)  \(file.prompts) prompts × \(file.width)  \(Self.bytes(file.bytes))  last used \(last)\n"
                    out += "      model \(file.model ?? "?")\n"
                }
            }
            let packed = PackedWeightCache()
            let packedFiles = packed.summary()
            out += "packed-weight cache: \(packed.filesDirectory.path)\n"
            out += "\(packedFiles.count) packed file(s), \(Self.bytes(packedFiles.reduce(0) { $0 + $1.bytes })) of \(Self.bytes(packed.maxBytes))\n"
            for file in packedFiles {
                let name = URL(fileURLWithPath: file.path).lastPathComponent
                if let problem = file.problem {
                    out += "  \(name)  \(Self.bytes(file.bytes))  damaged: \(problem) (rebuilt on next use)\n"
                } else {
                    out += "  \(name)  \(file.layers) layers  \(Self.bytes(file.bytes))  last used \(formatter.string(from: file.lastUsed))\n"
                    for line in (file.identity ?? "").split(separator: "\n") { out += "      \(line)\n" }
                }
            }
            print(out, terminator: "")
        }

        static func bytes(_ count: Int) -> String {
            let units = ["B", "KiB", "MiB", "GiB"]
            var value = Double(count)
            var unit = 0
            while value >= 1024, unit + 1 < units.count {
                value /= 1024
                unit += 1
            }
            return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every cached text embedding and packed weight file.")

        func run() throws {
            let cache = TextEmbeddingCache()
            let packed = PackedWeightCache()
            do {
                let freed = try cache.clear()
                print("removed \(Info.bytes(freed)) from \(cache.filesDirectory.path)")
                let freedPacked = try packed.clear()
                print("removed \(Info.bytes(freedPacked)) from \(packed.filesDirectory.path)")
            } catch {
                throw CLIError(describe(error))
            }
        }
    }
}
