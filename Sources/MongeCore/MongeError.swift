import Foundation

/// The one error type Monge throws for bad input and failed operations.
///
/// Every case says *where* (a file, a line, a field) and *what was expected*, so that a
/// researcher can fix the input without reading the source.
public enum MongeError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A file could not be read, or its content is not what its format requires.
    /// `location` is e.g. "line 3" or "header", `nil` when the whole file is at fault.
    case invalidFile(path: String, location: String?, message: String)
    /// A file could not be written.
    case writeFailed(path: String, message: String)
    /// A parameter or option has a value outside what it accepts.
    case invalidArgument(name: String, message: String)
    /// Two arrays do not have compatible shapes.
    case shapeMismatch(String)
    /// A value is NaN or infinite where a finite number is required.
    case nonFinite(String)
    /// An external tool (gnuplot, python) is missing or failed.
    case externalTool(name: String, message: String)
    /// A numerical procedure did not reach its goal (a solver limit, a failed certificate).
    case numerical(String)

    public var description: String {
        switch self {
        case let .invalidFile(path, location, message):
            if let location { return "\(path): \(location): \(message)" }
            return "\(path): \(message)"
        case let .writeFailed(path, message):
            return "cannot write \(path): \(message)"
        case let .invalidArgument(name, message):
            return "invalid \(name): \(message)"
        case let .shapeMismatch(message):
            return "shape mismatch: \(message)"
        case let .nonFinite(message):
            return "non-finite value: \(message)"
        case let .externalTool(name, message):
            return "\(name): \(message)"
        case let .numerical(message):
            return message
        }
    }

    public var errorDescription: String? { description }
}
