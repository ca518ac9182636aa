package clipkit.spark

import scala.collection.immutable.ListMap
import scala.collection.mutable.ArrayBuffer

import org.apache.spark.TaskContext
import org.apache.spark.sql.Row
import org.slf4j.LoggerFactory

/** Executor side of [[CLIPForZeroShotClassification]]: rows in, rows with the annotation column
 *  out, per partition. Rows are taken `chunkRows` at a time; their images go to the engine in one
 *  JNI call per input kind (encoded files, raw pixels), never one per row, and the engine batches
 *  them `batchSize` at a time for the vision tower while it decodes the next ones.
 *
 *  @param inputIndex  the image annotation column's index in the input rows
 *  @param keep        indices of the input columns passed through (all but an old output column)
 *  @param fields      indices of origin, height, width, nChannels, mode, result in the image struct */
private[spark] final class PartitionAnnotator(
    spec: EngineSpec, inputIndex: Int, keep: Array[Int], fields: Array[Int], chunkRows: Int)
    extends Serializable {

  @transient private lazy val log = LoggerFactory.getLogger("clipkit.spark")

  /** The mapPartitions body. */
  def apply(rows: Iterator[Row]): Iterator[Row] = {
    val context = TaskContext.get()
    val threads = if (context == null) 0 else math.max(1, math.ceil(context.cpuAmount().toDouble).toInt) // spark.task.cpus
    var handle = 0L
    def classifier(): Long = {
      if (handle == 0L) handle = Engines.classifier(spec, threads)
      handle
    }
    rows.grouped(chunkRows).flatMap(group => annotate(group, () => classifier()))
  }

  private final class Item(val row: Int, val image: Row)

  private def annotate(group: Seq[Row], classifier: () => Long): Seq[Row] = {
    val out = Array.fill(group.size)(ArrayBuffer.empty[Row])
    val encoded = ArrayBuffer.empty[Item]
    val raw = ArrayBuffer.empty[Item]
    for ((row, r) <- group.iterator.zipWithIndex if !row.isNullAt(inputIndex); image <- row.getSeq[Row](inputIndex)) {
      if (image != null) {
        val mode = if (image.isNullAt(fields(4))) -1 else image.getInt(fields(4))
        (if (mode == -1) encoded else raw) += new Item(r, image)
      }
    }
    if (encoded.nonEmpty) run(encoded.toSeq, isEncoded = true, classifier(), out)
    if (raw.nonEmpty) run(raw.toSeq, isEncoded = false, classifier(), out)
    group.iterator.zipWithIndex.map { case (row, r) =>
      Row.fromSeq(keep.iterator.map(row.get).toSeq :+ out(r).toSeq)
    }.toSeq
  }

  private def bytesOf(image: Row): Array[Byte] =
    if (image.isNullAt(fields(5))) Array.emptyByteArray else image.getAs[Array[Byte]](fields(5))

  private def intOf(image: Row, field: Int): Int = if (image.isNullAt(field)) -1 else image.getInt(field)

  private def run(items: Seq[Item], isEncoded: Boolean, handle: Long, out: Array[ArrayBuffer[Row]]): Unit = {
    val n = items.size
    val offsets = new Array[Long](n + 1)
    var total = 0L
    for ((item, i) <- items.iterator.zipWithIndex) {
      total += bytesOf(item.image).length
      offsets(i + 1) = total
    }
    require(total <= Int.MaxValue - 8, s"clipkit: $n images of $total bytes exceed one JVM array; lower the chunk")
    val data = new Array[Byte](total.toInt)
    for ((item, i) <- items.iterator.zipWithIndex) {
      val bytes = bytesOf(item.image)
      System.arraycopy(bytes, 0, data, offsets(i).toInt, bytes.length)
    }
    val labels = spec.labels.toArray
    val probabilities = new Array[Float](n * labels.length)
    val sizes = new Array[Int](2 * n)
    val statuses = new Array[Int](n)
    val messages = new Array[String](n)
    val heights = items.map(item => intOf(item.image, fields(1))).toArray
    val widths = items.map(item => intOf(item.image, fields(2))).toArray
    val channels = items.map(item => intOf(item.image, fields(3))).toArray
    if (isEncoded) NativeEngine.classifyEncoded(handle, data, offsets, probabilities, sizes, statuses, messages)
    else NativeEngine.classifyPixels(handle, data, offsets, heights, widths, channels, 0 /* BGR */, probabilities,
      sizes, statuses, messages)
    for ((item, i) <- items.iterator.zipWithIndex) {
      val origin = if (item.image.isNullAt(fields(0))) "" else item.image.getString(fields(0))
      if (statuses(i) != 0) {
        log.warn(s"clipkit: $origin: no annotation: ${messages(i)}")
      } else {
        val probs = probabilities.slice(i * labels.length, (i + 1) * labels.length)
        val best = probs.indices.maxBy(probs(_)) // first of equal maxima, as numpy's argmax
        val label = labels(best)
        val (h, w, c, m) =
          if (isEncoded) (sizes(2 * i), sizes(2 * i + 1), 3, Schemas.Mode8UC3)
          else (heights(i), widths(i), channels(i), item.image.getInt(fields(4)))
        val metadata = ListMap("image" -> "0", "origin" -> origin, "height" -> h.toString, "width" -> w.toString,
          "nChannels" -> c.toString, "mode" -> m.toString) ++
          labels.iterator.zip(probs.iterator).map { case (name, p) => name -> java.lang.Float.toString(p) }
        out(item.row) += Row(Schemas.Category, 0, label.length - 1, label, metadata, Seq.empty[Float])
      }
    }
  }
}
