// Checks of the JVM stages on local[2], run by scripts/test-jvm.sh in the same spark-shell as
// seed.scala. Each check prints "PASS <name>" or "FAIL <name>: <why>"; the script counts them.
// Inputs come from the environment: CLIPKIT_TEST_IMAGES (good files with bad ones sorted between
// them), CLIPKIT_TEST_MODEL (tiny-clip), CLIPKIT_TEST_MODELS (its parent folder), CLIPKIT_TEST_CLI
// (`clipkit classify --format jsonl` on those files), CLIPKIT_TEST_OUT (a scratch folder),
// HF_ENDPOINT (the Hub stand-in).
import clipkit.spark._
import org.apache.spark.ml.{Pipeline, PipelineModel}
import org.apache.spark.sql.Row
import org.apache.spark.sql.types._

object JvmChecks {
  val images = sys.env("CLIPKIT_TEST_IMAGES")
  val tiny = sys.env("CLIPKIT_TEST_MODEL")
  val out = sys.env("CLIPKIT_TEST_OUT")
  val labels = Array("cat", "dog", "a photo, with \"quotes\"")
  val good = Set("1_a.png", "2_b.png", "4_c.png", "5_photo.jpg", "7_jpeg_420.jpg", "8_bmp_24.bmp")
  val exif = Set("9_exif_6.jpg")
  val bad = Set("3_corrupt.png", "6_notes.txt")
  /** Two runs of the engine with batches of other composition agree within the parity budget
    * (docs/deviations.md, "Batch and label order"; python/tests/conftest.py RUN_TO_RUN). */
  val runToRun = 1e-5

  def check(name: String)(body: => Unit): Unit =
    try { body; println(s"PASS $name") }
    catch { case t: Throwable => println(s"FAIL $name: $t"); t.getStackTrace.take(4).foreach(f => println(s"    at $f")) }

  def expect(condition: Boolean, what: => String): Unit = if (!condition) throw new AssertionError(what)

  def nameOf(path: String): String = path.substring(path.lastIndexOf('/') + 1)

  def model(): CLIPForZeroShotClassification = CLIPForZeroShotClassification.loadSavedModel(tiny, spark)
    .setInputCols("image_assembler").setOutputCol("label").setCandidateLabels(labels).setBatchSize(4)

  /** {file name: {label: score}} from the CLI (None for a file it could not classify). */
  lazy val cli: Map[String, Option[Map[String, Double]]] = {
    val mapper = new com.fasterxml.jackson.databind.ObjectMapper()
    scala.io.Source.fromFile(sys.env("CLIPKIT_TEST_CLI")).getLines().filter(_.trim.nonEmpty).map { line =>
      val record = mapper.readTree(line)
      val scores = Option(record.get("scores")).map { s =>
        (0 until s.size).map(i => s.get(i).get("label").asText -> s.get(i).get("score").asDouble).toMap
      }
      nameOf(record.get("path").asText) -> scores
    }.toMap
  }

  /** {file name: annotations} for the binaryFile path, one partition so bad files sit inside an engine call. */
  lazy val binaryRows: Map[String, Seq[Row]] = {
    val df = spark.read.format("binaryFile").load(images).coalesce(1)
    val fitted = new Pipeline().setStages(Array(new ImageAssembler().setInputCol("content"), model())).fit(df)
    fitted.transform(df).select("path", "label").collect().map(r => nameOf(r.getString(0)) -> r.getSeq[Row](1)).toMap
  }

  def metadata(a: Row): Map[String, String] = a.getAs[scala.collection.Map[String, String]]("metadata").toMap

  def sameAnnotations(a: Map[String, Seq[Row]], b: Map[String, Seq[Row]], tolerance: Double): Unit = {
    expect(a.keySet == b.keySet, s"files ${a.keySet} vs ${b.keySet}")
    for ((name, xs) <- a) {
      val ys = b(name)
      expect(xs.size == ys.size, s"$name: ${xs.size} vs ${ys.size} annotations")
      for ((x, y) <- xs.zip(ys)) {
        expect(x.getAs[String]("result") == y.getAs[String]("result"), s"$name: result")
        val (mx, my) = (metadata(x), metadata(y))
        expect(mx.keySet == my.keySet, s"$name: metadata keys")
        for ((k, v) <- mx) {
          if (labels.contains(k)) expect(math.abs(v.toDouble - my(k).toDouble) <= tolerance, s"$name $k: $v vs ${my(k)}")
          else expect(v == my(k), s"$name $k: $v vs ${my(k)}")
        }
      }
    }
  }

  def run(): Unit = {
    check("defaults, setters and getters are the Python stage's (Spark NLP's)") {
      val c = new CLIPForZeroShotClassification()
      expect(c.getBatchSize == 2 && c.getSize == 224 && c.getDoResize && c.getDoNormalize && c.getDoRescale, "defaults")
      expect(math.abs(c.getRescaleFactor - 1 / 255.0) < 1e-12 && c.getResample == 2, "rescale/resample")
      expect(c.getImageMean.toSeq == Seq(0.48145466, 0.4578275, 0.40821073), "mean")
      expect(c.getImageStd.toSeq == Seq(0.26862954, 0.26130258, 0.27577711), "std")
      expect(c.getOutputCol == "label" && c.getTemplate == "{}" && c.getPrecision == "fp32", "outputCol/template/precision")
      expect(c.getModelReference == "zero_shot_classifier_clip_vit_base_patch32", "default model")
      c.setBatchSize(16).setDoNormalize(false).setDoRescale(false).setRescaleFactor(0.5).setImageMean(Array(0.0, 0, 0))
        .setImageStd(Array(1.0, 1, 1)).setResample(0).setSize(200).setDoResize(false).setCandidateLabels(Array("x"))
        .setInputCols("a").setOutputCol("b").setTemplates(Array("a {}", "the {}")).setPrecision("int8")
      expect((c.getBatchSize, c.getDoNormalize, c.getDoRescale, c.getRescaleFactor) == ((16, false, false, 0.5)), "set 1")
      expect(c.getImageMean.toSeq == Seq(0.0, 0, 0) && c.getImageStd.toSeq == Seq(1.0, 1, 1), "set 2")
      expect((c.getResample, c.getSize, c.getDoResize) == ((0, 200, false)), "set 3")
      expect(c.getCandidateLabels.toSeq == Seq("x") && c.getInputCols.toSeq == Seq("a") && c.getOutputCol == "b", "set 4")
      expect(c.getTemplates.toSeq == Seq("a {}", "the {}") && c.getPrecision == "int8", "set 5")
    }

    check("pretrained() names, Hub ids and remote locations set the folder's preprocessing") {
      val byName = CLIPForZeroShotClassification.pretrained()
      val byId = CLIPForZeroShotClassification.pretrained("test-org/tiny-clip", "en")
      val byEndpoint = CLIPForZeroShotClassification.pretrained("test-org/tiny-clip", "en", sys.env("HF_ENDPOINT"))
      val byFolder = CLIPForZeroShotClassification.pretrained("tiny-clip", "en", sys.env("CLIPKIT_TEST_MODELS"))
      expect(byName.getModelReference == "zero_shot_classifier_clip_vit_base_patch32", "default name")
      expect(byId.getModelReference == "test-org/tiny-clip", "hub id")
      expect(byEndpoint.getModelReference == "test-org/tiny-clip" &&
        byEndpoint.get(byEndpoint.hubEndpoint).contains(sys.env("HF_ENDPOINT")), "endpoint")
      expect(byFolder.getModelReference == new java.io.File(sys.env("CLIPKIT_TEST_MODELS"), "tiny-clip").getPath, "folder")
      // tiny-clip's preprocessor_config.json says bicubic; the seed's default is bilinear.
      for (m <- Seq(byName, byId, byEndpoint, byFolder)) expect(m.getResample == 3 && m.getSize == 224, "folder settings")
    }

    check("binaryFile scores equal the CLI's (run-to-run bound 1e-5); bad files in the middle get empty arrays") {
      expect(binaryRows.keySet == good ++ exif ++ bad, s"files ${binaryRows.keySet}")
      for (name <- bad) expect(binaryRows(name).isEmpty && cli(name).isEmpty, s"$name should be empty")
      for (name <- good ++ exif) {
        val Seq(a) = binaryRows(name)
        val expected = cli(name).get
        expect(a.getAs[String]("annotatorType") == "category", "type")
        expect(a.getAs[String]("result") == expected.maxBy(_._2)._1, s"$name top-1")
        expect(a.getAs[Int]("begin") == 0 && a.getAs[Int]("end") == a.getAs[String]("result").length - 1, "begin/end")
        expect(a.getSeq[Float](a.fieldIndex("embeddings")).isEmpty, "embeddings")
        val m = metadata(a)
        expect(m.keySet == Set("image", "origin", "height", "width", "nChannels", "mode") ++ labels, s"keys ${m.keySet}")
        expect(m("image") == "0" && nameOf(m("origin")) == name && m("mode") == "16" && m("nChannels") == "3", "meta")
        for (label <- labels) {
          val delta = math.abs(m(label).toDouble - expected(label))
          expect(delta <= runToRun, s"$name $label: |Δ| = $delta")
        }
      }
    }

    check("EXIF orientation is applied on the binaryFile path (turned size reported)") {
      val m = metadata(binaryRows("9_exif_6.jpg").head)
      val img = javax.imageio.ImageIO.read(new java.io.File(images, "9_exif_6.jpg")) // ImageIO ignores EXIF
      expect(img.getHeight != img.getWidth, "fixture is not square")
      expect((m("height").toInt, m("width").toInt) == ((img.getWidth, img.getHeight)), s"size ${m("height")}x${m("width")}")
    }

    check("format(image) with invalid rows in the middle of a batch: own rows empty, top-1 as the CLI, PNG/BMP exact") {
      val df = spark.read.format("image").option("dropInvalid", false).load(images).coalesce(1)
      val rows = new Pipeline().setStages(Array(new ImageAssembler(), model())).fit(df).transform(df)
        .select("image.origin", "image.height", "label").collect()
      val byName = rows.map(r => nameOf(r.getString(0)) -> r).toMap
      expect(byName.keySet == good ++ exif ++ bad, s"files ${byName.keySet}")
      for (name <- bad) expect(byName(name).getInt(1) == -1 && byName(name).getSeq[Row](2).isEmpty, s"$name")
      for (name <- good) {
        val Seq(a) = byName(name).getSeq[Row](2)
        val expected = cli(name).get
        expect(a.getAs[String]("result") == expected.maxBy(_._2)._1, s"$name top-1")
        val m = metadata(a)
        expect(Set("0", "16", "24").contains(m("mode")) && m("height").toInt == byName(name).getInt(1), s"$name meta")
        if (name.endsWith(".png") || name.endsWith(".bmp"))
          for (label <- labels) expect(math.abs(m(label).toDouble - expected(label)) <= runToRun, s"$name $label")
      }
    }

    check("schemas are Spark NLP's and the Python stages' (written by schema_check.py)") {
      val df = spark.read.format("image").option("dropInvalid", true).load(images)
      val assembled = new ImageAssembler().setInputCol("image").setOutputCol("image_assembler").transform(df)
      val labelled = model().transform(assembled)
      val binary = new ImageAssembler().setInputCol("content").transform(spark.read.format("binaryFile").load(images))
      expect(labelled.columns.toSeq == df.columns.toSeq ++ Seq("image_assembler", "label"), "columns")
      expect(assembled.schema("image_assembler").metadata.getString("annotatorType") == "image", "image metadata")
      expect(labelled.schema("label").metadata.getString("annotatorType") == "category", "label metadata")
      expect(labelled.schema("label").dataType == Schemas.AnnotationArray, "label type")
      expect(assembled.schema("image_assembler").dataType == Schemas.AnnotationImageArray, "image type")
      expect(binary.schema("image_assembler").dataType == Schemas.AnnotationImageArray, "binary image type")
      val mine = Seq(assembled.schema("image_assembler"), labelled.schema("label"), binary.schema("image_assembler"))
      java.nio.file.Files.write(java.nio.file.Paths.get(out, "scala-schemas.json"),
        StructType(mine).json.getBytes("UTF-8"))
    }

    check("a fitted PipelineModel saves and loads with its params and gives the same results") {
      val df = spark.read.format("binaryFile").load(images).coalesce(1)
      val tuned = model().setResample(3).setBatchSize(8)
      val fitted = new Pipeline().setStages(Array(new ImageAssembler().setInputCol("content"), tuned)).fit(df)
      val path = s"$out/pipeline"
      fitted.write.overwrite().save(path)
      val loaded = PipelineModel.load(path)
      val Array(assembler: ImageAssembler, classifier: CLIPForZeroShotClassification) = loaded.stages
      expect(assembler.getInputCol == "content", "assembler param")
      expect(classifier.getCandidateLabels.toSeq == labels.toSeq && classifier.getBatchSize == 8, "classifier params")
      expect(classifier.getModelReference == new java.io.File(tiny).getAbsolutePath && classifier.getResample == 3, "model")
      val again = loaded.transform(df).select("path", "label").collect().map(r => nameOf(r.getString(0)) -> r.getSeq[Row](1)).toMap
      sameAnnotations(again, binaryRows, runToRun)
    }

    check("preprocessing setters reach the engine (nearest resampling changes the scores)") {
      val df = spark.read.format("binaryFile").load(images)
      val nearest = new Pipeline().setStages(Array(new ImageAssembler().setInputCol("content"), model().setResample(0))).fit(df)
      val rows = nearest.transform(df).select("path", "label").collect().map(r => nameOf(r.getString(0)) -> r.getSeq[Row](1)).toMap
      for (name <- good) expect(metadata(rows(name).head) != metadata(binaryRows(name).head), s"$name unchanged")
    }

    check("one engine per JVM and settings, shared by the tasks of local[2] and reused by later jobs") {
      val before = CLIPForZeroShotClassification.loadedEngines
      val df = spark.read.format("binaryFile").load(images).repartition(4) // 4 tasks on 2 cores
      val fitted = new Pipeline().setStages(Array(new ImageAssembler().setInputCol("content"), model())).fit(df)
      val again = fitted.transform(df).select("path", "label").collect().map(r => nameOf(r.getString(0)) -> r.getSeq[Row](1)).toMap
      expect(before >= 1 && CLIPForZeroShotClassification.loadedEngines == before, s"engines $before -> ${CLIPForZeroShotClassification.loadedEngines}")
      sameAnnotations(again, binaryRows, runToRun)
    }

    check("one native library folder per JVM") {
      val first = NativeEngine.libraryFolder()
      expect(first == NativeEngine.libraryFolder() && java.nio.file.Files.isDirectory(first), "folder")
      val mode = java.nio.file.Files.getPosixFilePermissions(first)
      expect(mode == java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"), s"permissions $mode")
    }
  }
}
JvmChecks.run()
