import Foundation

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, MIT licence): 70,000 grayscale 28×28 images of
/// clothing in 10 classes, 60,000 for training and 10,000 for testing, read from the gzip IDX files
/// of Debian's `dataset-fashion-mnist` package (`make setup` installs it).
///
/// Each image is one row of 784 pixels (row-major) scaled to [−1, 1] as x/127.5 − 1 (DDPM's image
/// scaling), so every [N, D] tool of Monge runs on it unchanged.
public struct FashionMNIST: Sendable {
    /// Image side in pixels.
    public static let side = 28
    /// Pixels per image: the dimension D of the point set.
    public static let pixelCount = side * side
    /// The class names by id 0…9 (Monge's spelling of the dataset's "T-shirt/top" … "Ankle boot");
    /// accepted in any letter case.
    public static let classNames = ["t-shirt", "trouser", "pullover", "dress", "coat",
                                    "sandal", "shirt", "sneaker", "bag", "ankle-boot"]

    /// The dataset's two parts.
    public enum Split: String, Sendable, CaseIterable {
        case train, test

        /// The IDX files of this split.
        public var fileNames: (images: String, labels: String) {
            let prefix = self == .train ? "train" : "t10k"
            return ("\(prefix)-images-idx3-ubyte.gz", "\(prefix)-labels-idx1-ubyte.gz")
        }

        /// The number of images per class (6000 in train, 1000 in test).
        public var imagesPerClass: Int { self == .train ? 6000 : 1000 }

        public init(parsing text: String) throws {
            guard let split = Split(rawValue: text.lowercased()) else {
                throw MongeError.invalidArgument(name: "split", message: "'\(text)' is not a split; expected train or test")
            }
            self = split
        }
    }

    /// `$MONGE_FASHION_DIR` if set, else Debian's `/usr/share/datasets/fashion-mnist`.
    public static var defaultFolder: String {
        ProcessInfo.processInfo.environment["MONGE_FASHION_DIR"] ?? "/usr/share/datasets/fashion-mnist"
    }

    public let split: Split
    /// [N, 784] pixels in [−1, 1], one image per row, in file order.
    public let images: Matrix<Float>
    /// The class id 0…9 of each row.
    public let labels: [Int]

    /// Reads the images and labels of `split` from `folder`, checking magic numbers, shapes,
    /// truncation, that both files count the same images, and that every label is a class id.
    public static func load(split: Split, folder: String = defaultFolder) throws -> FashionMNIST {
        let names = split.fileNames
        let imagesPath = folder + "/" + names.images, labelsPath = folder + "/" + names.labels
        for path in [imagesPath, labelsPath] where !FileManager.default.fileExists(atPath: path) {
            throw MongeError.invalidFile(path: path, location: nil,
                                         message: "missing: install Debian's dataset-fashion-mnist (`make setup`) or set MONGE_FASHION_DIR")
        }
        let labelBytes = try IDXFile.readLabels(labelsPath)
        let array = try IDXFile.readImages(imagesPath)
        guard array.shape[1] == side, array.shape[2] == side else {
            throw MongeError.invalidFile(path: imagesPath, location: "header",
                                         message: "images are \(array.shape[1]) × \(array.shape[2]); expected \(side) × \(side)")
        }
        guard array.shape[0] == labelBytes.count else {
            throw MongeError.invalidFile(path: imagesPath, location: "header",
                                         message: "\(array.shape[0]) images but \(labelsPath) has \(labelBytes.count) labels; the counts must agree")
        }
        guard array.shape[0] > 0 else {
            throw MongeError.invalidFile(path: imagesPath, location: "header", message: "holds no images")
        }
        if let k = labelBytes.firstIndex(where: { $0 > 9 }) {
            throw MongeError.invalidFile(path: labelsPath, location: "label \(k)", message: "\(labelBytes[k]) is not a class id 0…9")
        }
        let pixels = array.bytes.map { Float($0) / 127.5 - 1 }
        let images = try Matrix(rows: array.shape[0], columns: pixelCount, storage: pixels)
        return FashionMNIST(split: split, images: images, labels: labelBytes.map(Int.init))
    }

    private init(split: Split, images: Matrix<Float>, labels: [Int]) {
        self.split = split
        self.images = images
        self.labels = labels
    }

    /// The row indices of the images whose class is in `classes`, in file order.
    public func indices(ofClasses classes: [Int]) -> [Int] {
        let wanted = Set(classes)
        return labels.indices.filter { wanted.contains(labels[$0]) }
    }

    /// The images of `classes` ([n, 784], file order); all of them when `count` is nil, else a
    /// seeded random subset of `count` of them (kept in file order): the same seed gives the same rows.
    public func images(ofClasses classes: [Int], count: Int? = nil, seed: UInt64 = 0) throws -> Matrix<Float> {
        try images.rows(at: rows(ofClasses: classes, count: count, seed: seed))
    }

    /// The row indices `images(ofClasses:count:seed:)` returns.
    public func rows(ofClasses classes: [Int], count: Int? = nil, seed: UInt64 = 0) throws -> [Int] {
        for c in classes where !(0...9).contains(c) {
            throw MongeError.invalidArgument(name: "class", message: "\(c) is not a Fashion-MNIST class id 0…9")
        }
        let rows = indices(ofClasses: classes)
        let names = Self.describe(classes)
        guard !rows.isEmpty else {
            throw MongeError.invalidArgument(name: "classes", message: "no \(split.rawValue) images of \(names)")
        }
        guard let count else { return rows }
        guard count >= 1, count <= rows.count else {
            throw MongeError.invalidArgument(name: "n", message: "need 1…\(rows.count) images of \(names) (\(split.rawValue) split), got \(count)")
        }
        // The stream depends on the seed, the split and the class set, not on other arguments.
        let label = classes.sorted().reduce(UInt64(split == .train ? 1 : 2)) { $0 &* 11 &+ UInt64($1) }
        let chosen = RandomStream(seed: seed).substream(StreamTag.Label.fashionSubset, label).permutation(rows.count).prefix(count)
        return chosen.sorted().map { rows[$0] }
    }

    /// A class given by id ("7") or by name ("sneaker", any case).
    public static func parseClass(_ text: String) throws -> Int {
        let item = text.trimmingCharacters(in: .whitespaces)
        if let id = Int(item) {
            guard (0...9).contains(id) else {
                throw MongeError.invalidArgument(name: "class", message: "\(id) is not a Fashion-MNIST class id 0…9")
            }
            return id
        }
        guard let id = classNames.firstIndex(of: item.lowercased()) else {
            throw MongeError.invalidArgument(
                name: "class", message: "'\(item)' is not a Fashion-MNIST class; expected an id 0…9 or one of \(classNames.joined(separator: ", "))")
        }
        return id
    }

    /// "7", "sneaker" or "7,ankle-boot" as a list of distinct class ids.
    public static func parseClasses(_ text: String) throws -> [Int] {
        var classes: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let id = try parseClass(String(part))
            guard !classes.contains(id) else {
                throw MongeError.invalidArgument(name: "classes", message: "class \(id) (\(classNames[id])) is given twice in '\(text)'")
            }
            classes.append(id)
        }
        return classes
    }

    /// "7 (sneaker)" or "classes 7,9 (sneaker, ankle-boot)", for messages and manifests.
    public static func describe(_ classes: [Int]) -> String {
        let valid = classes.filter { (0...9).contains($0) }
        let ids = classes.map(String.init).joined(separator: ",")
        let names = valid.map { classNames[$0] }.joined(separator: ", ")
        return "\(classes.count == 1 ? "class" : "classes") \(ids) (\(names))"
    }
}

extension FashionMNIST {
    /// The prefix of Fashion-MNIST data specs.
    public static let specPrefix = "data:fashion"

    /// What a data spec `data:fashion[:CLASSES][:split=train|test][:n=N][:seed=S]` asks for.
    public struct Spec: Sendable, Equatable {
        /// The class ids (all ten when the spec names none).
        public var classes: [Int]
        public var split: Split
        /// A seeded subset of this many images; nil for all of them.
        public var count: Int?
        public var seed: UInt64

        public init(classes: [Int], split: Split = .train, count: Int? = nil, seed: UInt64 = 0) {
            self.classes = classes
            self.split = split
            self.count = count
            self.seed = seed
        }

        /// Parses e.g. `data:fashion:7`, `data:fashion:sneaker,ankle-boot:split=test:n=1000:seed=2`.
        public init(parsing spec: String) throws {
            guard FashionMNIST.isSpec(spec) else {
                throw MongeError.invalidArgument(name: "data", message: "'\(spec)' is not data:fashion[:CLASSES][:split=train|test][:n=N][:seed=S]")
            }
            self.init(classes: Array(0...9))
            var classesGiven = false
            for field in spec.split(separator: ":", omittingEmptySubsequences: false).dropFirst(2) {
                let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 1 {
                    guard !classesGiven else {
                        throw MongeError.invalidArgument(name: "data", message: "'\(spec)' names classes twice; expected data:fashion:CLASSES[:split=train|test][:n=N][:seed=S]")
                    }
                    classes = try FashionMNIST.parseClasses(parts[0])
                    classesGiven = true
                    continue
                }
                let value = parts[1]
                switch parts[0].lowercased() {
                case "split": split = try Split(parsing: value)
                case "n":
                    guard let n = Int(value), n >= 1 else {
                        throw MongeError.invalidArgument(name: "n", message: "'\(value)' in '\(spec)' is not a positive number of images")
                    }
                    count = n
                case "seed":
                    guard let s = UInt64(value) else {
                        throw MongeError.invalidArgument(name: "seed", message: "'\(value)' in '\(spec)' is not a seed (a whole number ≥ 0)")
                    }
                    seed = s
                default:
                    throw MongeError.invalidArgument(name: "data", message: "unknown option '\(parts[0])' in '\(spec)'; accepted: split, n, seed")
                }
            }
        }

        /// A spec string naming this selection (the canonical form of what `init(parsing:)` accepts).
        public var text: String {
            var fields = [FashionMNIST.specPrefix, classes.map(String.init).joined(separator: ","), "split=\(split.rawValue)"]
            if let count { fields += ["n=\(count)", "seed=\(seed)"] }
            return fields.joined(separator: ":")
        }
    }

    /// Whether `spec` names Fashion-MNIST images: `data:fashion` or `data:fashion:…`.
    public static func isSpec(_ spec: String) -> Bool {
        spec == specPrefix || spec.hasPrefix(specPrefix + ":")
    }

    /// The images a `data:fashion…` spec names, read from `folder`.
    public static func images(spec: String, folder: String = defaultFolder) throws -> Matrix<Float> {
        let parsed = try Spec(parsing: spec)
        return try load(split: parsed.split, folder: folder).images(ofClasses: parsed.classes, count: parsed.count, seed: parsed.seed)
    }
}
