/// Parameters from PyTorch tensors named like a layout's entries (a `state_dict` saved as
/// safetensors, e.g. of `bench_unet.py`'s U-Net), converted to Monge's storage: a convolution
/// weight `[out, in, kh, kw]` becomes `[kh, kw, in, out]`, a linear weight `[out, in]` becomes
/// `[in, out]`, vectors are copied.
extension ParameterLayout {
    /// The PyTorch shape of an entry stored with Monge's `shape`.
    public static func pyTorchShape(_ shape: [Int]) -> [Int] {
        switch shape.count {
        case 4: return [shape[3], shape[2], shape[0], shape[1]]
        case 2: return [shape[1], shape[0]]
        default: return shape
        }
    }

    /// The flat parameters of this layout from `tensors`; throws naming `source` and the tensor
    /// when one is missing or has another shape, or holds a non-finite value.
    public func parameters<S: MatrixScalar>(fromPyTorch tensors: [String: NDArray], source: String, as _: S.Type = S.self) throws -> [S] {
        var out = [S](repeating: 0, count: count)
        for entry in entries {
            guard let tensor = tensors[entry.name] else {
                throw MongeError.invalidFile(path: source, location: "tensor \(entry.name)", message: "missing")
            }
            let expected = ParameterLayout.pyTorchShape(entry.shape)
            guard tensor.shape == expected else {
                throw MongeError.invalidFile(path: source, location: "tensor \(entry.name)",
                                             message: "shape \(tensor.shape), expected PyTorch's \(expected)")
            }
            let values: [S] = tensor.values()
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw MongeError.invalidFile(path: source, location: "tensor \(entry.name)", message: "element \(bad) is \(values[bad])")
            }
            switch entry.shape.count {
            case 4:
                let (kh, kw, cin, cout) = (entry.shape[0], entry.shape[1], entry.shape[2], entry.shape[3])
                for o in 0..<cout { for i in 0..<cin { for y in 0..<kh { for x in 0..<kw {
                    out[entry.offset + ((y * kw + x) * cin + i) * cout + o] = values[((o * cin + i) * kh + y) * kw + x]
                } } } }
            case 2:
                let (inputs, outputs) = (entry.shape[0], entry.shape[1])
                for o in 0..<outputs { for i in 0..<inputs { out[entry.offset + i * outputs + o] = values[o * inputs + i] } }
            default:
                out.replaceSubrange(entry.range, with: values)
            }
        }
        return out
    }
}
