import Foundation

/// The clocks a benchmark reads: wall time, and the CPU time of the process or of the calling thread.
/// On a shared machine wall-clock rates show the load; rates per CPU-second show the code.
public enum BenchClock: String, CaseIterable, Sendable {
    case wall, cpu

    /// Seconds on this clock (`cpu` is the calling thread's CPU time).
    public var now: Double {
        self == .cpu ? Self.seconds(CLOCK_THREAD_CPUTIME_ID) : Self.seconds(CLOCK_MONOTONIC)
    }

    /// CPU seconds of this process, all threads together.
    public static func processCPUSeconds() -> Double { seconds(CLOCK_PROCESS_CPUTIME_ID) }

    /// Monotonic wall-clock seconds.
    public static func wallSeconds() -> Double { seconds(CLOCK_MONOTONIC) }

    private static func seconds(_ clock: clockid_t) -> Double {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}

/// Summaries of repeated timings.
public enum BenchStatistics {
    /// The median (the mean of the two middle values for an even count); 0 for no values.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
