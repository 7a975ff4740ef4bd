import ArgumentParser
import MongeExperiments

/// The settings of a command's `--seeds` sweep: the command's other options as arguments (each
/// shard parses them back) and the seeds.
struct SeedSweepPlan: Codable, Equatable, Sendable {
    let arguments: [String]
    let seeds: [UInt64]
}

/// A command's `--seeds` sweep as an `ExperimentGrid` (`monge egsde`, `monge gan`): the seeds are
/// the units, named "seed S", and the first seed is the plan's.
protocol SeedSweep: GridExperiment where Plan == SeedSweepPlan, Unit == UInt64 {}

extension SeedSweep {
    static func seed(of plan: SeedSweepPlan) -> UInt64 { plan.seeds[0] }

    var units: [UInt64] { plan.seeds }
    func name(of unit: UInt64) -> String { "seed \(unit)" }

    /// The command a shard's settings parse back to, validated; a plan without seeds, or whose
    /// settings do not parse, is refused with the parser's message.
    static func command<C: ParsableCommand>(_: C.Type, of plan: SeedSweepPlan, arguments: [String]) throws -> C {
        guard !plan.seeds.isEmpty else { throw MongeError.invalidArgument(name: "seeds", message: "at least one seed") }
        do {
            var command = try C.parse(arguments)
            try command.validate()
            return command
        } catch {
            throw MongeError.invalidArgument(name: "plan", message: "the shard's settings do not parse: \(C.message(for: error))")
        }
    }
}
