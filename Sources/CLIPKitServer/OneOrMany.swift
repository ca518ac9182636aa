/// A JSON value that is either one string or an array of strings (`"x"` or `["x", "y"]`).
struct OneOrMany: Decodable, Sendable {
    let values: [String]
    /// Whether the JSON held a single string rather than an array.
    let isSingle: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            values = [one]
            isSingle = true
        } else {
            values = try container.decode([String].self)
            isSingle = false
        }
    }
}
