import Foundation

/// A parsed `multipart/form-data` body (RFC 7578): its parts in order.
struct MultipartForm: Sendable {
    /// One form field or file.
    struct Part: Sendable {
        /// The `name` of its Content-Disposition.
        let name: String
        /// The `filename`, present for file parts.
        let filename: String?
        /// The part's content type, if given.
        let contentType: String?
        let body: Data

        /// The body as UTF-8 text.
        var text: String? { String(data: body, encoding: .utf8) }
    }

    /// Most parts accepted in one form, so a body of tiny parts cannot cost unbounded work.
    static let maxParts = 10_000

    let parts: [Part]

    /// The `boundary` parameter of a `multipart/form-data` content type, or `nil`.
    static func boundary(fromContentType contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.count > 70 ? nil : value  // RFC 2046: at most 70 characters
        }
        return nil
    }

    /// Parses `body`; throws ``ServerError/badRequest(code:message:)`` for a malformed form.
    init(body: Data, boundary: String) throws {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        guard var position = Self.find(delimiter, in: bytes, from: 0) else {
            throw ServerError.badRequest(code: "invalid_multipart", message: "the multipart body has no boundary line")
        }
        var parts = [Part]()
        let separator = crlf + delimiter
        while true {
            position += delimiter.count
            // "--" after a delimiter ends the form.
            if position + 1 < bytes.count, bytes[position] == 45, bytes[position + 1] == 45 { break }
            guard position + 1 < bytes.count, bytes[position] == 13, bytes[position + 1] == 10 else {
                throw ServerError.badRequest(code: "invalid_multipart", message: "malformed multipart boundary line")
            }
            position += 2
            guard let headerEnd = Self.find(crlf + crlf, in: bytes, from: position) else {
                throw ServerError.badRequest(code: "invalid_multipart", message: "a multipart part has no header end")
            }
            let headerText = String(decoding: bytes[position..<headerEnd], as: UTF8.self)
            let bodyStart = headerEnd + 4
            guard let bodyEnd = Self.find(separator, in: bytes, from: bodyStart) else {
                throw ServerError.badRequest(code: "invalid_multipart", message: "the multipart body is not terminated")
            }
            guard parts.count < Self.maxParts else {
                throw ServerError.badRequest(code: "invalid_multipart", message: "more than \(Self.maxParts) form parts")
            }
            parts.append(try Self.part(headers: headerText, body: Data(bytes[bodyStart..<bodyEnd])))
            position = bodyEnd + 2
        }
        self.parts = parts
    }

    private static func part(headers: String, body: Data) throws -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in headers.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if field == "content-type" { contentType = value }
            guard field == "content-disposition" else { continue }
            for parameter in value.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                var v = pair[1]
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                switch pair[0].lowercased() {
                case "name": name = v
                case "filename": filename = v
                default: break
                }
            }
        }
        guard let name else {
            throw ServerError.badRequest(code: "invalid_multipart", message: "a multipart part has no name")
        }
        return Part(name: name, filename: filename, contentType: contentType, body: body)
    }

    /// The first index of `needle` in `haystack` at or after `start`.
    ///
    /// Knuth–Morris–Pratt: linear time whatever the input. A naive search would let a client
    /// pick a boundary and a body that cost length × boundary comparisons.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0, start <= haystack.count, needle.count <= haystack.count - start else { return nil }
        // failure[i]: length of the longest proper prefix of needle[0...i] that is also its suffix.
        var failure = [Int](repeating: 0, count: needle.count)
        var k = 0
        for i in 1..<needle.count {
            while k > 0 && needle[i] != needle[k] { k = failure[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            failure[i] = k
        }
        var matched = 0
        for i in start..<haystack.count {
            while matched > 0 && haystack[i] != needle[matched] { matched = failure[matched - 1] }
            if haystack[i] == needle[matched] { matched += 1 }
            if matched == needle.count { return i - needle.count + 1 }
        }
        return nil
    }
}
