import Foundation

/// Strings crossing the C boundary.
enum CStrings {
    /// A copy of `string` in `malloc`'d memory, for the caller to release with
    /// `clipkit_string_free`; `nil` only when memory is exhausted.
    static func copy(_ string: String) -> UnsafeMutablePointer<CChar>? {
        string.withCString { strdup($0) }
    }

    /// Stores a copy of `string` into `*out` when `out` is not NULL.
    static func store(_ string: String, into out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        out?.pointee = copy(string)
    }

    /// The UTF-8 text at `pointer`; throws `invalidArgument` naming `what` for NULL.
    static func read(_ pointer: UnsafePointer<CChar>?, _ what: String) throws -> String {
        guard let pointer else { throw ABIError.invalidArgument("\(what) is NULL") }
        return String(cString: pointer)
    }
}
