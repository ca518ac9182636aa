package clipkit.spark

import java.nio.file.{Files, Path, Paths}

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.{JsonNodeFactory, ObjectNode}

/** Spark NLP's image-feature params ↔ Hugging Face's `preprocessor_config.json` keys (the JVM
 *  twin of python/clipkit/spark/preprocessing.py). */
private[spark] object Preprocessing {

  private val mapper = new ObjectMapper()

  /** The preprocessing params, Spark NLP's names. */
  final case class Params(
      doResize: Boolean, doNormalize: Boolean, doRescale: Boolean, rescaleFactor: Double,
      imageMean: Seq[Double], imageStd: Seq[Double], resample: Int, size: Int)

  /** openai/clip-vit-base-patch32's settings: what the engine assumes for a key a file leaves out. */
  private def hfDefaults: ObjectNode = mapper.readTree(
    """{"do_resize": true, "size": {"shortest_edge": 224}, "resample": 3, "do_center_crop": true,
      |"crop_size": {"height": 224, "width": 224}, "do_rescale": true, "rescale_factor": 0.00392156862745098,
      |"do_normalize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073],
      |"image_std": [0.26862954, 0.26130258, 0.27577711]}""".stripMargin).asInstanceOf[ObjectNode]

  /** The folder's preprocessor settings (preprocessor_config.json, else processor_config.json's
   *  image_processor), with the engine's defaults for missing keys. */
  def readFolderConfig(folder: String): ObjectNode = {
    val legacy = Paths.get(folder, "preprocessor_config.json")
    val combined = Paths.get(folder, "processor_config.json")
    val config: JsonNode =
      if (Files.exists(legacy)) read(legacy)
      else if (Files.exists(combined)) Option(read(combined).get("image_processor")).getOrElse(mapper.createObjectNode())
      else mapper.createObjectNode()
    val merged = hfDefaults
    if (config.isObject) {
      config.properties().asScala.foreach { e => if (!e.getValue.isNull) merged.set[JsonNode](e.getKey, e.getValue) }
    }
    merged
  }

  private def read(path: Path): JsonNode = mapper.readTree(Files.readAllBytes(path))

  private def edge(value: JsonNode, square: Boolean): Option[Int] =
    if (value == null || value.isNull) None
    else if (value.isIntegralNumber) Some(value.asInt)
    else if (value.isObject) {
      def field(name: String) = Option(value.get(name)).filter(_.isIntegralNumber).map(_.asInt)
      if (square) field("height") else field("shortest_edge").orElse(field("height"))
    } else None

  private def triple(value: JsonNode): Seq[Double] =
    if (value.isNumber) Seq.fill(3)(value.asDouble) else value.elements().asScala.map(_.asDouble).toSeq

  /** Spark NLP param values describing `config` (as Spark NLP's loadSavedModel sets them). */
  def sparkParams(config: ObjectNode): Params = {
    val centreCrop = Option(config.get("do_center_crop")).forall(_.asBoolean(true))
    val crop = if (centreCrop) edge(config.get("crop_size"), square = true) else None
    Params(
      doResize = config.get("do_resize").asBoolean,
      doNormalize = config.get("do_normalize").asBoolean,
      doRescale = config.get("do_rescale").asBoolean,
      rescaleFactor = config.get("rescale_factor").asDouble,
      imageMean = triple(config.get("image_mean")),
      imageStd = triple(config.get("image_std")),
      resample = config.get("resample").asInt,
      size = crop.orElse(edge(config.get("size"), square = false)).getOrElse(224))
  }

  /** `preprocessor_config.json` keys (as a JSON object with sorted keys) for the params that differ
   *  from the folder's settings, all of them when the folder is unknown. `size` sets both the
   *  resize's shortest edge and the centre crop, as in Spark NLP. */
  def overrides(params: Params, folder: Option[ObjectNode]): String = {
    val base = folder.map(sparkParams)
    val f = JsonNodeFactory.instance
    val out = new java.util.TreeMap[String, JsonNode]()
    def put(differs: Params => Boolean, key: String, value: => JsonNode): Unit =
      if (base.forall(differs)) out.put(key, value)
    def array(values: Seq[Double]): JsonNode = { val a = f.arrayNode(); values.foreach(a.add(_)); a }
    put(_.doResize != params.doResize, "do_resize", f.booleanNode(params.doResize))
    put(_.doNormalize != params.doNormalize, "do_normalize", f.booleanNode(params.doNormalize))
    put(_.doRescale != params.doRescale, "do_rescale", f.booleanNode(params.doRescale))
    put(_.rescaleFactor != params.rescaleFactor, "rescale_factor", f.numberNode(params.rescaleFactor))
    put(_.imageMean != params.imageMean, "image_mean", array(params.imageMean))
    put(_.imageStd != params.imageStd, "image_std", array(params.imageStd))
    put(_.resample != params.resample, "resample", f.numberNode(params.resample))
    if (base.forall(_.size != params.size)) {
      out.put("size", f.objectNode().put("shortest_edge", params.size))
      out.put("crop_size", f.objectNode().put("height", params.size).put("width", params.size))
      out.put("do_center_crop", f.booleanNode(true))
    }
    val node = f.objectNode()
    out.asScala.foreach { case (k, v) => node.set[JsonNode](k, v) }
    mapper.writeValueAsString(node)
  }
}
