// A Java program on the clipkit.spark API (the seed's Java variant): run by scripts/test-jvm.sh with
//   spark-submit --master local[2] --jars clipkit-spark.jar --class JavaExample example.jar <images> <model-name>
// It classifies the folder's files through binaryFile with pretrained(name) (the Hub stand-in serves
// it), prints the seed's table and checks every row: an annotation for good files, none for bad ones.
import clipkit.spark.CLIPForZeroShotClassification;
import clipkit.spark.ImageAssembler;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

public final class JavaExample {
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("clipkit-java").getOrCreate();
        Dataset<Row> files = spark.read().format("binaryFile").load(args[0]);
        ImageAssembler imageAssembler = new ImageAssembler().setInputCol("content").setOutputCol("image_assembler");
        String[] candidateLabels = {"a photo of a bird", "a photo of a cat", "a photo of a dog", "a photo of a hen",
            "a photo of a hippo", "a photo of a room", "a photo of a tractor", "a photo of an ostrich", "a photo of an ox"};
        CLIPForZeroShotClassification imageClassifier = CLIPForZeroShotClassification.pretrained(args[1], "en")
            .setInputCols(new String[] {"image_assembler"})
            .setOutputCol("label")
            .setCandidateLabels(candidateLabels)
            .setBatchSize(4);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {imageAssembler, imageClassifier});
        PipelineModel model = pipeline.fit(files);
        Dataset<Row> result = model.transform(files)
            .selectExpr("reverse(split(path, '/'))[0] as image_name", "label.result", "size(label) as n");
        result.show(false);
        List<Row> rows = result.collectAsList();
        int failures = 0;
        for (Row row : rows) {
            String name = row.getString(0);
            boolean bad = name.contains("corrupt") || name.endsWith(".txt");
            int n = row.getInt(2);
            if (n != (bad ? 0 : 1)) {
                System.out.println("JAVA FAIL " + name + ": " + n + " annotations");
                failures++;
            }
        }
        System.out.println(failures == 0 ? "JAVA OK " + rows.size() + " rows" : "JAVA FAILED");
        spark.stop();
        if (failures != 0) System.exit(1);
    }
}
