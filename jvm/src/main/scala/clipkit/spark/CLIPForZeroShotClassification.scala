package clipkit.spark

import java.io.File

import scala.util.Try

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param._
import org.apache.spark.ml.util.{DefaultParamsReadable, DefaultParamsWritable, Identifiable}
import org.apache.spark.sql.{DataFrame, Dataset, Encoders, Row, SparkSession}
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types.{StructField, StructType}

/** Zero-shot image classification with CLIP, with Spark NLP's params and output, backed by the
 *  clipkit engine through JNI (libclipkit, carried inside this jar).
 *
 *  Input: an `image_assembler` column (see [[ImageAssembler]]). Output: one `category` annotation
 *  per image (`result` = best label; metadata `image`, `origin`, `height`, `width`, `nChannels`,
 *  `mode` and every candidate label → its softmax probability), or an empty array for an image
 *  that cannot be decoded (the reason is logged; no other row is affected).
 *
 *  Runs per partition on the executors: rows are grouped into chunks whose images reach the C ABI
 *  in one call; each executor JVM keeps one engine per settings (model loaded and labels embedded
 *  once), shared by its tasks, with `spark.task.cpus` engine threads per task. Same params,
 *  defaults and schemas as the Python stage (python/clipkit/spark/zero_shot.py). */
class CLIPForZeroShotClassification(override val uid: String) extends Transformer with DefaultParamsWritable {

  def this() = this(Identifiable.randomUID("CLIPForZeroShotClassification"))

  /** Input annotation columns (one image column). */
  final val inputCols: StringArrayParam = new StringArrayParam(this, "inputCols",
    "input annotation columns (one image column)")
  /** Output annotation column. */
  final val outputCol: Param[String] = new Param[String](this, "outputCol", "output annotation column")
  /** Candidate labels. */
  final val candidateLabels: StringArrayParam = new StringArrayParam(this, "candidateLabels",
    "candidate labels (each is embedded as its own prompt)")
  /** Images per call of the vision tower. */
  final val batchSize: IntParam = new IntParam(this, "batchSize", "images per call of the vision tower")
  final val doResize: BooleanParam = new BooleanParam(this, "doResize", "whether to resize the input to a certain size")
  final val doNormalize: BooleanParam = new BooleanParam(this, "doNormalize",
    "whether to normalize the input with mean and standard deviation")
  final val doRescale: BooleanParam = new BooleanParam(this, "doRescale", "whether to rescale the image by rescaleFactor")
  final val rescaleFactor: DoubleParam = new DoubleParam(this, "rescaleFactor", "factor to scale the pixel values by")
  final val imageMean: DoubleArrayParam = new DoubleArrayParam(this, "imageMean",
    "per-channel means used when normalizing")
  final val imageStd: DoubleArrayParam = new DoubleArrayParam(this, "imageStd",
    "per-channel standard deviations used when normalizing")
  final val resample: IntParam = new IntParam(this, "resample",
    "PIL resampling filter (0 nearest, 2 bilinear, 3 bicubic, ...)")
  final val size: IntParam = new IntParam(this, "size", "resize (shortest edge) and centre-crop size")
  /** Model folder, Hugging Face Hub id or Spark NLP name, resolved by every executor. */
  final val modelReference: Param[String] = new Param[String](this, "modelReference",
    "model folder, Hugging Face Hub id or Spark NLP name, resolved by every executor")
  /** Hub endpoint for executors (HF_ENDPOINT), from remoteLoc. */
  final val hubEndpoint: Param[String] = new Param[String](this, "hubEndpoint",
    "Hub endpoint for executors (HF_ENDPOINT), from remote_loc")
  final val template: Param[String] = new Param[String](this, "template",
    "prompt template; {} is replaced by each label")
  final val precision: Param[String] = new Param[String](this, "precision",
    "engine weights precision: fp32 (exact), bf16 or int8")

  setDefault(
    outputCol -> "label",
    candidateLabels -> Array.empty[String],
    batchSize -> 2,
    doNormalize -> true,
    doRescale -> true,
    doResize -> true,
    imageMean -> Array(0.48145466, 0.4578275, 0.40821073),
    imageStd -> Array(0.26862954, 0.26130258, 0.27577711),
    resample -> 2,
    rescaleFactor -> 1 / 255.0,
    size -> 224,
    modelReference -> CLIPForZeroShotClassification.DefaultModel,
    template -> "{}",
    precision -> "fp32")

  // -- params -------------------------------------------------------------------------------

  /** Sets the input annotation column (one name). */
  def setInputCols(value: Array[String]): this.type = set(inputCols, value)
  /** Sets the input annotation column (one name). */
  def setInputCols(value: String*): this.type = setInputCols(value.toArray)
  def getInputCols: Array[String] = $(inputCols)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def getOutputCol: String = $(outputCol)
  /** Sets the candidate labels; each is a full prompt, e.g. "a photo of a cat". */
  def setCandidateLabels(value: Array[String]): this.type = set(candidateLabels, value)
  def getCandidateLabels: Array[String] = $(candidateLabels)
  /** Images per call of the vision tower (default 2, as Spark NLP; 8–32 is faster). */
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def getBatchSize: Int = $(batchSize)
  def setDoResize(value: Boolean): this.type = set(doResize, value)
  def getDoResize: Boolean = $(doResize)
  def setDoNormalize(value: Boolean): this.type = set(doNormalize, value)
  def getDoNormalize: Boolean = $(doNormalize)
  def setDoRescale(value: Boolean): this.type = set(doRescale, value)
  def getDoRescale: Boolean = $(doRescale)
  def setRescaleFactor(value: Double): this.type = set(rescaleFactor, value)
  def getRescaleFactor: Double = $(rescaleFactor)
  def setImageMean(value: Array[Double]): this.type = set(imageMean, value)
  def getImageMean: Array[Double] = $(imageMean)
  def setImageStd(value: Array[Double]): this.type = set(imageStd, value)
  def getImageStd: Array[Double] = $(imageStd)
  /** PIL filter number: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming. */
  def setResample(value: Int): this.type = set(resample, value)
  def getResample: Int = $(resample)
  /** Resize (shortest edge) and centre-crop size; must equal the model's image size. */
  def setSize(value: Int): this.type = set(size, value)
  def getSize: Int = $(size)
  /** Prompt template (clipkit's addition; "{}" — the label itself — by default). */
  def setTemplate(value: String): this.type = set(template, value)
  def getTemplate: String = $(template)
  /** A prompt ensemble (clipkit's addition): templates whose normalised prompt embeddings are
   *  averaged per label, as open_clip does. Replaces setTemplate. */
  def setTemplates(value: Array[String]): this.type = {
    require(value.nonEmpty && !value.exists(_.contains("\n")), "setTemplates: give one or more single-line templates")
    set(template, value.mkString("\n"))
  }
  /** A built-in template set by name ("openai-imagenet", 80 templates; "simple-imagenet", 7). */
  def setTemplates(name: String): this.type = set(template, name)
  /** The templates (one element unless an ensemble or a set name was given). */
  def getTemplates: Array[String] = getTemplate.split("\n", -1)
  /** Engine weights precision (clipkit's addition): "fp32" (exact, default), "bf16" or "int8". */
  def setPrecision(value: String): this.type = set(precision, value)
  def getPrecision: String = $(precision)
  def getModelReference: String = $(modelReference)
  private[spark] def setModelReference(value: String): this.type = set(modelReference, value)
  private[spark] def setHubEndpoint(value: String): this.type = set(hubEndpoint, value)

  private[spark] def setPreprocessing(p: Preprocessing.Params): this.type =
    set(doResize, p.doResize).set(doNormalize, p.doNormalize).set(doRescale, p.doRescale)
      .set(rescaleFactor, p.rescaleFactor).set(imageMean, p.imageMean.toArray).set(imageStd, p.imageStd.toArray)
      .set(resample, p.resample).set(size, p.size)

  private def preprocessing: Preprocessing.Params = Preprocessing.Params(getDoResize, getDoNormalize, getDoRescale,
    getRescaleFactor, getImageMean.toSeq, getImageStd.toSeq, getResample, getSize)

  // -- running ------------------------------------------------------------------------------

  /** What the executors need: model, labels and the preprocessing that differs from the model
   *  folder's (all settings when the driver cannot resolve the folder). */
  private[spark] def engineSpec: EngineSpec = {
    val labels = getCandidateLabels
    require(labels.nonEmpty, "CLIPForZeroShotClassification: call setCandidateLabels first")
    val hub = if (isDefined(hubEndpoint)) Option($(hubEndpoint)).filter(_.nonEmpty) else None
    val folder = Try(Preprocessing.readFolderConfig(Engines.resolve(getModelReference, hub))).toOption
    EngineSpec(getModelReference, labels.toSeq, getTemplate, getBatchSize, Preprocessing.overrides(preprocessing, folder),
      hub, getPrecision)
  }

  override def transform(dataset: Dataset[_]): DataFrame = {
    val df = dataset.toDF()
    val cols = getInputCols
    require(cols.length == 1, s"CLIPForZeroShotClassification takes one image annotation column, got ${cols.mkString(", ")}")
    val input = cols.head
    require(df.columns.contains(input), s"CLIPForZeroShotClassification: no column '$input' in ${df.columns.mkString("[", ", ", "]")}")
    val imageType = df.schema(input).dataType match {
      case org.apache.spark.sql.types.ArrayType(s: StructType, _) => s
      case other => throw new IllegalArgumentException(
        s"CLIPForZeroShotClassification: '$input' is ${other.simpleString}, not an image annotation column")
    }
    val fields = Array("origin", "height", "width", "nChannels", "mode", "result").map(imageType.fieldIndex)
    val output = getOutputCol
    val keep = df.schema.fields.indices.filter(i => df.schema.fields(i).name != output).toArray
    val outSchema = StructType(keep.map(df.schema.fields(_)) :+ StructField(output, Schemas.AnnotationArray, nullable = true))
    val annotator = new PartitionAnnotator(engineSpec, df.schema.fieldIndex(input), keep, fields,
      CLIPForZeroShotClassification.chunkRows(getBatchSize))
    val result = df.mapPartitions((rows: Iterator[Row]) => annotator(rows))(Encoders.row(outSchema))
    result.withColumn(output, col(output).as(output, Schemas.annotatorMetadata(Schemas.Category)))
  }

  override def transformSchema(schema: StructType): StructType = {
    val kept = schema.fields.filterNot(_.name == getOutputCol)
    StructType(kept :+ StructField(getOutputCol, Schemas.AnnotationArray, nullable = true,
      Schemas.annotatorMetadata(Schemas.Category)))
  }

  override def copy(extra: ParamMap): CLIPForZeroShotClassification = defaultCopy(extra)
}

/** Loading: `pretrained(...)`, `loadSavedModel(...)` and ML persistence (`load`, `read`). */
object CLIPForZeroShotClassification extends DefaultParamsReadable[CLIPForZeroShotClassification] {

  /** Spark NLP's default model name (→ openai/clip-vit-base-patch32). */
  val DefaultModel = "zero_shot_classifier_clip_vit_base_patch32"

  /** Engines (model + embedded labels, one per settings and thread count) this JVM holds: a
   *  diagnostic; on the driver of `local[N]` it counts the executors' engines too. */
  def loadedEngines: Int = Engines.count

  /** Rows per engine call: a few vision-tower batches, so decoding overlaps inference. */
  private[spark] def chunkRows(batchSize: Int): Int = math.max(64, 4 * math.max(1, batchSize))

  /** Spark NLP's default model. */
  def pretrained(): CLIPForZeroShotClassification = pretrained(DefaultModel)

  /** A Spark NLP name (`zero_shot_classifier_clip_vit_base_patch32`, `clip_vit_large_patch14`), a
   *  Hugging Face Hub id (`org/name[@revision]`) or a folder. */
  def pretrained(name: String): CLIPForZeroShotClassification = pretrained(name, "en")

  /** As `pretrained(name)`; `lang` is accepted for compatibility (CLIP models are English). */
  def pretrained(name: String, lang: String): CLIPForZeroShotClassification = pretrained(name, lang, null)

  /** As `pretrained(name)`. `remoteLoc` is either a shared folder holding the model (as
   *  `remoteLoc/name`, or itself a model folder) or a Hub endpoint URL. The model is found through
   *  the engine's Hub client: the Hugging Face cache (HF_HOME, HF_HUB_CACHE), HF_HUB_OFFLINE=1,
   *  HF_ENDPOINT, HF_TOKEN — on the driver now and on every executor when it runs. */
  def pretrained(name: String, lang: String, remoteLoc: String): CLIPForZeroShotClassification = {
    val model = new CLIPForZeroShotClassification()
    var reference = name
    var hub: Option[String] = None
    if (remoteLoc != null && remoteLoc.nonEmpty) {
      if (remoteLoc.startsWith("http://") || remoteLoc.startsWith("https://")) {
        hub = Some(remoteLoc)
        model.setHubEndpoint(remoteLoc)
      } else {
        val nested = new File(remoteLoc, name)
        reference = if (nested.isDirectory) nested.getPath else remoteLoc
      }
    }
    val folder = Engines.resolve(reference, hub)
    model.setModelReference(reference).setPreprocessing(Preprocessing.sparkParams(Preprocessing.readFolderConfig(folder)))
  }

  /** A classifier for a local Hugging Face model folder (config.json, model.safetensors,
   *  vocab.json, merges.txt, preprocessor_config.json); `spark` is accepted for Spark NLP
   *  compatibility. On a cluster the folder must be readable by the executors. */
  def loadSavedModel(folder: String, spark: SparkSession): CLIPForZeroShotClassification = {
    val expanded = if (folder.startsWith("~/")) System.getProperty("user.home") + folder.substring(1) else folder
    val path = new File(expanded).getAbsoluteFile
    if (!path.isDirectory) throw new java.io.FileNotFoundException(s"no such model folder: $path")
    new CLIPForZeroShotClassification().setModelReference(path.getPath)
      .setPreprocessing(Preprocessing.sparkParams(Preprocessing.readFolderConfig(path.getPath)))
  }
}
