import Foundation

/// The 8×8 handwritten digits of the image path (scikit-learn's bundled copy of the UCI optdigits
/// test set, CC BY 4.0), as written by `data/fetch_digits.py` (`make setup`):
/// `digits.npy` float32 [1797, 64] with pixels scaled to [−1, 1] (x/8 − 1, DDPM's image scaling)
/// and `digits_labels.npy` int64 [1797] with the digit of each image.
///
/// Each image is one point of R⁶⁴ (row-major pixels), so every [N, D] tool of Monge — ε-models,
/// the samplers, DDIB and exact OT — runs on it unchanged.
public struct DigitImages: Sendable {
    /// Image side in pixels.
    public static let side = 8
    /// Pixels per image: the dimension D of the point set.
    public static let pixelCount = side * side
    public static let imagesFile = "digits.npy"
    public static let labelsFile = "digits_labels.npy"

    /// [N, 64] pixels in [−1, 1], one image per row.
    public let images: Matrix<Float>
    /// The digit 0–9 of each row.
    public let labels: [Int]

    /// `$MONGE_DATA_DIR` if set, else `data/generated` (relative to the working folder).
    public static var defaultFolder: String {
        ProcessInfo.processInfo.environment["MONGE_DATA_DIR"] ?? "data/generated"
    }

    public init(images: Matrix<Float>, labels: [Int]) throws {
        guard images.columns == Self.pixelCount else {
            throw MongeError.shapeMismatch("digit images have \(images.columns) pixels per row; expected \(Self.pixelCount) (8 × 8)")
        }
        guard labels.count == images.rows else {
            throw MongeError.shapeMismatch("\(images.rows) digit images but \(labels.count) labels")
        }
        self.images = images
        self.labels = labels
    }

    /// Reads both arrays from `folder`, checking shapes, pixel range and labels.
    public static func load(folder: String = defaultFolder) throws -> DigitImages {
        let imagesPath = folder + "/" + imagesFile, labelsPath = folder + "/" + labelsFile
        for path in [imagesPath, labelsPath] where !FileManager.default.fileExists(atPath: path) {
            throw MongeError.invalidFile(path: path, location: nil,
                                         message: "missing: run `make setup` (or `python data/fetch_digits.py \(folder)`) to write the digit images")
        }
        let array = try NpyFile.read(imagesPath)
        guard array.rank == 2, array.shape[1] == pixelCount, array.shape[0] > 0 else {
            throw MongeError.invalidFile(path: imagesPath, location: "header",
                                         message: "expected shape (N, \(pixelCount)) of 8×8 images, found \(NDArray.describe(array.shape))")
        }
        let images: Matrix<Float> = try array.matrix()
        if let k = images.storage.firstIndex(where: { !($0 >= -1 && $0 <= 1) }) {
            throw MongeError.invalidFile(path: imagesPath, location: "row \(k / pixelCount), pixel \(k % pixelCount)",
                                         message: "\(images.storage[k]) is outside [−1, 1] (pixels are x/8 − 1 for x in 0…16)")
        }
        let labelArray = try NpyFile.read(labelsPath)
        guard labelArray.rank == 1, labelArray.shape[0] == images.rows else {
            throw MongeError.invalidFile(path: labelsPath, location: "header",
                                         message: "expected shape (\(images.rows),) — one label per image of \(imagesPath) — found \(NDArray.describe(labelArray.shape))")
        }
        let values = labelArray.values(as: Double.self)
        var labels: [Int] = []
        labels.reserveCapacity(values.count)
        for (i, value) in values.enumerated() {
            guard value == value.rounded(), value >= 0, value <= 9 else {
                throw MongeError.invalidFile(path: labelsPath, location: "element \(i)", message: "label \(value) is not a digit 0–9")
            }
            labels.append(Int(value))
        }
        return try DigitImages(images: images, labels: labels)
    }

    /// The row indices of the images whose digit is in `classes`, in file order.
    public func indices(ofClasses classes: [Int]) -> [Int] {
        let wanted = Set(classes)
        return labels.indices.filter { wanted.contains(labels[$0]) }
    }

    /// The images of the digits in `classes` ([n, 64], file order).
    public func images(ofClasses classes: [Int]) throws -> Matrix<Float> {
        let rows = indices(ofClasses: classes)
        guard !rows.isEmpty else {
            throw MongeError.invalidArgument(name: "classes", message: "no images of digit(s) \(classes.map(String.init).joined(separator: ","))")
        }
        return images.rows(at: rows)
    }

    /// The images of `classes` split at random (a seeded permutation) into `heldOut` images and
    /// the rest, e.g. to train on one part and measure translations on the other.
    public func split(classes: [Int], heldOut: Int, seed: UInt64) throws -> (training: Matrix<Float>, heldOut: Matrix<Float>) {
        let rows = indices(ofClasses: classes)
        guard heldOut >= 1, heldOut < rows.count else {
            throw MongeError.invalidArgument(name: "held-out images",
                                             message: "need 1…\(rows.count - 1) of the \(rows.count) images of digit(s) \(classes.map(String.init).joined(separator: ",")), got \(heldOut)")
        }
        let order = RandomStream(seed: seed).substream(UInt64(classes.reduce(0) { $0 * 10 + $1 })).permutation(rows.count).map { rows[$0] }
        return (images.rows(at: Array(order[heldOut...])), images.rows(at: Array(order[..<heldOut])))
    }

    /// "3" or "0,6" as a list of distinct digits.
    public static func parseClasses(_ text: String) throws -> [Int] {
        var classes: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            guard let digit = Int(item), (0...9).contains(digit) else {
                throw MongeError.invalidArgument(name: "classes", message: "'\(item)' in '\(text)' is not a digit 0–9; expected e.g. 3 or 0,6")
            }
            guard !classes.contains(digit) else {
                throw MongeError.invalidArgument(name: "classes", message: "digit \(digit) is given twice in '\(text)'")
            }
            classes.append(digit)
        }
        return classes
    }

    /// Whether `spec` names the digits as data: `data:digits` (all) or `data:digits:CLASSES`.
    public static func isSpec(_ spec: String) -> Bool {
        spec == "data:digits" || spec.hasPrefix("data:digits:")
    }

    /// The images named by `data:digits` or `data:digits:CLASSES` (e.g. `data:digits:0,6`), read from `folder`.
    public static func images(spec: String, folder: String = defaultFolder) throws -> Matrix<Float> {
        guard isSpec(spec) else {
            throw MongeError.invalidArgument(name: "data", message: "'\(spec)' is not data:digits or data:digits:CLASSES")
        }
        let classes = spec == "data:digits" ? Array(0...9) : try parseClasses(String(spec.dropFirst("data:digits:".count)))
        return try load(folder: folder).images(ofClasses: classes)
    }
}
