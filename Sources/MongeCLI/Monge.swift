import ArgumentParser
import Foundation
import MongeCore

/// The `monge` command line: data → models → bridges → exact OT → tables and figures.
@main
public struct Monge: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "monge",
        abstract: "2-D optimal transport and diffusion bridges: how close is DDIB to the Monge map?",
        version: MongeVersion.string,
        subcommands: [
            // data → models → bridges → exact OT → tables and figures
            DataCommand.self,
            TrainCommand.self,
            GANCommand.self,
            MUNITCommand.self,
            SampleCommand.self,
            EncodeCommand.self,
            DecodeCommand.self,
            TranslateCommand.self,
            ClassifierCommand.self,
            EGSDECommand.self,
            FlowCommand.self,
            OTCommand.self,
            CompareCommand.self,
            ReproduceCommand.self,
            MergeCommand.self,
            PlotCommand.self,
            BenchCommand.self,
            ConformanceCommand.self,
        ]
    )

    public init() {}

    /// The entry point: the arguments with negative numbers attached to their options.
    public static func main() {
        main(CommandLineArguments.attachingNegativeValues(Array(CommandLine.arguments.dropFirst())))
    }

    /// Parses and validates `arguments` as the binary does (without running the command): for
    /// tests of the validation. Throws the error the binary would report.
    public static func parseAndValidate(_ arguments: [String]) throws {
        _ = try parseAsRoot(CommandLineArguments.attachingNegativeValues(arguments))
    }
}

/// Rewrites of the raw arguments before ArgumentParser sees them.
public enum CommandLineArguments {
    /// `--epsilon -1` becomes `--epsilon=-1`: ArgumentParser takes a dash-led token for an option
    /// and reports "Missing value", while monge has no option spelled like a number, so a
    /// negative number after a long option is its value (and is then range-checked). Stops at `--`.
    public static func attachingNegativeValues(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                result += arguments[index...]
                break
            }
            if argument.hasPrefix("--"), argument.count > 2, !argument.contains("="),
               index + 1 < arguments.count, isNegativeNumber(arguments[index + 1]) {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
                continue
            }
            result.append(argument)
            index += 1
        }
        return result
    }

    /// "-1", "-0.5", "-.5", "-1e-3", "-inf", "-nan": a minus sign and what `Double` parses.
    static func isNegativeNumber(_ text: String) -> Bool {
        guard text.hasPrefix("-"), text.count > 1, !text.hasPrefix("--") else { return false }
        return Double(text) != nil
    }
}
