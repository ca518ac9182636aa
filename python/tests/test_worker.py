"""The executor-side code without a SparkSession: per-worker caching and Arrow batch handling."""
import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")

import clipkit  # noqa: E402
from clipkit.spark import worker  # noqa: E402
from clipkit.spark.worker import ClassifierSpec, classifier_for, map_batches, task_threads  # noqa: E402
from conftest import GOOD, LABELS, RUN_TO_RUN, TINY  # noqa: E402

IMAGE_TYPE = pa.struct([
    ("annotatorType", pa.string()), pa.field("origin", pa.string(), False), pa.field("height", pa.int32(), False),
    pa.field("width", pa.int32(), False), pa.field("nChannels", pa.int32(), False), pa.field("mode", pa.int32(), False),
    pa.field("result", pa.binary(), False), ("metadata", pa.map_(pa.string(), pa.string())),
])


def spec(labels=LABELS):
    return ClassifierSpec(model=str(TINY), labels=tuple(labels), template="{}", batch_size=2, preprocessing_json=None,
                          threads=1)


def encoded(name, data):
    return {"annotatorType": "image", "origin": name, "height": -1, "width": -1, "nChannels": -1, "mode": -1,
            "result": data, "metadata": []}


def test_one_classifier_per_spec_per_worker():
    assert classifier_for(spec()) is classifier_for(spec())
    assert classifier_for(spec()) is not classifier_for(spec(LABELS[:2]))


def test_batches_keep_every_row_in_place_even_sliced(monkeypatch):
    files = [p.read_bytes() for p in GOOD.values()]
    rows = [
        [encoded("skipped", files[0])],                       # sliced away below
        [encoded("a", files[0])],
        [encoded("bad", b"not an image")],
        None,                                                 # no image column value
        [],                                                   # no image
        [encoded("b", files[1]), encoded("bad2", b""), encoded("c", files[2])],
        [encoded("d", files[3])],
    ]
    column = pa.array(rows, type=pa.list_(IMAGE_TYPE))
    batch = pa.RecordBatch.from_arrays([pa.array(range(len(rows))), column], names=["id", "image_assembler"]).slice(1)
    created = []
    real = clipkit.Classifier

    def counting(*args, **kwargs):
        created.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(clipkit, "Classifier", counting)
    monkeypatch.setattr(worker, "_CACHE", {})
    out = list(map_batches(iter([batch, batch]), "image_assembler", "label", spec()))
    assert len(created) == 1  # model loaded and labels embedded once for both batches
    result = out[0].to_pydict()
    assert result["id"] == [1, 2, 3, 4, 5, 6]
    labels = result["label"]
    assert [len(x) for x in labels] == [1, 0, 0, 0, 2, 1]
    expected = real(str(TINY), LABELS).classify([files[0], files[1], files[2], files[3]]).values
    got = [labels[0][0], labels[4][0], labels[4][1], labels[5][0]]
    assert [dict(a["metadata"])["origin"] for a in got] == ["a", "b", "c", "d"]
    for annotation, probs in zip(got, expected):
        metadata = dict(annotation["metadata"])
        np.testing.assert_allclose([float(metadata[label]) for label in LABELS], probs, atol=RUN_TO_RUN)
        assert annotation["result"] == LABELS[int(np.argmax(probs))]


def test_threads_follow_spark_task_cpus(spark):
    assert task_threads() == 0  # outside a task: all cores
    assert spark.sparkContext.parallelize([0], 1).map(lambda _: task_threads()).collect() == [1]


def test_set_templates_round_trips_and_rejects_multi_line_items():
    from clipkit.spark import CLIPForZeroShotClassification

    stage = CLIPForZeroShotClassification().setTemplates(["a photo of a {}.", "art of a {}."])
    assert stage.getTemplates() == ["a photo of a {}.", "art of a {}."]
    assert CLIPForZeroShotClassification().setTemplates("openai-imagenet").getTemplates() == ["openai-imagenet"]
    with pytest.raises(ValueError):
        CLIPForZeroShotClassification().setTemplates(["two\nlines {}"])
