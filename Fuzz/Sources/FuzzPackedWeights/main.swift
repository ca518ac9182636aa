// The packed-weight cache's file parser (`PackedWeightFile`, read back from disk where it may be
// damaged): a valid file is built from the input's first bytes (how many layers, their kinds and
// dimensions), then the rest of the input is applied to it as byte edits (2-byte offset, value).
// With the first byte odd the header checksum is recomputed after the edits, so the fuzzer reaches
// the table and entry checks behind it. A rejected file must throw; an accepted one must have
// every buffer inside the mapping, of the length its dimensions give.
@testable import CLIPKit
import Foundation
import FuzzSupport

FuzzSupport.run { start, count in
    let input = [UInt8](FuzzSupport.data(start, count))
    guard input.count >= 2 else { return 0 }
    let reseal = input[0] & 1 == 1
    let kinds: [PackedWeightFile.Kind] = [.fp32, .bf16, .int8]
    var owned: [[UInt8]] = []
    var specs: [(name: String, kind: PackedWeightFile.Kind, output: Int, input: Int, outliers: Int, range: Range<Int>)] = []
    for i in 0..<(1 + Int(input[1] % 3)) {
        let seed = Int(input[1]) &+ 31 &* i
        let kind = kinds[(seed / 3) % 3]
        let (output, columns) = (1 + seed % 40, 1 + (seed / 7) % 24)
        let outliers = kind == .fp32 ? 0 : min(columns, (seed / 5) % 3)
        let lengths = PackedWeightFile.bufferLengths(kind, output: output, input: columns, outlierCount: outliers)
        let first = owned.count
        for (b, length) in lengths.enumerated() {
            owned.append((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ b) })
        }
        specs.append(("layers.\(i).weight", kind, output, columns, outliers, first..<owned.count))
    }
    let url = FuzzSupport.scratchFile(Data(), suffix: ".packed")
    try? FileManager.default.removeItem(at: url)
    func withBuffers(_ index: Int, _ done: [UnsafeRawBufferPointer], _ body: ([UnsafeRawBufferPointer]) -> Void) {
        guard index < owned.count else { return body(done) }
        owned[index].withUnsafeBytes { withBuffers(index + 1, done + [$0], body) }
    }
    withBuffers(0, []) { all in
        let layers = specs.map { spec in
            PackedWeightFile.Layer(name: spec.name, kind: spec.kind, output: spec.output, input: spec.input,
                                   outlierCount: spec.outliers, buffers: Array(all[spec.range]))
        }
        try? PackedWeightFile.write(to: url, key: String(repeating: "0", count: 32), identity: "fuzz", layers: layers)
    }
    guard var bytes = try? [UInt8](Data(contentsOf: url)) else { return 0 }
    var edit = 2
    while edit + 3 <= input.count {
        let offset = Int(input[edit]) | Int(input[edit + 1]) << 8
        if offset < bytes.count { bytes[offset] = input[edit + 2] } else { bytes.append(input[edit + 2]) }
        edit += 3
    }
    if reseal, bytes.count >= 56 {
        let dataOffset = bytes.withUnsafeBytes { Int(truncatingIfNeeded: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 32, as: UInt64.self))) }
        if dataOffset >= 56, dataOffset <= bytes.count {
            let sum = bytes.withUnsafeBytes { PackedWeightFile.headerChecksum($0, dataOffset: dataOffset) }
            withUnsafeBytes(of: sum.littleEndian) { for i in 0..<8 { bytes[48 + i] = $0[i] } }
        }
    }
    guard let mapping = try? MappedFile(copying: bytes), let file = try? PackedWeightFile(mapping: mapping, verifyData: true)
    else { return 0 }
    for (name, entry) in file.entries {
        let lengths = PackedWeightFile.bufferLengths(entry.kind, output: entry.output, input: entry.input,
                                                     outlierCount: entry.outlierCount)
        guard let buffers = file.buffers(name, kind: entry.kind, output: entry.output, input: entry.input,
                                         outlierCount: entry.outlierCount),
              buffers.map(\.count) == lengths, entry.buffers.allSatisfy({ $0.upperBound <= bytes.count })
        else { fatalError("accepted entry \(name) with buffers outside its file or of the wrong length") }  // allowed: a fuzz finding
    }
    return 0
}
