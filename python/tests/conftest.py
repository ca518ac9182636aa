"""Shared fixtures: the native library, the CLI, test images, a Hub stand-in, one SparkSession.

The library is $CLIPKIT_LIBRARY, else the installed package's, else the repository's
.build/{release,debug}/libCLIPKitC.so; the CLI ($CLIPKIT_CLI, else next to that library) gives
the reference scores.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "Fixtures"
TINY = FIXTURES / "models" / "tiny-clip"
TINY_SIGLIP = FIXTURES / "models" / "tiny-siglip"
LABELS = ["cat", "dog", 'a photo, with "quotes"']

#: How far two runs of the engine may disagree on one image's probability for one label when the
#: order of the labels or the other items of the batch differ (docs/deviations.md, "Batch and
#: label order"). The products see each row at another position, and BLAS kernels sum edge rows in
#: another order: measured up to 2.4e-6 with OpenBLAS's Haswell kernel, 1.8e-7 with its AVX-512
#: kernels. The promise is the parity budget against transformers, |Δp| <= 1e-5; a misplaced row
#: or label moves probabilities by orders of magnitude more.
RUN_TO_RUN = 1e-5

# Good images (every one decodable by both Java ImageIO and the engine) and bad files, named so
# that the bad ones sort between good ones.
GOOD = {
    "1_a.png": FIXTURES / "cli" / "images" / "a.png",
    "2_b.png": FIXTURES / "cli" / "images" / "b.png",
    "4_c.png": FIXTURES / "cli" / "images" / "c.png",
    "5_photo.jpg": FIXTURES / "cli" / "jpeg" / "photo.jpg",
    "7_jpeg_420.jpg": FIXTURES / "images" / "decode" / "jpeg_420.jpg",
    "8_bmp_24.bmp": FIXTURES / "images" / "decode" / "bmp_24.bmp",
}
#: EXIF-rotated: the engine turns it, Java ImageIO does not (binaryFile path only).
EXIF = {"9_exif_6.jpg": FIXTURES / "images" / "decode" / "exif_6.jpg"}
BAD = {
    "3_corrupt.png": FIXTURES / "cli" / "images" / "corrupt.png",
    "6_notes.txt": FIXTURES / "cli" / "images" / "notes.txt",
}


def _find_library() -> Path:
    given = os.environ.get("CLIPKIT_LIBRARY")
    if given:
        return Path(given)
    installed = None
    try:
        import clipkit

        installed = clipkit.library_path()
    except ImportError:
        pass
    if installed and installed.exists():
        return installed
    for config in ("release", "debug"):
        candidate = REPO / ".build" / config / "libCLIPKitC.so"
        if candidate.exists():
            return candidate
    pytest.exit("no libclipkit: build it (swift build) or set CLIPKIT_LIBRARY", returncode=2)


LIBRARY = _find_library()
os.environ.setdefault("CLIPKIT_LIBRARY", str(LIBRARY))
if str(REPO / "python") not in sys.path:
    sys.path.insert(0, str(REPO / "python"))


def _find_cli() -> Path:
    given = os.environ.get("CLIPKIT_CLI")
    if given:
        return Path(given)
    for folder in (LIBRARY.parent, REPO / ".build" / "release", REPO / ".build" / "debug"):
        if (folder / "clipkit").exists():
            return folder / "clipkit"
    pytest.exit("no clipkit CLI next to the library: swift build --product clipkit", returncode=2)


@pytest.fixture(scope="session")
def images_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("images")
    for name, source in {**GOOD, **EXIF, **BAD}.items():
        shutil.copyfile(source, folder / name)
    return folder


@pytest.fixture(scope="session")
def cli_scores(images_dir):
    """{file name: {label: score}} from `clipkit classify --format jsonl` on every image."""
    cli = _find_cli()
    args = [str(cli), "classify", "--model", str(TINY), "--format", "jsonl"]
    for label in LABELS:
        args += ["--label", label]
    files = sorted(str(p) for p in images_dir.iterdir())
    run = subprocess.run(args + files, capture_output=True, text=True, check=True)
    out = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        name = Path(record["path"]).name
        out[name] = {s["label"]: s["score"] for s in record["scores"]} if "scores" in record else None
    return out


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    """A Hub stand-in serving tiny-clip as openai/clip-vit-base-patch32 (the repository behind Spark
    NLP's default name) and as test-org/tiny-clip, tiny-siglip as google/siglip-base-patch16-224,
    with an empty HF cache; HF_ENDPOINT and
    HF_HOME are set before Spark starts so its Python workers inherit them."""
    from hub_stand_in import HubStandIn

    home = tmp_path_factory.mktemp("hf-home")
    with HubStandIn({"openai/clip-vit-base-patch32": TINY, "test-org/tiny-clip": TINY,
                     "google/siglip-base-patch16-224": TINY_SIGLIP}) as stand_in:
        saved = {k: os.environ.get(k) for k in ("HF_ENDPOINT", "HF_HOME", "HF_HUB_OFFLINE", "HF_HUB_CACHE")}
        os.environ["HF_ENDPOINT"] = stand_in.endpoint
        os.environ["HF_HOME"] = str(home)
        os.environ.pop("HF_HUB_OFFLINE", None)
        os.environ.pop("HF_HUB_CACHE", None)
        yield stand_in
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def spark_cwd(tmp_path_factory) -> Path:
    """The Spark JVM's working folder (relative paths such as "images/" resolve against it)."""
    return tmp_path_factory.mktemp("spark-cwd")


@pytest.fixture(scope="session")
def spark(hub, spark_cwd):
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "python"), os.environ.get("PYTHONPATH", "")])
    here = os.getcwd()
    os.chdir(spark_cwd)  # the JVM starts here
    session = (SparkSession.builder.master("local[2]").appName("clipkit-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    os.chdir(here)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
