"""Throughput of CLIPForZeroShotClassification on Spark local[N] against `clipkit classify` on the
same images, per core, measured in one run on one machine.

    python python/benchmarks/spark_throughput.py [--images 128] [--cores 2] [--batch-size 16]

Needs the release build (swift build -c release --product clipkit --product clipkit-bench
--product CLIPKitC) and pyspark, pyarrow, pandas, numpy; Pillow to write the test images.
The model is a random-weight ViT-B/32 from `clipkit-bench write-model` (same cost as the real one).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LABELS = ["a photo of a bird", "a photo of a cat", "a photo of a dog", "a photo of a hen", "a photo of a hippo",
          "a photo of a room", "a photo of a tractor", "a photo of an ostrich", "a photo of an ox"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return " ".join(f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16") if f in flags)
    except OSError:
        pass
    return ""


def write_images(folder: Path, count: int) -> None:
    """`count` JPEGs of photo-like size (500×375, quality 90) with smooth random content."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(count):
        base = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        image = Image.fromarray(base).resize((500, 375), Image.BICUBIC)
        image.save(folder / f"img_{i:04d}.jpg", quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N] and CLI --threads")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--bin", default=str(REPO / ".build" / "release"))
    args = parser.parse_args()
    bin_dir = Path(args.bin)
    os.environ.setdefault("CLIPKIT_LIBRARY", str(bin_dir / "libCLIPKitC.so"))
    sys.path.insert(0, str(REPO / "python"))
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "python"), os.environ.get("PYTHONPATH", "")])

    work = Path(tempfile.mkdtemp(prefix="clipkit-spark-bench-"))
    try:
        model = work / "vit-b32"
        subprocess.run([str(bin_dir / "clipkit-bench"), "write-model", "--preset", "b32", "--out", str(model),
                        "--tokenizer-from", str(REPO / "Tests/Fixtures/models/tiny-clip"), "--prompts", "1"],
                       check=True, capture_output=True)
        images = work / "images"
        images.mkdir()
        write_images(images, args.images)
        print(f"CPU: {cpu_model()} ({os.cpu_count()} logical cores; {cpu_flags()})")
        print(f"{args.images} JPEGs 500x375, random-weight ViT-B/32, {len(LABELS)} labels, "
              f"batch size {args.batch_size}, {args.cores} cores")

        cli = [str(bin_dir / "clipkit"), "classify", "--model", str(model), "--format", "jsonl",
               "--batch-size", str(args.batch_size), "--threads", str(args.cores)]
        for label in LABELS:
            cli += ["--label", label]
        # Steady state, as for Spark's second run: the time of all images minus that of one
        # (model load, label embedding, process start).
        def timed(paths):
            start = time.perf_counter()
            subprocess.run(cli + paths, check=True, capture_output=True)
            return time.perf_counter() - start

        all_images = sorted(str(p) for p in images.iterdir())
        one = min(timed(all_images[:1]) for _ in range(2))
        cli_seconds = timed(all_images)
        cli_rate = (args.images - 1) / (cli_seconds - one)

        from pyspark.sql import SparkSession

        from clipkit.spark import CLIPForZeroShotClassification, ImageAssembler
        from pyspark.ml import Pipeline

        spark = (SparkSession.builder.master(f"local[{args.cores}]").config("spark.ui.enabled", "false")
                 .config("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
                 .config("spark.ui.showConsoleProgress", "false").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        classifier = (CLIPForZeroShotClassification.loadSavedModel(str(model)).setInputCols(["image_assembler"])
                      .setOutputCol("label").setCandidateLabels(LABELS).setBatchSize(args.batch_size))
        results = {}
        for source in ("binaryFile", "image"):
            reader = spark.read.format(source)
            if source == "image":
                reader = reader.option("dropInvalid", True)
            df = reader.load(str(images)).repartition(2 * args.cores)
            assembler = ImageAssembler().setInputCol("content" if source == "binaryFile" else "image")
            pipeline = Pipeline(stages=[assembler, classifier]).fit(df)
            out = pipeline.transform(df).select("label.result")
            timings = []
            for _ in range(2):  # the first run also starts the Python workers and loads the model
                start = time.perf_counter()
                out.write.format("noop").mode("overwrite").save()
                timings.append(time.perf_counter() - start)
            results[source] = (timings[0], timings[1])
        spark.stop()

        per_core_cli = cli_rate / args.cores
        print(f"clipkit classify:        {cli_rate:7.2f} images/s = {per_core_cli:6.2f} per core "
              f"({cli_seconds:.1f} s for all, {one:.1f} s for one image)")
        for source, (first, steady) in results.items():
            rate = args.images / steady
            print(f"Spark {source:<10} local[{args.cores}]: {rate:7.2f} rows/s   = {rate / args.cores:6.2f} per core "
                  f"(steady run {steady:.1f} s; first run {first:.1f} s) → {rate / cli_rate:.2f}× the CLI")
        print(json.dumps({"cpu": cpu_model(), "images": args.images, "cores": args.cores, "cli_per_core": per_core_cli,
                          **{f"spark_{k}_per_core": args.images / v[1] / args.cores for k, v in results.items()}}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
