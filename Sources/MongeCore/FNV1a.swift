import Foundation

/// The 64-bit FNV-1a hash: fast, dependency-free fingerprints of files, configs and data, to
/// tell that two byte strings differ (not a defence against forgery).
public struct FNV1a64: Sendable {
    /// The standard 64-bit offset basis.
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    /// The 64-bit FNV prime, 2⁴⁰ + 2⁸ + 0xb3.
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    public private(set) var value: UInt64 = offsetBasis

    public init() {}

    /// The hash of `bytes` (a string's `utf8`, say) started from `basis`: the one FNV-1a loop.
    public static func value(of bytes: some Sequence<UInt8>, basis: UInt64 = offsetBasis) -> UInt64 {
        var h = basis
        for byte in bytes { h = (h ^ UInt64(byte)) &* prime }
        return h
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        value = Self.value(of: bytes, basis: value)
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// `value` as 16 lowercase hexadecimal digits.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The hash of `data`, as 16 hexadecimal digits.
    public static func hex(of data: Data) -> String {
        var hash = FNV1a64()
        hash.update(data)
        return hash.hex
    }

    /// The size and hash of a file, read in blocks (large arrays are not loaded whole).
    public static func digest(ofFile path: String) throws -> (bytes: Int, hex: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MongeError.invalidFile(path: path, location: nil, message: "cannot be read")
        }
        defer { try? handle.close() }
        var hash = FNV1a64(), bytes = 0
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw MongeError.invalidFile(path: path, location: nil, message: "cannot be read: \(error.localizedDescription)")
            }
            if block.isEmpty { break }
            hash.update(block)
            bytes += block.count
        }
        return (bytes, hash.hex)
    }
}
