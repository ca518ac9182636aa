"""clipkit: CLIP zero-shot image classification and embeddings with the clipkit Swift engine.

`Classifier` and `Embedder` wrap `libclipkit.so` through ctypes (numpy in and out). The Spark
stages live in `clipkit.spark`. Importing this module loads nothing heavy: the native library
is opened on first use.
"""
from ._native import (
    BatchResult,
    Classifier,
    ClipkitError,
    Embedder,
    library_path,
    resolve_model,
    version,
)

__all__ = [
    "BatchResult",
    "Classifier",
    "ClipkitError",
    "Embedder",
    "library_path",
    "resolve_model",
    "version",
]
__version__ = "0.1.0"
