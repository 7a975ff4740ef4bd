/// The image data sets a `data:` spec can name, in one place: `data:digits[:CLASSES]` (the 8×8
/// digits) and `data:fashion[:CLASSES][:split=train|test][:n=N][:seed=S]` (Fashion-MNIST).
/// Commands accept these wherever they accept a point file.
public enum ImageSets {
    /// Whether `spec` names an image set (rather than a 2-D generator `data:NAME` or a file).
    public static func isSpec(_ spec: String) -> Bool {
        DigitImages.isSpec(spec) || FashionMNIST.isSpec(spec)
    }

    /// The images `spec` names ([N, pixels] in [−1, 1]) and a line saying where they came from.
    public static func images(spec: String) throws -> (images: Matrix<Float>, source: String) {
        if FashionMNIST.isSpec(spec) {
            let parsed = try FashionMNIST.Spec(parsing: spec)
            let images = try FashionMNIST.images(spec: spec)
            return (images, "\(parsed.text) (\(images.rows) \(parsed.split.rawValue) images of \(FashionMNIST.describe(parsed.classes)) from \(FashionMNIST.defaultFolder))")
        }
        let images = try DigitImages.images(spec: spec)
        return (images, "\(spec) (\(images.rows) images from \(DigitImages.defaultFolder))")
    }
}
