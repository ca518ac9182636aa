/// A byte trie over vocabulary pieces, walked one byte at a time as the unigram segmenters need.
struct PieceTrie: Sendable {
    /// Child node of (node << 8 | byte).
    private var children: [UInt64: Int32] = [:]
    /// The piece id ending at each node, or -1.
    private var values: [Int32] = [-1]

    /// The root node, where every walk starts.
    static let root: Int32 = 0

    /// Adds `bytes` with `id`; a later insertion of the same bytes keeps the first id.
    mutating func insert<Bytes: Sequence<UInt8>>(_ bytes: Bytes, id: Int32) {
        var node = Self.root
        for byte in bytes {
            let key = UInt64(node) << 8 | UInt64(byte)
            if let child = children[key] {
                node = child
            } else {
                let child = Int32(values.count)
                values.append(-1)
                children[key] = child
                node = child
            }
        }
        if values[Int(node)] < 0 { values[Int(node)] = id }
    }

    /// The node after `byte` from `node`, or nil when no piece continues that way.
    func child(of node: Int32, _ byte: UInt8) -> Int32? {
        children[UInt64(node) << 8 | UInt64(byte)]
    }

    /// The id of the piece ending at `node`, if one does.
    func value(at node: Int32) -> Int32? {
        let value = values[Int(node)]
        return value >= 0 ? value : nil
    }
}
