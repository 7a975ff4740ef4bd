import Foundation

/// Decoding of the JSON files Monge writes (configs beside checkpoints), with errors that name the
/// file, the position (line and column) and the field instead of Foundation's `DecodingError` text.
public enum JSONFile {
    /// Reads `file` and decodes a `T`; `what` names the expected content in the error for a file
    /// that is not JSON of that shape (e.g. "a training config").
    public static func read<T: Decodable>(_ type: T.Type, from file: String, what: String) throws -> T {
        try decode(T.self, from: AtomicFile.read(file), path: file, what: what)
    }

    /// Decodes a `T` from the bytes of a JSON text; `path` names the source in errors.
    ///
    /// The syntax is checked first (`JSONSyntax`), so that a malformed file is reported at its
    /// line and column with what was expected there; a valid text of the wrong shape is reported
    /// at the field's coding path and the position of its value (or of the object lacking it).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String, what: String) throws -> T {
        if let failure = JSONSyntax.check(data) {
            throw MongeError.invalidFile(path: path, location: failure.location, message: "not \(what): \(failure.message)")
        }
        func location(_ keys: [CodingKey]) -> String? {
            let field = codingPath(keys)
            let components = keys.map { key in key.intValue.map(JSONSyntax.PathComponent.index) ?? .key(key.stringValue) }
            let position = JSONSyntax.position(of: components, in: data).map { "line \($0.line), column \($0.column)" }
            switch (field.isEmpty ? nil : field, position) {
            case let (field?, position?): return "\(field) (\(position))"
            case let (field, position): return field ?? position
            }
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as MongeError {
            throw MongeError.invalidFile(path: path, location: nil, message: error.description)
        } catch let DecodingError.keyNotFound(key, context) {
            let field = codingPath(context.codingPath + [key])
            throw MongeError.invalidFile(path: path, location: location(context.codingPath),
                                         message: "missing field \"\(field)\" (expected \(what))")
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            // The text is valid JSON (checked above): Foundation says "not valid JSON" for a number
            // that does not fit its field's type, without naming the field.
            throw MongeError.invalidFile(path: path, location: nil, message: "not \(what): a value does not fit its field, " +
                                         "e.g. a fraction or a too large number where an integer is expected (\(context.debugDescription))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw MongeError.invalidFile(path: path, location: location(context.codingPath), message: context.debugDescription)
        } catch {
            throw MongeError.invalidFile(path: path, location: nil, message: "not \(what): \(error)")
        }
    }

    /// "training.optimizer.learningRate", "layers[2]": a coding path as a field name.
    public static func codingPath(_ keys: [CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += (path.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return path
    }
}
