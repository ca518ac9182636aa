import CLIPKit

/// One output record of `classify`: an input and its classification or failure.
struct ClassificationRecord {
    let input: InputFile
    let result: Result<Classification, any Error>

    var errorMessage: String? {
        if case .failure(let error) = result { return describe(error) }
        return nil
    }
}
