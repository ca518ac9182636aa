"""A SigLIP model through the ctypes binding, the C ABI and the Spark stage: transformers'
zero-shot pipeline probabilities (sigmoid per label, "This is a photo of {}.") on tiny-siglip,
from Tests/Fixtures/golden/siglip/pipeline.json (scripts/fixtures/siglip.py)."""
import json

import numpy as np
import pytest

import clipkit
from conftest import FIXTURES, TINY_SIGLIP

GOLDEN = json.loads((FIXTURES / "golden" / "siglip" / "pipeline.json").read_text())
LABELS = GOLDEN["labels"]
IMAGES = [FIXTURES / "cli" / r["image"] for r in GOLDEN["results"]]
EXPECTED = np.array([[r["scores"][label] for label in LABELS] for r in GOLDEN["results"]], dtype=np.float32)


def test_classifier_gives_the_pipelines_sigmoid_probabilities():
    result = clipkit.Classifier(str(TINY_SIGLIP), LABELS).classify([p.read_bytes() for p in IMAGES])
    assert result.ok.all()
    np.testing.assert_allclose(result.values, EXPECTED, atol=1e-5)
    assert (np.abs(result.values.sum(axis=1) - 1) > 0.5).all()  # independent per label, not a softmax


def test_an_explicit_template_replaces_the_familys():
    default = clipkit.Classifier(str(TINY_SIGLIP), LABELS).classify([IMAGES[0].read_bytes()])
    explicit = clipkit.Classifier(str(TINY_SIGLIP), LABELS, "This is a photo of {}.").classify([IMAGES[0].read_bytes()])
    bare = clipkit.Classifier(str(TINY_SIGLIP), LABELS, "{}").classify([IMAGES[0].read_bytes()])
    np.testing.assert_array_equal(default.values, explicit.values)
    assert np.abs(bare.values - default.values).max() > 1e-4


@pytest.mark.parametrize("precision,tolerance", [("bf16", 0.01), ("int8", 0.02)])
def test_reduced_precision_stays_within_the_gates(precision, tolerance):
    result = clipkit.Classifier(str(TINY_SIGLIP), LABELS, precision=precision).classify([p.read_bytes() for p in IMAGES])
    assert np.abs(result.values - EXPECTED).max() < tolerance


def test_embedder_matches_transformers():
    embedder = clipkit.Embedder(str(TINY_SIGLIP))
    texts = embedder.embed_texts(GOLDEN["prompts"])
    np.testing.assert_allclose(texts, np.array(GOLDEN["text_embeddings"]), atol=1e-5)
    images = embedder.embed_images([p.read_bytes() for p in IMAGES])
    np.testing.assert_allclose(images.values, np.array([r["image_embedding"] for r in GOLDEN["results"]]), atol=1e-5)


def test_spark_stage_pretrained_siglip(spark, hub, tmp_path):
    from clipkit.spark import CLIPForZeroShotClassification, ImageAssembler

    stage = CLIPForZeroShotClassification.pretrained("google/siglip-base-patch16-224")
    # The folder's SiglipImageProcessor settings: square 96 resize, mean = std = 0.5.
    assert stage.getSize() == 96 and stage.getImageMean() == [0.5, 0.5, 0.5] and stage.getResample() == 3
    for i, path in enumerate(IMAGES):
        (tmp_path / f"{i}_{path.name}").write_bytes(path.read_bytes())
    df = spark.read.format("binaryFile").load(str(tmp_path))
    assembled = ImageAssembler().setInputCol("content").setOutputCol("image_assembler").transform(df)
    stage.setInputCols(["image_assembler"]).setOutputCol("label").setCandidateLabels(LABELS)
    assert stage.spec().preprocessing_json in (None, "{}")  # nothing overrides the folder's settings
    rows = {row["path"].rsplit("/", 1)[-1]: row["label"] for row in stage.transform(assembled).select("path", "label").collect()}
    assert len(rows) == len(IMAGES)
    for i, path in enumerate(IMAGES):
        (annotation,) = rows[f"{i}_{path.name}"]
        for j, label in enumerate(LABELS):
            assert abs(float(annotation["metadata"][label]) - EXPECTED[i, j]) <= 1e-5, (path.name, label)
        assert annotation["result"] == LABELS[int(np.argmax(EXPECTED[i]))]
