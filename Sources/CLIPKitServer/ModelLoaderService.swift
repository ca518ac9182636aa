import CLIPKit
import Foundation
import ServiceLifecycle

/// Loads the model (when not given preloaded) while the server already answers, then keeps the
/// inference thread running until graceful shutdown, when it lets queued work finish.
///
/// It is listed before the HTTP server, so ServiceGroup shuts it down only after the server has
/// stopped accepting and drained its in-flight requests.
struct ModelLoaderService: Service {
    let engine: InferenceEngine
    let load: (@Sendable () async throws -> CLIPPipeline)?

    func run() async throws {
        if let load {
            do {
                engine.setReady(try await load())
            } catch {
                engine.setFailed(error.localizedDescription)
            }
        }
        try? await gracefulShutdown()
        await engine.shutdown()
    }
}
