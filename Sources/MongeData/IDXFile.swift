import Foundation

/// An array of unsigned bytes read from an IDX file (the format of MNIST and Fashion-MNIST).
public struct IDXArray: Sendable, Equatable {
    /// The dimensions, outermost first (e.g. [60000, 28, 28] for images, [60000] for labels).
    public let shape: [Int]
    /// The elements in row-major order.
    public let bytes: [UInt8]

    public init(shape: [Int], bytes: [UInt8]) {
        self.shape = shape
        self.bytes = bytes
    }
}

/// Reader of IDX files (LeCun et al., http://yann.lecun.com/exdb/mnist/), plain or gzip-compressed.
///
/// Layout: a big-endian magic number 0x0000TTRR (two zero bytes, the element type TT, the rank RR),
/// RR big-endian 32-bit dimensions, then the elements in row-major order. Monge reads unsigned-byte
/// arrays (TT = 0x08): labels have magic 0x00000801 and images 0x00000803. Every size the header
/// claims is checked against what the file can hold before any memory is allocated for the data.
public enum IDXFile {
    /// Magic number of an unsigned-byte vector (labels).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Magic number of an unsigned-byte rank-3 array (N images of rows × columns).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// The largest array read, in bytes (2 GiB; Fashion-MNIST's largest file holds 47 MB).
    public static let maximumBytes = 1 << 31

    /// The array in `path`, whose magic number must be `magic` (e.g. `imagesMagic`).
    public static func read(_ path: String, magic: UInt32) throws -> IDXArray {
        let reader = try GzipReader(path: path)
        let head = try reader.read(count: 4, what: "the IDX magic number")
        let found = head.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard found == magic else {
            throw MongeError.invalidFile(path: path, location: "magic number",
                                         message: "found \(hex(found)); expected \(hex(magic)) (\(describe(magic)))"
                                             + (head[0] == 0 && head[1] == 0 ? "" : "; this is not an IDX file"))
        }
        let rank = Int(magic & 0xff)
        let dimensionBytes = try reader.read(count: 4 * rank, what: "the \(rank) dimension\(rank == 1 ? "" : "s") of the header")
        var shape: [Int] = []
        var total = 1
        for d in 0..<rank {
            let size = dimensionBytes[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) }
            shape.append(size)
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumBytes else {
                throw MongeError.invalidFile(path: path, location: "header",
                                             message: "dimensions \(shape.map(String.init).joined(separator: " × "))… claim more than \(maximumBytes) bytes")
            }
            total = product
        }
        // What the file can hold: the bytes after the header, or deflate's best ratio of them.
        let header = 4 + 4 * rank
        let capacity = reader.isCompressed ? reader.fileSize * GzipReader.maximumCompressionRatio : reader.fileSize - header
        let what = "the \(shape.map(String.init).joined(separator: " × ")) array of the header"
        guard total <= capacity else {
            throw MongeError.invalidFile(path: path, location: "header",
                                         message: "truncated: \(what) needs \(total) bytes but a \(reader.isCompressed ? "gzip " : "")file of \(reader.fileSize) bytes holds at most \(capacity)")
        }
        let bytes = try reader.read(count: total, what: what)
        try reader.expectEnd(after: what)
        return IDXArray(shape: shape, bytes: bytes)
    }

    /// Labels: the vector of a 0x00000801 file.
    public static func readLabels(_ path: String) throws -> [UInt8] {
        try read(path, magic: labelsMagic).bytes
    }

    /// Images: the N × rows × columns array of a 0x00000803 file.
    public static func readImages(_ path: String) throws -> IDXArray {
        try read(path, magic: imagesMagic)
    }

    /// The bytes of an IDX file holding `array` (unsigned bytes, rank 1…255), uncompressed.
    public static func encode(_ array: IDXArray) throws -> Data {
        guard (1...255).contains(array.shape.count), array.shape.allSatisfy({ (0...Int(UInt32.max)).contains($0) }),
              array.shape.reduce(1, *) == array.bytes.count else {
            throw MongeError.shapeMismatch("IDX shape \(array.shape) does not hold \(array.bytes.count) bytes")
        }
        var data = Data([0, 0, 0x08, UInt8(array.shape.count)])
        for size in array.shape { withUnsafeBytes(of: UInt32(size).bigEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: array.bytes)
        return data
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    static func describe(_ magic: UInt32) -> String {
        switch magic {
        case labelsMagic: return "IDX unsigned-byte labels, rank 1"
        case imagesMagic: return "IDX unsigned-byte images, rank 3"
        default: return "IDX type 0x\(String((magic >> 8) & 0xff, radix: 16)), rank \(magic & 0xff)"
        }
    }
}
