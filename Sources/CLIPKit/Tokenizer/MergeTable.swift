/// BPE merge ranks keyed by the pair of symbol ids: an open-addressing hash table.
///
/// A lookup is one multiply and, almost always, one probe into two flat arrays, which keeps the
/// inner loop of BPE free of hashing overhead and allocation.
struct MergeTable: Sendable {
    /// A lookup result meaning "this pair is never merged".
    static let noMerge = UInt64.max

    private var keys: [UInt64]
    private var values: [UInt64]
    private let shift: UInt64
    private(set) var count = 0

    /// An empty table sized for `capacity` merges.
    init(capacity: Int) {
        var bits: UInt64 = 4
        while (1 << bits) < 2 * max(capacity, 1) { bits += 1 }
        keys = [UInt64](repeating: Self.emptyKey, count: 1 << bits)
        values = [UInt64](repeating: Self.noMerge, count: 1 << bits)
        shift = 64 - bits
    }

    /// Records that `left` followed by `right` merges into `merged` with priority `rank` (lower
    /// merges first). A pair recorded again keeps its latest rank, as `tokenizers` does.
    mutating func insert(left: Int32, right: Int32, rank: UInt32, merged: Int32) {
        let key = Self.key(left, right)
        var slot = slot(of: key)
        let mask = keys.count - 1
        while keys[slot] != Self.emptyKey && keys[slot] != key { slot = (slot + 1) & mask }
        if keys[slot] == Self.emptyKey { count += 1 }
        keys[slot] = key
        values[slot] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// `rank << 32 | mergedID` for the pair, or `noMerge`. Comparing two results compares ranks.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> UInt64 {
        let key = Self.key(left, right)
        var slot = slot(of: key)
        return keys.withUnsafeBufferPointer { keys in
            let mask = keys.count - 1
            while true {
                let stored = keys[slot]
                if stored == key { return values[slot] }
                if stored == Self.emptyKey { return Self.noMerge }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Symbol ids are non-negative `Int32`s, so no real key equals this.
    private static let emptyKey = UInt64.max

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }
}
