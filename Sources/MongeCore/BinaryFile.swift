import Foundation

/// Whole-file reads and streamed atomic writes of raw bytes, shared by the binary array formats.
///
/// Writing streams the elements straight from the array's buffer to a temporary file (no second
/// copy of a large array in memory), then `AtomicFile` renames it onto the destination.
enum BinaryFile {
    /// Whether this machine stores numbers little-endian (the byte order of .npy "<" and safetensors).
    static let hostIsLittleEndian = 1.littleEndian == 1

    /// The file's bytes, memory-mapped when the system allows it.
    static func read(_ path: String) throws -> Data {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "no such file")
        }
        guard !isFolder.boolValue else {
            throw MongeError.invalidFile(path: path, location: nil, message: "is a folder, expected a file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw MongeError.invalidFile(path: path, location: nil, message: "cannot be read: \(error.localizedDescription)")
        }
    }

    /// Creates `path` atomically from the bytes `produce` appends to the sink.
    static func write(to path: String, _ produce: (BinarySink) throws -> Void) throws {
        try AtomicFile.write(to: path) { temporary in
            guard let file = fopen(temporary, "wb") else {
                throw MongeError.writeFailed(path: path, message: "cannot create a temporary file beside it: \(String(cString: strerror(errno)))")
            }
            let sink = BinarySink(file: file, path: path)
            do {
                try produce(sink)
            } catch {
                fclose(file)
                throw error
            }
            guard fclose(file) == 0 else {
                throw MongeError.writeFailed(path: path, message: String(cString: strerror(errno)))
            }
        }
    }
}

/// An open temporary output file; every write checks for a short write (a full disk).
struct BinarySink {
    fileprivate let file: UnsafeMutablePointer<FILE>
    fileprivate let path: String

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard fwrite(base, 1, bytes.count, file) == bytes.count else {
            throw MongeError.writeFailed(path: path, message: String(cString: strerror(errno)))
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes the elements as little-endian IEEE 754 numbers.
    func writeLittleEndian(_ elements: NDArray.Elements) throws {
        switch elements {
        case let .float32(values):
            if BinaryFile.hostIsLittleEndian {
                try values.withUnsafeBytes { try write($0) }
            } else {
                try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try write($0) }
            }
        case let .float64(values):
            if BinaryFile.hostIsLittleEndian {
                try values.withUnsafeBytes { try write($0) }
            } else {
                try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try write($0) }
            }
        }
    }
}

/// Decoding of fixed-size numbers from a byte buffer in either byte order.
enum ByteDecoding {
    /// `count` IEEE 754 Floats starting at `offset`.
    static func floats(_ raw: UnsafeRawBufferPointer, offset: Int, count: Int, littleEndian: Bool) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if littleEndian == BinaryFile.hostIsLittleEndian, count > 0 {
                memcpy(buffer.baseAddress!, raw.baseAddress! + offset, count * 4)
            } else {
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)
                    buffer[i] = Float(bitPattern: littleEndian ? UInt32(littleEndian: bits) : UInt32(bigEndian: bits))
                }
            }
            initialized = count
        }
    }

    /// `count` IEEE 754 Doubles starting at `offset`.
    static func doubles(_ raw: UnsafeRawBufferPointer, offset: Int, count: Int, littleEndian: Bool) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            if littleEndian == BinaryFile.hostIsLittleEndian, count > 0 {
                memcpy(buffer.baseAddress!, raw.baseAddress! + offset, count * 8)
            } else {
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self)
                    buffer[i] = Double(bitPattern: littleEndian ? UInt64(littleEndian: bits) : UInt64(bigEndian: bits))
                }
            }
            initialized = count
        }
    }

    /// `count` integers of type `I` starting at `offset`, as Doubles; nil when one of them has
    /// no exact Double (|value| > 2^53), so that no value is silently rounded.
    static func integers<I: FixedWidthInteger>(_: I.Type, _ raw: UnsafeRawBufferPointer, offset: Int, count: Int,
                                               littleEndian: Bool) -> [Double]? {
        var exact = true
        let result = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let stored = raw.loadUnaligned(fromByteOffset: offset + I.bitWidth / 8 * i, as: I.self)
                let value = littleEndian ? I(littleEndian: stored) : I(bigEndian: stored)
                guard let converted = Double(exactly: value) else { exact = false; break }
                buffer[i] = converted
                initialized = i + 1
            }
        }
        return exact ? result : nil
    }
}
