import Foundation
import MongeData
import TestSupport
import Testing

@Suite("Fashion-MNIST")
struct FashionMNISTTests {
    /// A folder with a synthetic test split: `labels.count` images whose pixel (k, i, j) is
    /// (7k + 3i + j) mod 256, as gzip IDX files under the dataset's names.
    static func syntheticFolder(labels: [UInt8], imageCount: Int? = nil) throws -> String {
        let folder = TestSupport.temporaryFolder("fashion")
        let names = FashionMNIST.Split.test.fileNames
        let images = IDXFileTests.images(imageCount ?? labels.count)
        try write(gzipped([UInt8](try IDXFile.encode(images))), to: folder + "/" + names.images)
        try write(gzipped([UInt8](try IDXFile.encode(IDXArray(shape: [labels.count], bytes: labels)))), to: folder + "/" + names.labels)
        return folder
    }

    @Test("Synthetic files: pixels x/127.5 − 1 row-major, labels, classes in file order")
    func synthetic() throws {
        let folder = try Self.syntheticFolder(labels: [7, 9, 7, 0, 9, 7])
        let data = try FashionMNIST.load(split: .test, folder: folder)
        #expect(data.images.rows == 6 && data.images.columns == 784 && data.labels == [7, 9, 7, 0, 9, 7])
        // Image 2, pixel (1, 4): (14 + 3 + 4) = 21 → 21/127.5 − 1.
        #expect(data.images[2, 28 + 4] == Float(21) / 127.5 - 1)
        #expect(data.images[0, 0] == -1)
        #expect(data.indices(ofClasses: [9, 0]) == [1, 3, 4])
        #expect(try data.images(ofClasses: [7]) == data.images.rows(at: [0, 2, 5]))
        // The spec reads the same rows.
        #expect(try FashionMNIST.images(spec: "data:fashion:sneaker,ANKLE-BOOT:split=test", folder: folder) == data.images.rows(at: [0, 1, 2, 4, 5]))
    }

    @Test("Pixel scaling covers [−1, 1] exactly: 0 → −1, 255 → 1")
    func scaling() {
        #expect(Float(0) / 127.5 - 1 == -1 && Float(255) / 127.5 - 1 == 1)
    }

    @Test("Image and label counts that disagree, a label outside 0…9, a missing split: clear errors")
    func badFiles() throws {
        let mismatch = try Self.syntheticFolder(labels: [1, 2, 3], imageCount: 4)
        let names = FashionMNIST.Split.test.fileNames
        #expect(throws: MongeError.invalidFile(path: mismatch + "/" + names.images, location: "header",
                                               message: "4 images but \(mismatch)/\(names.labels) has 3 labels; the counts must agree")) {
            try FashionMNIST.load(split: .test, folder: mismatch)
        }
        let badLabel = try Self.syntheticFolder(labels: [1, 10, 3])
        #expect(throws: MongeError.invalidFile(path: badLabel + "/" + names.labels, location: "label 1", message: "10 is not a class id 0…9")) {
            try FashionMNIST.load(split: .test, folder: badLabel)
        }
        let trainNames = FashionMNIST.Split.train.fileNames
        #expect(throws: MongeError.invalidFile(path: badLabel + "/" + trainNames.images, location: nil,
                                               message: "missing: install Debian's dataset-fashion-mnist (`make setup`) or set MONGE_FASHION_DIR")) {
            try FashionMNIST.load(split: .train, folder: badLabel)
        }
    }

    @Test("Classes by id or name in any case; an id outside 0…9 or an unknown name is an error")
    func classes() throws {
        #expect(try FashionMNIST.parseClasses("7,9") == [7, 9])
        #expect(try FashionMNIST.parseClasses("Sneaker,ANKLE-BOOT,t-shirt") == [7, 9, 0])
        #expect(FashionMNIST.classNames.count == 10)
        #expect(throws: MongeError.invalidArgument(name: "class", message: "10 is not a Fashion-MNIST class id 0…9")) {
            try FashionMNIST.parseClasses("7,10")
        }
        #expect(throws: MongeError.invalidArgument(name: "class", message: "-1 is not a Fashion-MNIST class id 0…9")) {
            try FashionMNIST.parseClass("-1")
        }
        #expect(throws: MongeError.invalidArgument(name: "class", message: "'boot' is not a Fashion-MNIST class; expected an id 0…9 or one of t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle-boot")) {
            try FashionMNIST.parseClass("boot")
        }
        #expect(throws: MongeError.invalidArgument(name: "classes", message: "class 7 (sneaker) is given twice in '7,sneaker'")) {
            try FashionMNIST.parseClasses("7,sneaker")
        }
        let data = try FashionMNIST.load(split: .test, folder: try Self.syntheticFolder(labels: [1, 2]))
        #expect(throws: MongeError.invalidArgument(name: "class", message: "12 is not a Fashion-MNIST class id 0…9")) {
            try data.images(ofClasses: [12])
        }
        #expect(throws: MongeError.invalidArgument(name: "classes", message: "no test images of class 5 (sandal)")) {
            try data.images(ofClasses: [5])
        }
    }

    @Test("Specs: data:fashion[:CLASSES][:split=…][:n=…][:seed=…], and their errors")
    func specs() throws {
        #expect(try FashionMNIST.Spec(parsing: "data:fashion") == FashionMNIST.Spec(classes: Array(0...9)))
        #expect(try FashionMNIST.Spec(parsing: "data:fashion:7") == FashionMNIST.Spec(classes: [7]))
        let full = try FashionMNIST.Spec(parsing: "data:fashion:sneaker,9:split=test:n=100:seed=3")
        #expect(full == FashionMNIST.Spec(classes: [7, 9], split: .test, count: 100, seed: 3))
        #expect(full.text == "data:fashion:7,9:split=test:n=100:seed=3")
        #expect(try FashionMNIST.Spec(parsing: full.text) == full)
        #expect(FashionMNIST.isSpec("data:fashion:3") && !FashionMNIST.isSpec("data:fashionable") && !FashionMNIST.isSpec("data:digits:3"))
        #expect(ImageSets.isSpec("data:fashion:3") && ImageSets.isSpec("data:digits:3") && !ImageSets.isSpec("data:moons"))
        #expect(throws: MongeError.invalidArgument(name: "split", message: "'val' is not a split; expected train or test")) {
            try FashionMNIST.Spec(parsing: "data:fashion:7:split=val")
        }
        #expect(throws: MongeError.invalidArgument(name: "class", message: "11 is not a Fashion-MNIST class id 0…9")) {
            try FashionMNIST.Spec(parsing: "data:fashion:11")
        }
        #expect(throws: MongeError.invalidArgument(name: "data", message: "unknown option 'size' in 'data:fashion:7:size=3'; accepted: split, n, seed")) {
            try FashionMNIST.Spec(parsing: "data:fashion:7:size=3")
        }
        #expect(throws: MongeError.invalidArgument(name: "n", message: "'0' in 'data:fashion:7:n=0' is not a positive number of images")) {
            try FashionMNIST.Spec(parsing: "data:fashion:7:n=0")
        }
        #expect(throws: MongeError.self) { try FashionMNIST.Spec(parsing: "data:fashion:7:9") }
    }

    @Test("Seeded subsampling: the same seed gives the same rows, kept in file order; another seed others")
    func subsampling() throws {
        let labels: [UInt8] = (0..<60).map { UInt8($0 % 3 == 0 ? 7 : 2) }
        let data = try FashionMNIST.load(split: .test, folder: try Self.syntheticFolder(labels: labels))
        let all = data.indices(ofClasses: [7])
        let a = try data.rows(ofClasses: [7], count: 8, seed: 5)
        #expect(a.count == 8 && a == a.sorted() && Set(a).isSubset(of: Set(all)))
        #expect(try data.rows(ofClasses: [7], count: 8, seed: 5) == a)
        #expect(try data.rows(ofClasses: [7], count: 8, seed: 6) != a)
        #expect(try data.images(ofClasses: [7], count: 8, seed: 5) == data.images.rows(at: a))
        #expect(try data.rows(ofClasses: [7], count: 20, seed: 5) == all)
        #expect(throws: MongeError.invalidArgument(name: "n", message: "need 1…20 images of class 7 (sneaker) (test split), got 21")) {
            try data.rows(ofClasses: [7], count: 21, seed: 5)
        }
    }

    /// The installed dataset; a clear failure (not a skip) when `make setup` has not installed it.
    static func real(_ split: FashionMNIST.Split) throws -> FashionMNIST {
        let path = FashionMNIST.defaultFolder + "/" + split.fileNames.images
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("\(path) is missing: run `make setup` (Debian's dataset-fashion-mnist) before the tests")
            throw MongeError.invalidFile(path: path, location: nil, message: "run make setup")
        }
        return try FashionMNIST.load(split: split)
    }

    @Test("The installed dataset: 60,000 + 10,000 images, 6000/1000 per class, pixels k/127.5 − 1 (checked against Python's gzip + numpy)")
    func installed() throws {
        // Reference values from Python: gzip.open(...) and numpy.frombuffer over the same files.
        let expected: [FashionMNIST.Split: (count: Int, labels: [Int], total: Int, first: Int)] = [
            .train: (60000, [9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9], 3_431_114_169, 76247),
            .test: (10000, [9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5], 573_469_082, 33456),
        ]
        var images = 0
        for split in FashionMNIST.Split.allCases {
            let data = try Self.real(split)
            let reference = expected[split]!
            images += data.images.rows
            #expect(data.images.rows == reference.count && data.images.columns == 784 && data.labels.count == reference.count)
            #expect(Array(data.labels.prefix(12)) == reference.labels)
            #expect((0...9).map { c in data.labels.filter { $0 == c }.count } == [Int](repeating: split.imagesPerClass, count: 10))
            #expect(data.images.storage.min() == -1 && data.images.storage.max() == 1)
            // Back to bytes: every pixel is a whole k/127.5 − 1, and the byte sums agree with numpy's.
            var total = 0, first = 0
            var whole = true
            for (k, v) in data.images.storage.enumerated() {
                let raw = (Double(v) + 1) * 127.5
                let byte = raw.rounded()
                if abs(raw - byte) > 1e-4 { whole = false }
                total += Int(byte)
                if k < 784 { first += Int(byte) }
            }
            #expect(whole && total == reference.total && first == reference.first)
        }
        #expect(images == 70000)
    }
}
