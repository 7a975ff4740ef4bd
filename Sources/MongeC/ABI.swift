import Foundation
import MongeCore

// The C ABI of Monge (libMongeC), for in-process callers such as the Python package `monge`.
//
// Conventions shared by every entry point:
// - A matrix argument is a data pointer and a pointer to four int64: rows, columns, row stride and
//   column stride, strides in elements (any sign, as numpy's strides / itemsize): element (i, j)
//   is data[i·rowStride + j·columnStride]. Nothing is copied on the caller's side; Monge reads the
//   elements once into its own row-major storage. A vector is a matrix of one column. A null data
//   pointer is an absent optional argument.
// - Options are one JSON object (UTF-8, NUL-terminated); unknown keys are errors.
// - The return value is a status (`MongeStatus`); on failure, `error` (a caller-provided buffer of
//   `errorCapacity` bytes) receives Monge's message, NUL-terminated and cut to fit. Nothing global
//   is kept for errors, so concurrent calls from several threads do not mix their messages.
// - A result is an opaque handle: a JSON object of scalars (`monge_result_json`) and named arrays
//   (`monge_result_array`), valid until `monge_result_free`.
// - Entry points hold no lock while they compute, so a caller may run them from several threads;
//   Python's ctypes releases the GIL for the duration of each call.
// - Progress callbacks (`MongeProgress`) receive (done, total, value, context) and return 0 to go
//   on, anything else to ask the computation to stop where it can (training stops at that step
//   after a checkpoint; sampling runs to its end).

/// The status codes of the ABI.
enum MongeStatus: Int32 {
    case ok = 0
    /// Monge refused the input or failed (`MongeError`); the message says where and why.
    case mongeError = 1
    /// Any other error (a bug or a system failure); the message describes it.
    case otherError = 2
    /// The caller's callback asked to stop; the result describes what was done.
    case stopped = 3
}

/// A progress callback: (done, total, value, context) → 0 to continue.
public typealias MongeProgress = @convention(c) (Int64, Int64, Double, UnsafeMutableRawPointer?) -> Int32

/// Runs `body`, turning a thrown error into a status and a message in `error`.
func guarded(_ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64, _ body: () throws -> MongeStatus) -> Int32 {
    do {
        return try body().rawValue
    } catch let failure as MongeError {
        write(failure.description, to: error, capacity: capacity)
        return MongeStatus.mongeError.rawValue
    } catch let failure {
        write(String(describing: failure), to: error, capacity: capacity)
        return MongeStatus.otherError.rawValue
    }
}

/// Copies `message` into the caller's buffer, NUL-terminated, cut at a UTF-8 character boundary.
func write(_ message: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int64) {
    guard let buffer, capacity > 0 else { return }
    var bytes = Array(message.utf8)
    if bytes.count > Int(capacity) - 1 {
        bytes = Array(bytes.prefix(Int(capacity) - 1))
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }  // a continuation byte
        if let last = bytes.last, last & 0x80 != 0 { bytes.removeLast() }        // a lead byte without its tail
    }
    for (k, byte) in bytes.enumerated() { buffer[k] = CChar(bitPattern: byte) }
    buffer[bytes.count] = 0
}

/// The largest element count the ABI accepts for one array (2⁴⁰: far above any memory).
let maximumElements = 1 << 40

/// A strided matrix of the caller, read into a `Matrix` (one copy into Monge's row-major storage).
func readMatrix<S: MatrixScalar>(_ data: UnsafePointer<Double>?, _ shape: UnsafePointer<Int64>?, name: String,
                                 as _: S.Type = S.self, columns expected: Int? = nil) throws -> Matrix<S> {
    guard let data, let shape else { throw MongeError.invalidArgument(name: name, message: "no array given") }
    let rows = Int(shape[0]), columns = Int(shape[1]), rowStride = Int(shape[2]), columnStride = Int(shape[3])
    guard rows >= 0, columns >= 0, rows <= maximumElements, columns <= maximumElements,
          rows.multipliedReportingOverflow(by: max(columns, 1)).partialValue <= maximumElements else {
        throw MongeError.invalidArgument(name: name, message: "shape [\(rows), \(columns)] is not a valid array shape")
    }
    if let expected, columns != expected {
        throw MongeError.shapeMismatch("\(name) has \(columns) columns, expected \(expected)")
    }
    var storage = [S](repeating: 0, count: rows * columns)
    storage.withUnsafeMutableBufferPointer { out in
        if columnStride == 1 && rowStride == columns {
            for k in 0..<(rows * columns) { out[k] = S(data[k]) }
        } else {
            for i in 0..<rows {
                for j in 0..<columns { out[i * columns + j] = S(data[i * rowStride + j * columnStride]) }
            }
        }
    }
    let matrix = try Matrix(rows: rows, columns: columns, storage: storage)
    if let (i, j, value) = matrix.firstNonFinite { throw MongeError.nonFinite("\(name)[\(i), \(j)] is \(value)") }
    return matrix
}

/// A strided vector of the caller (a matrix of one column), or nil when `data` is null.
func readVector(_ data: UnsafePointer<Double>?, _ shape: UnsafePointer<Int64>?, name: String) throws -> [Double]? {
    guard data != nil else { return nil }
    let m: Matrix<Double> = try readMatrix(data, shape, name: name, columns: 1)
    return m.storage
}

/// A NUL-terminated UTF-8 string argument.
func readString(_ text: UnsafePointer<CChar>?, name: String) throws -> String {
    guard let text else { throw MongeError.invalidArgument(name: name, message: "no string given") }
    return String(cString: text)
}

/// The JSON options of a call, read once; every key must be taken (`finish` names the others).
struct Options {
    private var values: [String: JSONValue]
    let call: String

    init(_ text: UnsafePointer<CChar>?, call: String) throws {
        self.call = call
        guard let text, text.pointee != 0 else { values = [:]; return }
        guard case let .object(object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(String(cString: text).utf8)) else {
            throw MongeError.invalidArgument(name: "\(call) options", message: "expected a JSON object")
        }
        values = object.filter { $0.value != .null }
    }

    private func error(_ key: String, _ message: String) -> MongeError {
        .invalidArgument(name: "\(call) option \(key)", message: message)
    }

    mutating func string(_ key: String) throws -> String? {
        guard let value = values.removeValue(forKey: key) else { return nil }
        guard case let .string(text) = value else { throw error(key, "expected a string, got \(value)") }
        return text
    }

    mutating func number(_ key: String) throws -> Double? {
        guard let value = values.removeValue(forKey: key) else { return nil }
        let v: Double
        switch value {
        case let .integer(i): v = Double(i)
        case let .number(d): v = d
        default: throw error(key, "expected a number, got \(value)")
        }
        guard v.isFinite else { throw error(key, "expected a finite number, got \(v)") }
        return v
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        guard let value = values[key] else { return nil }
        if case let .integer(i) = value {
            values.removeValue(forKey: key)
            guard range.contains(i) else { throw error(key, "expected a whole number in \(range.lowerBound)...\(range.upperBound), got \(i)") }
            return i
        }
        guard let v = try number(key) else { return nil }
        guard v == v.rounded(), abs(v) < 9.0e15, range.contains(Int(v)) else {
            throw error(key, "expected a whole number in \(range.lowerBound)...\(range.upperBound), got \(v)")
        }
        return Int(v)
    }

    mutating func seed(_ key: String) throws -> UInt64? {
        try integer(key, in: 0...Int.max).map { UInt64($0) }
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let value = values.removeValue(forKey: key) else { return nil }
        guard case let .bool(flag) = value else { throw error(key, "expected true or false, got \(value)") }
        return flag
    }

    mutating func numbers(_ key: String) throws -> [String: Double]? {
        guard let value = values.removeValue(forKey: key) else { return nil }
        guard case let .object(object) = value else { throw error(key, "expected an object of numbers, got \(value)") }
        return try object.mapValues { v in
            switch v {
            case let .integer(i): return Double(i)
            case let .number(d) where d.isFinite: return d
            default: throw error(key, "expected numbers, got \(v)")
            }
        }
    }

    /// One of `choices`, or nil when absent.
    mutating func choice(_ key: String, _ choices: [String]) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard choices.contains(text) else { throw error(key, "expected one of \(choices.joined(separator: ", ")), got \"\(text)\"") }
        return text
    }

    /// Throws naming the first key no one took.
    func finish() throws {
        if let key = values.keys.sorted().first { throw error(key, "unknown option") }
    }
}

/// What a call returns: scalars as one JSON object and named arrays.
final class ResultBox {
    enum Values {
        case float64([Double])
        case float32([Float])
        case int64([Int64])
    }

    struct Array2 {
        var rows: Int
        var columns: Int
        var values: Values
    }

    private(set) var json: [CChar] = Array("{}".utf8CString)
    private(set) var arrays: [String: Array2] = [:]

    func setJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        json = Array(String(decoding: data, as: UTF8.self).utf8CString)
    }

    func set(_ name: String, _ matrix: Matrix<Double>) { arrays[name] = Array2(rows: matrix.rows, columns: matrix.columns, values: .float64(matrix.storage)) }
    func set(_ name: String, _ matrix: Matrix<Float>) { arrays[name] = Array2(rows: matrix.rows, columns: matrix.columns, values: .float32(matrix.storage)) }
    func set<S: MatrixScalar>(_ name: String, generic matrix: Matrix<S>) {
        if let m = matrix as? Matrix<Float> { set(name, m) } else { set(name, matrix.converted(to: Double.self)) }
    }
    func set(_ name: String, vector: [Double]) { arrays[name] = Array2(rows: vector.count, columns: 1, values: .float64(vector)) }
    func set(_ name: String, indices: [Int]) {
        arrays[name] = Array2(rows: indices.count, columns: 1, values: .int64(indices.map { Int64($0) }))
    }

    /// Hands the box to the caller.
    func handOver(to result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        result?.pointee = Unmanaged.passRetained(self).toOpaque()
    }

    static func from(_ handle: UnsafeMutableRawPointer) -> ResultBox {
        Unmanaged<ResultBox>.fromOpaque(handle).takeUnretainedValue()
    }
}

// MARK: Entry points of general use

/// The library's version, a static NUL-terminated string.
@_cdecl("monge_version")
public func monge_version() -> UnsafePointer<CChar> {
    versionText.withUnsafeBufferPointer { $0.baseAddress! }
}

private let versionText: [CChar] = Array(MongeVersion.string.utf8CString)

/// Sets the worker threads of every later call (0: back to MONGE_THREADS or the processor count).
/// Results do not depend on it.
@_cdecl("monge_set_threads")
public func monge_set_threads(_ count: Int64) {
    Parallel.setThreadCount(Int(clamping: count))
}

/// The worker threads calls use now.
@_cdecl("monge_threads")
public func monge_threads() -> Int64 {
    Int64(Parallel.threadCount)
}

/// The result's scalars as a NUL-terminated JSON object, valid until `monge_result_free`.
@_cdecl("monge_result_json")
public func monge_result_json(_ handle: UnsafeMutableRawPointer?) -> UnsafePointer<CChar>? {
    guard let handle else { return nil }
    let box = ResultBox.from(handle)
    return box.json.withUnsafeBufferPointer { $0.baseAddress }
}

/// The result's array `name`: its data (valid until `monge_result_free`), dtype (0 float64,
/// 1 float32, 2 int64) and shape. Returns 0, or 1 when the result has no such array.
@_cdecl("monge_result_array")
public func monge_result_array(_ handle: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?,
                               _ data: UnsafeMutablePointer<UnsafeRawPointer?>?, _ dtype: UnsafeMutablePointer<Int32>?,
                               _ rows: UnsafeMutablePointer<Int64>?, _ columns: UnsafeMutablePointer<Int64>?) -> Int32 {
    guard let handle, let name, let array = ResultBox.from(handle).arrays[String(cString: name)] else { return 1 }
    rows?.pointee = Int64(array.rows)
    columns?.pointee = Int64(array.columns)
    switch array.values {
    case let .float64(v): dtype?.pointee = 0; data?.pointee = v.withUnsafeBytes { $0.baseAddress.map { UnsafeRawPointer($0) } }
    case let .float32(v): dtype?.pointee = 1; data?.pointee = v.withUnsafeBytes { $0.baseAddress.map { UnsafeRawPointer($0) } }
    case let .int64(v): dtype?.pointee = 2; data?.pointee = v.withUnsafeBytes { $0.baseAddress.map { UnsafeRawPointer($0) } }
    }
    return 0
}

/// Releases a result.
@_cdecl("monge_result_free")
public func monge_result_free(_ handle: UnsafeMutableRawPointer?) {
    guard let handle else { return }
    Unmanaged<ResultBox>.fromOpaque(handle).release()
}
