import CLIPKit
import Foundation

/// Helpers shared by the fuzz targets.
public enum FuzzSupport {
    /// A per-process scratch file in /dev/shm (or the temporary folder) holding `data`.
    public static func scratchFile(_ data: Data, suffix: String) -> URL {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: dir).appendingPathComponent("clipkit-fuzz-\(getpid())\(suffix)")
        try? data.write(to: url)
        return url
    }

    /// A committed fixture by its path relative to `Tests/Fixtures`.
    public static func fixture(_ relativePath: String) -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
    }

    /// The committed tiny model folder (tokenizer files for the encode targets).
    public static let tinyModel: URL = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/models/tiny-clip")
    }()

    /// Splits `data` at the first `count - 1` zero bytes into `count` parts (missing ones empty).
    public static func split(_ data: Data, into count: Int) -> [Data] {
        var parts: [Data] = []
        var rest = data[...]
        while parts.count < count - 1, let zero = rest.firstIndex(of: 0) {
            parts.append(Data(rest[..<zero]))
            rest = rest[rest.index(after: zero)...]
        }
        parts.append(Data(rest))
        while parts.count < count { parts.append(Data()) }
        return parts
    }
}

/// libFuzzer's entry for programs that have their own `main` (SwiftPM gives every executable
/// one, so libFuzzer's `main` cannot be used).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

extension FuzzSupport {
    /// Runs libFuzzer with the process's arguments, calling `test` with each input.
    public static func run(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, test))
    }

    /// The bytes libFuzzer passed (an empty input may come with a null pointer).
    public static func data(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Data {
        guard let start, count > 0 else { return Data() }
        return Data(bytes: start, count: count)
    }
}
