import ArgumentParser
import Foundation
import MongeConformance
import MongeCore

/// `monge conformance export|check`: the sampler conformance kit (reference cases from exact oracles).
struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Reference cases from exact ε oracles for checking any diffusion sampler, and the checker.",
        subcommands: [ConformanceExport.self, ConformanceCheckCommand.self])
}

/// `monge conformance export --out DIR`.
struct ConformanceExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the kit: cases.json, README.md and arrays/*.npy (schedules, oracles, single steps, trajectories).")

    @Option(help: "The kit's directory (created if missing).") var out: String
    @Flag(help: "No progress on stderr.") var quiet = false

    func run() throws {
        let run = RunManifest.begin(command: "monge conformance export", parameters: ["out": .string(out)])
        let manifest = try ConformanceKit.export(to: out, run: run) { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        print("wrote \(out): \(manifest.stepCases.count) single-step cases, \(manifest.trajectoryCases.count) trajectory cases")
    }
}

/// `monge conformance check KIT OUTPUTS [--report FILE]`.
struct ConformanceCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare OUTPUTS/<method>/<case id>.npy with the kit: max error per case, measured orders, pass/fail.",
        discussion: "The report (JSON, snake_case keys) goes to stdout, or to --report atomically. Exit status 1 when a case fails.")

    @Argument(help: "The kit's directory (from `monge conformance export`).") var kit: String
    @Argument(help: "The outputs' directory: <method>/<case id>.npy.") var outputs: String
    @Option(help: "Write the JSON report here instead of stdout.") var report: String?
    @Flag(help: "No summary on stderr.") var quiet = false

    func run() throws {
        let result = try ConformanceCheck.check(kit: kit, outputs: outputs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(result)
        if let report {
            var run = RunManifest.begin(command: "monge conformance check", parameters: ["kit": .string(kit), "outputs": .string(outputs)])
            run.finish(outputs: [report], results: ["passed": .bool(result.passed), "cases": .number(Double(result.cases.count))])
            var set = OutputSet()
            try set.add(data, to: report)
            try set.commit(manifest: run, beside: [report])
        } else {
            print(String(decoding: data, as: UTF8.self))
        }
        if !quiet {
            let summary = result.passed ? "all \(result.cases.count) outputs pass"
                : "FAILED: \(result.failures.prefix(8).joined(separator: ", "))\(result.failures.count > 8 ? ", …" : "")"
            FileHandle.standardError.write(Data("conformance: \(summary)\n".utf8))
        }
        if !result.passed { throw ExitCode(1) }
    }
}
