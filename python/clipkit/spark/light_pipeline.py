"""A stand-in for Spark NLP's `LightPipeline`: annotate images on the driver, no DataFrame."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Union

from . import schema
from .image_assembler import ImageAssembler
from .worker import classifier_for, format_float
from .zero_shot import CLIPForZeroShotClassification


@dataclass
class Annotation:
    """Spark NLP's `Annotation` (Python side)."""

    annotatorType: str
    begin: int
    end: int
    result: str
    metadata: Dict[str, str]
    embeddings: List[float] = field(default_factory=list)


@dataclass
class AnnotationImage:
    """Spark NLP's `AnnotationImage` (Python side); `result` holds the encoded file."""

    annotatorType: str
    origin: str
    height: int
    width: int
    nChannels: int
    mode: int
    result: bytes
    metadata: Dict[str, str]


class LightPipeline:
    """Runs a fitted pipeline of `ImageAssembler` + `CLIPForZeroShotClassification` on image files
    in this process. Images are decoded by the engine (PIL-exact, EXIF applied), as with
    `format("binaryFile")`."""

    def __init__(self, pipelineModel, parse_embeddings: bool = False):
        stages = getattr(pipelineModel, "stages", [pipelineModel])
        self.assembler = next((s for s in stages if isinstance(s, ImageAssembler)), None)
        self.classifier = next((s for s in stages if isinstance(s, CLIPForZeroShotClassification)), None)
        if self.classifier is None:
            raise ValueError("LightPipeline: the pipeline has no CLIPForZeroShotClassification stage")

    def fullAnnotateImage(self, images: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]) -> List[dict]:
        """One dict per path: {assembler output col: [AnnotationImage], classifier output col:
        [Annotation]} (an empty list for a file that cannot be read or decoded)."""
        paths = [images] if isinstance(images, (str, os.PathLike)) else list(images)
        spec = self.classifier.spec()
        classifier = classifier_for(spec)
        blobs = []
        for p in paths:
            try:
                blobs.append(Path(p).read_bytes())
            except OSError:
                blobs.append(b"")
        batch = classifier.classify(blobs)
        image_col = self.assembler.getOutputCol() if self.assembler else "image_assembler"
        label_col = self.classifier.getOutputCol()
        out = []
        for k, path in enumerate(paths):
            origin = str(path)
            entry = {image_col: [], label_col: []}
            if batch.statuses[k] == 0:
                h, w = int(batch.sizes[k][0]), int(batch.sizes[k][1])
                entry[image_col] = [AnnotationImage(schema.IMAGE, origin, h, w, 3, schema.MODE_8UC3, blobs[k], {})]
                probs = batch.values[k]
                best = int(probs.argmax())
                label = classifier.labels[best]
                metadata = {"image": "0", "origin": origin, "height": str(h), "width": str(w), "nChannels": "3",
                            "mode": str(schema.MODE_8UC3)}
                metadata.update({name: format_float(p) for name, p in zip(classifier.labels, probs)})
                entry[label_col] = [Annotation(schema.CATEGORY, 0, len(label) - 1, label, metadata)]
            out.append(entry)
        return out

    def annotateImage(self, images):
        """As fullAnnotateImage, with only each annotation's `result`."""
        return [{k: [a.result if isinstance(a, Annotation) else a.origin for a in v] for k, v in d.items()}
                for d in self.fullAnnotateImage(images)]
