"""The Python side of scripts/test-spark-cluster.sh, submitted to the standalone cluster with a venv
holding only PySpark (and its Arrow/pandas needs) and the wheel of scripts/build-wheel.sh:

    cluster_job.py <cwd with images/> <cli.jsonl> <tiny-model>

Runs the issue's Python program (only the import changed; pretrained() through the Hub stand-in),
then binaryFile against `clipkit classify` (run-to-run bound 1e-5), and checks that the Python workers loaded the
wheel's Swift runtime. Prints PASS/FAIL lines."""
import io
import json
import os
import sys
from contextlib import redirect_stdout

from pyspark.sql import SparkSession

cwd, cli_path, tiny = sys.argv[1:4]
spark = SparkSession.builder.appName("clipkit-cluster-python").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
os.chdir(cwd)
candidateLabels = ["a photo of a bird", "a photo of a cat", "a photo of a dog", "a photo of a hen",
                   "a photo of a hippo", "a photo of a room", "a photo of a tractor", "a photo of an ostrich",
                   "a photo of an ox"]
PROGRAM = '''
from clipkit.spark import *          # was: import sparknlp; from sparknlp.base import *; from sparknlp.annotator import *
from pyspark.ml import Pipeline
imageDF = spark.read.format("image").option("dropInvalid", value=True).load("images/")
imageAssembler = ImageAssembler().setInputCol("image").setOutputCol("image_assembler")
imageClassifier = CLIPForZeroShotClassification.pretrained() \\
    .setInputCols(["image_assembler"]).setOutputCol("label").setCandidateLabels(candidateLabels)
pipeline = Pipeline().setStages([imageAssembler, imageClassifier])
pipeline.fit(imageDF).transform(imageDF) \\
  .selectExpr("reverse(split(image.origin, '/'))[0] as image_name", "label.result").show(truncate=False)
'''


def check(name, body):
    try:
        body()
        print(f"PASS {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - reported, counted by the script
        print(f"FAIL {name}: {e!r}", flush=True)


def seed():
    out = io.StringIO()
    with redirect_stdout(out):
        exec(PROGRAM, {"spark": spark, "candidateLabels": candidateLabels})
    print(out.getvalue())
    rows = [line for line in out.getvalue().splitlines() if line.startswith("|")]
    assert [c.strip() for c in rows[0].strip("|").split("|")] == ["image_name", "result"], rows[:1]
    assert len(rows) == 8, f"{len(rows) - 1} rows"
    assert all(r.strip("|").split("|")[1].strip().startswith("[a photo of") for r in rows[1:])


def binary():
    from pyspark.ml import Pipeline

    from clipkit.spark import CLIPForZeroShotClassification, ImageAssembler

    labels = ["cat", "dog", 'a photo, with "quotes"']
    cli = {}
    for line in open(cli_path):
        r = json.loads(line)
        cli[r["path"].rsplit("/", 1)[-1]] = {s["label"]: s["score"] for s in r["scores"]} if "scores" in r else None
    df = spark.read.format("binaryFile").load(os.path.join(cwd, "images")).repartition(4)
    model = CLIPForZeroShotClassification.loadSavedModel(tiny).setInputCols(["image_assembler"]) \
        .setOutputCol("label").setCandidateLabels(labels).setBatchSize(4)
    rows = Pipeline(stages=[ImageAssembler().setInputCol("content"), model]).fit(df).transform(df) \
        .select("path", "label").collect()
    assert len(rows) == len(cli)
    worst = 0.0
    for r in rows:
        expected = cli[r["path"].rsplit("/", 1)[-1]]
        if expected is None:
            assert r["label"] == [], r["path"]
            continue
        for label in labels:
            worst = max(worst, abs(float(r["label"][0]["metadata"][label]) - expected[label]))
    print(f"    max |Δp| against clipkit classify: {worst:.3g}")
    assert worst <= 1e-5, worst  # docs/deviations.md, "Batch and label order"


def workers():
    def probe(_):
        import clipkit

        clipkit.Classifier(tiny, ["a", "b"])  # loads the native library
        maps = {line.split()[-1] for line in open("/proc/self/maps") if "libswiftCore" in line}
        yield (os.environ.get("PATH", ""), os.environ.get("LD_LIBRARY_PATH", ""), ",".join(sorted(maps)),
               str(clipkit.library_path().parent))

    seen = spark.sparkContext.parallelize(range(4), 4).mapPartitions(probe).collect()
    for path, ld, maps, folder in seen:
        assert "swift" not in path and "swift" not in ld, (path, ld)
        assert maps and all(m.startswith(folder) for m in maps.split(",")), (maps, folder)
    print(f"    Python workers load libswiftCore from {sorted({m for _, _, m, _ in seen})}")


check("cluster (Python wheel): the issue's Python program", seed)
check("cluster (Python wheel): binaryFile scores equal the CLI's (run-to-run bound 1e-5)", binary)
check("cluster (Python wheel): workers without Swift on PATH/LD_LIBRARY_PATH use the wheel's runtime", workers)
spark.stop()
