"""`ImageAssembler`: Spark NLP's entry stage for images, as a pure-SQL pyspark Transformer."""
from pyspark import keyword_only
from pyspark.ml import Transformer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, StructType

from . import schema


class ImageAssembler(Transformer, DefaultParamsReadable, DefaultParamsWritable):
    """Turns an image column into Spark NLP's `image_assembler` annotation column.

    The input is either Spark's `format("image")` struct column (BGR/BGRA/gray pixels decoded by
    Java ImageIO; `setInputCol("image")`) or the `content` column of `format("binaryFile")`
    (`setInputCol("content")`): then the annotation carries the encoded file, marked by
    `mode = -1`, and `CLIPForZeroShotClassification` decodes it with the engine's PIL-exact
    decoders, EXIF orientation applied — the exact path. `origin` comes from the image struct,
    or for binary input from `originCol` (default `path`).

    Rows without an image (NULL) get an empty array. Runs as SQL expressions: no Python worker.
    """

    inputCol = Param(Params._dummy(), "inputCol", "input column: an image struct or binary file content",
                     TypeConverters.toString)
    outputCol = Param(Params._dummy(), "outputCol", "output annotation column", TypeConverters.toString)
    originCol = Param(Params._dummy(), "originCol", "for binary input: the column naming each file (default 'path')",
                      TypeConverters.toString)

    @keyword_only
    def __init__(self, inputCol="image", outputCol="image_assembler", originCol="path"):
        super().__init__()
        self._setDefault(inputCol="image", outputCol="image_assembler", originCol="path")
        self._set(**self._input_kwargs)

    def setInputCol(self, value):
        """Sets the input column (an image struct, or binary file content)."""
        return self._set(inputCol=value)

    def getInputCol(self):
        return self.getOrDefault(self.inputCol)

    def setOutputCol(self, value):
        """Sets the output annotation column."""
        return self._set(outputCol=value)

    def getOutputCol(self):
        return self.getOrDefault(self.outputCol)

    def setOriginCol(self, value):
        """Sets the column naming each file for binary input (default `path`)."""
        return self._set(originCol=value)

    def getOriginCol(self):
        return self.getOrDefault(self.originCol)

    def _transform(self, dataset):
        name = self.getInputCol()
        if name not in dataset.columns:
            raise ValueError(f"ImageAssembler: no column '{name}' in {dataset.columns}")
        kind = dataset.schema[name].dataType
        col = F.col(name)
        # `when(true, x)` makes x nullable and `coalesce(x, literal)` makes it non-null, so the
        # struct's nullability is exactly Spark NLP's (checked by the schema test).
        nullable = lambda x: F.when(F.lit(True), x)  # noqa: E731
        metadata = nullable(F.create_map().cast("map<string,string>"))
        if isinstance(kind, StructType):
            fields = [
                F.coalesce(col["origin"], F.lit("")).alias("origin"),
                F.coalesce(col["height"], F.lit(-1)).alias("height"),
                F.coalesce(col["width"], F.lit(-1)).alias("width"),
                F.coalesce(col["nChannels"], F.lit(-1)).alias("nChannels"),
                F.coalesce(col["mode"], F.lit(-1)).alias("mode"),
                F.coalesce(col["data"], F.lit(bytearray())).alias("result"),
            ]
        elif isinstance(kind, BinaryType):
            origin_col = self.getOriginCol()
            origin = F.col(origin_col) if origin_col in dataset.columns else F.lit("")
            fields = [
                F.coalesce(origin.cast("string"), F.lit("")).alias("origin"),
                F.lit(-1).alias("height"),
                F.lit(-1).alias("width"),
                F.lit(-1).alias("nChannels"),
                F.lit(-1).alias("mode"),  # encoded bytes: the engine decodes them
                F.coalesce(col, F.lit(bytearray())).alias("result"),
            ]
        else:
            raise TypeError(f"ImageAssembler: column '{name}' is {kind.simpleString()}; expected Spark's image "
                            f"struct (format('image')) or binary content (format('binaryFile'))")
        annotation = F.struct(nullable(F.lit(schema.IMAGE)).alias("annotatorType"), *fields, metadata.alias("metadata"))
        empty = F.array().cast(schema.ANNOTATION_IMAGE_ARRAY)
        column = F.when(col.isNull(), empty).otherwise(F.array(nullable(annotation)))
        out = self.getOutputCol()
        return dataset.withColumn(out, column.alias(out, metadata={"annotatorType": schema.IMAGE}))
