import ArgumentParser
import Foundation
import MongeExperiments
import MongeDiffusion

/// `monge compare SOURCE MAPPED TARGET`: how close a map is to exact optimal transport.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Measure a map T (row i of MAPPED = T(row i of SOURCE)) against exact optimal transport.",
        discussion: """
        All files are .npy or .csv with the same number of rows and columns. TARGET is an independent \
        sample of the target domain. Reports the transport cost c(T), the exact W2²(source, target), \
        the transport gap, the optimality gap of T's own coupling, the deviation from the exact Monge \
        image, the realism W2(T#A, B), and optionally the sampling floor and the cycle error.
        """)

    @Argument(help: "Source points x (.npy or .csv).") var source: String
    @Argument(help: "Mapped points T(x), row for row.") var mapped: String
    @Argument(help: "An independent target sample of the same size.") var target: String
    @Option(help: "A second independent target sample, for the sampling floor W2(B′, B).") var secondTarget: String?
    @Option(help: "Points after the round trip A → B → A, for the cycle error.") var cycled: String?
    @Option(help: "A target oracle with known modes (oracle:gaussians8 or oracle:gaussians25): adds the on-mode precision and mode balance of MAPPED.")
    var modes: String?
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(help: "No timing line on stderr.") var quiet = false

    func run() throws {
        let start = Date()
        let x = try ArrayFile.readMatrix(source, as: Double.self)
        let tx = try ArrayFile.readMatrix(mapped, as: Double.self)
        let y = try ArrayFile.readMatrix(target, as: Double.self)
        let y2 = try secondTarget.map { try ArrayFile.readMatrix($0, as: Double.self) }
        let back = try cycled.map { try ArrayFile.readMatrix($0, as: Double.self) }
        for (name, path, m) in [("MAPPED", mapped, tx), ("TARGET", target, y)] where m.rows != x.rows || m.columns != x.columns {
            throw MongeError.shapeMismatch("\(name) \(path) is \(m.rows)×\(m.columns) but SOURCE \(source) is \(x.rows)×\(x.columns): the files must have the same shape")
        }
        var realism: ModeRealism?
        if let modes {
            guard let known = try ModeRealism.Modes(model: ModelSpec(parsing: modes)) else {
                throw MongeError.invalidArgument(name: "modes", message: "\(modes) has no known modes; expected oracle:gaussians8 or oracle:gaussians25")
            }
            realism = try ModeRealism(tx, modes: known)
        }
        let c = try BridgeComparison.measure(source: x, mapped: tx, target: y, secondTarget: y2, cycled: back)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var text = String(decoding: try encoder.encode(c), as: UTF8.self)
            if let realism {  // The realism split as three more keys of the same object.
                let kl = realism.balanceKL.map { "\($0)" } ?? "null"
                text = String(text.dropLast()) + ",\"mode_balance_kl\":\(kl),\"modes_covered\":\(realism.modesCovered),\"on_mode_precision\":\(realism.precision)}"
            }
            print(text)
        } else {
            print(CompareCommand.table(c))
            if let realism {
                print(String(format: "on-mode precision (within 3σ of a mode)  %.6g", realism.precision))
                print("mode balance KL(histogram ‖ uniform)     " + (realism.balanceKL.map { String(format: "%.6g", $0) } ?? "–"))
            }
        }
        if !quiet {
            FileHandle.standardError.write(Data(String(format: "compare: %d points, exact OT %.2f s, total %.2f s\n",
                                                       c.n, c.otSeconds, Date().timeIntervalSince(start)).utf8))
        }
    }

    static func table(_ c: BridgeComparison) -> String {
        var rows: [(String, Double?)] = [
            ("transport cost c(T) = mean ‖T(x) − x‖²", c.transportCost),
            ("exact W2²(source, target)", c.exactW2Squared),
            ("transport gap (c(T) − W2²)/W2²", c.transportGap),
            ("exact W2²(source, T#source)", c.ownW2Squared),
            ("optimality gap c(T)/W2²(A, T#A) − 1", c.optimalityGap),
            ("Monge deviation mean ‖T(x) − T*(x)‖", c.mongeDeviationMean),
            ("Monge deviation max", c.mongeDeviationMax),
            ("realism W2(T#A, B)", c.realismW2),
        ]
        if let floor = c.samplingFloorW2 { rows.append(("sampling floor W2(B′, B)", floor)) }
        if let mean = c.cycleErrorMean, let max = c.cycleErrorMax {
            rows.append(("cycle error mean ‖x − T_BA(T_AB(x))‖", mean))
            rows.append(("cycle error max", max))
        }
        let width = rows.map { $0.0.count }.max() ?? 0
        return (["n = \(c.n)"] + rows.map { name, value in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (value.map { String(format: "%.6g", $0) } ?? "–")
        }).joined(separator: "\n")
    }
}
