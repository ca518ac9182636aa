"""Spark NLP's image-feature params ↔ Hugging Face's `preprocessor_config.json` keys."""
import json
from pathlib import Path
from typing import Any, Dict, Optional

#: openai/clip-vit-base-patch32's settings: what the engine assumes for a key a file leaves out.
HF_DEFAULTS = {
    "do_resize": True, "size": {"shortest_edge": 224}, "resample": 3, "do_center_crop": True,
    "crop_size": {"height": 224, "width": 224}, "do_rescale": True, "rescale_factor": 1 / 255,
    "do_normalize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
}


#: SiglipImageProcessor's settings: square resize, no crop, mean = std = 0.5.
SIGLIP_DEFAULTS = {
    "do_resize": True, "size": {"height": 224, "width": 224}, "resample": 3, "do_center_crop": False,
    "crop_size": {"height": 224, "width": 224}, "do_rescale": True, "rescale_factor": 1 / 255,
    "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
}


def _family_defaults(folder: str) -> Dict[str, Any]:
    """The engine's defaults for the folder's model family (config.json's model_type)."""
    try:
        model_type = json.loads((Path(folder) / "config.json").read_text()).get("model_type")
    except (OSError, ValueError, AttributeError):
        model_type = None
    return SIGLIP_DEFAULTS if model_type == "siglip" else HF_DEFAULTS


def read_folder_config(folder: str) -> Dict[str, Any]:
    """The folder's preprocessor settings (preprocessor_config.json, else processor_config.json's
    image_processor), with the engine's defaults of the model's family for missing keys."""
    config: Dict[str, Any] = {}
    legacy = Path(folder) / "preprocessor_config.json"
    combined = Path(folder) / "processor_config.json"
    if legacy.exists():
        config = json.loads(legacy.read_text())
    elif combined.exists():
        config = json.loads(combined.read_text()).get("image_processor") or {}
    merged = dict(_family_defaults(folder))
    merged.update({k: v for k, v in config.items() if v is not None})
    return merged


def _edge(value, square: bool) -> Optional[int]:
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        if square:
            return value.get("height")
        return value.get("shortest_edge") or value.get("height")
    return None


def _triple(value):
    if isinstance(value, (int, float)):
        return [float(value)] * 3
    return [float(v) for v in value]


def spark_params_from(config: Dict[str, Any]) -> Dict[str, Any]:
    """Spark NLP param values describing `config` (as Spark NLP's loadSavedModel sets them)."""
    crop = _edge(config.get("crop_size"), square=True) if config.get("do_center_crop", True) else None
    return {
        "doResize": bool(config["do_resize"]),
        "doNormalize": bool(config["do_normalize"]),
        "doRescale": bool(config["do_rescale"]),
        "rescaleFactor": float(config["rescale_factor"]),
        "imageMean": _triple(config["image_mean"]),
        "imageStd": _triple(config["image_std"]),
        "resample": int(config["resample"]),
        "size": int(crop or _edge(config.get("size"), square=False) or 224),
    }


def overrides(params: Dict[str, Any], folder_config: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """preprocessor_config.json keys for the params that differ from the folder's settings
    (all of them when the folder is unknown). `size` sets both the resize's shortest edge and
    the centre crop, as in Spark NLP; for a folder that resizes to a square without a crop
    (SigLIP), both sides of that square."""
    base = spark_params_from(folder_config) if folder_config is not None else {}
    keys = {"doResize": "do_resize", "doNormalize": "do_normalize", "doRescale": "do_rescale",
            "rescaleFactor": "rescale_factor", "imageMean": "image_mean", "imageStd": "image_std",
            "resample": "resample"}
    out: Dict[str, Any] = {}
    for name, key in keys.items():
        value = params[name]
        if name in ("imageMean", "imageStd"):
            value = [float(v) for v in value]
        if base.get(name) != value:
            out[key] = value
    if base.get("size") != params["size"]:
        n = int(params["size"])
        if folder_config is not None and not folder_config.get("do_center_crop", True):
            # A square resize without crop (SigLIP): `size` is both sides.
            out["size"] = {"height": n, "width": n}
        else:
            out["size"] = {"shortest_edge": n}
            out["crop_size"] = {"height": n, "width": n}
            out["do_center_crop"] = True
    return out
