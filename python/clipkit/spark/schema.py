"""Spark NLP's column types, exactly (com.johnsnowlabs.nlp.Annotation / AnnotationImage)."""
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    FloatType,
    IntegerType,
    MapType,
    StringType,
    StructField,
    StructType,
)

#: One annotation (Spark NLP's `Annotation.dataType`).
ANNOTATION = StructType([
    StructField("annotatorType", StringType(), True),
    StructField("begin", IntegerType(), False),
    StructField("end", IntegerType(), False),
    StructField("result", StringType(), True),
    StructField("metadata", MapType(StringType(), StringType(), True), True),
    StructField("embeddings", ArrayType(FloatType(), False), True),
])

#: An annotator's output column (`Annotation.arrayType`).
ANNOTATION_ARRAY = ArrayType(ANNOTATION, True)

#: One image annotation (Spark NLP's `AnnotationImage.dataType`, without the `text` field newer
#: versions append).
ANNOTATION_IMAGE = StructType([
    StructField("annotatorType", StringType(), True),
    StructField("origin", StringType(), False),
    StructField("height", IntegerType(), False),
    StructField("width", IntegerType(), False),
    StructField("nChannels", IntegerType(), False),
    StructField("mode", IntegerType(), False),
    StructField("result", BinaryType(), False),
    StructField("metadata", MapType(StringType(), StringType(), True), True),
])

#: `ImageAssembler`'s output column.
ANNOTATION_IMAGE_ARRAY = ArrayType(ANNOTATION_IMAGE, True)

IMAGE = "image"
CATEGORY = "category"

#: OpenCV type of the RGB images the engine decodes (CV_8UC3), reported for encoded inputs.
MODE_8UC3 = 16
