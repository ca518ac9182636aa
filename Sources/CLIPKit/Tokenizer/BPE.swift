// Mirrors `tokenizers` 0.23 models/bpe (BPE with end_of_word_suffix "</w>", no dropout,
// fuse_unk false, ignore_merges false), as configured by transformers 5.23 `CLIPTokenizer`.

/// Byte-level BPE on symbol ids.
///
/// A word's UTF-8 bytes become the ids of their `ByteEncoder` characters, the last one with
/// `</w>` appended (a missing entry becomes the unknown id). Then, repeatedly, the adjacent pair
/// with the lowest merge rank (leftmost on ties) is replaced by its merged token, until no pair
/// has a merge.
struct BytePairEncoder: Sendable {
    /// Words up to this many bytes merge by rescanning a pair array; longer ones use a heap.
    static let scanLimit = 48

    let merges: MergeTable
    /// Ids of the 256 byte characters, then of the same characters with `</w>`; -1 when absent.
    let byteIDs: [Int32]
    /// The id of the unknown token.
    let unknownID: Int32
    private let cache = BPECache()

    init(merges: MergeTable, byteIDs: [Int32], unknownID: Int32) {
        self.merges = merges
        self.byteIDs = byteIDs
        self.unknownID = unknownID
    }

    /// Appends the ids of `word`, the UTF-8 bytes of a pre-tokenised piece, to `output`.
    func encode(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        let length = word.count
        guard length > 0 else { return }
        // Short keys are small strings: building one does not allocate.
        let key = length <= BPECache.maximumWordLength ? String(decoding: word, as: UTF8.self) : nil
        if let key, let ids = cache.ids(for: key) {
            for id in ids { output.append(Int(id)) }
            return
        }
        let ids = [Int32](unsafeUninitializedCapacity: length) { storage, count in
            // The storage may be larger than asked for.
            let symbols = UnsafeMutableBufferPointer(rebasing: storage[..<length])
            for index in 0..<length {
                let id = byteIDs[Int(word[index]) + (index == length - 1 ? 256 : 0)]
                symbols[index] = id < 0 ? unknownID : id
            }
            count = length <= Self.scanLimit ? mergeByScanning(symbols) : mergeWithHeap(symbols)
        }
        if let key { cache.insert(ids, for: key) }
        for id in ids { output.append(Int(id)) }
    }

    /// Merges `symbols` in place; returns how many remain at the front. Quadratic in the word
    /// length, but with no allocation and tiny constants: the path for ordinary words.
    func mergeByScanning(_ symbols: UnsafeMutableBufferPointer<Int32>) -> Int {
        var count = symbols.count
        guard count > 1 else { return count }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count - 1) { pairs in
            for index in 0..<count - 1 { pairs[index] = merges.lookup(symbols[index], symbols[index + 1]) }
            while count > 1 {
                var best = 0
                var bestValue = pairs[0]
                for index in 1..<count - 1 where pairs[index] < bestValue {
                    best = index
                    bestValue = pairs[index]
                }
                if bestValue == MergeTable.noMerge { break }
                symbols[best] = Int32(truncatingIfNeeded: bestValue & 0xFFFF_FFFF)
                // Remove symbols[best + 1] and pairs[best]; the pairs around `best` change.
                for index in (best + 1)..<(count - 1) { symbols[index] = symbols[index + 1] }
                for index in best..<(count - 2) { pairs[index] = pairs[index + 1] }
                count -= 1
                if best > 0 { pairs[best - 1] = merges.lookup(symbols[best - 1], symbols[best]) }
                if best < count - 1 { pairs[best] = merges.lookup(symbols[best], symbols[best + 1]) }
            }
            return count
        }
    }

    /// Merges `symbols` in place with a priority queue of (rank, position), as `tokenizers`
    /// does; returns how many remain at the front. O(n log n) for very long words.
    func mergeWithHeap(_ symbols: UnsafeMutableBufferPointer<Int32>) -> Int {
        let count = symbols.count
        guard count > 1 else { return count }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index + 1 < count ? Int32(index + 1) : -1 }
            initialized = count
        }
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index - 1) }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        var heap = MinHeap()
        for index in 0..<count - 1 {
            let value = merges.lookup(symbols[index], symbols[index + 1])
            if value != MergeTable.noMerge { heap.push(Self.entry(value, position: index)) }
        }
        while let top = heap.pop() {
            let position = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            guard alive[position] else { continue }
            let right = Int(next[position])
            guard right >= 0 else { continue }
            let value = merges.lookup(symbols[position], symbols[right])
            guard value != MergeTable.noMerge, value >> 32 == rank else { continue }  // stale entry
            symbols[position] = Int32(truncatingIfNeeded: value & 0xFFFF_FFFF)
            alive[right] = false
            let afterRight = Int(next[right])
            next[position] = Int32(afterRight)
            if afterRight >= 0 { previous[afterRight] = Int32(position) }
            let left = Int(previous[position])
            if left >= 0 {
                let leftValue = merges.lookup(symbols[left], symbols[position])
                if leftValue != MergeTable.noMerge { heap.push(Self.entry(leftValue, position: left)) }
            }
            if afterRight >= 0 {
                let rightValue = merges.lookup(symbols[position], symbols[afterRight])
                if rightValue != MergeTable.noMerge { heap.push(Self.entry(rightValue, position: position)) }
            }
        }
        var kept = 0
        for index in 0..<count where alive[index] {
            symbols[kept] = symbols[index]
            kept += 1
        }
        return kept
    }

    /// A heap entry ordered by rank, then position.
    private static func entry(_ lookup: UInt64, position: Int) -> UInt64 {
        (lookup >> 32) << 32 | UInt64(position)
    }
}

/// A binary min-heap of `UInt64`.
private struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ item: UInt64) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[parent] <= items[child] { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                let right = left + 1
                let smaller = right < items.count && items[right] < items[left] ? right : left
                if items[parent] <= items[smaller] { break }
                items.swapAt(parent, smaller)
                parent = smaller
            }
        }
        return first
    }
}
