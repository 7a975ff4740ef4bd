import MongeCore

/// The outcome of an exact solver on a `TransportProblem`: plan, cost, potentials, proof.
public struct TransportResult: Sendable {
    /// The solver's name ("network-simplex", "assignment", "multiscale", "sorting-1d", …).
    public let solver: String
    public let n: Int
    public let m: Int
    /// The optimal plan (sparse).
    public let plan: TransportPlan
    /// ⟨P, C⟩.
    public let cost: Double
    /// Source potentials f (length n) and target potentials g (length m): f_i + g_j ≤ C_ij.
    public let f: [Double]
    public let g: [Double]
    /// Pivots (network simplex), augmentations (assignment) or sweeps, as the solver counts them.
    public let iterations: Int
    /// `optimal` only when the solver finished and the certificate holds.
    public let status: SolverStatus
    public let certificate: OptimalityCertificate
    /// Wall time of the solve (without the certificate check), seconds.
    public let seconds: Double

    public init(solver: String, problem: TransportProblem, plan: TransportPlan, f: [Double], g: [Double],
                iterations: Int, solverStatus: SolverStatus, certificate: OptimalityCertificate, seconds: Double) {
        self.solver = solver
        self.n = problem.n
        self.m = problem.m
        self.plan = plan
        self.cost = certificate.primalCost
        self.f = f
        self.g = g
        self.iterations = iterations
        self.status = solverStatus == .optimal && !certificate.holds ? .certificateFailed : solverStatus
        self.certificate = certificate
        self.seconds = seconds
    }
}

/// The outcome of an assignment solver (uniform weights, n = m): the optimal permutation σ.
public struct AssignmentResult: Sendable {
    public let solver: String
    public let n: Int
    /// σ: source i is sent to target σ(i).
    public let permutation: [Int]
    /// The transport cost with the problem's uniform weights: (Σa / n) · Σ_i C_iσ(i).
    public let cost: Double
    /// Σ_i C_iσ(i), the classical assignment objective.
    public let assignmentCost: Double
    /// Potentials for the transport problem (f_i + g_j ≤ C_ij, tight on σ).
    public let f: [Double]
    public let g: [Double]
    /// Units of work: augmenting paths (dense solver); bids, augmenting paths and base-level
    /// pivots over all levels (multiscale solver).
    public let iterations: Int
    /// Full verification scans of the multiscale solver's finest level (1 for the dense solver).
    public let rounds: Int
    public let status: SolverStatus
    public let certificate: OptimalityCertificate
    public let seconds: Double

    public init(solver: String, problem: TransportProblem, permutation: [Int], f: [Double], g: [Double],
                iterations: Int, rounds: Int, solverStatus: SolverStatus, certificate: OptimalityCertificate,
                seconds: Double) {
        self.solver = solver
        self.n = permutation.count
        self.permutation = permutation
        var sum = 0.0
        for i in 0..<permutation.count { sum += problem.geometry.cost(i, permutation[i]) }
        self.assignmentCost = sum
        self.cost = certificate.primalCost
        self.f = f
        self.g = g
        self.iterations = iterations
        self.rounds = rounds
        self.status = solverStatus == .optimal && !certificate.holds ? .certificateFailed : solverStatus
        self.certificate = certificate
        self.seconds = seconds
    }

    /// The same solution as a general `TransportResult` (plan with mass a_i on (i, σ(i))).
    public func transportResult(_ problem: TransportProblem) -> TransportResult {
        let plan = TransportPlan(permutation: permutation, mass: problem.a.first ?? 0)
        return TransportResult(solver: solver, problem: problem, plan: plan, f: f, g: g, iterations: iterations,
                               solverStatus: status == .certificateFailed ? .optimal : status,
                               certificate: certificate, seconds: seconds)
    }
}

/// Wall-clock seconds since `start` (a `DispatchTime` uptime in nanoseconds).
@inline(__always)
func secondsSince(_ start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

@inline(__always)
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

import Dispatch
