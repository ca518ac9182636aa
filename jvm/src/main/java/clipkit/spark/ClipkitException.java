package clipkit.spark;

/** A failed call of the clipkit engine; {@link #status()} is the C ABI's {@code clipkit_status}. */
public class ClipkitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    /** An error with the engine's status code and message. */
    public ClipkitException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The {@code clipkit_status} code: 1 invalid argument, 2 model, 3 image, 4 inference, 5 unsupported. */
    public int status() {
        return status;
    }
}
