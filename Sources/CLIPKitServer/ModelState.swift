import CLIPKit

/// Where the server's model is: loading, ready, or failed.
enum ModelState: Sendable {
    /// Not loaded yet; model routes answer 503 and `/health` answers 503.
    case loading
    /// Loaded and serving.
    case ready(CLIPPipeline)
    /// Loading failed; the reason is reported by `/health` and model routes.
    case failed(String)
}
