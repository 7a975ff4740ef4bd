import Foundation

/// Decoding of the JSON files Monge writes (configs beside checkpoints), with errors that name the
/// file and the field instead of Foundation's `DecodingError` text.
public enum JSONFile {
    /// Reads `file` and decodes a `T`; `what` names the expected content in the error for a file
    /// that is not JSON of that shape (e.g. "a training config").
    public static func read<T: Decodable>(_ type: T.Type, from file: String, what: String) throws -> T {
        let data = try AtomicFile.read(file)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as MongeError {
            throw MongeError.invalidFile(path: file, location: nil, message: error.description)
        } catch let DecodingError.keyNotFound(key, context) {
            throw MongeError.invalidFile(path: file, location: codingPath(context.codingPath + [key]), message: "missing field")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw MongeError.invalidFile(path: file, location: codingPath(context.codingPath), message: context.debugDescription)
        } catch {
            throw MongeError.invalidFile(path: file, location: nil, message: "not \(what): \(error)")
        }
    }

    /// "training.optimizer.learningRate", "layers[2]": a coding path as a field name.
    public static func codingPath(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
