// The Scala path's throughput, run by scripts/bench-jvm.sh in spark-shell --master local[C]:
// binaryFile (exact path) and format("image"), each twice (the first run also loads the model and
// embeds the labels in the executor JVM); prints "SPARK <source> <steady seconds> <first seconds>".
import clipkit.spark._
import org.apache.spark.ml.Pipeline

object Throughput {
  def run(): Unit = {
    val images = sys.env("CLIPKIT_BENCH_IMAGES")
    val cores = sys.env("CLIPKIT_BENCH_CORES").toInt
    val labels = Array("a photo of a bird", "a photo of a cat", "a photo of a dog", "a photo of a hen",
      "a photo of a hippo", "a photo of a room", "a photo of a tractor", "a photo of an ostrich", "a photo of an ox")
    val classifier = CLIPForZeroShotClassification.loadSavedModel(sys.env("CLIPKIT_BENCH_MODEL"), spark)
      .setInputCols("image_assembler").setOutputCol("label").setCandidateLabels(labels)
      .setBatchSize(sys.env("CLIPKIT_BENCH_BATCH").toInt)
    for (source <- Seq("binaryFile", "image")) {
      val reader = if (source == "image") spark.read.format("image").option("dropInvalid", true) else spark.read.format(source)
      val df = reader.load(images).repartition(cores).cache()
      df.count()
      val assembler = new ImageAssembler().setInputCol(if (source == "image") "image" else "content")
      val out = new Pipeline().setStages(Array(assembler, classifier)).fit(df).transform(df).select("label.result")
      val timings = (1 to 2).map { _ =>
        val start = System.nanoTime()
        out.write.format("noop").mode("overwrite").save()
        (System.nanoTime() - start) / 1e9
      }
      println(f"SPARK $source ${timings(1)}%.3f ${timings(0)}%.3f")
      df.unpersist()
    }
  }
}
Throughput.run()
