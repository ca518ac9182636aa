// The seed's Scala program (Spark NLP docs), only the imports changed.
import clipkit.spark._     // was: import com.johnsnowlabs.nlp.base._ / import com.johnsnowlabs.nlp.annotators._
import org.apache.spark.ml.Pipeline
import org.apache.spark.sql.functions._

val imageDF = spark.read.format("image").option("dropInvalid", true).load("src/test/resources/image/")
val imageAssembler = new ImageAssembler().setInputCol("image").setOutputCol("image_assembler")
val candidateLabels = Array("a photo of a bird", "a photo of a cat", "a photo of a dog", "a photo of a hen",
  "a photo of a hippo", "a photo of a room", "a photo of a tractor", "a photo of an ostrich", "a photo of an ox")
val imageClassifier = CLIPForZeroShotClassification
  .pretrained("clip_vit_large_patch14", "en")
  .setInputCols("image_assembler")
  .setOutputCol("label")
  .setCandidateLabels(candidateLabels)
val pipeline = new Pipeline().setStages(Array(imageAssembler, imageClassifier))
val model = pipeline.fit(imageDF)
val result = model.transform(imageDF)
result.selectExpr("reverse(split(image.origin, '/'))[0] as image_name", "label.result").show(false)
