"""Spark ML stages with Spark NLP's names, params and output, backed by the clipkit engine.

    from clipkit.spark import *      # instead of: import sparknlp; from sparknlp.base/annotator import *

`ImageAssembler` → `CLIPForZeroShotClassification` in a `pyspark.ml.Pipeline`; `LightPipeline`
annotates files without a DataFrame. Needs pyspark and pyarrow.
"""
from .image_assembler import ImageAssembler
from .light_pipeline import Annotation, AnnotationImage, LightPipeline
from .zero_shot import CLIPForZeroShotClassification

__all__ = ["ImageAssembler", "CLIPForZeroShotClassification", "LightPipeline", "Annotation", "AnnotationImage"]
