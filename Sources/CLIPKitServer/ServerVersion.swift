/// The version `GET /info` reports.
public enum ServerVersion {
    /// The clipkit server's version string.
    public static let current = "0.1.0"
}
