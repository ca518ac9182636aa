import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A hostile user's inputs: broken images, labels files, model folders and arguments. Each kind
/// gives its exact one-line error, and every good input in the same run is still classified.
@Suite("Bad inputs", .serialized)
struct BadInputTests {
    /// A PNG signature and an IHDR chunk declaring `width`×`height`.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var ihdr = [UInt8]()
        for value in [width, height] { ihdr += withUnsafeBytes(of: value.bigEndian, Array.init) }
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        data.append(contentsOf: Array("IHDR".utf8) + ihdr + [8, 2, 0, 0, 0, 0, 0, 0, 0])
        return data
    }

    /// A BMP header (no pixels) with the given size, bits per pixel and compression.
    static func bmp(width: Int32, height: Int32, bits: UInt16, compression: UInt32) -> Data {
        var d = Data("BM".utf8)
        func u32(_ v: UInt32) { d.append(contentsOf: withUnsafeBytes(of: v.littleEndian, Array.init)) }
        func u16(_ v: UInt16) { d.append(contentsOf: withUnsafeBytes(of: v.littleEndian, Array.init)) }
        u32(118); u32(0); u32(54)
        u32(40); u32(UInt32(bitPattern: width)); u32(UInt32(bitPattern: height))
        u16(1); u16(bits); u32(compression); u32(0); u32(0); u32(0); u32(0); u32(0)
        d.append(Data(count: 64))
        return d
    }

    /// A valid 8-bit RGB PNG of `width`×`height` (stored, uncompressed deflate blocks).
    static func png(width: Int, height: Int) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + typed
                + withUnsafeBytes(of: crc32(typed).bigEndian, Array.init)
        }
        var raw = [UInt8]()
        for _ in 0..<height { raw += [0] + (0..<width * 3).map { UInt8(truncatingIfNeeded: $0 * 7) } }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, raw.count - offset)
            let last: UInt8 = offset + n == raw.count ? 1 : 0
            zlib += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[offset..<offset + n]
            offset += n
        } while offset < raw.count
        zlib += withUnsafeBytes(of: adler32(raw).bigEndian, Array.init)
        let ihdr = withUnsafeBytes(of: UInt32(width).bigEndian, Array.init) + withUnsafeBytes(of: UInt32(height).bigEndian, Array.init) + [8, 2, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", zlib) + chunk("IEND", []))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return b << 16 | a
    }

    /// The expected error of each bad image (by file name in `images/`), and the good ones.
    static let expectedErrors: [String: String] = [
        "empty.png": "the file is empty",
        "random.bin": "not a JPEG, PNG, GIF, BMP or WebP image",
        "text.jpg": "not a JPEG, PNG, GIF, BMP or WebP image",
        "truncated.png": "the image data is truncated",
        "truncated.jpg": "the image data is truncated",
        "header_only.png": "the image data is truncated",
        "header_only.jpg": "the image data is truncated",
        "bomb_60000.png": "60000×60000 = 3600000000 pixels exceeds the limit of 178956970",
        "huge_dims.png": "4294967295×4294967295 = more than 9223372036854775807 pixels exceeds the limit of 178956970",
        "huge_dims.bmp": "2147483647×2147483647 = 4611686014132420609 pixels exceeds the limit of 178956970",
        "zero_width.png": "the image has zero width or height",
        "zero_height.bmp": "the image has zero width or height",
        "zero_width.gif": "the image has zero width or height",
        "riff_not_webp.webp": "corrupt image data (invalid WebP header (libwebp status 7))",
        "rle.bmp": "unsupported image feature: RLE-compressed BMP",
        "bits16.bmp": "unsupported image feature: BMP with 16 bits per pixel, compression 0",
        "no_image.gif": "corrupt image data (GIF has no image)",
        "unknown_block.gif": "corrupt image data (unknown GIF block)",
        "fifo.png": "not a regular file",
        "dangling.png": "broken symbolic link",
        "loop": "symbolic link loop",
        "bad\u{FFFD}name.png": "the file name is not valid UTF-8",
    ]
    static let good = ["good_a.png", "good_photo.jpg", "wide_6000x1.png", "tall_1x6000.png", "unreadable.png"]

    /// Builds the folder of bad and good images.
    static func imageFolder() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let images = dir.url.appendingPathComponent("images")
        let fm = FileManager.default
        try fm.createDirectory(at: images, withIntermediateDirectories: true)
        func put(_ name: String, _ data: Data) throws { try data.write(to: images.appendingPathComponent(name)) }
        for name in ["empty.png", "random.bin", "text.jpg", "truncated.png", "truncated.jpg", "header_only.png",
                     "header_only.jpg", "bomb_60000.png", "zero_width.png", "zero_height.bmp", "zero_width.gif",
                     "riff_not_webp.webp"] {
            try fm.copyItem(at: Fixtures.url("images/bad/" + name), to: images.appendingPathComponent(name))
        }
        try put("huge_dims.png", pngHeader(width: .max, height: .max))
        try put("huge_dims.bmp", bmp(width: .max, height: .max, bits: 24, compression: 0))
        try put("rle.bmp", bmp(width: 4, height: 4, bits: 8, compression: 1))
        try put("bits16.bmp", bmp(width: 4, height: 4, bits: 16, compression: 0))
        try put("no_image.gif", Data("GIF89a".utf8) + Data([2, 0, 2, 0, 0, 0, 0, 0x3B]))
        try put("unknown_block.gif", Data("GIF89a".utf8) + Data([2, 0, 2, 0, 0, 0, 0, 0x99]))
        #expect(mkfifo(images.appendingPathComponent("fifo.png").path, 0o644) == 0)
        try fm.createSymbolicLink(atPath: images.appendingPathComponent("dangling.png").path, withDestinationPath: "nowhere")
        try fm.createSymbolicLink(atPath: images.appendingPathComponent("loop").path, withDestinationPath: "loop")
        // A name that is not UTF-8 (byte 0xFF).
        let badName = images.path + "/bad\u{FF}name.png"
        var raw = Array(images.path.utf8) + Array("/bad".utf8) + [0xFF] + Array("name.png".utf8) + [0]
        _ = badName
        let fd = raw.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(fd >= 0)
        close(fd)
        // Good inputs among them, including extreme aspect ratios (resized without a huge buffer)
        // and a file without read permission (readable anyway when the tests run as root).
        try fm.copyItem(at: Fixtures.url("cli/images/a.png"), to: images.appendingPathComponent("good_a.png"))
        try fm.copyItem(at: Fixtures.url("cli/jpeg/photo.jpg"), to: images.appendingPathComponent("good_photo.jpg"))
        try put("wide_6000x1.png", png(width: 6000, height: 1))
        try put("tall_1x6000.png", png(width: 1, height: 6000))
        try fm.copyItem(at: Fixtures.url("cli/images/b.png"), to: images.appendingPathComponent("unreadable.png"))
        chmod(images.appendingPathComponent("unreadable.png").path, 0)
        // Hidden files are skipped, not errors.
        try put(".hidden.png", Data())
        return dir
    }

    @Test("every kind of bad image gives its exact error; every good image in the run is classified")
    func badImages() throws {
        let dir = try Self.imageFolder()
        let out = try CLIRunner.run(["classify", "--model", CLIRunner.model, "--label", "cat", "--label", "dog",
                                     "--format", "jsonl", "images", "missing.png"], in: dir.url)
        #expect(out.status == 0)
        let records = try CLIRunner.jsonLines(out.stdout)
        var seen = Set<String>()
        let asRoot = getuid() == 0
        for record in records {
            let path = try #require(record["path"] as? String)
            let name = String(path.dropFirst("images/".count))
            seen.insert(path == "missing.png" ? path : name)
            if path == "missing.png" {
                #expect(record["error"] as? String == "missing.png: no such file or directory")
            } else if let expected = Self.expectedErrors[name] {
                #expect(record["error"] as? String == "\(path): \(expected)", "\(name)")
            } else if name == "unreadable.png", !asRoot {
                #expect(record["error"] as? String == "\(path): cannot read file (Permission denied)")
            } else {
                #expect(Self.good.contains(name), "unexpected record \(path)")
                #expect(["cat", "dog"].contains(record["label"] as? String ?? ""), "\(name) was not classified")
            }
        }
        #expect(seen == Set(Self.expectedErrors.keys).union(Self.good).union(["missing.png"]))
        let goodCount = Self.good.count - (asRoot ? 0 : 1)
        #expect(out.stderr == "classified \(goodCount), failed \(records.count - goodCount)\n")
    }

    @Test("a file that vanishes between listing and reading is an error record; the run goes on")
    func vanishingFile() throws {
        let dir = try ResumeTests.manyImages(120)
        let output = dir.url.appendingPathComponent("out.jsonl")
        let process = try ResumeTests.start(ResumeTests.classifyArguments(output: "out.jsonl", extra: ["--format", "jsonl"]), in: dir.url)
        // The folder is listed before the first record is written; the last file goes after that.
        #expect(ResumeTests.wait(for: 1, in: output, while: process))
        try FileManager.default.removeItem(at: dir.url.appendingPathComponent("images/img00119.jpg"))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let records = try CLIRunner.jsonLines(try String(contentsOf: output, encoding: .utf8))
        #expect(records.count == 120)
        #expect(records.last?["error"] as? String == "images/img00119.jpg: cannot read file (it no longer exists)")
        #expect(records.dropLast().allSatisfy { $0["label"] is String })
    }

    // MARK: Labels files and arguments

    static func labelsFile(_ bytes: [UInt8]) throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory()
        return (dir, try dir.write("labels.txt", Data(bytes)).path)
    }

    @Test("bad labels files and arguments: status 64 and the exact message", arguments: [
        (["--labels-file", "/nonexistent/labels.txt"], "Error: cannot read labels file /nonexistent/labels.txt"),
        (["--labels-file", "@NOT_UTF8"], "Error: labels file @NOT_UTF8 is not valid UTF-8"),
        (["--labels-file", "@ONLY_COMMENTS"], "Error: no labels in @ONLY_COMMENTS"),
        (["--labels-file", "@DUPLICATES"], "Error: duplicate label 'cat'"),
        (["--label", "cat", "--label", ""], "Error: label 2 is empty"),
        (["--label", "cat", "--batch-size", "0"], "Error: --batch-size must be at least 1"),
        (["--label", "cat", "--top-k", "0"], "Error: --top-k must be at least 1"),
        (["--label", "cat", "--template", "a photo"], "Error: --template must contain {} where the label goes: the template 'a photo' has no {} for the label"),
        (["--label", "cat", "--threads", "0"], "Error: --threads must be at least 1"),
        (["--label", "cat", "--format", "xml"], "Error: The value 'xml' is invalid for '--format <format>'. Please provide one of 'table', 'json', 'jsonl' or 'csv'."),
        (["images/a.png"], "Error: give at least one --label or a --labels-file"),
        (["--label", "cat", "--resume", "--format", "jsonl"], "Error: --resume needs --output FILE"),
    ])
    func badArguments(_ arguments: [String], _ expected: String) throws {
        let dir = try TemporaryDirectory()
        let files = [
            "@NOT_UTF8": try dir.write("not_utf8.txt", Data([0xFF, 0xFE, 0x41])).path,
            "@ONLY_COMMENTS": try dir.write("comments.txt", Data("# nothing\n\n   \n".utf8)).path,
            "@DUPLICATES": try dir.write("dups.txt", Data("cat\n cat \n".utf8)).path,
        ]
        let substituted = arguments.map { files[$0] ?? $0 }
        var expectedLine = expected
        for (key, path) in files { expectedLine = expectedLine.replacingOccurrences(of: key, with: path) }
        let paths = arguments.contains("images/a.png") ? [] : ["images/a.png"]
        let out = try CLIRunner.classify(substituted + paths)
        #expect(out.status == 64)
        #expect(out.stderr.split(separator: "\n").first.map(String.init) == expectedLine)
        #expect(out.stdout.isEmpty)
    }

    @Test("no PATH at all")
    func noPaths() throws {
        let out = try CLIRunner.classify(["--label", "cat"])
        #expect(out.status == 64)
        #expect(out.stderr.hasPrefix("Error: Missing expected argument '<path> ...'"))
    }

    @Test("a label longer than 77 tokens is truncated with a warning, and the images are classified")
    func longLabel() throws {
        let long = Array(repeating: "word", count: 100).joined(separator: " ")
        let out = try CLIRunner.classify(["--label", "cat", "--label", long, "--format", "jsonl", "images/a.png", "images/b.png"])
        #expect(out.status == 0)
        #expect(out.stderr.contains("is longer than 77 tokens; truncated as CLIP's tokenizer does"))
        #expect(try CLIRunner.jsonLines(out.stdout).count == 2)
    }

    // MARK: Model folders

    /// The tiny model with `name` replaced by `contents` (or removed when `nil`); the big files linked.
    static func brokenModel(_ name: String, _ contents: Data?) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        let source = Fixtures.url("models/tiny-clip")
        for file in ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"] where file != name {
            try FileManager.default.createSymbolicLink(at: dir.url.appendingPathComponent(file),
                                                       withDestinationURL: source.appendingPathComponent(file))
        }
        if let contents { try dir.write(name, contents) }
        return dir
    }

    static let weightsPrefix: Data = {
        (try? Data(contentsOf: Fixtures.url("models/tiny-clip/model.safetensors")).prefix(100)) ?? Data()
    }()

    @Test("broken model folders: status 1 and one line naming the file and the problem", arguments: [
        ("config.json", nil, "model file not found: M/config.json"),
        ("config.json", #"{"text_config": "#, "invalid model configuration M/config.json: not valid JSON"),
        ("config.json", #"{"vision_config": {"hidden_size": 0}}"#, "invalid model configuration M/config.json: vision_config has a non-positive size"),
        ("model.safetensors", nil, "model file not found: M/model.safetensors"),
        ("model.safetensors", "@PREFIX", "malformed safetensors file M/model.safetensors: header length 8664 runs past the end of the file (100 bytes); the file is truncated or not safetensors"),
        ("model.safetensors", "\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}\u{7F}{}", "malformed safetensors file M/model.safetensors: header length 9187201950435737471 exceeds the format's 100 MB limit"),
        ("vocab.json", #"{"a": x}"#, "Malformed vocabulary M/vocab.json: expected an integer id at byte 6."),
        ("merges.txt", "#version: 0.2\nzzqq xxyy\n", "Merge at M/merges.txt:2 uses \"zzqq\", which is not in the vocabulary."),
        ("preprocessor_config.json", #"{"crop_size": 0, "size": {"shortest_edge": 0}}"#, #"invalid model configuration M/preprocessor_config.json: size {"shortest_edge": 0} must have edges between 1 and 16384"#),
        ("preprocessor_config.json", #"{"image_std": [0.2, 0, 0.2]}"#, "invalid model configuration M/preprocessor_config.json: image_mean must be finite and image_std finite and non-zero"),
        ("preprocessor_config.json", #"{"crop_size": 336}"#, "the preprocessor makes images of shape [3, 336, 336] but the model reads [3, 224, 224] (check crop_size in preprocessor_config.json against image_size in config.json)"),
    ] as [(String, String?, String)])
    func brokenModels(_ name: String, _ contents: String?, _ expected: String) throws {
        let data = contents == "@PREFIX" ? Self.weightsPrefix : contents.map { Data($0.utf8) }
        let dir = try Self.brokenModel(name, data)
        let model = dir.url.path
        let out = try CLIRunner.run(["classify", "--model", model, "--label", "cat", "images/a.png"])
        #expect(out.status == 1)
        let line = "Error: cannot load model '\(model)': " + expected.replacingOccurrences(of: "M/", with: model + "/")
        #expect(out.stderr == line + "\n")
    }

    @Test("a model path that does not exist")
    func missingModel() throws {
        let out = try CLIRunner.run(["classify", "--model", "/nonexistent/model", "--label", "cat", "images/a.png"])
        #expect(out.status == 1)
        #expect(out.stderr == "Error: cannot load model '/nonexistent/model': no such model folder: /nonexistent/model\n")
    }
}
