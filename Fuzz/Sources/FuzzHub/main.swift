// Hub answers: the revision JSON (commit + file list), and a HEAD answer's status and headers
// (ETag, X-Linked-Etag/Size, Location, X-Error-Code) as parsed into file metadata or an error.
// Input: body, then after a zero byte the status as text, then "Name: value" header lines.
@testable import CLIPKit
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import FuzzSupport

let url = URL(string: "https://hub.example/org/model/resolve/main/model.safetensors")!  // allowed: constant

FuzzSupport.run { start, count in
    let parts = FuzzSupport.split(FuzzSupport.data(start, count), into: 2)
    _ = try? HubClient.revisionInfo(parsing: parts[0], url: url.absoluteString)
    let lines = String(decoding: parts[1], as: UTF8.self).split(whereSeparator: \.isNewline)
    guard let first = lines.first, let status = Int(first.trimmingCharacters(in: .whitespaces)),
          (100...599).contains(status) else { return 0 }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    guard let response = HTTPURLResponse(url: url, statusCode: status, httpVersion: "HTTP/1.1", headerFields: headers)
    else { return 0 }
    let head = HTTPHead(response, url: url)
    _ = try? HubClient.fileMetadata(head: head, body: parts[0], url: url, repo: "org/model", file: "model.safetensors",
                                    hasToken: false)
    _ = HubError.fromHTTP(head, body: parts[0], repo: "org/model", file: nil, hasToken: true).errorDescription
    return 0
}
