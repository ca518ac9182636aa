package clipkit.spark

import org.apache.spark.sql.types._

/** Spark NLP's column types, exactly (com.johnsnowlabs.nlp.Annotation / AnnotationImage), as the
 *  Python stages write them (python/clipkit/spark/schema.py). */
object Schemas {

  /** One annotation (Spark NLP's `Annotation.dataType`). */
  val Annotation: StructType = StructType(Seq(
    StructField("annotatorType", StringType, nullable = true),
    StructField("begin", IntegerType, nullable = false),
    StructField("end", IntegerType, nullable = false),
    StructField("result", StringType, nullable = true),
    StructField("metadata", MapType(StringType, StringType, valueContainsNull = true), nullable = true),
    StructField("embeddings", ArrayType(FloatType, containsNull = false), nullable = true)))

  /** An annotator's output column (`Annotation.arrayType`). */
  val AnnotationArray: ArrayType = ArrayType(Annotation, containsNull = true)

  /** One image annotation (Spark NLP's `AnnotationImage.dataType`, without the `text` field newer
   *  versions append). */
  val AnnotationImage: StructType = StructType(Seq(
    StructField("annotatorType", StringType, nullable = true),
    StructField("origin", StringType, nullable = false),
    StructField("height", IntegerType, nullable = false),
    StructField("width", IntegerType, nullable = false),
    StructField("nChannels", IntegerType, nullable = false),
    StructField("mode", IntegerType, nullable = false),
    StructField("result", BinaryType, nullable = false),
    StructField("metadata", MapType(StringType, StringType, valueContainsNull = true), nullable = true)))

  /** `ImageAssembler`'s output column. */
  val AnnotationImageArray: ArrayType = ArrayType(AnnotationImage, containsNull = true)

  /** Annotator type of image annotations. */
  val Image = "image"
  /** Annotator type of classification annotations. */
  val Category = "category"
  /** OpenCV type of the RGB images the engine decodes (CV_8UC3), reported for encoded inputs. */
  val Mode8UC3 = 16

  /** Column metadata `{"annotatorType": kind}`. */
  def annotatorMetadata(kind: String): Metadata =
    new MetadataBuilder().putString("annotatorType", kind).build()
}
