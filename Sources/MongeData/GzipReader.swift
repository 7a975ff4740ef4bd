import CZlib
import Foundation

/// Streams the bytes of a file, inflating it with zlib when it is gzip-compressed (RFC 1952,
/// recognised by its magic bytes 1f 8b; other files pass through unchanged).
///
/// Reading is incremental (64 KiB of input at a time), so a caller can check a header's size
/// claims before it allocates room for the data. A corrupt stream (bad header, bad deflate data,
/// a CRC-32 or length mismatch) and a stream that ends before its trailer are errors naming the file.
/// Concatenated gzip members are read as one stream, as `gzip -d` does.
public final class GzipReader {
    /// The file being read (named in every error).
    public let path: String
    /// Whether the file is gzip-compressed (else its bytes are returned as they are).
    public let isCompressed: Bool
    /// The size of the file on disk, in bytes.
    public let fileSize: Int
    /// Bytes returned so far (after inflation).
    public private(set) var bytesRead = 0

    /// The largest inflated/deflated size ratio deflate can reach (RFC 1951: a 258-byte match in
    /// at most 2 bits, ≈ 1032:1), for bounding what a compressed file can hold.
    public static let maximumCompressionRatio = 1032

    private let file: UnsafeMutablePointer<FILE>
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutablePointer<UInt8>
    private let inflating: Bool
    private var memberEnded = false
    private var fileEnded = false
    private static let chunkSize = 1 << 16

    /// Opens `path`; throws `MongeError.invalidFile` when it is missing, a folder or unreadable.
    public init(path: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "no such file")
        }
        guard !isFolder.boolValue else {
            throw MongeError.invalidFile(path: path, location: nil, message: "is a folder, expected a file")
        }
        guard let file = fopen(path, "rb") else {
            throw MongeError.invalidFile(path: path, location: nil, message: "cannot be read: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        fstat(fileno(file), &status)
        var magic: [UInt8] = [0, 0]
        let got = fread(&magic, 1, 2, file)
        rewind(file)
        let isCompressed = got == 2 && magic == [0x1f, 0x8b]
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        if isCompressed {
            // 16 + MAX_WBITS: a gzip wrapper (header, CRC-32 and length trailer), the largest window.
            let result = inflateInit2_(stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard result == Z_OK else {
                fclose(file)
                stream.deallocate()
                throw MongeError.invalidFile(path: path, location: nil, message: "zlib cannot start inflating (code \(result))")
            }
        }
        self.path = path
        self.file = file
        self.fileSize = Int(status.st_size)
        self.isCompressed = isCompressed
        self.inflating = isCompressed
        self.stream = stream
        self.input = .allocate(capacity: Self.chunkSize)
    }

    deinit {
        if inflating { inflateEnd(stream) }
        stream.deallocate()
        input.deallocate()
        fclose(file)
    }

    /// Fills `buffer` as far as the data allows; returns the number of bytes written, which is less
    /// than `buffer.count` only at the end of the data.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let count = isCompressed ? try inflate(into: base, count: buffer.count) : try readPlain(into: base, count: buffer.count)
        bytesRead += count
        return count
    }

    /// Exactly `count` bytes, or an error saying that the data of `what` ends early.
    public func read(count: Int, what: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0) }
        guard got == count else { throw truncated(what: what, expected: count, got: got) }
        return bytes
    }

    /// Throws unless the data has ended (no byte follows what was read).
    public func expectEnd(after what: String) throws {
        var probe: UInt8 = 0
        let extra = try withUnsafeMutableBytes(of: &probe) { try read(into: $0) }
        guard extra == 0 else {
            throw MongeError.invalidFile(path: path, location: "byte \(bytesRead - 1)\(isCompressed ? " (inflated)" : "")",
                                         message: "unexpected data after \(what)")
        }
    }

    /// The error for data that ended after `got` of `expected` bytes of `what`.
    public func truncated(what: String, expected: Int, got: Int) -> MongeError {
        .invalidFile(path: path, location: nil,
                     message: "truncated: \(what) needs \(expected) bytes but the \(isCompressed ? "inflated " : "")data ends after \(got)")
    }

    private func readPlain(into base: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let got = fread(base, 1, count, file)
        if got < count, ferror(file) != 0 {
            throw MongeError.invalidFile(path: path, location: nil, message: "read failed: \(String(cString: strerror(errno)))")
        }
        return got
    }

    /// Refills zlib's input from the file; false at the end of the file.
    private func refill() throws -> Bool {
        if fileEnded { return false }
        let got = fread(input, 1, Self.chunkSize, file)
        if got < Self.chunkSize {
            if ferror(file) != 0 {
                throw MongeError.invalidFile(path: path, location: nil, message: "read failed: \(String(cString: strerror(errno)))")
            }
            fileEnded = true
        }
        stream.pointee.next_in = input
        stream.pointee.avail_in = uInt(got)
        return got > 0
    }

    private func inflate(into base: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var produced = 0
        while produced < count {
            if memberEnded {
                // Another gzip member may follow; anything else after a member is corrupt data.
                if stream.pointee.avail_in == 0, !(try refill()) { return produced }
                inflateReset(stream)
                memberEnded = false
            }
            if stream.pointee.avail_in == 0, !(try refill()) {
                throw MongeError.invalidFile(path: path, location: nil,
                                             message: "truncated gzip stream: the file ends before the end of the compressed data (after \(bytesRead + produced) inflated bytes)")
            }
            let room = min(count - produced, Int(UInt32.max))
            stream.pointee.next_out = (base + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            let result = CZlib.inflate(stream, Z_NO_FLUSH)
            produced += room - Int(stream.pointee.avail_out)
            switch result {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                memberEnded = true
            case Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "invalid compressed data"
                throw MongeError.invalidFile(path: path, location: "inflated byte \(bytesRead + produced)",
                                             message: "corrupt gzip data: \(reason)")
            case Z_MEM_ERROR:
                throw MongeError.invalidFile(path: path, location: nil, message: "out of memory while inflating")
            default:
                throw MongeError.invalidFile(path: path, location: nil, message: "zlib inflate failed (code \(result))")
            }
        }
        return produced
    }
}
