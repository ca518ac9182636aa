"""Schema equality of the JVM stages with the Python stages (python/clipkit/spark), run by
scripts/test-jvm.sh after checks.scala wrote the Scala stages' fields to <out>/scala-schemas.json.

    schema_check.py <images> <tiny-model> <out>

Builds the same three columns with the Python stages (image assembler on format("image"), the label
column, the assembler on binaryFile) and compares each StructField (name, type with nullability,
metadata) with the Scala one. Prints PASS/FAIL lines like checks.scala."""
import json
import sys
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from clipkit.spark import CLIPForZeroShotClassification, ImageAssembler

images, tiny, out = sys.argv[1:4]
spark = (SparkSession.builder.master("local[1]").appName("clipkit-schema").config("spark.ui.enabled", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
try:
    df = spark.read.format("image").option("dropInvalid", True).load(images)
    assembled = ImageAssembler().setInputCol("image").setOutputCol("image_assembler").transform(df)
    labelled = (CLIPForZeroShotClassification.loadSavedModel(tiny).setInputCols(["image_assembler"])
                .setOutputCol("label").setCandidateLabels(["cat", "dog"]).transform(assembled))
    binary = ImageAssembler().setInputCol("content").transform(spark.read.format("binaryFile").load(images))
    python = [assembled.schema["image_assembler"], labelled.schema["label"], binary.schema["image_assembler"]]
    scala = StructType.fromJson(json.loads(Path(out, "scala-schemas.json").read_text())).fields
    names = ["image_assembler (format image)", "label", "image_assembler (binaryFile)"]
    for name, p, s in zip(names, python, scala):
        if p.jsonValue() == s.jsonValue():
            print(f"PASS schema of {name} equals the Python stage's")
        else:
            print(f"FAIL schema of {name}: Python {p.jsonValue()} vs Scala {s.jsonValue()}")
finally:
    spark.stop()
