package clipkit.spark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The JNI binding of libclipkit's C ABI ({@code clipkit.h}), implemented by {@code clipkit_jni.c}.
 *
 * <p>The jar carries libclipkit, the JNI glue and every library they need (Swift runtime, OpenBLAS,
 * libjpeg, libpng, libwebp) under {@code clipkit/native/linux-x86_64/}, each with RPATH
 * {@code $ORIGIN}. On first use they are extracted once per JVM into a private temporary folder
 * (mode 700, removed when the JVM exits; under {@code java.io.tmpdir}, or under the folder named by
 * the system property {@code clipkit.native.dir}) and the glue is loaded from there; the dynamic
 * loader finds the rest next to it. So {@code --jars clipkit-spark.jar} is all a cluster needs.
 *
 * <p>Handles are immutable in the engine: any number of threads may classify with one handle.
 */
public final class NativeEngine {
    private static final String RESOURCES = "/clipkit/native/linux-x86_64/";
    private static final String GLUE = "libclipkit_jni.so";
    private static Path folder;
    private static Throwable failure;

    private NativeEngine() {}

    /** Extracts and loads the native libraries once per JVM (later calls return at once). */
    public static synchronized void load() {
        if (folder != null) return;
        if (failure != null) throw new IllegalStateException("clipkit: native libraries failed to load earlier", failure);
        try {
            String os = System.getProperty("os.name", "").toLowerCase();
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                throw new UnsupportedOperationException(
                        "clipkit: this jar carries Linux x86-64 libraries; this JVM runs on " + os + "/" + arch);
            }
            // rwx------ on POSIX; -Dclipkit.native.dir=<folder> picks the parent (e.g. when java.io.tmpdir is noexec)
            String parent = System.getProperty("clipkit.native.dir");
            Path dir = parent == null || parent.isEmpty()
                    ? Files.createTempDirectory("clipkit-native-")
                    : Files.createTempDirectory(Files.createDirectories(Path.of(parent)), "clipkit-native-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir), "clipkit-native-cleanup"));
            for (String name : index()) {
                try (InputStream in = NativeEngine.class.getResourceAsStream(RESOURCES + name)) {
                    if (in == null) throw new IOException("missing resource " + RESOURCES + name);
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            System.load(dir.resolve(GLUE).toString());
            if (abiVersion() != 1) throw new IllegalStateException("clipkit: unexpected C ABI version " + abiVersion());
            folder = dir;
        } catch (Throwable t) {
            failure = t;
            if (t instanceof RuntimeException) throw (RuntimeException) t;
            if (t instanceof Error) throw (Error) t;
            throw new IllegalStateException("clipkit: cannot load the native libraries: " + t, t);
        }
    }

    /** The folder the libraries were extracted to (loads them first). */
    public static Path libraryFolder() {
        load();
        return folder;
    }

    private static List<String> index() throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = NativeEngine.class.getResourceAsStream(RESOURCES + "files.txt")) {
            if (in == null) throw new IOException("the jar has no " + RESOURCES + "files.txt (rebuild with scripts/build-jar.sh)");
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                line = line.trim();
                if (!line.isEmpty() && !line.contains("/")) names.add(line);
            }
        }
        return names;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }

    /** The engine's version, e.g. "0.1.0". */
    public static native String version();

    /** {@code CLIPKIT_ABI_VERSION} the glue was compiled against. */
    public static native int abiVersion();

    /** Sets (value non-null) or unsets an environment variable of this process (Hub settings). */
    public static native boolean setEnvironment(String name, String value);

    /** A model folder for a path, Hub id or Spark NLP name (downloading through the HF cache). */
    public static native String resolveModel(String model);

    /**
     * A classifier handle (free with {@link #freeClassifier}); labels are embedded once, here.
     * {@code template} null means "{}"; {@code precision} and {@code preprocessorJson} may be null.
     */
    public static native long createClassifier(String model, String[] labels, String template, int threads,
                                               int batchSize, String precision, String preprocessorJson);

    /** Number of labels of a classifier. */
    public static native int labelCount(long handle);

    /** Releases a classifier handle. */
    public static native void freeClassifier(long handle);

    /**
     * Classifies {@code statuses.length} encoded images, image i at data[offsets[i], offsets[i+1]).
     * Fills probabilities (n × labels), sizes (n × 2: height, width), statuses and messages (null
     * for good items). Returns the call's status; throws {@link ClipkitException} if the batch is rejected.
     */
    public static native int classifyEncoded(long handle, byte[] data, long[] offsets, float[] probabilities,
                                             int[] sizes, int[] statuses, String[] messages);

    /** As {@link #classifyEncoded} for raw 8-bit pixels (order 0 = BGR, 1 = RGB; 1, 3 or 4 channels). */
    public static native int classifyPixels(long handle, byte[] data, long[] offsets, int[] heights, int[] widths,
                                            int[] channels, int order, float[] probabilities, int[] sizes,
                                            int[] statuses, String[] messages);
}
