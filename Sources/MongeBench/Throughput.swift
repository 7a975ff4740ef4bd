import Foundation
import MongeCore

/// One throughput measurement: Monge's (and optionally a peer's) seconds per rep for the same work.
public struct ThroughputMeasurement: Sendable {
    public let name: String
    /// Work per rep (steps, point-steps, images), in `unit`'s numerator.
    public let work: Double
    /// The rate's unit, e.g. "steps/s".
    public let unit: String
    /// Nominal FLOPs per rep.
    public let flops: Double
    public var monge: [Double] = []
    /// Monge's CPU seconds (all threads) per rep: FLOPs per CPU-second show the code's efficiency
    /// where wall-clock rates show the load.
    public var mongeCPU: [Double] = []
    public var peer: [Double] = []

    public init(name: String, work: Double, unit: String, flops: Double) {
        self.name = name
        self.work = work
        self.unit = unit
        self.flops = flops
    }

    public var rate: Double { work / BenchStatistics.median(monge) }
    public var gflops: Double { flops / BenchStatistics.median(monge) * 1e-9 }
    public var gflopsPerCPUSecond: Double { flops / BenchStatistics.median(mongeCPU) * 1e-9 }
    public var peerRate: Double? { peer.isEmpty ? nil : work / BenchStatistics.median(peer) }
    /// Peer's median time over Monge's (> 1: Monge is faster).
    public var ratio: Double? { peer.isEmpty ? nil : BenchStatistics.median(peer) / BenchStatistics.median(monge) }
    /// The median of the per-rep ratios (robust to a load that drifts during the run).
    public var ratioOfPairs: Double? {
        peer.isEmpty ? nil : BenchStatistics.median(zip(peer, monge).map { $0 / $1 })
    }

    /// Runs `reps` timed reps of `body` (wall and process CPU time), each followed by the peer's
    /// `command` when a peer is given: the two alternate rep by rep.
    public static func alternating(_ measurement: ThroughputMeasurement, reps: Int, peer: PythonPeer?, command: String,
                                   body: () throws -> Void) throws -> ThroughputMeasurement {
        var m = measurement
        for _ in 0..<reps {
            let wall = BenchClock.wallSeconds(), cpu = BenchClock.processCPUSeconds()
            try body()
            m.monge.append(BenchClock.wallSeconds() - wall)
            m.mongeCPU.append(BenchClock.processCPUSeconds() - cpu)
            if let peer { m.peer.append(try peer.ask(command)) }
        }
        return m
    }

    /// One progress line for stderr.
    public func progressLine(benchmark: String) -> String {
        var line = "bench \(benchmark): \(name): \(ThroughputReport.number(rate, unit)) \(unit)"
        if let peerRate, let ratio {
            line += " vs PyTorch \(ThroughputReport.number(peerRate, unit))" + String(format: " (%.2f×)", ratio)
        }
        return line
    }
}

/// The report of a throughput benchmark: a fixed-width table, or one JSON object (snake_case keys).
public struct ThroughputReport: Sendable {
    public var benchmark: String
    public var title: String
    public var threads: Int
    public var peerVersion: String?
    public var measurements: [ThroughputMeasurement]

    public init(benchmark: String, title: String, threads: Int, peerVersion: String?, measurements: [ThroughputMeasurement]) {
        self.benchmark = benchmark
        self.title = title
        self.threads = threads
        self.peerVersion = peerVersion
        self.measurements = measurements
    }

    /// A rate without its unit: per-second counts below 10⁴ with one decimal, larger ones in
    /// scientific notation (so a long value cannot run into the next column).
    public static func number(_ rate: Double, _ unit: String) -> String {
        rate < 1e4 ? String(format: "%.1f", rate) : String(format: "%.3e", rate)
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "benchmark": .string(benchmark), "threads": .integer(threads),
            "rows": .array(measurements.map { m in
                var row: [String: JSONValue] = [
                    "name": .string(m.name), "unit": .string(m.unit),
                    "monge_seconds": .array(m.monge.map(JSONValue.number)), "monge_cpu_seconds": .array(m.mongeCPU.map(JSONValue.number)),
                    "monge_rate": .number(m.rate), "monge_gflops": .number(m.gflops),
                    "monge_gflops_per_cpu_second": .number(m.gflopsPerCPUSecond)]
                if let peerRate = m.peerRate, let ratio = m.ratio, let pairs = m.ratioOfPairs {
                    row["torch_seconds"] = .array(m.peer.map(JSONValue.number))
                    row["torch_rate"] = .number(peerRate)
                    row["ratio"] = .number(ratio)
                    row["ratio_of_pairs"] = .number(pairs)
                }
                return .object(row)
            }),
        ]
        if let peerVersion { object["peer"] = .string(peerVersion) }
        return .object(object)
    }

    /// The JSON object as one line of text, keys sorted.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(json), as: UTF8.self)
    }

    public var table: String {
        func left(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let nameWidth = max(33, (measurements.map(\.name.count).max() ?? 0) + 1)
        var lines = [title + ", \(threads) threads" + (peerVersion.map { "; peer: \($0), alternating rep by rep" } ?? "")]
        lines.append(left("measurement", nameWidth) + right("Monge", 10) + "  " + left("unit", 14) + right("GFLOP/s", 8)
                     + right("per CPU-s", 11) + (peerVersion == nil ? "" : right("PyTorch", 12) + "  ratio (median, of pairs)"))
        for m in measurements {
            var line = left(m.name, nameWidth) + right(Self.number(m.rate, m.unit), 10) + "  " + left(m.unit, 14)
                + right(String(format: "%.1f", m.gflops), 8) + right(String(format: "%.1f", m.gflopsPerCPUSecond), 11)
            if let peerRate = m.peerRate, let ratio = m.ratio, let pairs = m.ratioOfPairs {
                line += right(Self.number(peerRate, m.unit), 12) + "  " + String(format: "%.2f×, %.2f×", ratio, pairs)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
