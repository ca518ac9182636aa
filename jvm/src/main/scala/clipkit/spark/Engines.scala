package clipkit.spark

import scala.collection.mutable

/** Everything an executor needs to build (or find) its classifier; serialised into the task. */
private[spark] final case class EngineSpec(
    model: String,
    labels: Seq[String],
    template: String,
    batchSize: Int,
    preprocessingJson: String,
    hubEndpoint: Option[String],
    precision: String)

/** The executor JVM's classifiers: one native handle per spec and thread count, created on first
 *  use (model loaded, labels embedded) and shared by every task of the JVM for its whole life.
 *  Handles are immutable in the engine, so tasks classify on one handle concurrently; the engine
 *  also shares one copy of the weights among all handles of a process. */
private[spark] object Engines {
  private val handles = mutable.HashMap.empty[(EngineSpec, Int), Long]
  private var endpoint: Option[String] = None

  /** Points the engine's Hub client at `hub` (HF_ENDPOINT), only when it changes: setenv is not
   *  safe against concurrent getenv, so it runs rarely and under this object's lock. */
  private def useEndpoint(hub: Option[String]): Unit = hub.foreach { value =>
    if (!endpoint.contains(value)) {
      NativeEngine.setEnvironment("HF_ENDPOINT", value)
      endpoint = Some(value)
    }
  }

  /** The classifier handle for `spec` with `threads` engine threads (0: all cores). Creation is
   *  serialised, so concurrent tasks wait for one load instead of loading twice. */
  def classifier(spec: EngineSpec, threads: Int): Long = synchronized {
    handles.getOrElseUpdate((spec, threads), {
      NativeEngine.load()
      useEndpoint(spec.hubEndpoint)
      NativeEngine.createClassifier(spec.model, spec.labels.toArray, spec.template, threads, spec.batchSize,
        spec.precision, spec.preprocessingJson)
    })
  }

  /** Number of classifier handles this JVM holds. */
  def count: Int = synchronized(handles.size)

  /** Resolves a model reference on this JVM (path, Hub id or Spark NLP name) to a local folder. */
  def resolve(reference: String, hubEndpoint: Option[String]): String = synchronized {
    NativeEngine.load()
    useEndpoint(hubEndpoint)
    NativeEngine.resolveModel(reference)
  }
}
