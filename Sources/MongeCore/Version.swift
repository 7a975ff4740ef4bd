/// The package version, written into every run manifest.
public enum MongeVersion {
    public static let string = "0.1.0"
}
