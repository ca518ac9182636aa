/// The outcome for one input of a batch run.
public struct BatchItem<Value: Sendable>: Sendable {
    /// Position of the input in the run's input list.
    public let index: Int
    /// The input itself.
    public let input: ImageInput
    /// The value, or why this input (and only this input) failed.
    public let result: Result<Value, any Error>

    /// Creates an outcome.
    public init(index: Int, input: ImageInput, result: Result<Value, any Error>) {
        self.index = index
        self.input = input
        self.result = result
    }

    /// The value, or `nil` when the input failed.
    public var value: Value? { try? result.get() }

    /// Why the input failed, or `nil` when it succeeded.
    public var error: (any Error)? {
        if case .failure(let error) = result { return error }
        return nil
    }
}
