import Foundation

/// Image bytes sent inline: a `data:` URI, plain base64, or a multipart file part.
///
/// Remote URLs are refused, never fetched: the server opens no connection and reads no file on
/// a client's behalf (no SSRF surface).
enum ImagePayload {
    /// The bytes of a JSON image string, or the per-item error to report.
    static func bytes(fromJSONString string: String) -> Result<Data, ServerError> {
        let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
        let lowered = trimmed.prefix(16).lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") || lowered.hasPrefix("file:")
            || lowered.hasPrefix("ftp://") {
            return .failure(.unprocessable(
                code: "url_not_supported",
                message: "image URLs and paths are not fetched; send the bytes as a data URI or base64"))
        }
        var base64 = Substring(trimmed)
        if lowered.hasPrefix("data:") {
            guard let comma = trimmed.firstIndex(of: ","),
                  trimmed[..<comma].lowercased().hasSuffix(";base64")
            else {
                return .failure(.unprocessable(code: "invalid_data_uri",
                                               message: "a data URI must be base64: data:image/...;base64,..."))
            }
            base64 = trimmed[trimmed.index(after: comma)...]
        }
        guard !base64.isEmpty else {
            return .failure(.unprocessable(code: "empty_image", message: "the image is empty"))
        }
        guard let data = Data(base64Encoded: String(base64), options: .ignoreUnknownCharacters), !data.isEmpty else {
            return .failure(.unprocessable(code: "invalid_base64", message: "the image is not valid base64"))
        }
        return .success(data)
    }
}
