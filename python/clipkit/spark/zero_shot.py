"""`CLIPForZeroShotClassification`: Spark NLP's annotator, backed by the clipkit engine."""
from __future__ import annotations

import json
import os
from typing import Optional

from pyspark import keyword_only
from pyspark.ml import Transformer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import functions as F
from pyspark.sql.types import StructField, StructType

from . import preprocessing, schema
from .worker import ClassifierSpec, map_batches

DEFAULT_MODEL = "zero_shot_classifier_clip_vit_base_patch32"


class CLIPForZeroShotClassification(Transformer, DefaultParamsReadable, DefaultParamsWritable):
    """Zero-shot image classification with CLIP, with Spark NLP's params and output.

    Input: an `image_assembler` column (see `ImageAssembler`). Output: one `category`
    annotation per image (`result` = best label; metadata `image`, `origin`, `height`, `width`,
    `nChannels`, `mode` and every candidate label → its softmax probability), or an empty array
    for an image that cannot be decoded (the reason is logged; no other row is affected).

    Runs with `DataFrame.mapInArrow`: image bytes reach the engine without copies through
    Python objects, and the annotation struct (with its map) is returned as is; each Python
    worker loads the model and embeds the labels once (module-level cache), with
    `spark.task.cpus` engine threads.
    """

    inputCols = Param(Params._dummy(), "inputCols", "input annotation columns (one image column)",
                      TypeConverters.toListString)
    outputCol = Param(Params._dummy(), "outputCol", "output annotation column", TypeConverters.toString)
    candidateLabels = Param(Params._dummy(), "candidateLabels", "candidate labels (each is embedded as its own prompt)",
                            TypeConverters.toListString)
    batchSize = Param(Params._dummy(), "batchSize", "images per call of the vision tower", TypeConverters.toInt)
    doResize = Param(Params._dummy(), "doResize", "whether to resize the input to a certain size",
                     TypeConverters.toBoolean)
    doNormalize = Param(Params._dummy(), "doNormalize", "whether to normalize the input with mean and standard deviation",
                        TypeConverters.toBoolean)
    doRescale = Param(Params._dummy(), "doRescale", "whether to rescale the image by rescaleFactor",
                      TypeConverters.toBoolean)
    rescaleFactor = Param(Params._dummy(), "rescaleFactor", "factor to scale the pixel values by",
                          TypeConverters.toFloat)
    imageMean = Param(Params._dummy(), "imageMean", "per-channel means used when normalizing",
                      TypeConverters.toListFloat)
    imageStd = Param(Params._dummy(), "imageStd", "per-channel standard deviations used when normalizing",
                     TypeConverters.toListFloat)
    resample = Param(Params._dummy(), "resample", "PIL resampling filter (0 nearest, 2 bilinear, 3 bicubic, ...)",
                     TypeConverters.toInt)
    size = Param(Params._dummy(), "size", "resize (shortest edge) and centre-crop size", TypeConverters.toInt)
    modelReference = Param(Params._dummy(), "modelReference",
                           "model folder, Hugging Face Hub id or Spark NLP name, resolved by every executor",
                           TypeConverters.toString)
    hubEndpoint = Param(Params._dummy(), "hubEndpoint", "Hub endpoint for executors (HF_ENDPOINT), from remote_loc",
                        TypeConverters.toString)
    template = Param(Params._dummy(), "template", "prompt template; {} is replaced by each label", TypeConverters.toString)
    precision = Param(Params._dummy(), "precision", "engine weights precision: fp32 (exact), bf16 or int8",
                      TypeConverters.toString)

    @keyword_only
    def __init__(self, inputCols=None, outputCol=None):
        super().__init__()
        self._setDefault(
            outputCol="label",
            candidateLabels=[],
            batchSize=2,
            doNormalize=True,
            doRescale=True,
            doResize=True,
            imageMean=[0.48145466, 0.4578275, 0.40821073],
            imageStd=[0.26862954, 0.26130258, 0.27577711],
            resample=2,
            rescaleFactor=1 / 255.0,
            size=224,
            modelReference=DEFAULT_MODEL,
            template="",
            precision="fp32",
        )
        self._set(**self._input_kwargs)

    # -- loading ------------------------------------------------------------------------------

    @staticmethod
    def pretrained(name: str = DEFAULT_MODEL, lang: str = "en", remote_loc: Optional[str] = None):
        """A classifier for a Spark NLP name (`zero_shot_classifier_clip_vit_base_patch32`,
        `clip_vit_large_patch14`), a Hugging Face Hub id (`org/name[@revision]`) or a folder.

        The model is found through the engine's Hub client: the Hugging Face cache (HF_HOME,
        HF_HUB_CACHE), HF_HUB_OFFLINE=1, HF_ENDPOINT, HF_TOKEN. `remote_loc` is either a
        shared folder holding the model (as `remote_loc/name`, or itself a model folder) or a
        Hub endpoint URL. `lang` is accepted for compatibility (CLIP models are English)."""
        from .. import resolve_model

        model = CLIPForZeroShotClassification()
        reference = name
        if remote_loc:
            if remote_loc.startswith(("http://", "https://")):
                os.environ["HF_ENDPOINT"] = remote_loc
                model._set(hubEndpoint=remote_loc)
            else:
                nested = os.path.join(remote_loc, name)
                reference = nested if os.path.isdir(nested) else remote_loc
        folder = resolve_model(reference)
        model._set(modelReference=reference)
        model._set(**preprocessing.spark_params_from(preprocessing.read_folder_config(folder)))
        return model

    @staticmethod
    def loadSavedModel(folder: str, spark_session=None):
        """A classifier for a local Hugging Face model folder (config.json, model.safetensors,
        vocab.json, merges.txt, preprocessor_config.json); `spark_session` is accepted for
        Spark NLP compatibility. On a cluster the folder must be readable by the executors."""
        model = CLIPForZeroShotClassification()
        path = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(path):
            raise FileNotFoundError(f"no such model folder: {path}")
        model._set(modelReference=path)
        model._set(**preprocessing.spark_params_from(preprocessing.read_folder_config(path)))
        return model

    # -- params ---------------------------------------------------------------------------------

    def setInputCols(self, *value):
        """Sets the input annotation column (a list of one name, or names as arguments)."""
        if len(value) == 1 and isinstance(value[0], (list, tuple)):
            value = value[0]
        return self._set(inputCols=list(value))

    def getInputCols(self):
        return self.getOrDefault(self.inputCols)

    def setOutputCol(self, value):
        return self._set(outputCol=value)

    def getOutputCol(self):
        return self.getOrDefault(self.outputCol)

    def setCandidateLabels(self, value):
        """Sets the candidate labels; each is a full prompt, e.g. "a photo of a cat"."""
        return self._set(candidateLabels=list(value))

    def getCandidateLabels(self):
        return self.getOrDefault(self.candidateLabels)

    def setBatchSize(self, value):
        """Images per call of the vision tower (default 2, as Spark NLP; 8–32 is faster)."""
        return self._set(batchSize=value)

    def getBatchSize(self):
        return self.getOrDefault(self.batchSize)

    def setDoResize(self, value):
        return self._set(doResize=value)

    def getDoResize(self):
        return self.getOrDefault(self.doResize)

    def setDoNormalize(self, value):
        return self._set(doNormalize=value)

    def getDoNormalize(self):
        return self.getOrDefault(self.doNormalize)

    def setDoRescale(self, value):
        return self._set(doRescale=value)

    def getDoRescale(self):
        return self.getOrDefault(self.doRescale)

    def setRescaleFactor(self, value):
        return self._set(rescaleFactor=value)

    def getRescaleFactor(self):
        return self.getOrDefault(self.rescaleFactor)

    def setImageMean(self, value):
        return self._set(imageMean=value)

    def getImageMean(self):
        return self.getOrDefault(self.imageMean)

    def setImageStd(self, value):
        return self._set(imageStd=value)

    def getImageStd(self):
        return self.getOrDefault(self.imageStd)

    def setResample(self, value):
        """PIL filter number: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming."""
        return self._set(resample=value)

    def getResample(self):
        return self.getOrDefault(self.resample)

    def setSize(self, value):
        """Resize (shortest edge) and centre-crop size; must equal the model's image size."""
        return self._set(size=value)

    def getSize(self):
        return self.getOrDefault(self.size)

    def setTemplate(self, value):
        """Prompt template (clipkit's addition). Default: the model family's, "{}" (the label
        itself) for CLIP, "This is a photo of {}." (transformers' pipeline) for SigLIP."""
        return self._set(template=value)

    def getTemplate(self):
        return self.getOrDefault(self.template)

    def setTemplates(self, value):
        """A prompt ensemble (clipkit's addition): a list of templates, or a built-in set's name
        ("openai-imagenet", 80 templates; "simple-imagenet", 7). Each label's normalised prompt
        embeddings are averaged and normalised again, as open_clip does. Replaces setTemplate."""
        if isinstance(value, str):
            return self._set(template=value)
        templates = [str(t) for t in value]
        if not templates or any("\n" in t for t in templates):
            raise ValueError("setTemplates: give one or more single-line templates")
        return self._set(template="\n".join(templates))

    def getTemplates(self):
        """The templates as a list (one element unless an ensemble or a set name was given)."""
        return self.getTemplate().split("\n")

    def setPrecision(self, value):
        """Engine weights precision (clipkit's addition): "fp32" (exact, default), "bf16" or "int8"
        (see docs/precision.md for their measured accuracy and speed)."""
        return self._set(precision=value)

    def getPrecision(self):
        return self.getOrDefault(self.precision)

    def getModelReference(self):
        return self.getOrDefault(self.modelReference)

    # -- running ------------------------------------------------------------------------------

    def _preprocessing_params(self):
        names = ["doResize", "doNormalize", "doRescale", "rescaleFactor", "imageMean", "imageStd", "resample", "size"]
        return {n: self.getOrDefault(getattr(self, n)) for n in names}

    def spec(self) -> ClassifierSpec:
        """What the executors need: model, labels and the preprocessing that differs from the
        model folder's (all settings when the driver cannot see the folder)."""
        from .. import resolve_model

        labels = self.getCandidateLabels()
        if not labels:
            raise ValueError("CLIPForZeroShotClassification: call setCandidateLabels first")
        hub = self.getOrDefault(self.hubEndpoint) if self.isDefined(self.hubEndpoint) else None
        if hub:
            os.environ["HF_ENDPOINT"] = hub
        try:
            folder_config = preprocessing.read_folder_config(resolve_model(self.getModelReference()))
        except Exception:
            folder_config = None
        overrides = preprocessing.overrides(self._preprocessing_params(), folder_config)
        return ClassifierSpec(
            model=self.getModelReference(), labels=tuple(labels), template=self.getTemplate(),
            batch_size=int(self.getBatchSize()), preprocessing_json=json.dumps(overrides, sort_keys=True) or None,
            hub_endpoint=hub, precision=self.getPrecision())

    def _transform(self, dataset):
        input_cols = self.getInputCols()
        if len(input_cols) != 1:
            raise ValueError(f"CLIPForZeroShotClassification takes one image annotation column, got {input_cols}")
        input_col = input_cols[0]
        if input_col not in dataset.columns:
            raise ValueError(f"CLIPForZeroShotClassification: no column '{input_col}' in {dataset.columns}")
        output_col = self.getOutputCol()
        spec = self.spec()
        fields = [f for f in dataset.schema.fields if f.name != output_col]
        out_schema = StructType(fields + [StructField(output_col, schema.ANNOTATION_ARRAY, True)])

        def run(batches):
            return map_batches(batches, input_col, output_col, spec)

        result = dataset.mapInArrow(run, out_schema)
        return result.withColumn(output_col, F.col(output_col).alias(output_col,
                                                                      metadata={"annotatorType": schema.CATEGORY}))
