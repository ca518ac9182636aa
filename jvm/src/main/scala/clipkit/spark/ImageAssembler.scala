package clipkit.spark

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param.{Param, ParamMap}
import org.apache.spark.ml.util.{DefaultParamsReadable, DefaultParamsWritable, Identifiable}
import org.apache.spark.sql.{Column, DataFrame, Dataset}
import org.apache.spark.sql.functions._
import org.apache.spark.sql.types.{BinaryType, StructField, StructType}

/** Turns an image column into Spark NLP's `image_assembler` annotation column.
 *
 *  The input is either Spark's `format("image")` struct column (BGR/BGRA/gray pixels decoded by
 *  Java ImageIO; `setInputCol("image")`) or the `content` column of `format("binaryFile")`
 *  (`setInputCol("content")`): then the annotation carries the encoded file, marked by
 *  `mode = -1`, and [[CLIPForZeroShotClassification]] decodes it with the engine's PIL-exact
 *  decoders, EXIF orientation applied — the exact path. `origin` comes from the image struct, or
 *  for binary input from `originCol` (default `path`). Rows without an image (null) get an empty
 *  array. Pure Spark SQL: the same expressions as the Python stage, so the schemas are equal. */
class ImageAssembler(override val uid: String) extends Transformer with DefaultParamsWritable {

  def this() = this(Identifiable.randomUID("ImageAssembler"))

  /** Input column: an image struct or binary file content. */
  final val inputCol: Param[String] = new Param[String](this, "inputCol",
    "input column: an image struct or binary file content")
  /** Output annotation column. */
  final val outputCol: Param[String] = new Param[String](this, "outputCol", "output annotation column")
  /** For binary input: the column naming each file. */
  final val originCol: Param[String] = new Param[String](this, "originCol",
    "for binary input: the column naming each file (default 'path')")

  setDefault(inputCol -> "image", outputCol -> "image_assembler", originCol -> "path")

  /** Sets the input column (an image struct, or binary file content). */
  def setInputCol(value: String): this.type = set(inputCol, value)
  def getInputCol: String = $(inputCol)
  /** Sets the output annotation column. */
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def getOutputCol: String = $(outputCol)
  /** Sets the column naming each file for binary input (default `path`). */
  def setOriginCol(value: String): this.type = set(originCol, value)
  def getOriginCol: String = $(originCol)

  override def transform(dataset: Dataset[_]): DataFrame = {
    val name = getInputCol
    val df = dataset.toDF()
    require(df.columns.contains(name), s"ImageAssembler: no column '$name' in ${df.columns.mkString("[", ", ", "]")}")
    val c = col(name)
    // `when(true, x)` makes x nullable and `coalesce(x, literal)` makes it non-null, so the
    // struct's nullability is exactly Spark NLP's (and the Python stage's).
    def nullable(x: Column): Column = when(lit(true), x)
    val metadata = nullable(map().cast("map<string,string>"))
    val fields: Seq[Column] = df.schema(name).dataType match {
      case _: StructType => Seq(
        coalesce(c("origin"), lit("")).alias("origin"),
        coalesce(c("height"), lit(-1)).alias("height"),
        coalesce(c("width"), lit(-1)).alias("width"),
        coalesce(c("nChannels"), lit(-1)).alias("nChannels"),
        coalesce(c("mode"), lit(-1)).alias("mode"),
        coalesce(c("data"), lit(Array.emptyByteArray)).alias("result"))
      case BinaryType =>
        val origin = if (df.columns.contains(getOriginCol)) col(getOriginCol) else lit("")
        Seq(
          coalesce(origin.cast("string"), lit("")).alias("origin"),
          lit(-1).alias("height"),
          lit(-1).alias("width"),
          lit(-1).alias("nChannels"),
          lit(-1).alias("mode"), // encoded bytes: the engine decodes them
          coalesce(c, lit(Array.emptyByteArray)).alias("result"))
      case other => throw new IllegalArgumentException(
        s"ImageAssembler: column '$name' is ${other.simpleString}; expected Spark's image struct " +
          "(format(\"image\")) or binary content (format(\"binaryFile\"))")
    }
    val annotation = struct((nullable(lit(Schemas.Image)).alias("annotatorType") +: fields) :+
      metadata.alias("metadata"): _*)
    val empty = array().cast(Schemas.AnnotationImageArray)
    val column = when(c.isNull, empty).otherwise(array(nullable(annotation)))
    val out = getOutputCol
    df.withColumn(out, column.as(out, Schemas.annotatorMetadata(Schemas.Image)))
  }

  override def transformSchema(schema: StructType): StructType = {
    val kept = schema.fields.filterNot(_.name == getOutputCol)
    StructType(kept :+ StructField(getOutputCol, Schemas.AnnotationImageArray, nullable = false,
      Schemas.annotatorMetadata(Schemas.Image)))
  }

  override def copy(extra: ParamMap): ImageAssembler = defaultCopy(extra)
}

/** Loads a saved [[ImageAssembler]] (ML persistence). */
object ImageAssembler extends DefaultParamsReadable[ImageAssembler]
