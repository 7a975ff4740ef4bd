import Foundation
import MongeCore
import TestSupport
import Testing

/// A safetensors file built by hand from header text and a buffer.
private func safetensorsBytes(_ header: String, buffer: [UInt8]) -> [UInt8] {
    littleEndianBytes(UInt64(header.utf8.count)) + Array(header.utf8) + buffer
}

@Suite("SafeTensors")
struct SafeTensorsTests {
    let folder = TestSupport.temporaryFolder("safetensors")

    private func file(_ bytes: [UInt8], _ name: String = "hand.safetensors") throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func roundTripsTensorsOfEveryRankAndMetadata() throws {
        let tensors: [String: NDArray] = [
            "layer.0.weight": try NDArray(shape: [3, 4], values: awkwardFloats(12, seed: 1)),
            "layer.0.bias": try NDArray(shape: [4], values: awkwardFloats(4, seed: 2)),
            "conv": try NDArray(shape: [2, 1, 3, 3], values: awkwardDoubles(18, seed: 3)),
            "scale": try NDArray(shape: [], values: [Double(0.5)]),
            "empty": try NDArray(shape: [0, 3], values: [Float]()),
            "naïve \"name\"\n": try NDArray(shape: [1], values: [Float(-0.0)]),
        ]
        let metadata = ["model": "ddpm-mlp", "config": "{\"steps\": 1000}", "ünï": "ç\\ode\u{1}"]
        let path = folder + "/w.safetensors"
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: path)
        let (back, backMetadata) = try SafeTensors.read(path)
        #expect(backMetadata == metadata)
        #expect(Set(back.keys) == Set(tensors.keys))
        for (name, tensor) in tensors {
            #expect(back[name]?.shape == tensor.shape, "\(name)")
            #expect(back[name]?.dtype == tensor.dtype, "\(name)")
            #expect(back[name].map(bits) == bits(tensor), "\(name)")
        }
        let (_, none) = try SafeTensors.read({ try SafeTensors.write(tensors: tensors, to: path); return path }())
        #expect(none.isEmpty)
    }

    /// Headers written by the reference implementation (safetensors 0.8.0, `save_file`):
    /// F64 before F32, then by name; `__metadata__` first; compact JSON padded to 8 bytes.
    @Test func writesTheReferenceLayoutByteForByte() throws {
        let path = folder + "/ref.safetensors"
        try SafeTensors.write(tensors: ["b": try NDArray(shape: [2], values: [Float](repeating: 0, count: 2)),
                                        "a": try NDArray(shape: [1, 3], values: [Float](repeating: 1, count: 3)),
                                        "c": try NDArray(shape: [3], values: [0.0, 1, 2])],
                              metadata: ["k": "v"], to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = #"{"__metadata__":{"k":"v"},"c":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},"a":{"dtype":"F32","shape":[1,3],"data_offsets":[24,36]},"b":{"dtype":"F32","shape":[2],"data_offsets":[36,44]}}"#
        #expect(bytes.count == 8 + 192 + 44)
        #expect(Array(bytes[0..<8]) == [192, 0, 0, 0, 0, 0, 0, 0])
        #expect(String(decoding: bytes[8..<200], as: UTF8.self) == header)
        let buffer = [0.0, 1, 2].flatMap { littleEndianBytes($0.bitPattern) }
            + [Float](repeating: 1, count: 3).flatMap { littleEndianBytes($0.bitPattern) } + [UInt8](repeating: 0, count: 8)
        #expect(Array(bytes[200...]) == buffer)

        try SafeTensors.write(tensors: ["x": try NDArray(shape: [], values: [Float(0)]),
                                        "e": try NDArray(shape: [0, 3], values: [Double]())],
                              metadata: ["a\"\\\n\u{1}é": "z"], to: path)
        let second = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let secondHeader = #"{"__metadata__":{"a\"\\\n\u0001é":"z"},"e":{"dtype":"F64","shape":[0,3],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#
        #expect(Array(second[0..<8]) == [152, 0, 0, 0, 0, 0, 0, 0])
        #expect(String(decoding: second[8..<160], as: UTF8.self) == secondHeader + "     ")
        #expect(second.count == 8 + 152 + 4)
    }

    @Test func corruptFilesAreNamed() throws {
        let twoFloats = [UInt8](repeating: 0, count: 8)
        func tensor(_ name: String, _ dtype: String = "F32", _ shape: String = "[2]", offsets: String) -> String {
            "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
        }
        let cases: [(String, [UInt8], String, [String])] = [
            ("short", [1, 2, 3], "header", ["3 bytes", "truncated"]),
            ("header past the end", safetensorsBytes("{}", buffer: []).prefix(8) + [0x7B], "header", ["header length 2", "truncated"]),
            ("huge header length", littleEndianBytes(UInt64.max) + [0x7B], "header", ["exceeds the limit"]),
            ("not an object", safetensorsBytes("[1, 2]", buffer: []), "header", ["start with '{'"]),
            ("malformed json", safetensorsBytes("{\"a\": {", buffer: []), "header", ["malformed JSON"]),
            ("unsupported dtype", safetensorsBytes("{\(tensor("w", "BF16", "[4]", offsets: "[0,8]"))}", buffer: twoFloats), "header",
             ["tensor 'w'", "unsupported dtype \"BF16\"", "F32 or F64"]),
            ("size ≠ shape × dtype", safetensorsBytes("{\(tensor("w", "F32", "[3]", offsets: "[0,8]"))}", buffer: twoFloats), "header",
             ["tensor 'w'", "span 8 bytes", "expected 12"]),
            ("begin after end", safetensorsBytes("{\(tensor("w", "F32", "[2]", offsets: "[8,0]"))}", buffer: twoFloats), "header",
             ["tensor 'w'", "begin ≤ end"]),
            ("negative extent", safetensorsBytes("{\(tensor("w", "F32", "[-2]", offsets: "[0,8]"))}", buffer: twoFloats), "header",
             ["tensor 'w'", "non-negative"]),
            ("overlap", safetensorsBytes("{\(tensor("a", offsets: "[0,8]")),\(tensor("b", offsets: "[4,12]"))}", buffer: twoFloats + [0, 0, 0, 0]),
             "header", ["tensor 'b'", "overlaps tensor 'a'"]),
            ("hole", safetensorsBytes("{\(tensor("a", offsets: "[0,8]")),\(tensor("b", offsets: "[12,20]"))}", buffer: twoFloats + twoFloats + [0, 0, 0, 0]),
             "header", ["bytes 8..<12", "hole before tensor 'b'"]),
            ("out of bounds", safetensorsBytes("{\(tensor("a", offsets: "[0,8]")),\(tensor("b", offsets: "[8,16]"))}", buffer: twoFloats + [0, 0]),
             "data", ["tensor 'b' ends at byte 16", "10 bytes", "truncated"]),
            ("trailing bytes", safetensorsBytes("{\(tensor("a", offsets: "[0,8]"))}", buffer: twoFloats + [0, 0, 0, 0]), "data",
             ["12 bytes", "cover 8"]),
            ("bad metadata", safetensorsBytes("{\"__metadata__\":{\"n\":3}}", buffer: []), "header", ["__metadata__", "strings"]),
            ("missing offsets", safetensorsBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", buffer: twoFloats), "header",
             ["tensor 'w'", "data_offsets"]),
        ]
        for (name, bytes, location, fragments) in cases {
            let path = try file(Array(bytes))
            let message = expectInvalidFile(location: location, containing: fragments) { _ = try SafeTensors.read(path) }
            #expect(message != nil, "case \(name)")
        }
    }

    @Test func aReservedNameIsRefusedAndLeavesNoFile() throws {
        #expect(throws: MongeError.self) {
            try SafeTensors.write(tensors: ["__metadata__": try NDArray(shape: [1], values: [Float(1)])], to: folder + "/x.safetensors")
        }
        #expect(TestSupport.files(in: folder).isEmpty)
    }

    @Test func theReferenceImplementationAgrees() throws {
        guard let python = TestSupport.pythonWithNumpy,
              (try? TestSupport.run(python, ["-c", "import safetensors"]))?.status == 0 else {
            print("SafeTensorsTests: no python with safetensors; cross-check skipped (layout checked against golden bytes)")
            return
        }
        // The reference reads Monge's file.
        let weights = try NDArray(shape: [2, 3], values: awkwardFloats(6, seed: 21))
        let potentials = try NDArray(shape: [5], values: awkwardDoubles(5, seed: 22))
        let path = folder + "/monge.safetensors"
        try SafeTensors.write(tensors: ["w": weights, "phi": potentials], metadata: ["seed": "7"], to: path)
        let output = try runPython(python, """
            import numpy as np
            from safetensors import safe_open
            with safe_open('\(path)', framework='numpy') as f:
                print(f.metadata()['seed'])
                for k in sorted(f.keys()):
                    t = f.get_tensor(k)
                    print(k, t.dtype.str, list(t.shape), ' '.join(str(b) for b in t.view(np.uint32 if t.itemsize == 4 else np.uint64).ravel().tolist()))
            """)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "7")
        #expect(lines.dropFirst().first == "phi <f8 [5] " + bits(potentials).map(String.init).joined(separator: " "))
        #expect(lines.dropFirst(2).first == "w <f4 [2, 3] " + bits(weights).map(String.init).joined(separator: " "))

        // Monge reads the reference's file and writes the same bytes.
        let theirs = folder + "/reference.safetensors"
        _ = try runPython(python, """
            import numpy as np
            from safetensors.numpy import save_file
            save_file({'net.1.weight': (np.arange(12, dtype=np.float32).reshape(3, 4) / 7),
                       'net.1.bias': np.linspace(-1, 1, 4, dtype=np.float32),
                       'sigma': np.array(0.25), 'cube': np.ones((2, 2, 2)) / 3},
                      '\(theirs)', metadata={'format': 'np'})
            """)
        let (tensors, metadata) = try SafeTensors.read(theirs)
        #expect(metadata == ["format": "np"])
        #expect(tensors["net.1.weight"]?.shape == [3, 4])
        #expect(tensors["net.1.weight"]?.values(as: Float.self) == (0..<12).map { Float($0) / 7 })
        #expect(tensors["sigma"]?.shape == [] && tensors["sigma"]?.values(as: Double.self) == [0.25])
        let ours = folder + "/rewritten.safetensors"
        try SafeTensors.write(tensors: tensors, metadata: metadata, to: ours)
        #expect(try Data(contentsOf: URL(fileURLWithPath: ours)) == Data(contentsOf: URL(fileURLWithPath: theirs)))
    }
}
