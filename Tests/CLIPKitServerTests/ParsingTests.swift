import CLIPKit
@testable import CLIPKitServer
import Foundation
import Testing

@Suite("Request parsing")
struct ParsingTests {
    @Test("multipart: fields and files in order, quoted names, CRLF inside a file kept")
    func multipart() throws {
        let file = Data([0x89, 0x50, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF])
        var body = Data("preamble\r\n--b0undary\r\nContent-Disposition: form-data; name=\"labels\"\r\n\r\ncat\r\n".utf8)
        body += Data("--b0undary\r\ncontent-disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += file + Data("\r\n--b0undary--\r\nepilogue".utf8)
        let boundary = try #require(MultipartForm.boundary(fromContentType: "multipart/form-data; boundary=\"b0undary\""))
        let form = try MultipartForm(body: body, boundary: boundary)
        #expect(form.parts.count == 2)
        #expect(form.parts[0].name == "labels")
        #expect(form.parts[0].text == "cat")
        #expect(form.parts[1].filename == "x.png")
        #expect(form.parts[1].contentType == "image/png")
        #expect(form.parts[1].body == file)
    }

    @Test("multipart: malformed bodies are errors, never crashes", arguments: [
        "", "--b", "--b\r\n", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
        "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", "--bX", "junk",
    ])
    func malformedMultipart(text: String) {
        #expect(throws: ServerError.self) { try MultipartForm(body: Data(text.utf8), boundary: "b") }
    }

    @Test("multipart: a hostile boundary and body cost linear time")
    func hostileMultipart() {
        let boundary = String(repeating: "-", count: 69) + "X"
        let body = Data(repeating: UInt8(ascii: "-"), count: 4_000_000)
        let start = threadCPUTime()
        #expect(throws: ServerError.self) { try MultipartForm(body: body, boundary: boundary) }
        #expect(threadCPUTime() - start < .seconds(2))
        #expect(MultipartForm.find(Array("abc".utf8), in: Array("xxabcabc".utf8), from: 3) == 5)
        #expect(MultipartForm.find(Array("abc".utf8), in: Array("xxab".utf8), from: 0) == nil)
        #expect(MultipartForm.find(Array("a".utf8), in: Array("a".utf8), from: 1) == nil)
    }

    @Test("multipart: boundary parameter")
    func boundary() {
        #expect(MultipartForm.boundary(fromContentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartForm.boundary(fromContentType: "Multipart/Form-Data;charset=utf-8; Boundary=x y") == "x y")
        #expect(MultipartForm.boundary(fromContentType: "application/json") == nil)
        #expect(MultipartForm.boundary(fromContentType: "multipart/form-data") == nil)
        #expect(MultipartForm.boundary(fromContentType: "multipart/form-data; boundary=") == nil)
    }

    @Test("a form becomes a job: files, repeated and multi-line labels, template, top_k")
    func formJob() throws {
        let parts = "--b\r\nContent-Disposition: form-data; name=\"labels\"\r\n\r\ncat\ndog\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"labels\"\r\n\r\nbird\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"template\"\r\n\r\na {}\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"top_k\"\r\n\r\n2\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.jpg\"\r\n\r\nJPEG\r\n--b--\r\n"
        let job = try ServerRoutes.job(from: MultipartForm(body: Data(parts.utf8), boundary: "b"))
        #expect(job.labels == ["cat", "dog", "bird"])
        #expect(job.templates == ["a {}"])
        #expect(job.topK == 2)
        #expect(job.images.count == 1)
        if case .bytes(let name, let data) = job.images[0] {
            #expect(name == "a.jpg")
            #expect(data == Array("JPEG".utf8))
        } else {
            Issue.record("expected file bytes")
        }
    }

    @Test("image strings: data URIs and base64 decode; URLs, paths and bad base64 are refused")
    func payloads() throws {
        let bytes = Data([1, 2, 3, 250])
        #expect(try ImagePayload.bytes(fromJSONString: bytes.base64EncodedString()).get() == bytes)
        #expect(try ImagePayload.bytes(fromJSONString: "data:image/png;base64,\(bytes.base64EncodedString())").get() == bytes)
        #expect(try ImagePayload.bytes(fromJSONString: " AQID\n+g== ").get() == bytes)
        // Plain base64 of a JPEG starts with "/9j/": it is data, not a path.
        let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0])
        #expect(try ImagePayload.bytes(fromJSONString: jpeg.base64EncodedString()).get() == jpeg)
        for (text, code) in [("https://10.0.0.1/a.png", "url_not_supported"), ("HTTP://x", "url_not_supported"),
                             ("file:///etc/passwd", "url_not_supported"), ("/etc/passwd", "invalid_base64"),
                             ("data:image/png,abc", "invalid_data_uri"), ("", "empty_image"),
                             ("data:image/png;base64,", "empty_image"), ("!!!", "invalid_base64")] {
            guard case .failure(let error) = ImagePayload.bytes(fromJSONString: text) else {
                Issue.record("\(text) should fail")
                continue
            }
            #expect(error.code == code, "\(text)")
        }
    }

    @Test("template and templates")
    func templates() throws {
        #expect(try ClassifyRequest.templates(template: nil, templates: nil) == ["{}"])
        #expect(try ClassifyRequest.templates(template: "a {}", templates: nil) == ["a {}"])
        #expect(try ClassifyRequest.templates(template: nil, templates: ["a {}", "b {}"]) == ["a {}", "b {}"])
        #expect(throws: ServerError.self) { try ClassifyRequest.templates(template: "a {}", templates: ["b {}"]) }
        #expect(throws: ServerError.self) { try ClassifyRequest.templates(template: nil, templates: []) }
        #expect(try ClassifyRequest.templates(template: nil, templates: ["simple-imagenet"]).count == 7)
        #expect(try ClassifyRequest.templates(template: nil, templates: ["/etc/passwd"]) == ["/etc/passwd"])
    }

    @Test("the API key comparison")
    func keyComparison() {
        #expect(APIKeyMiddleware.constantTimeEqual("abc", "abc"))
        #expect(!APIKeyMiddleware.constantTimeEqual("abc", "abd"))
        #expect(!APIKeyMiddleware.constantTimeEqual("abc", "abcd"))
        #expect(!APIKeyMiddleware.constantTimeEqual("", "a"))
    }

    @Test("base64 embeddings are little-endian float32")
    func base64Embedding() {
        #expect(InferenceService.base64([1.0, -2.5]) == Data([0, 0, 0x80, 0x3F, 0, 0, 0x20, 0xC0]).base64EncodedString())
    }
}
