/// How long an item waited and ran in the inference thread, and with how many others.
struct InferenceTimings: Sendable {
    /// From enqueueing to the start of its model call, in seconds.
    var queueSeconds: Double
    /// The model call's duration, in seconds.
    var inferenceSeconds: Double
    /// Items in that model call.
    var batchSize: Int
}
