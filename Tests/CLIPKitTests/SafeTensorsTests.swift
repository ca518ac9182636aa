import Foundation
import Testing
@testable import CLIPKit

/// A scratch folder removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("clipkit-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `data` to `name` inside the folder and returns its URL.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> URL {
        let file = url.appendingPathComponent(name)
        try data.write(to: file)
        return file
    }
}

/// Builds a safetensors file from a header JSON string and a data section.
func safetensors(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    var out = Data()
    let json = Data(header.utf8)
    var length = (declaredLength ?? UInt64(json.count)).littleEndian
    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(contentsOf: data)
    return out
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

@Suite struct SafeTensorsTests {
    @Test func readsF32InPlaceAndConvertsHalfPrecision() throws {
        let dir = try TemporaryDirectory()
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0]  // 1.0, -2.0
        let bf16: [UInt8] = [0x80, 0x3F, 0x40, 0x40]  // 1.0, 3.0
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"b":{"dtype":"BF16","shape":[2,1],"data_offsets":[12,16]}}"#
        let file = try SafeTensorsFile(url: dir.write("w.safetensors", safetensors(header: header, data: floatBytes([0.5, -7]) + f16 + bf16)))
        #expect(file.metadata == ["format": "pt"])
        #expect(file.entries["b"]?.shape == [2, 1])
        #expect(try file.floats(of: "a").values == [0.5, -7])
        #expect(try file.floats(of: "h").values == [1, -2])
        #expect(try file.floats(of: "b").values == [1, 3])
        #expect(throws: WeightsError.missingTensor(path: file.path, tensor: "zzz")) { try file.floats(of: "zzz") }
    }

    /// Every promise of the format is checked; each violation is a `.malformed` naming the file.
    @Test(arguments: [
        ("empty file", safetensors(header: "").prefix(0)),
        ("shorter than the length prefix", Data([1, 2, 3])),
        ("header past the end", safetensors(header: "{}", declaredLength: 5000)),
        ("header over 100 MB", safetensors(header: "{}", declaredLength: 200_000_000)),
        ("not JSON", safetensors(header: "{nope")),
        ("JSON array", safetensors(header: "[1,2]")),
        ("unknown dtype", safetensors(header: #"{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
        ("missing shape", safetensors(header: #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
        ("negative dimension", safetensors(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
        ("offsets out of bounds", safetensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0])),
        ("reversed offsets", safetensors(header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0])),
        ("length disagrees with shape", safetensors(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))),
        ("overlapping tensors", safetensors(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: Array(repeating: 0, count: 8))),
        ("shape overflows", safetensors(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
        ("metadata not strings", safetensors(header: #"{"__metadata__":{"a":1}}"#)),
    ])
    func rejectsMalformedFiles(_ testCase: (String, Data)) throws {
        let dir = try TemporaryDirectory()
        let url = try dir.write("bad.safetensors", testCase.1)
        do {
            _ = try SafeTensorsFile(url: url)
            Issue.record("\(testCase.0): accepted")
        } catch let error as WeightsError {
            guard case .malformed(let path, _) = error else {
                Issue.record("\(testCase.0): wrong error \(error)")
                return
            }
            #expect(path == url.path)
            #expect(error.localizedDescription.contains("bad.safetensors"))
        }
    }

    @Test func missingFileIsUnreadable() {
        #expect {
            _ = try SafeTensorsFile(url: URL(fileURLWithPath: "/nonexistent/model.safetensors"))
        } throws: { error in
            guard case WeightsError.unreadable(let path, _)? = error as? WeightsError else { return false }
            return path == "/nonexistent/model.safetensors"
        }
    }

    @Test func unsupportedDTypeIsNamed() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.write("i.safetensors", safetensors(header: #"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))
        let file = try SafeTensorsFile(url: url)
        #expect(throws: WeightsError.unsupportedDType(path: url.path, tensor: "ids", dtype: "I64")) { try file.floats(of: "ids") }
    }
}
