import Foundation

/// Progress of a training run on stderr: step, loss, steps/s and ETA.
///
/// On a terminal one line is rewritten in place (carriage return) at most 10 times a second;
/// otherwise (a log file, a pipe) a plain line is printed every 10 % of the run or 30 s,
/// whichever comes first. `quiet` prints nothing.
public final class TrainingProgress: @unchecked Sendable {
    public let totalSteps: Int
    public let quiet: Bool
    /// The line's prefix, e.g. "train" or "classifier".
    public let label: String
    let isTerminal: Bool
    private let write: (String) -> Void
    private var startTime: UInt64 = 0
    private var startStep = 0
    private var lastPrint: UInt64 = 0
    private var lastPrintedStep = -1
    private var smoothedLoss: Double?
    /// Hears every finished step's record, whatever `quiet` (an embedding host's progress, such as
    /// the Python package's callback); returning false asks the run to stop at that step.
    public var observer: ((StepRecord) -> Bool)?
    /// Whether `observer` asked to stop (`TrainingRun.run` then checkpoints and returns).
    public private(set) var stopRequested = false
    /// The last fixed (held-out, training) losses reported.
    private var fixedLosses: (heldOut: Double, training: Double)?

    /// Progress to stderr; `isTerminal` defaults to whether stderr is a TTY.
    public init(totalSteps: Int, quiet: Bool = false, label: String = "train", isTerminal: Bool? = nil,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.totalSteps = totalSteps
        self.quiet = quiet
        self.label = label
        self.isTerminal = isTerminal ?? (isatty(2) == 1)
        self.write = write
    }

    /// Marks the start (the first step about to run, e.g. the resumed step).
    public func start(atStep step: Int) {
        startStep = step
        startTime = DispatchTime.now().uptimeNanoseconds
        lastPrint = startTime
    }

    /// Reports that `record.step` finished.
    public func update(_ record: StepRecord) {
        if let observer, !observer(record) { stopRequested = true }
        guard !quiet else { return }
        smoothedLoss = smoothedLoss.map { 0.98 * $0 + 0.02 * record.loss } ?? record.loss
        if let heldOut = record.heldOutLoss, let training = record.trainingEvalLoss { fixedLosses = (heldOut, training) }
        let now = DispatchTime.now().uptimeNanoseconds
        let done = record.step + 1
        let elapsed = Double(now - lastPrint) * 1e-9
        let isLast = done >= totalSteps
        if isTerminal {
            guard elapsed >= 0.1 || isLast else { return }
            write("\r" + line(done: done, now: now) + "\u{1B}[K")
        } else {
            let tenth = max(1, totalSteps / 10)
            guard elapsed >= 30 || done / tenth != lastPrintedStep / tenth || isLast else { return }
            write(line(done: done, now: now) + "\n")
        }
        lastPrint = now
        lastPrintedStep = done
    }

    /// Ends the progress line (a newline on a terminal).
    public func finish() {
        guard !quiet else { return }
        if isTerminal && lastPrintedStep >= 0 { write("\n") }
    }

    /// Prints a message on its own line (ending a pending progress line on a terminal).
    public func note(_ message: String) {
        guard !quiet else { return }
        let pending = isTerminal && lastPrintedStep >= 0
        write((pending ? "\n" : "") + message + "\n")
        if pending { lastPrintedStep = -1 }
    }

    func line(done: Int, now: UInt64) -> String {
        let seconds = max(Double(now - startTime) * 1e-9, 1e-9)
        let rate = Double(done - startStep) / seconds
        let remaining = rate > 0 ? Double(totalSteps - done) / rate : .infinity
        let step = String(format: "%\(String(totalSteps).count)d", done)
        let fixed = fixedLosses.map { String(format: "held-out %.4f (train %.4f)  ", $0.heldOut, $0.training) } ?? ""
        return "\(label): step \(step)/\(totalSteps)  loss \(String(format: "%.4f", smoothedLoss ?? .nan))  \(fixed)"
            + "\(String(format: "%.1f", rate)) steps/s  ETA \(TrainingProgress.duration(remaining))"
    }

    /// "1h02m", "3m05s", "12s".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
