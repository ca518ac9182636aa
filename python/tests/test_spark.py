"""The Spark stages on local[2]: the issue's program, both input sources, bad files, save/load,
scores against the CLI, and Spark NLP's exact schemas."""
import io
import json
import math
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

from pyspark.ml import Pipeline, PipelineModel  # noqa: E402
from pyspark.sql.types import (  # noqa: E402
    ArrayType, BinaryType, FloatType, IntegerType, MapType, StringType, StructField, StructType,
)

from clipkit.spark import CLIPForZeroShotClassification, ImageAssembler, LightPipeline  # noqa: E402
from clipkit.spark.worker import format_float  # noqa: E402
from conftest import BAD, EXIF, GOOD, LABELS, RUN_TO_RUN, TINY  # noqa: E402

# Spark NLP 5.x, written out (com.johnsnowlabs.nlp.Annotation / AnnotationImage .dataType).
SEED_ANNOTATION = ArrayType(StructType([
    StructField("annotatorType", StringType(), True),
    StructField("begin", IntegerType(), False),
    StructField("end", IntegerType(), False),
    StructField("result", StringType(), True),
    StructField("metadata", MapType(StringType(), StringType(), True), True),
    StructField("embeddings", ArrayType(FloatType(), False), True),
]), True)
SEED_IMAGE_FIELDS = [
    StructField("annotatorType", StringType(), True),
    StructField("origin", StringType(), False),
    StructField("height", IntegerType(), False),
    StructField("width", IntegerType(), False),
    StructField("nChannels", IntegerType(), False),
    StructField("mode", IntegerType(), False),
    StructField("result", BinaryType(), False),
    StructField("metadata", MapType(StringType(), StringType(), True), True),
]
SEED_IMAGE = ArrayType(StructType(SEED_IMAGE_FIELDS), True)
#: Newer Spark NLP versions append a `text` field; both are Spark NLP's.
SEED_IMAGE_WITH_TEXT = ArrayType(StructType(SEED_IMAGE_FIELDS + [StructField("text", StringType(), True)]), True)

SEED_LABELS = ["a photo of a bird", "a photo of a cat", "a photo of a dog", "a photo of a hen",
               "a photo of a hippo", "a photo of a room", "a photo of a tractor", "a photo of an ostrich",
               "a photo of an ox"]

# The issue's program; only the first line differs from Spark NLP's.
USER_PROGRAM = '''
from clipkit.spark import *          # was: import sparknlp; from sparknlp.base import *; from sparknlp.annotator import *
from pyspark.ml import Pipeline
imageDF = spark.read.format("image").option("dropInvalid", value=True).load("images/")
imageAssembler = ImageAssembler().setInputCol("image").setOutputCol("image_assembler")
imageClassifier = CLIPForZeroShotClassification.pretrained() \\
    .setInputCols(["image_assembler"]).setOutputCol("label").setCandidateLabels(candidateLabels)
pipeline = Pipeline().setStages([imageAssembler, imageClassifier])
pipeline.fit(imageDF).transform(imageDF) \\
  .selectExpr("reverse(split(image.origin, '/'))[0] as image_name", "label.result").show(truncate=False)
'''


def assert_same_annotations(a: dict, b: dict, tolerance: float = RUN_TO_RUN) -> None:
    """Equal annotations per file, probabilities within `tolerance` (a batch of another
    composition sums in another order inside BLAS: conftest.RUN_TO_RUN)."""
    assert set(a) == set(b)
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for x, y in zip(a[name], b[name]):
            assert (x["result"], x["begin"], x["end"]) == (y["result"], y["begin"], y["end"]), name
            assert set(x["metadata"]) == set(y["metadata"]), name
            for key, value in x["metadata"].items():
                if key in LABELS:
                    assert abs(float(value) - float(y["metadata"][key])) <= tolerance, (name, key)
                else:
                    assert value == y["metadata"][key], (name, key)


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def model():
    return (CLIPForZeroShotClassification.loadSavedModel(str(TINY))
            .setInputCols(["image_assembler"]).setOutputCol("label").setCandidateLabels(LABELS).setBatchSize(4))


@pytest.fixture(scope="module")
def binary_rows(spark, images_dir, model):
    df = spark.read.format("binaryFile").load(str(images_dir))
    pipeline = Pipeline(stages=[ImageAssembler().setInputCol("content"), model]).fit(df)
    return {name_of(r["path"]): r["label"] for r in pipeline.transform(df).select("path", "label").collect()}


def test_the_issues_program_runs_with_only_the_import_changed(spark, spark_cwd, hub, images_dir, monkeypatch):
    (spark_cwd / "images").mkdir(exist_ok=True)
    for p in images_dir.iterdir():
        shutil.copyfile(p, spark_cwd / "images" / p.name)
    monkeypatch.chdir(spark_cwd)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(USER_PROGRAM, {"spark": spark, "candidateLabels": SEED_LABELS})
    lines = [line for line in out.getvalue().splitlines() if line.startswith("|")]
    assert [c.strip() for c in lines[0].strip("|").split("|")] == ["image_name", "result"]
    rows = {c[0].strip(): c[1].strip() for c in (line.strip("|").split("|") for line in lines[1:])}
    # ImageIO decodes every good file; dropInvalid drops the two bad ones.
    assert set(rows) == set(GOOD) | set(EXIF)
    for result in rows.values():
        assert result.startswith("[a photo of") and result.endswith("]")
    assert hub.requests > 0  # the model came through the Hub client


def test_pretrained_resolves_names_and_hub_ids_and_sets_the_folders_preprocessing(hub):
    by_name = CLIPForZeroShotClassification.pretrained()
    by_id = CLIPForZeroShotClassification.pretrained("test-org/tiny-clip", lang="en")
    assert by_name.getModelReference() == "zero_shot_classifier_clip_vit_base_patch32"
    assert by_id.getModelReference() == "test-org/tiny-clip"
    # tiny-clip's preprocessor_config.json says bicubic; the seed's default is bilinear.
    assert CLIPForZeroShotClassification().getResample() == 2
    assert by_id.getResample() == 3 and by_id.getSize() == 224


def test_seed_defaults_setters_and_getters():
    c = CLIPForZeroShotClassification()
    assert c.getBatchSize() == 2
    assert c.getSize() == 224 and c.getDoResize() and c.getDoNormalize() and c.getDoRescale()
    assert math.isclose(c.getRescaleFactor(), 1 / 255)
    assert c.getImageMean() == [0.48145466, 0.4578275, 0.40821073]
    assert c.getImageStd() == [0.26862954, 0.26130258, 0.27577711]
    c.setBatchSize(16).setDoNormalize(False).setDoRescale(False).setRescaleFactor(0.5).setImageMean([0, 0, 0]) \
        .setImageStd([1, 1, 1]).setResample(0).setSize(200).setDoResize(False).setCandidateLabels(["x"]) \
        .setInputCols("a").setOutputCol("b")
    assert (c.getBatchSize(), c.getDoNormalize(), c.getDoRescale(), c.getRescaleFactor()) == (16, False, False, 0.5)
    assert (c.getImageMean(), c.getImageStd(), c.getResample(), c.getSize()) == ([0, 0, 0], [1, 1, 1], 0, 200)
    assert (c.getDoResize(), c.getCandidateLabels(), c.getInputCols(), c.getOutputCol()) == (False, ["x"], ["a"], "b")


def test_schemas_are_exactly_spark_nlps(spark, images_dir, model):
    df = spark.read.format("image").option("dropInvalid", True).load(str(images_dir))
    assembled = ImageAssembler().setInputCol("image").setOutputCol("image_assembler").transform(df)
    assert assembled.schema["image_assembler"].dataType in (SEED_IMAGE, SEED_IMAGE_WITH_TEXT)
    assert assembled.schema["image_assembler"].metadata == {"annotatorType": "image"}
    labelled = model.transform(assembled)
    assert labelled.schema["label"].dataType == SEED_ANNOTATION
    assert labelled.schema["label"].metadata == {"annotatorType": "category"}
    assert labelled.columns == df.columns + ["image_assembler", "label"]
    binary = spark.read.format("binaryFile").load(str(images_dir))
    assert ImageAssembler().setInputCol("content").transform(binary).schema["image_assembler"].dataType == SEED_IMAGE


def test_binary_files_score_as_the_cli_and_bad_files_get_empty_arrays(binary_rows, cli_scores):
    assert set(binary_rows) == set(GOOD) | set(EXIF) | set(BAD)
    for name in BAD:
        assert binary_rows[name] == [], name
        assert cli_scores[name] is None
    for name in list(GOOD) + list(EXIF):
        (annotation,) = binary_rows[name]
        expected = cli_scores[name]
        assert annotation["annotatorType"] == "category"
        assert annotation["result"] == max(expected, key=expected.get)
        assert (annotation["begin"], annotation["end"]) == (0, len(annotation["result"]) - 1)
        assert annotation["embeddings"] == []
        metadata = annotation["metadata"]
        assert set(metadata) == {"image", "origin", "height", "width", "nChannels", "mode", *LABELS}
        assert metadata["image"] == "0" and name_of(metadata["origin"]) == name
        for label in LABELS:
            assert abs(float(metadata[label]) - expected[label]) <= RUN_TO_RUN, (name, label)


def test_exif_orientation_is_applied_on_the_binary_path(binary_rows):
    import clipkit

    (annotation,) = binary_rows["9_exif_6.jpg"]
    stored = clipkit.Classifier(str(TINY), LABELS, ignore_exif=True).classify([EXIF["9_exif_6.jpg"].read_bytes()])
    h, w = stored.sizes[0]
    assert h != w
    # Orientation 6 turns the image by 90°: the engine reports the turned size.
    assert (int(annotation["metadata"]["height"]), int(annotation["metadata"]["width"])) == (w, h)


def test_image_source_with_invalid_rows_in_the_middle(spark, images_dir, model, cli_scores):
    df = spark.read.format("image").option("dropInvalid", False).load(str(images_dir)).coalesce(1)
    rows = Pipeline(stages=[ImageAssembler(), model]).fit(df).transform(df) \
        .select("image.origin", "image.height", "label").collect()
    by_name = {name_of(r["origin"]): r for r in rows}
    assert set(by_name) == set(GOOD) | set(EXIF) | set(BAD)
    for name in BAD:
        assert by_name[name]["height"] == -1 and by_name[name]["label"] == []
    for name in GOOD:  # Java ImageIO decodes differently in places: top-1 must agree
        (annotation,) = by_name[name]["label"]
        expected = cli_scores[name]
        assert annotation["result"] == max(expected, key=expected.get), name
        assert annotation["metadata"]["mode"] in ("0", "16", "24")
        assert int(annotation["metadata"]["height"]) == by_name[name]["height"]


def test_png_pixels_from_the_image_source_score_as_the_cli(spark, images_dir, model, cli_scores):
    """Lossless files decode to the same pixels in ImageIO, so even the BGR path is exact there."""
    df = spark.read.format("image").option("dropInvalid", True).load(str(images_dir))
    rows = Pipeline(stages=[ImageAssembler(), model]).fit(df).transform(df).select("image.origin", "label").collect()
    for r in rows:
        name = name_of(r["origin"])
        if name.endswith((".png", ".bmp")):
            for label in LABELS:
                assert abs(float(r["label"][0]["metadata"][label]) - cli_scores[name][label]) <= RUN_TO_RUN


def test_fitted_pipeline_saves_and_loads_with_its_params(spark, images_dir, model, tmp_path, binary_rows):
    df = spark.read.format("binaryFile").load(str(images_dir))
    tuned = model.copy().setResample(3).setBatchSize(8)
    fitted = Pipeline(stages=[ImageAssembler().setInputCol("content").setOutputCol("image_assembler"), tuned]).fit(df)
    path = str(tmp_path / "pipeline")
    fitted.write().overwrite().save(path)
    loaded = PipelineModel.load(path)
    assembler, classifier = loaded.stages
    assert isinstance(assembler, ImageAssembler) and isinstance(classifier, CLIPForZeroShotClassification)
    assert assembler.getInputCol() == "content"
    assert classifier.getCandidateLabels() == LABELS and classifier.getBatchSize() == 8
    assert classifier.getModelReference() == str(TINY) and classifier.getResample() == 3
    again = {name_of(r["path"]): r["label"] for r in loaded.transform(df).select("path", "label").collect()}
    assert_same_annotations(again, binary_rows)


def test_preprocessing_setters_reach_the_engine(spark, images_dir, model, binary_rows):
    df = spark.read.format("binaryFile").load(str(images_dir))
    nearest = Pipeline(stages=[ImageAssembler().setInputCol("content"), model.copy().setResample(0)]).fit(df)
    rows = {name_of(r["path"]): r["label"] for r in nearest.transform(df).select("path", "label").collect()}
    import clipkit

    direct = clipkit.Classifier(str(TINY), LABELS, preprocessing={"resample": 0})
    for name, source in GOOD.items():
        expected = direct.classify([source.read_bytes()]).values[0]
        got = np.array([float(rows[name][0]["metadata"][label]) for label in LABELS])
        np.testing.assert_allclose(got, expected, atol=RUN_TO_RUN)
        assert rows[name][0]["metadata"] != binary_rows[name][0]["metadata"]


def test_light_pipeline_matches_the_dataframe(spark, images_dir, model, binary_rows):
    df = spark.read.format("binaryFile").load(str(images_dir))
    fitted = Pipeline(stages=[ImageAssembler().setInputCol("content"), model]).fit(df)
    paths = sorted(str(p) for p in images_dir.iterdir())
    annotated = LightPipeline(fitted).fullAnnotateImage(paths)
    assert len(annotated) == len(paths)
    for path, entry in zip(paths, annotated):
        name = name_of(path)
        if name in BAD:
            assert entry["label"] == [] and entry["image_assembler"] == []
            continue
        (annotation,) = entry["label"]
        expected = binary_rows[name][0]
        assert annotation.result == expected["result"]
        for label in LABELS:  # batches differ in composition: BLAS sums in another order
            assert abs(float(annotation.metadata[label]) - float(expected["metadata"][label])) <= RUN_TO_RUN
    assert LightPipeline(fitted).annotateImage(paths[0])[0]["label"] == [binary_rows[name_of(paths[0])][0]["result"]]


def test_probabilities_are_written_as_java_floats():
    assert format_float(0.98312736) == "0.98312736"
    assert format_float(7.355881e-4) == "7.355881E-4"
    assert format_float(1e-10) == "1.0E-10"
    assert format_float(0.5) == "0.5"
    for x in (0.1234567, 3.3e-5, 0.999999, 12345.678):
        assert np.float32(float(format_float(x))) == np.float32(x)
