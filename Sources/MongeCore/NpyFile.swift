import Foundation

/// numpy's .npy array files (numpy.lib.format, "NPY format", versions 1.0, 2.0 and 3.0).
///
/// Layout: the magic string `\x93NUMPY`, a major and minor version byte, the header length
/// (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), the header — a Python dict literal
/// padded with spaces and a final newline so that the data starts at a multiple of 64 bytes —
/// then the elements in C order.
///
/// Reading accepts little- and big-endian `f4`/`f8` (kept as Float/Double) and the integer
/// types `i1 i2 i4 i8 u1 u2 u4 u8` (converted to Double; a value beyond 2^53, which Double cannot
/// hold exactly, is an error rather than a silent rounding). Fortran order is accepted only where
/// it equals C order (at most one axis longer than 1). Writing produces little-endian `<f4`/`<f8`
/// in C order, byte for byte as `np.save` writes it (version 1.0, or 2.0 when the header needs it).
public enum NpyFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    static let alignment = 64  // numpy.lib.format.ARRAY_ALIGN

    // MARK: Reading

    /// Reads an array of any rank.
    public static func read(_ path: String) throws -> NDArray {
        try decode(BinaryFile.read(path), path: path)
    }

    /// Reads a rank-2 array as a matrix (a rank-1 array of n elements as an n×1 column),
    /// converting the elements to `S`. Other ranks throw an error naming the shape.
    public static func readMatrix<S: MatrixScalar>(_ path: String, as _: S.Type = S.self) throws -> Matrix<S> {
        try decodeMatrix(BinaryFile.read(path), path: path)
    }

    /// `readMatrix` of bytes already read (standard input); `path` names the source in errors.
    public static func decodeMatrix<S: MatrixScalar>(_ data: Data, path: String, as _: S.Type = S.self) throws -> Matrix<S> {
        let array = try decode(data, path: path)
        guard array.rank == 1 || array.rank == 2 else {
            throw MongeError.invalidFile(path: path, location: "header",
                                         message: "expected a rank-2 array (or rank 1, read as one column), found shape \(NDArray.describe(array.shape))")
        }
        return try array.matrix(as: S.self)
    }

    /// Decodes the bytes of a .npy file; `path` names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> NDArray {
        func headerError(_ message: String) -> MongeError {
            .invalidFile(path: path, location: "header", message: message)
        }
        let bytes = data.count
        let leading = Array(data.prefix(magic.count))
        guard leading == Array(magic.prefix(leading.count)) else {
            let found = leading.map { String(format: "\\x%02x", $0) }.joined()
            throw headerError("expected the .npy magic string \\x93NUMPY, found \(found) (not a .npy file)")
        }
        guard bytes >= 10 else {
            throw headerError("file is \(bytes) bytes long; expected at least 10 (magic string, version, header length): truncated file")
        }
        let major = data[data.startIndex + 6], minor = data[data.startIndex + 7]
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw headerError("unsupported .npy format version \(major).\(minor); expected 1.0, 2.0 or 3.0")
        }
        let prefix = 8 + lengthBytes
        guard bytes >= prefix else {
            throw headerError("file is \(bytes) bytes long; expected at least \(prefix) for a version \(major).0 header length: truncated file")
        }
        var headerLength = 0
        for k in 0..<lengthBytes { headerLength |= Int(data[data.startIndex + 8 + k]) << (8 * k) }
        guard headerLength <= bytes - prefix else {
            throw headerError("header length \(headerLength) runs past the end of the file (\(bytes - prefix) bytes follow the length field): truncated file")
        }
        let headerBytes = data[(data.startIndex + prefix)..<(data.startIndex + prefix + headerLength)]
        let text: String
        if major == 3 {
            guard let utf8 = String(validating: headerBytes, as: UTF8.self) else {
                throw headerError("expected a UTF-8 header (version 3.0), found invalid UTF-8")
            }
            text = utf8
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))  // latin-1
        }
        let header: NpyHeader
        do {
            header = try NpyHeader.parse(text)
        } catch {
            throw headerError("malformed header: \(error.message)")
        }
        let shape = header.shape
        if header.fortranOrder, shape.filter({ $0 > 1 }).count > 1 {
            throw headerError("fortran_order is True for shape \(NDArray.describe(shape)); expected C order (save with np.ascontiguousarray)")
        }
        let dtype = try ElementType(descriptor: header.descriptor, path: path)
        guard let count = NDArray.elementCount(shape),
              case let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.size), !overflow else {
            throw headerError("shape \(NDArray.describe(shape)) is too large")
        }
        let dataStart = prefix + headerLength
        let available = bytes - dataStart
        guard available == byteCount else {
            let problem = available < byteCount ? "truncated file" : "trailing bytes after the array"
            throw MongeError.invalidFile(path: path, location: "data",
                                         message: "expected \(byteCount) bytes for shape \(NDArray.describe(shape)) of \(header.descriptor), found \(available): \(problem)")
        }
        let elements = try data.withUnsafeBytes { raw -> NDArray.Elements in
            try dtype.decode(raw, offset: dataStart, count: count, path: path)
        }
        return try NDArray(shape: shape, elements: elements)
    }

    // MARK: Writing

    /// Writes `array` atomically as little-endian `<f4`/`<f8` in C order.
    public static func write(_ array: NDArray, to path: String) throws {
        let header = encodedHeader(descriptor: array.dtype.npyDescriptor, shape: array.shape)
        try BinaryFile.write(to: path) { sink in
            try sink.write(header)
            try sink.writeLittleEndian(array.elements)
        }
    }

    /// Writes a matrix as a `[rows, columns]` array in its own precision.
    public static func write<S: MatrixScalar>(_ matrix: Matrix<S>, to path: String) throws {
        try write(NDArray(matrix), to: path)
    }

    /// Everything before the data: magic, version, header length and the padded header,
    /// as numpy's `_write_array_header` produces it (version 1.0 unless the length needs 2.0).
    static func encodedHeader(descriptor: String, shape: [Int]) -> [UInt8] {
        let dictionary = Array(NpyHeader(descriptor: descriptor, fortranOrder: false, shape: shape).dictionaryText.utf8)
        for (version, lengthBytes) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let prefix = magic.count + 2 + lengthBytes
            let unpadded = dictionary.count + 1  // + the final newline
            let padding = alignment - (prefix + unpadded) % alignment
            let headerLength = unpadded + padding
            if lengthBytes == 2, headerLength > Int(UInt16.max) { continue }
            var bytes = magic + [version, 0]
            for k in 0..<lengthBytes { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * k))) }
            bytes += dictionary
            bytes += [UInt8](repeating: 0x20, count: padding)
            bytes.append(0x0A)
            return bytes
        }
        fatalError("unreachable: a version 2.0 header holds 4 GiB")
    }
}

/// An element type named by a numpy descriptor such as "<f8", ">i4" or "|u1".
private struct ElementType {
    enum Kind: Character { case float = "f", signed = "i", unsigned = "u" }
    let kind: Kind
    let size: Int
    let littleEndian: Bool
    let descriptor: String

    static let accepted = "<f4, <f8, >f4, >f8 and the integers i1, i2, i4, i8, u1, u2, u4, u8 in either byte order"

    init(descriptor: String, path: String) throws {
        var characters = Array(descriptor)
        var littleEndian = BinaryFile.hostIsLittleEndian
        if let order = characters.first, "<>|=".contains(order) {
            if order == "<" { littleEndian = true }
            if order == ">" { littleEndian = false }
            characters.removeFirst()
        }
        guard characters.count >= 2, let kind = Kind(rawValue: characters[0]), let size = Int(String(characters.dropFirst())),
              kind == .float ? (size == 4 || size == 8) : [1, 2, 4, 8].contains(size) else {
            throw MongeError.invalidFile(path: path, location: "header",
                                         message: "unsupported dtype '\(descriptor)'; expected \(ElementType.accepted)")
        }
        self.kind = kind
        self.size = size
        self.littleEndian = littleEndian
        self.descriptor = descriptor
    }

    func decode(_ raw: UnsafeRawBufferPointer, offset: Int, count: Int, path: String) throws -> NDArray.Elements {
        switch (kind, size) {
        case (.float, 4): return .float32(ByteDecoding.floats(raw, offset: offset, count: count, littleEndian: littleEndian))
        case (.float, _): return .float64(ByteDecoding.doubles(raw, offset: offset, count: count, littleEndian: littleEndian))
        default:
            let decoded: [Double]?
            switch (kind, size) {
            case (.signed, 1): decoded = ByteDecoding.integers(Int8.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            case (.signed, 2): decoded = ByteDecoding.integers(Int16.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            case (.signed, 4): decoded = ByteDecoding.integers(Int32.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            case (.signed, _): decoded = ByteDecoding.integers(Int64.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            case (_, 1): decoded = ByteDecoding.integers(UInt8.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            case (_, 2): decoded = ByteDecoding.integers(UInt16.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            case (_, 4): decoded = ByteDecoding.integers(UInt32.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            default: decoded = ByteDecoding.integers(UInt64.self, raw, offset: offset, count: count, littleEndian: littleEndian)
            }
            guard let decoded else {
                throw MongeError.invalidFile(path: path, location: "data",
                                             message: "a \(descriptor) value has no exact Double (magnitude above 2^53); expected integers that Double holds exactly")
            }
            return .float64(decoded)
        }
    }
}
