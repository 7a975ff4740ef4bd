import CZlib
import Foundation
import MongeData
import TestSupport
import Testing

/// gzip (RFC 1952) compression by zlib's deflate, to write test files as the dataset ships them.
func gzipped(_ bytes: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var input = bytes
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
    let written: Int = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output.prefix(written))
}

/// Bytes of a seeded pseudo-random sequence (incompressible, so gzip files span many input chunks).
func noiseBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    let stream = RandomStream(seed: seed)
    return (0..<count).map { UInt8(stream.integer(UInt64($0), below: 256)) }
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The error `body` throws (nil when it does not throw).
func thrownError(_ body: () throws -> Void) -> MongeError? {
    do { try body() } catch let error as MongeError { return error } catch { return nil }
    return nil
}

@Suite("IDX and gzip reading")
struct IDXFileTests {
    let folder = TestSupport.temporaryFolder("idx")

    /// A synthetic image array: n images of rows × columns with pixel (k, i, j) = (7k + 3i + j) mod 256.
    static func images(_ n: Int, _ rows: Int = 28, _ columns: Int = 28) -> IDXArray {
        var bytes: [UInt8] = []
        for k in 0..<n { for i in 0..<rows { for j in 0..<columns { bytes.append(UInt8((7 * k + 3 * i + j) % 256)) } } }
        return IDXArray(shape: [n, rows, columns], bytes: bytes)
    }

    @Test("Round trip: images and labels written as plain and gzip IDX files read back exactly")
    func roundTrip() throws {
        let images = Self.images(5, 28, 27)
        let labels = IDXArray(shape: [5], bytes: [9, 0, 3, 3, 7])
        let imageBytes = [UInt8](try IDXFile.encode(images))
        // The header of the format: magic 0x00000803, then the dimensions big-endian.
        #expect(Array(imageBytes.prefix(16)) == [0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 27])
        try write(imageBytes, to: folder + "/images.idx")
        try write(gzipped(imageBytes), to: folder + "/images.idx.gz")
        try write(gzipped([UInt8](try IDXFile.encode(labels))), to: folder + "/labels.idx.gz")
        #expect(try IDXFile.readImages(folder + "/images.idx") == images)
        #expect(try IDXFile.readImages(folder + "/images.idx.gz") == images)
        #expect(try IDXFile.readLabels(folder + "/labels.idx.gz") == labels.bytes)
    }

    @Test("Streaming: a gzip file of many 64 KiB input chunks, and concatenated gzip members, inflate exactly")
    func streaming() throws {
        let noise = IDXArray(shape: [300, 28, 28], bytes: noiseBytes(300 * 784, seed: 1))
        let encoded = [UInt8](try IDXFile.encode(noise))
        let compressed = gzipped(encoded)
        #expect(compressed.count > 3 * 65536)
        try write(compressed, to: folder + "/noise.gz")
        #expect(try IDXFile.readImages(folder + "/noise.gz") == noise)
        // Two members (`cat a.gz b.gz`) are one stream, as gzip -d reads them.
        try write(gzipped(Array(encoded.prefix(1000))) + gzipped(Array(encoded.dropFirst(1000)), level: 1), to: folder + "/members.gz")
        #expect(try IDXFile.readImages(folder + "/members.gz") == noise)
        let reader = try GzipReader(path: folder + "/noise.gz")
        #expect(reader.isCompressed && reader.fileSize == compressed.count)
        #expect(try reader.read(count: encoded.count, what: "everything") == encoded)
        try reader.expectEnd(after: "everything")
    }

    @Test("A bad magic number names the file, what was found and what was expected")
    func badMagic() throws {
        try write(gzipped([UInt8](try IDXFile.encode(IDXArray(shape: [3], bytes: [1, 2, 3])))), to: folder + "/labels.gz")
        #expect(throws: MongeError.invalidFile(path: folder + "/labels.gz", location: "magic number",
                                               message: "found 0x00000801; expected 0x00000803 (IDX unsigned-byte images, rank 3)")) {
            try IDXFile.readImages(folder + "/labels.gz")
        }
        try write(Array("x,y\n1,2\n".utf8), to: folder + "/table.csv")
        #expect(throws: MongeError.invalidFile(path: folder + "/table.csv", location: "magic number",
                                               message: "found 0x782c790a; expected 0x00000801 (IDX unsigned-byte labels, rank 1); this is not an IDX file")) {
            try IDXFile.readLabels(folder + "/table.csv")
        }
        // Float elements (type 0x0d) are another magic number.
        try write([0, 0, 0x0d, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0], to: folder + "/floats.idx")
        #expect(thrownError { _ = try IDXFile.readImages(folder + "/floats.idx") }?.description.contains("found 0x00000d03") == true)
    }

    @Test("Truncated data: a short IDX file, a cut gzip stream, a header claiming more than the file can hold")
    func truncated() throws {
        let bytes = [UInt8](try IDXFile.encode(Self.images(4)))
        let path = folder + "/short.idx"
        try write(Array(bytes.dropLast(100)), to: path)
        #expect(throws: MongeError.invalidFile(path: path, location: "header",
                                               message: "truncated: the 4 × 28 × 28 array of the header needs 3136 bytes but a file of 3052 bytes holds at most 3036")) {
            try IDXFile.readImages(path)
        }
        // Extra bytes after the array are an error too.
        try write(bytes + [0], to: path)
        #expect(throws: MongeError.invalidFile(path: path, location: "byte 3152", message: "unexpected data after the 4 × 28 × 28 array of the header")) {
            try IDXFile.readImages(path)
        }
        // A gzip stream cut in half: the file ends before the deflate data does.
        let compressed = gzipped([UInt8](try IDXFile.encode(IDXArray(shape: [40, 28, 28], bytes: noiseBytes(40 * 784, seed: 2)))))
        let cut = folder + "/cut.gz"
        try write(Array(compressed.prefix(compressed.count / 2)), to: cut)
        let error = thrownError { _ = try IDXFile.readImages(cut) }
        #expect(error?.description.hasPrefix("\(cut): truncated gzip stream: the file ends before the end of the compressed data") == true, "\(String(describing: error))")
        // A complete gzip stream whose content is shorter than its IDX header says.
        let short = folder + "/short.gz"
        try write(gzipped(Array(bytes.dropLast(100))), to: short)
        #expect(throws: MongeError.invalidFile(path: short, location: nil,
                                               message: "truncated: the 4 × 28 × 28 array of the header needs 3136 bytes but the inflated data ends after 3036")) {
            try IDXFile.readImages(short)
        }
        // A header claiming 2^31 − 1 images is refused before anything is allocated.
        let huge = folder + "/huge.gz"
        try write(gzipped([0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]), to: huge)
        #expect(thrownError { _ = try IDXFile.readImages(huge) }?.description.contains("claim more than 2147483648 bytes") == true)
        // … and one claiming more than deflate's 1032:1 ratio allows for the file's size.
        let bold = folder + "/bold.gz"
        let claim = gzipped([0, 0, 8, 3, 0, 0, 0x10, 0, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3])
        try write(claim, to: bold)
        #expect(throws: MongeError.invalidFile(path: bold, location: "header",
                                               message: "truncated: the 4096 × 28 × 28 array of the header needs 3211264 bytes but a gzip file of \(claim.count) bytes holds at most \(claim.count * 1032)")) {
            try IDXFile.readImages(bold)
        }
    }

    @Test("Corrupt gzip data: a damaged deflate stream and a wrong CRC-32 are errors, not garbage")
    func corrupt() throws {
        let content = [UInt8](try IDXFile.encode(Self.images(20)))
        var compressed = gzipped(content)
        // The last 8 bytes are the CRC-32 and the length; damage the CRC.
        compressed[compressed.count - 8] ^= 0xff
        let badCRC = folder + "/crc.gz"
        try write(compressed, to: badCRC)
        let crcError = thrownError { _ = try IDXFile.readImages(badCRC) }
        #expect(crcError?.description.contains("corrupt gzip data: incorrect data check") == true, "\(String(describing: crcError))")
        // Damage the deflate data itself: inflate either rejects the stream or the CRC-32 catches it.
        var damaged = gzipped(content)
        for k in stride(from: 20, to: damaged.count - 20, by: 7) { damaged[k] ^= 0x5a }
        let badData = folder + "/data.gz"
        try write(damaged, to: badData)
        let dataError = thrownError { _ = try IDXFile.readImages(badData) }
        #expect(dataError?.description.hasPrefix(badData + ": ") == true)
        #expect(dataError?.description.contains("corrupt gzip data") == true || dataError?.description.contains("truncated") == true,
                "\(String(describing: dataError))")
        // A damaged gzip header (the method byte must be 8, deflate).
        var header = gzipped(content)
        header[2] = 7
        try write(header, to: badData)
        #expect(thrownError { _ = try IDXFile.readImages(badData) }?.description.contains("corrupt gzip data: unknown compression method") == true)
    }

    @Test("A missing file and a folder are named as such")
    func missing() throws {
        #expect(throws: MongeError.invalidFile(path: folder + "/none.gz", location: nil, message: "no such file")) {
            try IDXFile.readLabels(folder + "/none.gz")
        }
        #expect(throws: MongeError.invalidFile(path: folder, location: nil, message: "is a folder, expected a file")) {
            try IDXFile.readLabels(folder)
        }
    }
}
