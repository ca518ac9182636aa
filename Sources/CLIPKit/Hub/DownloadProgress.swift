/// How far a snapshot download has come; reported after each chunk written to disk.
public struct DownloadProgress: Sendable, Equatable {
    /// The file being transferred, as named in the repository.
    public var file: String
    /// Bytes of `file` on disk so far (a resumed download starts above zero).
    public var fileBytes: Int64
    /// The size of `file`, when the Hub announced it.
    public var fileTotal: Int64?
    /// Bytes on disk so far over every file this snapshot needs to download.
    public var completedBytes: Int64
    /// The sum of the announced sizes of every file this snapshot needs to download.
    public var totalBytes: Int64

    public init(file: String, fileBytes: Int64, fileTotal: Int64?, completedBytes: Int64, totalBytes: Int64) {
        self.file = file
        self.fileBytes = fileBytes
        self.fileTotal = fileTotal
        self.completedBytes = completedBytes
        self.totalBytes = totalBytes
    }
}
