import Foundation

// libFuzzer entry point for Monge's file readers, compiled together with MongeCore's sources
// (see Fuzz/run.sh). `MONGE_FUZZ_READER` picks the reader: npy, csv, safetensors or json.
//
// A crash, a sanitizer report or a broken invariant (`fatalError` below) is a finding. The
// invariants are what a reader promises beyond "no crash": an accepted CSV table writes and reads
// back bit for bit; an accepted .npy or safetensors array holds as many elements as its shape
// says; JSON text that `JSONSyntax` accepts is JSON to Foundation too, and decoding either
// succeeds or throws a `MongeError`.

enum FuzzedReader: String, CaseIterable {
    case npy, csv, safetensors, json

    static let selected: FuzzedReader = {
        let name = ProcessInfo.processInfo.environment["MONGE_FUZZ_READER"] ?? ""
        guard let reader = FuzzedReader(rawValue: name) else {
            fatalError("set MONGE_FUZZ_READER to one of \(allCases.map(\.rawValue)), found \"\(name)\"")
        }
        return reader
    }()
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> CInt {
    _ = FuzzedReader.selected  // fail at start, not on the first input
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    switch FuzzedReader.selected {
    case .npy: fuzzNpy(data)
    case .csv: fuzzCSV(data)
    case .safetensors: fuzzSafeTensors(data)
    case .json: fuzzJSON(data)
    }
    return 0
}

/// Runs a reader; any error but `MongeError` is a finding (the readers promise nothing else).
func expectMongeError<T>(_ what: String, _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch is MongeError {
        return nil
    } catch {
        fatalError("\(what) threw a non-Monge error: \(error)")
    }
}

func fuzzNpy(_ data: Data) {
    guard let array = expectMongeError("NpyFile.decode", { try NpyFile.decode(data, path: "fuzz.npy") }) else { return }
    guard NDArray.elementCount(array.shape) == array.count else {
        fatalError("npy: shape \(array.shape) but \(array.count) elements")
    }
    if array.rank <= 2 {
        _ = expectMongeError("NDArray.matrix") { try array.matrix(as: Float.self) }
        _ = expectMongeError("NDArray.matrix") { try array.matrix(as: Double.self) }
    }
}

func fuzzCSV(_ data: Data) {
    guard let text = String(validating: data, as: UTF8.self) else { return }
    // The first byte picks a header mode and a column selection, so the fuzzer explores them all.
    let modes: [CSVFile.HeaderMode] = [.automatic, .present, .absent]
    let selections = [nil, "1", "2-3", "x,y", "3,1"]
    let choice = Int(data.first ?? 0)
    let mode = modes[choice % modes.count]
    let selection = selections[(choice / modes.count) % selections.count].flatMap { try? ColumnSelection(parsing: $0) }
    if let table = expectMongeError("CSVFile.parse", { try CSVFile.parse(text, path: "fuzz.csv", as: Double.self, header: mode, columns: selection) }) {
        roundTrip(table.matrix)
    }
    if let table = expectMongeError("CSVFile.parse", { try CSVFile.parse(text, path: "fuzz.csv", as: Float.self) }) {
        roundTrip(table.matrix)
    }
}

/// An accepted table written by `CSVFile.format` reads back bit for bit (NaNs as NaNs).
func roundTrip<S: MatrixScalar>(_ matrix: Matrix<S>) {
    guard matrix.rows > 0, matrix.columns > 0 else { return }
    let text: String
    do { text = try CSVFile.format(matrix) } catch { fatalError("CSVFile.format refused a matrix it read: \(error)") }
    let back: Matrix<S>
    do {
        back = try CSVFile.parse(text, path: "roundtrip.csv", as: S.self, header: .absent).matrix
    } catch {
        fatalError("CSV round trip: the written text does not read back: \(error)\n\(text)")
    }
    let same = back.shape == matrix.shape && zip(back.storage, matrix.storage).allSatisfy { a, b in
        a.isNaN ? b.isNaN && a.sign == b.sign : a.bits64 == b.bits64
    }
    guard same else { fatalError("CSV round trip changed the values:\n\(text)") }
}

extension MatrixScalar {
    fileprivate var bits64: UInt64 {
        if let value = self as? Double { return value.bitPattern }
        return UInt64((self as! Float).bitPattern)
    }
}

func fuzzSafeTensors(_ data: Data) {
    guard let (tensors, _) = expectMongeError("SafeTensors.decode", { try SafeTensors.decode(data, path: "fuzz.safetensors") }) else { return }
    for (name, tensor) in tensors where NDArray.elementCount(tensor.shape) != tensor.count {
        fatalError("safetensors: tensor \(name) has shape \(tensor.shape) but \(tensor.count) elements")
    }
}

func fuzzJSON(_ data: Data) {
    let failure = JSONSyntax.check(data)
    if failure == nil, (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) == nil {
        fatalError("JSONSyntax accepted text that Foundation refuses: \(String(decoding: data, as: UTF8.self))")
    }
    if let failure, !(0...data.count).contains(failure.offset) || failure.line < 1 || failure.column < 1 {
        fatalError("JSONSyntax: position \(failure) outside the text of \(data.count) bytes")
    }
    _ = expectMongeError("JSONFile.decode") { try JSONFile.decode(JSONValue.self, from: data, path: "fuzz.json", what: "JSON") }
    _ = expectMongeError("JSONFile.decode") { try JSONFile.decode(RunManifest.self, from: data, path: "fuzz.json", what: "a run manifest") }
}
