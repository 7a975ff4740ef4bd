import Foundation

/// Named tensors in the safetensors format (huggingface/safetensors): the safe, standard file
/// for network weights.
///
/// Layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the byte
/// buffer) plus an optional `"__metadata__"` object of strings; then the byte buffer, little-endian,
/// which the tensors must cover exactly — no overlap, no hole, nothing after the last one.
///
/// Writing follows the reference implementation byte for byte: compact JSON with `__metadata__`
/// first (omitted when empty; its keys sorted here, unordered there), tensors ordered by dtype
/// alignment (F64 before F32) then by name, in the header and in the buffer, and the header padded
/// with spaces to a multiple of 8 bytes so that every tensor is aligned. Dtypes F32 and F64 only.
public enum SafeTensors {
    /// The largest header accepted, as in the reference implementation (100 MB).
    public static let maximumHeaderLength = 100_000_000
    static let metadataKey = "__metadata__"

    // MARK: Writing

    /// Writes the tensors and the metadata atomically.
    public static func write(tensors: [String: NDArray], metadata: [String: String] = [:], to path: String) throws {
        if tensors[metadataKey] != nil {
            throw MongeError.invalidArgument(name: "tensors", message: "the name \"\(metadataKey)\" is reserved for metadata")
        }
        let (header, order) = encodedHeader(tensors: tensors, metadata: metadata)
        try BinaryFile.write(to: path) { sink in
            try sink.write(littleEndianBytes(UInt64(header.count)))
            try sink.write(header)
            for name in order { try sink.writeLittleEndian(tensors[name]!.elements) }
        }
    }

    /// The padded JSON header and the order of the tensors in the buffer.
    static func encodedHeader(tensors: [String: NDArray], metadata: [String: String]) -> (header: [UInt8], order: [String]) {
        let order = tensors.keys.sorted { a, b in
            let (sizeA, sizeB) = (tensors[a]!.dtype.byteCount, tensors[b]!.dtype.byteCount)
            return sizeA != sizeB ? sizeA > sizeB : a < b
        }
        var entries: [String] = []
        if !metadata.isEmpty {
            let members = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\(jsonString(metadataKey)):{\(members.joined(separator: ","))}")
        }
        var offset = 0
        for name in order {
            let tensor = tensors[name]!
            let end = offset + tensor.count * tensor.dtype.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"\(tensor.dtype.safetensorsName)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        return (header, order)
    }

    /// A JSON string literal, escaped as serde_json escapes it.
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case _ where scalar.value < 0x20:
                result += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    private static func littleEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    // MARK: Reading

    /// Reads every tensor and the metadata, validating the header against the buffer.
    public static func read(_ path: String) throws -> (tensors: [String: NDArray], metadata: [String: String]) {
        try decode(BinaryFile.read(path), path: path)
    }

    /// Decodes the bytes of a safetensors file; `path` names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> (tensors: [String: NDArray], metadata: [String: String]) {
        func headerError(_ message: String) -> MongeError { .invalidFile(path: path, location: "header", message: message) }
        func dataError(_ message: String) -> MongeError { .invalidFile(path: path, location: "data", message: message) }

        guard data.count >= 8 else {
            throw headerError("file is \(data.count) bytes long; expected at least 8 (the header length): truncated file")
        }
        var declared: UInt64 = 0
        for k in 0..<8 { declared |= UInt64(data[data.startIndex + k]) << (8 * UInt64(k)) }
        guard declared <= UInt64(maximumHeaderLength) else {
            throw headerError("header length \(declared) exceeds the limit of \(maximumHeaderLength) bytes (not a safetensors file?)")
        }
        let headerLength = Int(declared)
        guard headerLength <= data.count - 8 else {
            throw headerError("header length \(headerLength) runs past the end of the file (\(data.count - 8) bytes follow the length field): truncated file")
        }
        let headerBytes = data[(data.startIndex + 8)..<(data.startIndex + 8 + headerLength)]
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw headerError("expected the JSON header to start with '{'")
        }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(headerBytes))
        } catch {
            throw headerError("expected a JSON object, found malformed JSON\(describe(error))")
        }
        guard case let .object(members) = json else {
            throw headerError("expected a JSON object of tensors")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in members {
            if name == metadataKey {
                guard case let .object(pairs) = value else {
                    throw headerError("expected \(metadataKey) to be an object of strings, found \(value)")
                }
                for (key, item) in pairs {
                    guard let text = item.stringValue else {
                        throw headerError("expected \(metadataKey) to map strings to strings, found \(key): \(item)")
                    }
                    metadata[key] = text
                }
            } else {
                entries.append(try Entry(name: name, json: value, path: path))
            }
        }

        // The tensors, in buffer order, must tile the buffer exactly.
        let bufferStart = 8 + headerLength
        let bufferLength = data.count - bufferStart
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: Entry?
        for entry in entries {
            if entry.begin < cursor, let previous {
                throw headerError("tensor '\(entry.name)' (bytes \(entry.begin)..<\(entry.end)) overlaps tensor '\(previous.name)' (bytes \(previous.begin)..<\(previous.end))")
            }
            if entry.begin > cursor {
                throw headerError("bytes \(cursor)..<\(entry.begin) of the data buffer belong to no tensor (a hole before tensor '\(entry.name)')")
            }
            guard entry.end <= bufferLength else {
                throw dataError("tensor '\(entry.name)' ends at byte \(entry.end) of the data buffer, which has \(bufferLength) bytes: truncated file")
            }
            cursor = entry.end
            previous = entry
        }
        guard cursor == bufferLength else {
            throw dataError("the data buffer has \(bufferLength) bytes but the tensors cover \(cursor): trailing bytes")
        }

        var tensors: [String: NDArray] = [:]
        try data.withUnsafeBytes { raw in
            for entry in entries {
                let offset = bufferStart + entry.begin
                let elements: NDArray.Elements = entry.dtype == .float32
                    ? .float32(ByteDecoding.floats(raw, offset: offset, count: entry.count, littleEndian: true))
                    : .float64(ByteDecoding.doubles(raw, offset: offset, count: entry.count, littleEndian: true))
                tensors[entry.name] = try NDArray(shape: entry.shape, elements: elements)
            }
        }
        return (tensors, metadata)
    }

    private static func describe(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            let underlying = context.underlyingError.map { " \($0.localizedDescription)" } ?? ""
            return " (\(context.debugDescription)\(underlying))"
        }
        return ""
    }

    /// One tensor of the header, checked on its own: dtype, shape and size agree.
    private struct Entry {
        let name: String
        let dtype: ArrayDType
        let shape: [Int]
        let count: Int
        let begin: Int
        let end: Int

        init(name: String, json: JSONValue, path: String) throws {
            func error(_ message: String) -> MongeError {
                .invalidFile(path: path, location: "header", message: "tensor '\(name)': \(message)")
            }
            guard case let .object(fields) = json else {
                throw error("expected an object {\"dtype\", \"shape\", \"data_offsets\"}, found \(json)")
            }
            guard let dtypeName = fields["dtype"]?.stringValue else {
                throw error("expected \"dtype\" to be a string such as \"F32\"")
            }
            guard let dtype = ArrayDType.allCases.first(where: { $0.safetensorsName == dtypeName }) else {
                throw error("unsupported dtype \"\(dtypeName)\"; expected F32 or F64")
            }
            guard case let .array(extents)? = fields["shape"],
                  case let shape = extents.compactMap(\.intValue), shape.count == extents.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw error("expected \"shape\" to be an array of non-negative integers, found \(fields["shape"] ?? .null)")
            }
            guard case let .array(offsets)? = fields["data_offsets"], offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end else {
                throw error("expected \"data_offsets\" to be [begin, end] with 0 ≤ begin ≤ end, found \(fields["data_offsets"] ?? .null)")
            }
            guard let count = NDArray.elementCount(shape),
                  case let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount), !overflow else {
                throw error("shape \(shape) is too large")
            }
            guard end - begin == bytes else {
                throw error("data_offsets [\(begin), \(end)] span \(end - begin) bytes; expected \(bytes) for shape \(shape) of \(dtypeName)")
            }
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.count = count
            self.begin = begin
            self.end = end
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
