/// The body of `POST /v1/embeddings`, OpenAI-compatible, plus `modality`.
struct EmbeddingsRequest: Decodable, Sendable {
    let input: OneOrMany
    let model: String?
    /// `float` (default) or `base64` (little-endian float32 bytes, as OpenAI).
    let encodingFormat: String?
    /// `text` (default) or `image` (inputs are data URIs or base64).
    let modality: String?
    /// Accepted when equal to the model's embedding size (CLIP embeddings cannot be shortened).
    let dimensions: Int?

    enum CodingKeys: String, CodingKey {
        case input, model, modality, dimensions
        case encodingFormat = "encoding_format"
    }
}

/// The answer of `POST /v1/embeddings`, OpenAI's shape.
struct EmbeddingsResponse: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        let object = "embedding"
        let index: Int
        let embedding: EmbeddingValue
    }

    struct Usage: Encodable, Sendable {
        let promptTokens: Int
        let totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }

    let object = "list"
    let data: [Item]
    let model: String
    let usage: Usage
}

/// An embedding as floats or as base64 of little-endian float32 bytes.
enum EmbeddingValue: Encodable, Sendable {
    case floats([Float])
    case base64(String)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .floats(let values): try container.encode(values)
        case .base64(let text): try container.encode(text)
        }
    }
}
