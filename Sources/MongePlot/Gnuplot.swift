import Foundation
import GnuplotBridge

/// The gnuplot executable Monge plots with, and the two things it does with it: check that it
/// runs, and run a script file (through the GnuplotBridge C++ target and gnuplot-iostream).
public struct Gnuplot: Sendable, Equatable {
    /// An executable name looked up in PATH (e.g. "gnuplot") or a path.
    public var executable: String

    public init(executable: String) {
        self.executable = executable
    }

    /// `$MONGE_GNUPLOT` when set and non-empty, else "gnuplot".
    public static var `default`: Gnuplot {
        let override = ProcessInfo.processInfo.environment["MONGE_GNUPLOT"] ?? ""
        return Gnuplot(executable: override.isEmpty ? "gnuplot" : override)
    }

    /// The version line (e.g. "gnuplot 5.4 patchlevel 4"); throws `MongeError.externalTool`
    /// when gnuplot is missing or does not run.
    public func version() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let status = gb_version(executable, &buffer, buffer.count)
        let text = String(cString: buffer)
        guard status == 0 else {
            throw MongeError.externalTool(
                name: "gnuplot",
                message: "`\(executable) --version` failed (\(text)); install gnuplot (Debian: apt-get install gnuplot-nox) or set MONGE_GNUPLOT")
        }
        return text
    }

    /// Runs the gnuplot script at `scriptPath` after the commands `preamble`. Returns gnuplot's
    /// warnings (usually empty); throws `MongeError.externalTool` with gnuplot's error output
    /// when the script fails or gnuplot cannot be started.
    @discardableResult
    public func run(scriptAt scriptPath: String, preamble: String = "") throws -> String {
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = gb_run_script(executable, preamble, scriptPath, &buffer, buffer.count)
        let text = String(cString: buffer)
        guard status == 0 else {
            throw MongeError.externalTool(name: "gnuplot", message: "\(scriptPath): \(text)")
        }
        return text
    }

    /// `text` as a single-quoted gnuplot string literal ('' stands for a quote; newlines become spaces).
    public static func quoted(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        return "'" + flat.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `text` as a quoted literal shown verbatim in enhanced-text mode: ^ _ @ & ~ { } escaped.
    public static func quotedLabel(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "^_@&~{}".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return quoted(escaped)
    }
}
