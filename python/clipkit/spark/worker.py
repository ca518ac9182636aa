"""Executor side of `CLIPForZeroShotClassification`: Arrow batches in, annotation column out.

Runs inside Spark's Python workers (through `DataFrame.mapInArrow`). The classifier is cached
at module level, so with `spark.python.worker.reuse` (Spark's default) a worker loads the model
and embeds the labels once and reuses them for every later partition and task; the native
library also shares one copy of the weights between all classifiers of a process.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

log = logging.getLogger("clipkit.spark")

_CACHE: Dict[Tuple, object] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ClassifierSpec:
    """Everything a worker needs to build (or find) its classifier; pickled to the executors."""

    model: str
    labels: Tuple[str, ...]
    template: str
    batch_size: int
    preprocessing_json: Optional[str]
    hub_endpoint: Optional[str] = None
    threads: int = 0
    precision: str = "fp32"

    def key(self) -> Tuple:
        return (self.model, self.labels, self.template, self.batch_size, self.preprocessing_json,
                self.hub_endpoint, self.threads, self.precision)


def task_threads() -> int:
    """`spark.task.cpus` of the running task (1 by default), else 0 (all cores)."""
    try:
        from pyspark import TaskContext

        context = TaskContext.get()
        if context is not None:
            return max(1, int(context.cpus()))
    except Exception:  # outside a task, or an old pyspark
        pass
    return 0


def classifier_for(spec: ClassifierSpec):
    """The worker's classifier for `spec`, created on first use."""
    from .. import Classifier

    key = spec.key()
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
        if spec.hub_endpoint:
            os.environ["HF_ENDPOINT"] = spec.hub_endpoint
        preprocessing = json.loads(spec.preprocessing_json) if spec.preprocessing_json else None
        # An empty template: the model family's ("{}" for CLIP, "This is a photo of {}." for SigLIP).
        classifier = Classifier(spec.model, list(spec.labels), spec.template or None, threads=spec.threads,
                                batch_size=spec.batch_size, precision=spec.precision,
                                preprocessing=preprocessing)
        _CACHE[key] = classifier
        return classifier


def format_float(x: float) -> str:
    """A probability as Java's `Float.toString` writes it (Spark NLP's metadata values): the
    shortest digits that round-trip the float32, `E` notation outside [1e-3, 1e7)."""
    v = np.float32(x)
    if v == 0 or (1e-3 <= abs(v) < 1e7):
        s = np.format_float_positional(v, unique=True, trim="0")
        return s
    s = np.format_float_scientific(v, unique=True, trim="0", exp_digits=1)
    mantissa, exponent = s.split("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def _binary_layout(array):
    """(data address, int64 offsets) of a pyarrow binary array, honouring its slice offset."""
    import pyarrow as pa

    buffers = array.buffers()
    width = np.int64 if pa.types.is_large_binary(array.type) else np.int32
    offsets = np.frombuffer(buffers[1], dtype=width)[array.offset: array.offset + len(array) + 1].astype(np.int64)
    data = buffers[2]
    return (data.address if data is not None else 0), offsets


def annotate(images, spec: ClassifierSpec) -> Tuple[List[Optional[dict]], int]:
    """Annotations for a flat struct array of image annotations (ANNOTATION_IMAGE): one dict
    per image, or None for an image that failed (logged). Returns them and the failure count."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from . import schema

    n = len(images)
    results: List[Optional[dict]] = [None] * n
    if n == 0:
        return results, 0
    classifier = classifier_for(spec)
    fields = {f.name: images.field(i) for i, f in enumerate(images.type)}
    if images.offset:
        fields = dict(zip([f.name for f in images.type], images.flatten()))
    origin = fields["origin"].to_pylist()
    height = fields["height"].to_numpy(zero_copy_only=False)
    width = fields["width"].to_numpy(zero_copy_only=False)
    channels = fields["nChannels"].to_numpy(zero_copy_only=False)
    mode = fields["mode"].to_numpy(zero_copy_only=False)
    result = fields["result"]
    valid = np.asarray(images.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    failures = 0
    labels = classifier.labels

    encoded = np.flatnonzero(valid & (mode == -1))
    raw = np.flatnonzero(valid & (mode != -1))
    for indices, is_encoded in ((encoded, True), (raw, False)):
        if len(indices) == 0:
            continue
        chosen = pc.take(result, pa.array(indices))
        address, offsets = _binary_layout(chosen)
        if is_encoded:
            batch = classifier.classify_buffers(len(indices), address, offsets)
        else:
            batch = classifier.classify_pixel_buffers(len(indices), address, offsets, height[indices],
                                                      width[indices], channels[indices], order="bgr")
        for k, i in enumerate(indices):
            if batch.statuses[k] != 0:
                failures += 1
                log.warning("clipkit: %s: no annotation: %s", origin[i], batch.errors[k])
                continue
            probs = batch.values[k]
            best = int(np.argmax(probs))
            label = labels[best]
            if is_encoded:
                h, w, c, m = int(batch.sizes[k][0]), int(batch.sizes[k][1]), 3, schema.MODE_8UC3
            else:
                h, w, c, m = int(height[i]), int(width[i]), int(channels[i]), int(mode[i])
            metadata = [("image", "0"), ("origin", origin[i] or ""), ("height", str(h)), ("width", str(w)),
                        ("nChannels", str(c)), ("mode", str(m))]
            metadata += [(name, format_float(p)) for name, p in zip(labels, probs)]
            results[i] = {"annotatorType": schema.CATEGORY, "begin": 0, "end": len(label) - 1, "result": label,
                          "metadata": metadata, "embeddings": []}
    return results, failures


def map_batches(batches: Iterator, input_col: str, output_col: str, spec: ClassifierSpec) -> Iterator:
    """mapInArrow body: each input RecordBatch with the annotation column appended."""
    import pyarrow as pa
    import pyarrow.compute as pc

    annotation_type = pa.list_(pa.struct([
        ("annotatorType", pa.string()), pa.field("begin", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False), ("result", pa.string()),
        ("metadata", pa.map_(pa.string(), pa.string())),
        ("embeddings", pa.list_(pa.field("element", pa.float32(), nullable=False)))]))
    if spec.threads == 0:
        spec = ClassifierSpec(**{**spec.__dict__, "threads": task_threads()})
    for batch in batches:
        column = batch.column(batch.schema.get_field_index(input_col))
        images = column.flatten()
        parents = pc.list_parent_indices(column).to_numpy(zero_copy_only=False) if len(images) else np.zeros(0, int)
        annotations, _ = annotate(images, spec)
        rows: List[list] = [[] for _ in range(batch.num_rows)]
        for parent, annotation in zip(parents, annotations):
            if annotation is not None:
                rows[int(parent)].append(annotation)
        out = pa.array(rows, type=annotation_type)
        keep = [i for i, name in enumerate(batch.schema.names) if name != output_col]
        arrays = [batch.column(i) for i in keep] + [out]
        names = [batch.schema.names[i] for i in keep] + [output_col]
        yield pa.RecordBatch.from_arrays(arrays, names=names)
