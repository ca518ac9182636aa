"""ctypes binding of libclipkit.so (see clipkit.h for the contract)."""
from __future__ import annotations

import ctypes
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

# clipkit_status
OK = 0
STATUS_NAMES = {
    0: "ok",
    1: "invalid argument",
    2: "model error",
    3: "image error",
    4: "inference error",
    5: "unsupported",
}
CHANNELS_BGR = 0
CHANNELS_RGB = 1

_c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_c_void_pp = ctypes.POINTER(ctypes.c_void_p)


class ClipkitError(RuntimeError):
    """A failed call of the native library: `status` is the clipkit_status code."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _Options(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("threads", ctypes.c_int32),
        ("batch_size", ctypes.c_int32),
        ("ignore_exif", ctypes.c_int32),
        ("precision", ctypes.c_char_p),
        ("preprocessor_json", ctypes.c_char_p),
    ]


_lib = None
_lib_lock = threading.Lock()


def library_path() -> Path:
    """The native library used: $CLIPKIT_LIBRARY, else the one installed in the package."""
    given = os.environ.get("CLIPKIT_LIBRARY")
    if given:
        return Path(given)
    return Path(__file__).resolve().parent / "_lib" / "libclipkit.so"


def _load():
    global _lib
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        path = library_path()
        if not path.exists():
            raise ClipkitError(1, f"native library not found at {path} (reinstall with `pip install ./python`, or set CLIPKIT_LIBRARY)")
        lib = ctypes.CDLL(str(path))
        i32, i64, vp, cp = ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p, ctypes.c_char_p
        fp = ctypes.POINTER(ctypes.c_float)
        ip = ctypes.POINTER(ctypes.c_int32)
        lp = ctypes.POINTER(ctypes.c_int64)
        u8 = ctypes.c_void_p
        sig = {
            "clipkit_version": (ctypes.c_char_p, []),
            "clipkit_options_init": (None, [ctypes.POINTER(_Options)]),
            "clipkit_string_free": (None, [vp]),
            "clipkit_resolve_model": (i32, [cp, _c_void_pp, _c_void_pp]),
            "clipkit_classifier_create": (i32, [cp, _c_char_pp, i32, cp, ctypes.POINTER(_Options), _c_void_pp, _c_void_pp]),
            "clipkit_classifier_label_count": (i32, [vp]),
            "clipkit_classifier_classify_encoded": (i32, [vp, i64, u8, lp, fp, ip, ip, _c_void_pp]),
            "clipkit_classifier_classify_pixels": (i32, [vp, i64, u8, lp, ip, ip, ip, i32, fp, ip, ip, _c_void_pp]),
            "clipkit_classifier_free": (None, [vp]),
            "clipkit_embedder_create": (i32, [cp, ctypes.POINTER(_Options), _c_void_pp, _c_void_pp]),
            "clipkit_embedder_dimension": (i32, [vp]),
            "clipkit_embedder_embed_encoded": (i32, [vp, i64, u8, lp, fp, ip, ip, _c_void_pp]),
            "clipkit_embedder_embed_pixels": (i32, [vp, i64, u8, lp, ip, ip, ip, i32, fp, ip, ip, _c_void_pp]),
            "clipkit_embedder_embed_texts": (i32, [vp, i64, _c_char_pp, fp, _c_void_pp]),
            "clipkit_embedder_free": (None, [vp]),
        }
        for name, (restype, argtypes) in sig.items():
            f = getattr(lib, name)
            f.restype = restype
            f.argtypes = argtypes
        _lib = lib
        return lib


def _take_string(lib, pointer: ctypes.c_void_p) -> Optional[str]:
    """Copies and frees a library-allocated string."""
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer).decode("utf-8", "replace")
    finally:
        lib.clipkit_string_free(pointer)


def _check(lib, status: int, error: ctypes.c_void_p) -> None:
    message = _take_string(lib, error.value) if error.value else None
    if status != OK:
        raise ClipkitError(status, message or STATUS_NAMES.get(status, f"status {status}"))


def version() -> str:
    """The native library's version."""
    return _load().clipkit_version().decode()


def resolve_model(model: str) -> str:
    """A local folder for `model`: a folder as is; a Hub id (`org/name[@rev]`) or Spark NLP name
    through the Hugging Face cache (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE)."""
    lib = _load()
    path = ctypes.c_void_p()
    error = ctypes.c_void_p()
    status = lib.clipkit_resolve_model(model.encode(), ctypes.byref(path), ctypes.byref(error))
    _check(lib, status, error)
    return _take_string(lib, path.value) or ""


def _options(threads: int, batch_size: int, ignore_exif: bool, precision: Optional[str],
             preprocessing: Optional[Dict[str, Any]]) -> _Options:
    lib = _load()
    o = _Options()
    lib.clipkit_options_init(ctypes.byref(o))
    o.threads = int(threads or 0)
    o.batch_size = int(batch_size or 0)
    o.ignore_exif = 1 if ignore_exif else 0
    o.precision = precision.encode() if precision else None
    o.preprocessor_json = json.dumps(preprocessing).encode() if preprocessing else None
    return o


@dataclass
class BatchResult:
    """Per-item results of a batch call, in input order.

    values: [n, width] float32 (probabilities in label order, or embeddings); rows of failed
    items are zero. sizes: [n, 2] int32 (height, width of the decoded image; -1 if failed).
    statuses: [n] int32 clipkit_status. errors: the message of each failed item, else None.
    """

    values: np.ndarray
    sizes: np.ndarray
    statuses: np.ndarray
    errors: List[Optional[str]]

    @property
    def ok(self) -> np.ndarray:
        """[n] bool: which items succeeded."""
        return self.statuses == OK


Encoded = Union[bytes, bytearray, memoryview]


def _pack_encoded(images: Sequence[Encoded]) -> Tuple[Any, np.ndarray]:
    """One contiguous buffer and count + 1 int64 offsets (an Arrow binary column's layout)."""
    lengths = np.fromiter((len(b) for b in images), dtype=np.int64, count=len(images))
    offsets = np.zeros(len(images) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.frombuffer(b"".join(bytes(b) for b in images), dtype=np.uint8) if len(images) else np.zeros(1, np.uint8)
    return data, offsets


def _ptr(array: np.ndarray, ctype):
    return array.ctypes.data_as(ctypes.POINTER(ctype))


def _address(data) -> int:
    if isinstance(data, np.ndarray):
        return data.ctypes.data
    return int(data)


class _Engine:
    """What Classifier and Embedder share: the handle and batch calls over both input kinds."""

    _free_name = ""

    def __init__(self):
        self._handle = ctypes.c_void_p()
        self._lib = _load()

    def close(self) -> None:
        """Releases the handle (the model stays loaded for other handles in this process)."""
        if self._handle:
            getattr(self._lib, self._free_name)(self._handle)
            self._handle = ctypes.c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _run(self, fn, width: int, count: int, data, offsets: np.ndarray, pixels=None) -> BatchResult:
        if not self._handle:
            raise ClipkitError(1, "the handle is closed")
        offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        if len(offsets) != count + 1:
            raise ValueError(f"offsets needs {count + 1} entries, got {len(offsets)}")
        values = np.zeros((count, width), dtype=np.float32)
        sizes = np.full((count, 2), -1, dtype=np.int32)
        statuses = np.zeros(count, dtype=np.int32)
        messages = (ctypes.c_void_p * max(count, 1))()
        fp, ip, lp = ctypes.c_float, ctypes.c_int32, ctypes.c_int64
        if pixels is None:
            status = fn(self._handle, count, _address(data), _ptr(offsets, lp), _ptr(values, fp), _ptr(sizes, ip),
                        _ptr(statuses, ip), messages)
        else:
            heights, widths, channels, order = pixels
            status = fn(self._handle, count, _address(data), _ptr(offsets, lp), _ptr(heights, ip), _ptr(widths, ip),
                        _ptr(channels, ip), order, _ptr(values, fp), _ptr(sizes, ip), _ptr(statuses, ip), messages)
        errors = [_take_string(self._lib, messages[i]) for i in range(count)]
        if status != OK:
            raise ClipkitError(status, next((e for e in errors if e), STATUS_NAMES.get(status, "error")))
        return BatchResult(values, sizes, statuses, errors)

    def _encoded(self, fn, width, images: Sequence[Encoded]) -> BatchResult:
        data, offsets = _pack_encoded(images)
        return self._run(fn, width, len(images), data, offsets)

    def _encoded_buffers(self, fn, width, count: int, data_address: int, offsets: np.ndarray) -> BatchResult:
        return self._run(fn, width, count, data_address, offsets)

    def _pixels(self, fn, width, images: Sequence[np.ndarray], order: str) -> BatchResult:
        arrays = [np.ascontiguousarray(a, dtype=np.uint8) for a in images]
        heights = np.array([a.shape[0] for a in arrays], dtype=np.int32)
        widths = np.array([a.shape[1] for a in arrays], dtype=np.int32)
        channels = np.array([a.shape[2] if a.ndim == 3 else 1 for a in arrays], dtype=np.int32)
        data, offsets = _pack_encoded([a.tobytes() for a in arrays])
        return self._run(fn, width, len(arrays), data, offsets, (heights, widths, channels, _order(order)))

    def _pixel_buffers(self, fn, width, count, data_address, offsets, heights, widths, channels, order) -> BatchResult:
        arrays = tuple(np.ascontiguousarray(a, dtype=np.int32) for a in (heights, widths, channels))
        return self._run(fn, width, count, data_address, offsets, arrays + (_order(order),))


def _order(order: str) -> int:
    lowered = order.lower()
    if lowered not in ("bgr", "rgb"):
        raise ValueError(f"order must be 'bgr' or 'rgb', not {order!r}")
    return CHANNELS_BGR if lowered == "bgr" else CHANNELS_RGB


class Classifier(_Engine):
    """Zero-shot classifier: a model plus candidate labels, whose prompts are embedded once.

    model: a model folder, a Hugging Face Hub id or a Spark NLP name. template: the prompt,
    "{}" replaced by each label (None: the model family's, "{}" for CLIP and "This is a photo
    of {}." for SigLIP); a list of templates or a built-in set's name
    ("openai-imagenet", "simple-imagenet") makes an ensemble. Probabilities are the family's:
    softmax over the labels for CLIP, a sigmoid per label for SigLIP. threads: BLAS threads for the process (0: all cores).
    preprocessing: preprocessor_config.json keys overriding the model's (e.g. {"resample": 2}).
    Handles are thread-safe; models are loaded once per process.
    """

    _free_name = "clipkit_classifier_free"

    def __init__(self, model: str, labels: Sequence[str], template: Union[str, Sequence[str], None] = None, *, threads: int = 0,
                 batch_size: int = 8, precision: Optional[str] = "fp32", ignore_exif: bool = False,
                 preprocessing: Optional[Dict[str, Any]] = None):
        super().__init__()
        self.labels = tuple(labels)
        # Several templates (or a built-in set's name) make an ensemble; the C ABI takes one per line.
        self.template = template if template is None or isinstance(template, str) else "\n".join(template)
        encoded = [s.encode() for s in self.labels]
        array = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
        options = _options(threads, batch_size, ignore_exif, precision, preprocessing)
        error = ctypes.c_void_p()
        template_bytes = None if self.template is None else self.template.encode()
        status = self._lib.clipkit_classifier_create(str(model).encode(), array, len(encoded), template_bytes,
                                                     ctypes.byref(options), ctypes.byref(self._handle),
                                                     ctypes.byref(error))
        _check(self._lib, status, error)

    def classify(self, images: Sequence[Encoded]) -> BatchResult:
        """Probabilities [n, labels] for encoded image files (JPEG, PNG, GIF, BMP, WebP)."""
        return self._encoded(self._lib.clipkit_classifier_classify_encoded, len(self.labels), images)

    def classify_files(self, paths: Sequence[Union[str, os.PathLike]]) -> BatchResult:
        """Probabilities for image files; an unreadable file fails alone."""
        blobs = []
        for p in paths:
            try:
                blobs.append(Path(p).read_bytes())
            except OSError:
                blobs.append(b"")
        return self.classify(blobs)

    def classify_pixels(self, images: Sequence[np.ndarray], order: str = "rgb") -> BatchResult:
        """Probabilities for uint8 arrays [height, width] or [height, width, 1|3|4]."""
        return self._pixels(self._lib.clipkit_classifier_classify_pixels, len(self.labels), images, order)

    def classify_buffers(self, count: int, data_address: int, offsets: np.ndarray) -> BatchResult:
        """Encoded images laid out as an Arrow binary column (no copy): image i is
        data[offsets[i]:offsets[i + 1]]; `data_address` must stay valid during the call."""
        return self._encoded_buffers(self._lib.clipkit_classifier_classify_encoded, len(self.labels), count,
                                     data_address, offsets)

    def classify_pixel_buffers(self, count: int, data_address: int, offsets: np.ndarray, heights, widths,
                               channels, order: str = "bgr") -> BatchResult:
        """Raw pixel buffers laid out as an Arrow binary column (Spark's image source: BGR)."""
        return self._pixel_buffers(self._lib.clipkit_classifier_classify_pixels, len(self.labels), count,
                                   data_address, offsets, heights, widths, channels, order)


class Embedder(_Engine):
    """L2-normalised CLIP image and text embeddings. Arguments as Classifier."""

    _free_name = "clipkit_embedder_free"

    def __init__(self, model: str, *, threads: int = 0, batch_size: int = 8, precision: Optional[str] = "fp32",
                 ignore_exif: bool = False, preprocessing: Optional[Dict[str, Any]] = None):
        super().__init__()
        options = _options(threads, batch_size, ignore_exif, precision, preprocessing)
        error = ctypes.c_void_p()
        status = self._lib.clipkit_embedder_create(str(model).encode(), ctypes.byref(options),
                                                   ctypes.byref(self._handle), ctypes.byref(error))
        _check(self._lib, status, error)
        self.dimension = int(self._lib.clipkit_embedder_dimension(self._handle))

    def embed_images(self, images: Sequence[Encoded]) -> BatchResult:
        """Embeddings [n, dimension] of encoded image files."""
        return self._encoded(self._lib.clipkit_embedder_embed_encoded, self.dimension, images)

    def embed_pixels(self, images: Sequence[np.ndarray], order: str = "rgb") -> BatchResult:
        """Embeddings of uint8 arrays [height, width] or [height, width, 1|3|4]."""
        return self._pixels(self._lib.clipkit_embedder_embed_pixels, self.dimension, images, order)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings [n, dimension] of texts."""
        if not self._handle:
            raise ClipkitError(1, "the handle is closed")
        encoded = [t.encode() for t in texts]
        array = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
        out = np.zeros((len(encoded), self.dimension), dtype=np.float32)
        error = ctypes.c_void_p()
        status = self._lib.clipkit_embedder_embed_texts(self._handle, len(encoded), array,
                                                        _ptr(out, ctypes.c_float), ctypes.byref(error))
        _check(self._lib, status, error)
        return out
