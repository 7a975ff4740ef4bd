import Foundation
import MongeDiffusion

/// The result of `monge conformance check`: per output file its max error against the kit's
/// reference and, per trajectory family, the measured order of convergence. Keys snake_case.
public struct ConformanceReport: Codable, Equatable, Sendable {
    public var format: String
    public var passed: Bool
    public var cases: [CaseResult]
    public var orders: [OrderResult]

    public struct CaseResult: Codable, Equatable, Sendable {
        public var method: String
        public var caseID: String
        public var kind: String
        public var dtype: String
        /// Steps: max |output − expected|; trajectories: max error over the judged levels (≥ judged_from_level).
        public var maxError: Double
        /// Trajectories: max error over every noisy level (after the start, before −1).
        public var noisyError: Double?
        /// Steps: max |output − expected|/(1 + |expected|), compared with `tolerance`.
        public var scaledError: Double?
        public var tolerance: Double?
        /// Trajectories: max error of the clean end point (level −1) against the exact flow.
        public var endpointError: Double?
        /// Steps: the first step index whose error exceeds the tolerance.
        public var firstFailingStep: Int?
        /// Steps: pass/fail; trajectories: nil (judged per family by `orders`).
        public var passed: Bool?

        enum CodingKeys: String, CodingKey {
            case method, kind, dtype, tolerance, passed
            case caseID = "case", maxError = "max_error", noisyError = "noisy_error", scaledError = "scaled_error", endpointError = "endpoint_error"
            case firstFailingStep = "first_failing_step"
        }
    }

    public struct OrderResult: Codable, Equatable, Sendable {
        public var method: String
        public var family: String
        public var steps: [Int]
        /// Max error over the judged levels, per K; the measured order is fitted to these.
        public var errors: [Double]
        /// Max error over every noisy level, and at the clean end point, per K (reported, not judged).
        public var noisyErrors: [Double]
        public var endpointErrors: [Double]
        public var measuredOrder: Double
        public var endpointOrder: Double
        public var expectedOrder: Double?
        public var orderTolerance: Double?
        public var passed: Bool?
        /// Why the order is not judged, when it is not.
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case method, family, steps, errors, passed, note
            case noisyErrors = "noisy_errors", endpointErrors = "endpoint_errors", measuredOrder = "measured_order", endpointOrder = "endpoint_order"
            case expectedOrder = "expected_order", orderTolerance = "order_tolerance"
        }
    }

    /// The methods whose cases or families failed, for a one-line summary.
    public var failures: [String] {
        Array(Set(cases.filter { $0.passed == false }.map { "\($0.method)/\($0.caseID)" }
                  + orders.filter { $0.passed == false }.map { "\($0.method)/\($0.family)" })).sorted()
    }
}

/// Compares a user's outputs with the kit's references.
public enum ConformanceCheck {
    /// Reads the kit's manifest.
    public static func manifest(in directory: String) throws -> ConformanceManifest {
        let path = (directory as NSString).appendingPathComponent("cases.json")
        let manifest = try JSONFile.read(ConformanceManifest.self, from: path, what: "a conformance kit manifest")
        guard manifest.format == ConformanceManifest.currentFormat else {
            throw MongeError.invalidFile(path: path, location: "format", message: "expected \"\(ConformanceManifest.currentFormat)\", got \"\(manifest.format)\"")
        }
        return manifest
    }

    /// −slope of the least-squares line through (log K, log error); NaN if an error is 0 or not finite.
    public static func order(steps: [Int], errors: [Double]) -> Double {
        guard steps.count >= 2, errors.allSatisfy({ $0 > 0 && $0.isFinite }) else { return .nan }
        let xs = steps.map { log(Double($0)) }, ys = errors.map(log)
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return -sxy / sxx
    }

    /// Checks every `OUTPUTS/<method>/<case id>.npy` found against the kit in `kit`. A method
    /// directory may hold `sampler.json` {"expected_order": p} for a trajectory method the kit
    /// does not name. Throws when no output matches a case, or an output has the wrong shape.
    public static func check(kit: String, outputs: String) throws -> ConformanceReport {
        let manifest = try manifest(in: kit)
        // "heun" names both a single-step and a trajectory method: look each kind up on its own.
        let stepMethods = Dictionary(manifest.methods.filter { $0.kind == "step" }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let methods = Dictionary(manifest.methods.filter { $0.kind == "trajectory" }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: outputs, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MongeError.invalidArgument(name: "OUTPUTS", message: "\(outputs) is not a directory of <method>/<case id>.npy files")
        }
        func kitArray(_ relative: String) throws -> NDArray { try NpyFile.read((kit as NSString).appendingPathComponent(relative)) }
        var cases: [ConformanceReport.CaseResult] = []
        var orders: [ConformanceReport.OrderResult] = []
        let methodNames = try fm.contentsOfDirectory(atPath: outputs).filter { name in
            var dir: ObjCBool = false
            return fm.fileExists(atPath: (outputs as NSString).appendingPathComponent(name), isDirectory: &dir) && dir.boolValue
        }.sorted()
        for method in methodNames {
            let folder = (outputs as NSString).appendingPathComponent(method)
            func output(_ id: String) -> String? {
                let path = (folder as NSString).appendingPathComponent(id + ".npy")
                return fm.fileExists(atPath: path) ? path : nil
            }
            // Single steps.
            for stepCase in manifest.stepCases {
                guard let path = output(stepCase.id) else { continue }
                guard let expectedPath = stepCase.expected[method], let entry = stepMethods[method] else {
                    throw MongeError.invalidFile(path: path, location: nil,
                                                 message: "no single-step reference for method \"\(method)\"; expected one of \(stepCase.expected.keys.sorted())")
                }
                let expected = try kitArray(expectedPath), got = try read(path, shape: expected.shape)
                let tolerance = got.dtype == .float32 ? entry.toleranceFloat32 ?? 0 : entry.toleranceFloat64 ?? 0
                let e = expected.values(as: Double.self), g = got.values(as: Double.self)
                let perStep = expected.shape.dropFirst().reduce(1, *)
                var maxError = 0.0, scaled = 0.0, firstFailing: Int?
                for i in 0..<e.count {
                    let error = abs(g[i] - e[i]), s = error / (1 + abs(e[i]))
                    maxError = max(maxError, error.isNaN ? .infinity : error)
                    scaled = max(scaled, s.isNaN ? .infinity : s)
                    if !(s <= tolerance), firstFailing == nil { firstFailing = i / perStep }
                }
                cases.append(.init(method: method, caseID: stepCase.id, kind: "step", dtype: got.dtype.rawValue, maxError: maxError,
                                   noisyError: nil, scaledError: scaled, tolerance: tolerance, endpointError: nil,
                                   firstFailingStep: firstFailing, passed: firstFailing == nil))
            }
            // Trajectories, grouped by family for the orders.
            var families: [String: [(steps: Int, error: Double, noisy: Double, endpoint: Double, ratio: Double)]] = [:]
            for trajectory in manifest.trajectoryCases {
                guard let path = output(trajectory.id) else { continue }
                let expected = try kitArray(trajectory.states), got = try read(path, shape: expected.shape)
                let e = expected.values(as: Double.self), g = got.values(as: Double.self)
                let perLevel = expected.shape.dropFirst().reduce(1, *), k = trajectory.steps
                func maxError(_ levels: [Int]) -> Double {
                    var m = 0.0
                    for level in levels {
                        for i in (level * perLevel)..<((level + 1) * perLevel) {
                            let error = abs(g[i] - e[i])
                            m = max(m, error.isNaN ? .infinity : error)
                        }
                    }
                    return m
                }
                let judged = maxError((1...k).filter { trajectory.levels[$0] >= trajectory.judgedFromLevel })
                let noisy = maxError(Array(1..<k)), endpoint = maxError([k])
                cases.append(.init(method: method, caseID: trajectory.id, kind: "trajectory", dtype: got.dtype.rawValue,
                                   maxError: judged, noisyError: noisy, scaledError: nil, tolerance: nil, endpointError: endpoint,
                                   firstFailingStep: nil, passed: nil))
                families[trajectory.family, default: []].append((k, judged, noisy, endpoint, trajectory.firstStepSigmaRatio))
            }
            if families.isEmpty { continue }
            let expectedOrder = try declaredOrder(folder: folder) ?? methods[method]?.expectedOrder
            let tolerance = methods[method]?.orderTolerance ?? 0.3
            for (family, runs) in families.sorted(by: { $0.key < $1.key }) {
                let sorted = runs.sorted { $0.steps < $1.steps }
                let steps = sorted.map(\.steps)
                let measured = order(steps: steps, errors: sorted.map(\.error))
                let ratio = sorted.map(\.ratio).max() ?? 1
                var note: String?
                if let limit = methods[method]?.maxFirstStepSigmaRatio, ratio > limit {
                    note = "not judged: the first step spans a σ ratio of \(Int(ratio.rounded())) > \(Int(limit)) (see the method's description)"
                } else if expectedOrder == nil {
                    note = "not judged: no expected order (give sampler.json {\"expected_order\": p})"
                }
                let passed: Bool? = note != nil ? nil : expectedOrder.map { sorted.count >= 3 && abs(measured - $0) <= tolerance }
                orders.append(.init(method: method, family: family, steps: steps, errors: sorted.map(\.error),
                                    noisyErrors: sorted.map(\.noisy), endpointErrors: sorted.map(\.endpoint), measuredOrder: measured,
                                    endpointOrder: order(steps: steps, errors: sorted.map(\.endpoint)),
                                    expectedOrder: expectedOrder, orderTolerance: expectedOrder == nil ? nil : tolerance, passed: passed,
                                    note: note))
            }
        }
        guard !cases.isEmpty else {
            throw MongeError.invalidArgument(name: "OUTPUTS", message: "no file of \(outputs) matches a case: expected <method>/<case id>.npy, e.g. ddim_eta0/\(manifest.stepCases.first?.id ?? "").npy")
        }
        let passed = cases.allSatisfy { $0.passed != false } && orders.allSatisfy { $0.passed != false }
        return ConformanceReport(format: ConformanceManifest.currentFormat, passed: passed, cases: cases, orders: orders)
    }

    /// An output array, which must have `shape` and be finite-sized float data.
    static func read(_ path: String, shape: [Int]) throws -> NDArray {
        let array = try NpyFile.read(path)
        guard array.shape == shape else {
            throw MongeError.invalidFile(path: path, location: nil,
                                         message: "expected shape \(NDArray.describe(shape)), got \(NDArray.describe(array.shape))")
        }
        return array
    }

    /// `sampler.json`'s expected_order, when the method directory has one.
    static func declaredOrder(folder: String) throws -> Double? {
        struct Declaration: Decodable {
            let expectedOrder: Double
            enum CodingKeys: String, CodingKey { case expectedOrder = "expected_order" }
        }
        let path = (folder as NSString).appendingPathComponent("sampler.json")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try JSONFile.read(Declaration.self, from: path, what: "a sampler declaration {\"expected_order\": p}").expectedOrder
    }
}

extension ConformanceKit {
    /// Writes the kit into `directory` (created if missing) atomically as one `OutputSet`:
    /// cases.json, README.md and arrays/*.npy; `run`, when given, is finished and written beside
    /// cases.json (cases.json.manifest.json, with every file's digest).
    public static func export(to directory: String, run: RunManifest? = nil, progress: (String) -> Void = { _ in }) throws -> ConformanceManifest {
        let (manifest, arrays) = try build(progress: progress)
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: (directory as NSString).appendingPathComponent("arrays"), withIntermediateDirectories: true)
        } catch {
            throw MongeError.writeFailed(path: directory, message: "cannot create the directory: \(error.localizedDescription)")
        }
        var outputs = OutputSet()
        for (relative, array) in arrays {
            try outputs.add((directory as NSString).appendingPathComponent(relative)) { try NpyFile.write(array, to: $0) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try outputs.add(try encoder.encode(manifest), to: (directory as NSString).appendingPathComponent("cases.json"))
        try outputs.add(Data(readme(manifest).utf8), to: (directory as NSString).appendingPathComponent("README.md"))
        let casesPath = (directory as NSString).appendingPathComponent("cases.json")
        if var run {
            run.finish(outputs: outputs.paths, results: ["step_cases": .number(Double(manifest.stepCases.count)),
                                                          "trajectory_cases": .number(Double(manifest.trajectoryCases.count))])
            try outputs.commit(manifest: run, beside: [casesPath])
        } else {
            try outputs.commit()
        }
        return manifest
    }

    /// The exported README: the conventions, the methods and their tolerances, and the layout.
    static func readme(_ manifest: ConformanceManifest) -> String {
        var text = "# Monge sampler conformance kit (\(manifest.format))\n\n"
        text += "Reference cases from exact ε oracles. `cases.json` lists every case; arrays are float64 .npy under `arrays/`.\n\n## Conventions\n\n"
        text += manifest.conventions.map { "- \($0)\n" }.joined()
        text += "\n## Methods\n\n| method | kind | tolerance (f64 / f32) | expected order | definition |\n|---|---|---|---|---|\n"
        for m in manifest.methods {
            let tolerance = m.toleranceFloat64.map { "\($0) / \(m.toleranceFloat32 ?? 0)" } ?? "–"
            let order = m.expectedOrder.map { "\($0) ± \(m.orderTolerance ?? 0)" } ?? "–"
            text += "| \(m.name) | \(m.kind) | \(tolerance) | \(order) | \(m.description) |\n"
        }
        text += "\nTolerance reasons:\n\n" + Set(manifest.methods.map(\.reason)).sorted().map { "- \($0)\n" }.joined()
        text += """

        ## Cases

        - \(manifest.stepCases.count) single-step cases (`step_cases`): K = \(ConformanceKit.singleStepCount) steps of one path from \
        reference states `x` with `epsilon` and `noise`; `expected[method]` per method.
        - \(manifest.trajectoryCases.count) trajectory cases (`trajectory_cases`): start `x_start` at `levels[0]`, reference `states` \
        at every level (the last: the exact probability-flow end point), `epsilon` along the reference. K ∈ \(ConformanceKit.stepCounts).

        Check outputs with `monge conformance check KIT OUTPUTS [--report FILE]`.

        """
        return text
    }
}
