import Foundation
import MongeCore
import TestSupport
import Testing

/// A .npy file built by hand: prefix, `dictionary` padded with spaces and a newline so that
/// the data starts at a multiple of `alignment`, then `data`.
private func npyBytes(_ dictionary: String, version: UInt8 = 1, data: [UInt8], alignment: Int = 64) -> [UInt8] {
    let lengthBytes = version == 1 ? 2 : 4
    let prefix = 8 + lengthBytes
    let text = Array(dictionary.utf8)
    let unpadded = prefix + text.count + 1
    let padded = (unpadded + alignment - 1) / alignment * alignment
    let headerLength = padded - prefix
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    bytes += version == 1 ? littleEndianBytes(UInt16(headerLength)) : littleEndianBytes(UInt32(headerLength))
    bytes += text + [UInt8](repeating: 0x20, count: padded - unpadded) + [0x0A]
    return bytes + data
}

private func doubleBytes(_ values: [Double]) -> [UInt8] { values.flatMap { littleEndianBytes($0.bitPattern) } }

@Suite("NpyFile")
struct NpyFileTests {
    let folder = TestSupport.temporaryFolder("npy")

    private func file(_ bytes: [UInt8], _ name: String = "hand.npy") throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [[7], [3, 2], [2, 3, 4], [2, 1, 3, 5], [0, 2], [0], [4, 0, 3], []])
    func roundTripsEveryRankInBothPrecisions(shape: [Int]) throws {
        let count = shape.reduce(1, *)
        for array in [try NDArray(shape: shape, values: awkwardDoubles(count, seed: 11)),
                      try NDArray(shape: shape, values: awkwardFloats(count, seed: 12))] {
            let path = folder + "/a-\(array.dtype)-\(shape.count).npy"
            try NpyFile.write(array, to: path)
            let back = try NpyFile.read(path)
            #expect(back.shape == shape)
            #expect(back.dtype == array.dtype)
            #expect(bits(back) == bits(array))
            // numpy aligns the data to 64 bytes; the file is exactly header + data.
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            #expect((size - count * array.dtype.byteCount) % 64 == 0)
        }
    }

    @Test func roundTripsMatricesAndKeepsNaNPayloads() throws {
        var m = Matrix<Float>(rows: 2, columns: 3) { i, j in Float(i * 3 + j) / 7 }
        m[1, 2] = .nan
        m[0, 1] = .infinity
        let path = folder + "/m.npy"
        try NpyFile.write(m, to: path)
        let back = try NpyFile.readMatrix(path, as: Float.self)
        #expect(back.storage.map(\.bitPattern) == m.storage.map(\.bitPattern))
        // Widening to Double is exact.
        let wide = try NpyFile.readMatrix(path, as: Double.self)
        #expect(wide[0, 2] == Double(m[0, 2]))
    }

    @Test func rankOneReadsAsAColumnAndRankThreeIsRefused() throws {
        let path = folder + "/v.npy"
        try NpyFile.write(try NDArray(shape: [4], values: [1.0, 2, 3, 4]), to: path)
        let column = try NpyFile.readMatrix(path, as: Double.self)
        #expect(column.shape == [4, 1])
        #expect(column.storage == [1, 2, 3, 4])
        let cube = folder + "/c.npy"
        try NpyFile.write(try NDArray(shape: [2, 3, 4], values: [Float](repeating: 1, count: 24)), to: cube)
        expectInvalidFile(location: "header", containing: ["rank-2", "(2, 3, 4)"]) {
            _ = try NpyFile.readMatrix(cube, as: Float.self)
        }
    }

    /// The header numpy 2.4 writes for `np.save(f, np.zeros((3, 2)))`: header length 118 (0x76),
    /// the dictionary, spaces, and a newline as byte 127, so the data starts at byte 128.
    @Test func writesTheHeaderNumpyWrites() throws {
        let path = folder + "/zeros.npy"
        try NpyFile.write(Matrix<Double>(rows: 3, columns: 2), to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let dictionary = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }".utf8)
        #expect(bytes.count == 128 + 48)
        #expect(Array(bytes[0..<10]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0x76, 0x00])
        #expect(Array(bytes[10..<(10 + dictionary.count)]) == dictionary)
        #expect(bytes[(10 + dictionary.count)..<127].allSatisfy { $0 == 0x20 })
        #expect(bytes[127] == 0x0A)
        #expect(bytes[128...].allSatisfy { $0 == 0 })
    }

    @Test func readsAHandMadeHeader() throws {
        let values: [Double] = [1, -2.5, 1.0 / 3.0, 1e-300, -0.0, 6]
        let bytes = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", data: doubleBytes(values))
        #expect((bytes.count - 48) % 64 == 0)
        let m = try NpyFile.readMatrix(try file(bytes), as: Double.self)
        #expect(m.shape == [3, 2])
        #expect(m.storage.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func readsOtherLayoutsOfTheHeader() throws {
        let values: [Double] = [1, 2, 3]
        // Older numpy: 16-byte alignment, keys in another order, Python 2 long integers, double quotes.
        let cases: [(String, UInt8, Int)] = [
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 1, 16),
            ("{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f8\"}", 1, 16),
            ("{'descr':'<f8','fortran_order':False,'shape':(3,)}", 2, 64),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 3, 64),
            // Fortran order is C order when at most one axis is longer than 1.
            ("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 3), }", 1, 64),
        ]
        for (index, (dictionary, version, alignment)) in cases.enumerated() {
            let path = try file(npyBytes(dictionary, version: version, data: doubleBytes(values), alignment: alignment), "v\(index).npy")
            let array = try NpyFile.read(path)
            #expect(array.values(as: Double.self) == values, "\(dictionary)")
        }
    }

    @Test func convertsBigEndianAndIntegerDescriptors() throws {
        let bigDoubles = [1.5, -2.0].flatMap { bigEndianBytes($0.bitPattern) }
        let bigFloats = [Float(0.1), 3].flatMap { bigEndianBytes($0.bitPattern) }
        let int32s = [Int32(-7), 2_000_000_000].flatMap { littleEndianBytes($0) }
        let int64s = [Int64(-9_007_199_254_740_992), 42].flatMap { bigEndianBytes($0) }
        let uint8s: [UInt8] = [0, 255]
        let cases: [(String, [UInt8], [Double], ArrayDType)] = [
            (">f8", bigDoubles, [1.5, -2.0], .float64),
            (">f4", bigFloats, [Double(Float(0.1)), 3], .float32),
            ("<i4", int32s, [-7, 2_000_000_000], .float64),
            (">i8", int64s, [-9_007_199_254_740_992, 42], .float64),
            ("|u1", uint8s, [0, 255], .float64),
        ]
        for (descriptor, data, expected, dtype) in cases {
            let dictionary = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': (2,), }"
            let array = try NpyFile.read(try file(npyBytes(dictionary, data: data), "d.npy"))
            #expect(array.dtype == dtype, "\(descriptor)")
            #expect(array.values(as: Double.self) == expected, "\(descriptor)")
        }
        // 2^53 + 1 has no exact Double: an error, not a rounded value.
        let dictionary = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }"
        let path = try file(npyBytes(dictionary, data: littleEndianBytes(Int64(9_007_199_254_740_993))), "big.npy")
        expectInvalidFile(location: "data", containing: ["2^53"]) { _ = try NpyFile.read(path) }
    }

    @Test func badFilesAreNamedWithTheirLocation() throws {
        let good = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", data: doubleBytes([1, 2, 3, 4, 5, 6]))
        func header(_ dictionary: String) -> [UInt8] { npyBytes(dictionary, data: doubleBytes([1, 2, 3, 4, 5, 6])) }
        let cases: [(String, [UInt8], String, [String])] = [
            ("empty", [], "header", ["truncated"]),
            ("cut in the prefix", Array(good.prefix(9)), "header", ["9 bytes", "truncated"]),
            ("cut in the header", Array(good.prefix(40)), "header", ["header length 118", "truncated"]),
            ("cut in the data", Array(good.prefix(good.count - 3)), "data", ["expected 48 bytes", "found 45", "truncated"]),
            ("trailing data", good + [0, 0, 0, 0, 0, 0, 0, 0], "data", ["expected 48 bytes", "found 56"]),
            ("corrupt magic", [0x93] + Array("NUMPZ".utf8) + Array(good.dropFirst(6)), "header", ["magic", "\\x5a"]),
            ("a text file", Array("x,y\n1,2\n".utf8), "header", ["magic"]),
            ("version 4", Array(good.prefix(6)) + [4, 0] + Array(good.dropFirst(8)), "header", ["version 4.0", "1.0, 2.0 or 3.0"]),
            ("not a dict", header("['descr', '<f8']"), "header", ["malformed", "dictionary"]),
            ("unclosed dict", header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2)"), "header", ["malformed", "'}'"]),
            ("missing key", header("{'descr': '<f8', 'shape': (3, 2), }"), "header", ["malformed", "'fortran_order'"]),
            ("extra key", header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), 'x': 1}"), "header", ["malformed", "'x'"]),
            ("shape not a tuple", header("{'descr': '<f8', 'fortran_order': False, 'shape': 6, }"), "header", ["'shape'", "tuple"]),
            ("negative extent", header("{'descr': '<f8', 'fortran_order': False, 'shape': (-3, -2), }"), "header", ["non-negative"]),
            ("code in the header", header("{'descr': __import__('os'), 'fortran_order': False, 'shape': (3, 2), }"), "header", ["malformed", "__import__"]),
            ("complex dtype", header("{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }"), "header", ["unsupported dtype '<c16'", "<f8"]),
            ("half floats", header("{'descr': '<f2', 'fortran_order': False, 'shape': (3, 2), }"), "header", ["unsupported dtype '<f2'"]),
            ("structured dtype", header("{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (3,), }"), "header", ["unsupported dtype", "structured"]),
            ("fortran order", header("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }"), "header", ["fortran_order", "C order"]),
            ("shape too large", header("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"), "header", ["too large"]),
        ]
        for (name, bytes, location, fragments) in cases {
            let path = try file(bytes, "bad.npy")
            let message = expectInvalidFile(location: location, containing: fragments) { _ = try NpyFile.read(path) }
            #expect(message != nil, "case: \(name)")
        }
        expectInvalidFile(location: nil, containing: ["no such file"]) { _ = try NpyFile.read(folder + "/missing.npy") }
    }

    @Test func numpyReadsMongesFilesAndMongeReadsNumpys() throws {
        guard let python = TestSupport.pythonWithNumpy else {
            print("NpyFileTests: no python with numpy (set MONGE_PYTHON); cross-check skipped")
            return
        }
        // numpy reads Monge's files: shape, dtype and every bit pattern.
        let doubles = try NDArray(shape: [2, 3, 4], values: awkwardDoubles(24, seed: 5))
        let floats = try NDArray(shape: [5, 2], values: awkwardFloats(10, seed: 6))
        let empty = try NDArray(shape: [0, 2], values: [Double]())
        for (name, array) in [("d", doubles), ("f", floats), ("e", empty)] {
            let path = folder + "/monge-\(name).npy"
            try NpyFile.write(array, to: path)
            let view = array.dtype == .float32 ? "uint32" : "uint64"
            let output = try runPython(python, """
                import numpy as np
                a = np.load('\(path)')
                print(a.dtype.str, list(a.shape), a.flags.c_contiguous)
                print(' '.join(str(b) for b in a.view(np.\(view)).ravel().tolist()))
                """)
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines[0] == "\(array.dtype.npyDescriptor) \(array.shape) True")
            #expect(lines[1] == bits(array).map(String.init).joined(separator: " "))
        }
        // Monge reads numpy's files, and writes the same bytes np.save does.
        let script = """
            import numpy as np
            f = '\(folder)/'
            a = (np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 7) / 3
            np.save(f + 'np-d.npy', a)
            np.save(f + 'np-f.npy', (a[0] / 11).astype(np.float32))
            np.save(f + 'np-big.npy', a[1].astype('>f8'))
            np.save(f + 'np-int.npy', np.arange(-3, 3, dtype=np.int32).reshape(3, 2))
            np.save(f + 'np-vector.npy', np.linspace(0, 1, 5))
            np.save(f + 'np-empty.npy', np.zeros((0, 2)))
            np.save(f + 'np-fortran.npy', np.asfortranarray(a[0]))
            for n in ['np-d', 'np-f', 'np-big']:
                x = np.load(f + n + '.npy')
                print(n, ' '.join(str(b) for b in x.view(np.uint64 if x.itemsize == 8 else np.uint32).ravel().tolist()))
            """
        let output = try runPython(python, script)
        var expectedBits: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            expectedBits[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let d = try NpyFile.read(folder + "/np-d.npy")
        #expect(d.shape == [2, 3, 4] && d.dtype == .float64)
        #expect(bits(d).map(String.init).joined(separator: " ") == expectedBits["np-d"])
        let f = try NpyFile.read(folder + "/np-f.npy")
        #expect(f.shape == [3, 4] && f.dtype == .float32)
        #expect(bits(f).map(String.init).joined(separator: " ") == expectedBits["np-f"])
        let big = try NpyFile.read(folder + "/np-big.npy")
        #expect(bits(big).map { String($0.byteSwapped) }.joined(separator: " ") == expectedBits["np-big"])
        #expect(try NpyFile.readMatrix(folder + "/np-int.npy", as: Double.self).storage == [-3, -2, -1, 0, 1, 2])
        #expect(try NpyFile.readMatrix(folder + "/np-vector.npy", as: Double.self).storage == [0, 0.25, 0.5, 0.75, 1])
        #expect(try NpyFile.readMatrix(folder + "/np-empty.npy", as: Double.self).shape == [0, 2])
        expectInvalidFile(location: "header", containing: ["fortran_order"]) {
            _ = try NpyFile.read(folder + "/np-fortran.npy")
        }
        // Header lengths on both sides of every 64-byte block boundary: ranks and digit counts.
        let shapes = try runPython(python, """
            import numpy as np
            shapes = [(first,) + rest for first in (0, 7, 12345, 10**9, 10**12)
                      for rest in ((), (0,), (3, 0), (0, 2, 3, 4, 5, 6, 7), (0,) * 12, (98,) * 2 + (0,))]
            # Dictionary lengths that run through every residue modulo 64.
            shapes += [(0,) * r + (10**j,) for r in range(1, 18) for j in range(18)]
            for i, s in enumerate(shapes):
                np.save('\(folder)/shape%d.npy' % i, np.zeros(s if 0 in s else s + (0,), np.float32))
            print(len(shapes))
            """)
        let shapeCount = Int(shapes.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(shapeCount > 30)
        for i in 0..<shapeCount {
            let name = "shape\(i)"
            let ours = folder + "/rewritten-\(name).npy"
            let theirs = try NpyFile.read(folder + "/\(name).npy")
            try NpyFile.write(theirs, to: ours)
            #expect(try Data(contentsOf: URL(fileURLWithPath: ours)) == Data(contentsOf: URL(fileURLWithPath: folder + "/\(name).npy")),
                    "\(name) \(theirs.shape): bytes differ from np.save")
        }
        for name in ["np-d", "np-f", "np-empty"] {
            let ours = folder + "/rewritten-\(name).npy"
            try NpyFile.write(try NpyFile.read(folder + "/\(name).npy"), to: ours)
            #expect(try Data(contentsOf: URL(fileURLWithPath: ours)) == Data(contentsOf: URL(fileURLWithPath: folder + "/\(name).npy")),
                    "\(name): bytes differ from np.save")
        }
    }
}
