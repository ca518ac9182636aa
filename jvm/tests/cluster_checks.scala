// Checks on a standalone cluster, run by scripts/test-spark-cluster.sh after seed.scala in the same
// spark-shell: binaryFile scores equal the CLI's on two executors, and the executors loaded the
// Swift runtime from the jar's extracted folder, not from a toolchain. Environment as checks.scala.
import clipkit.spark._
import org.apache.spark.ml.Pipeline
import org.apache.spark.sql.Row

object ClusterChecks {
  val images = sys.env("CLIPKIT_TEST_IMAGES")
  val labels = Array("cat", "dog", "a photo, with \"quotes\"")

  def check(name: String)(body: => Unit): Unit =
    try { body; println(s"PASS $name") }
    catch { case t: Throwable => println(s"FAIL $name: $t") }

  def expect(condition: Boolean, what: => String): Unit = if (!condition) throw new AssertionError(what)

  def nameOf(path: String): String = path.substring(path.lastIndexOf('/') + 1)

  def run(): Unit = {
    check("cluster: binaryFile scores on the executors equal the CLI's (run-to-run bound 1e-5), bad files empty") {
      val mapper = new com.fasterxml.jackson.databind.ObjectMapper()
      val cli = scala.io.Source.fromFile(sys.env("CLIPKIT_TEST_CLI")).getLines().filter(_.trim.nonEmpty).map { line =>
        val r = mapper.readTree(line)
        nameOf(r.get("path").asText) -> Option(r.get("scores")).map(s =>
          (0 until s.size).map(i => s.get(i).get("label").asText -> s.get(i).get("score").asDouble).toMap)
      }.toMap
      val df = spark.read.format("binaryFile").load(images).repartition(4)
      val model = CLIPForZeroShotClassification.pretrained("test-org/tiny-clip")
        .setInputCols("image_assembler").setCandidateLabels(labels).setBatchSize(4)
      val fitted = new Pipeline().setStages(Array(new ImageAssembler().setInputCol("content"), model)).fit(df)
      val rows = fitted.transform(df).select("path", "label").collect()
      expect(rows.length == cli.size, s"${rows.length} rows")
      var worst = 0.0
      for (r <- rows) {
        val name = nameOf(r.getString(0))
        val annotations = r.getSeq[Row](1)
        cli(name) match {
          case None => expect(annotations.isEmpty, s"$name should be empty")
          case Some(expected) =>
            val m = annotations.head.getAs[scala.collection.Map[String, String]]("metadata")
            for (label <- labels) worst = math.max(worst, math.abs(m(label).toDouble - expected(label)))
        }
      }
      expect(worst <= 1e-5 /* docs/deviations.md, "Batch and label order" */, s"max |Δp| = $worst")
      println(s"    max |Δp| against clipkit classify: $worst")
    }

    check("cluster: two executors, no Swift on PATH or LD_LIBRARY_PATH, Swift runtime from the jar") {
      val seen = spark.sparkContext.parallelize(1 to 8, 8).map { _ =>
        clipkit.spark.NativeEngine.load()
        val maps = scala.io.Source.fromFile("/proc/self/maps").getLines().map(_.split("\\s+").last)
          .filter(_.contains("libswiftCore")).toSet
        (org.apache.spark.SparkEnv.get.executorId, sys.env.getOrElse("PATH", ""), sys.env.getOrElse("LD_LIBRARY_PATH", ""),
          maps.mkString(","), clipkit.spark.NativeEngine.libraryFolder().toString)
      }.collect()
      val executors = seen.map(_._1).toSet
      expect(executors.size == 2, s"executors $executors")
      for ((id, path, ld, swiftCore, folder) <- seen) {
        expect(!path.contains("swift") && !ld.contains("swift"), s"executor $id: PATH=$path LD_LIBRARY_PATH=$ld")
        expect(swiftCore.nonEmpty && swiftCore.split(",").forall(_.startsWith(folder)), s"executor $id maps $swiftCore, folder $folder")
      }
      println(s"    executors ${executors.toSeq.sorted.mkString(", ")}: libswiftCore from ${seen.map(_._4).distinct.mkString(", ")}")
    }
  }
}
ClusterChecks.run()
