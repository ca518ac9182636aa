// The BPE model of HF `tokenizers` 0.23 (tokenizers/src/models/bpe/model.rs `merge_word`, word.rs
// `merge_all`): characters to ids (byte fallback `<0xXX>`, unknown runs fused), then merges by rank,
// the leftmost pair first among equal ranks.

/// A `tokenizer.json` BPE model (dropout ignored: transformers encodes without it).
struct BPEModel: Sendable {
    /// Token bytes → id.
    let vocabulary: [[UInt8]: Int]
    /// (left id << 32 | right id) → (rank, merged id).
    let merges: [UInt64: (rank: Int32, merged: Int32)]
    /// The id of `unk_token`, when the model has one.
    let unknownID: Int?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let continuingSubwordPrefix: [UInt8]?
    let endOfWordSuffix: [UInt8]?
    /// The id of `<0xXX>` for each byte, when the vocabulary has it.
    private let byteIDs: [Int?]

    init(
        vocabulary: [[UInt8]: Int], merges: [UInt64: (rank: Int32, merged: Int32)], unknownID: Int?,
        fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool = false,
        continuingSubwordPrefix: [UInt8]? = nil, endOfWordSuffix: [UInt8]? = nil
    ) {
        self.vocabulary = vocabulary
        self.merges = merges
        self.unknownID = unknownID
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        let hex = Array("0123456789ABCDEF".utf8)
        byteIDs = (0..<256).map { byte in
            vocabulary[Array("<0x".utf8) + [hex[byte >> 4], hex[byte & 15], UInt8(ascii: ">")]]
        }
    }

    /// The ids of one pre-tokenized piece (valid UTF-8).
    func tokenize(_ piece: [UInt8], into ids: inout [Int]) {
        guard !piece.isEmpty else { return }
        if ignoreMerges, let id = vocabulary[piece] {
            ids.append(id)
            return
        }
        // The word's symbols before merging: (id, byte length).
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.count)
        var pendingUnknown = false
        var start = 0
        while start < piece.count {
            let end = Swift.min(piece.count, start + Self.characterLength(piece[start]))
            var key = Array(piece[start..<end])
            if start > 0, let prefix = continuingSubwordPrefix { key = prefix + key }
            if end == piece.count, let suffix = endOfWordSuffix { key += suffix }
            if let id = vocabulary[key] {
                if pendingUnknown, let unknownID { symbols.append(Int32(unknownID)) }
                pendingUnknown = false
                symbols.append(Int32(id))
            } else if byteFallback, let bytes = Self.allByteIDs(key, byteIDs) {
                // As `tokenizers`: byte pieces go in without flushing a pending unknown.
                symbols.append(contentsOf: bytes)
            } else if let unknownID {
                if pendingUnknown, !fuseUnknown { symbols.append(Int32(unknownID)) }
                pendingUnknown = true
            }
            start = end
        }
        if pendingUnknown, let unknownID { symbols.append(Int32(unknownID)) }
        merge(&symbols)
        for symbol in symbols { ids.append(Int(symbol)) }
    }

    private static func allByteIDs(_ key: [UInt8], _ byteIDs: [Int?]) -> [Int32]? {
        var result: [Int32] = []
        for byte in key {
            guard let id = byteIDs[Int(byte)] else { return nil }
            result.append(Int32(id))
        }
        return result
    }

    /// `Word::merge_all`: repeatedly the lowest-ranked adjacent pair (leftmost on ties) merges.
    private func merge(_ symbols: inout [Int32]) {
        guard symbols.count > 1, !merges.isEmpty else { return }
        let count = symbols.count
        var next = Array(1...count)  // count = none
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var queue = MergeQueue()
        for position in 0..<(count - 1) {
            if let merge = merges[Self.key(symbols[position], symbols[position + 1])] {
                queue.push(.init(rank: merge.rank, position: Int32(position), merged: merge.merged))
            }
        }
        while let top = queue.pop() {
            let position = Int(top.position)
            guard alive[position], next[position] < count else { continue }
            let right = next[position]
            guard let current = merges[Self.key(symbols[position], symbols[right])], current.merged == top.merged else { continue }
            symbols[position] = top.merged
            alive[right] = false
            next[position] = next[right]
            if next[right] < count { previous[next[right]] = position }
            if previous[position] >= 0 {
                let left = previous[position]
                if let merge = merges[Self.key(symbols[left], symbols[position])] {
                    queue.push(.init(rank: merge.rank, position: Int32(left), merged: merge.merged))
                }
            }
            if next[position] < count, let merge = merges[Self.key(symbols[position], symbols[next[position]])] {
                queue.push(.init(rank: merge.rank, position: Int32(position), merged: merge.merged))
            }
        }
        symbols = symbols.indices.filter { alive[$0] }.map { symbols[$0] }
    }

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    private static func characterLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}

/// A binary min-heap of pending merges ordered by (rank, position).
private struct MergeQueue {
    struct Entry {
        var rank: Int32
        var position: Int32
        var merged: Int32

        func precedes(_ other: Entry) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var heap: [Entry] = []

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
                if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
