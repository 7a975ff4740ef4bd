import Dispatch
import Foundation

/// Data parallelism over independent chunks of a batch, the only threading Monge uses.
///
/// Each chunk calls single-threaded kernels; results must not depend on the chunking (every
/// random number is addressed by (seed, stream, index), never drawn from shared state).
public enum Parallel {
    /// Worker count: the last `setThreadCount` value if any, else `MONGE_THREADS` if set, else the
    /// number of active processors. The environment is read once per process (the lookup is too
    /// slow for the inner loops that ask for it).
    public static var threadCount: Int {
        let chosen = ThreadCountOverride.shared.value
        return chosen > 0 ? chosen : configuredThreadCount
    }

    /// Sets the worker count for the rest of the process (an embedding host, such as the Python
    /// package, has no environment to set); 0 returns to `MONGE_THREADS` or the processor count.
    /// Results do not depend on it (see the type's comment).
    public static func setThreadCount(_ count: Int) {
        ThreadCountOverride.shared.set(max(0, count))
    }

    private static let configuredThreadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["MONGE_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Splits `0..<count` into at most `threadCount` contiguous ranges of at least `minimumChunk`
    /// elements and runs `body` on each, concurrently. Returns when all are done.
    public static func forEachChunk(count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = max(1, min(threadCount, count / max(minimumChunk, 1)))
        if chunks == 1 { body(0..<count); return }
        let base = count / chunks, extra = count % chunks
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * base + min(c, extra)
                let end = start + base + (c < extra ? 1 : 0)
                body(start..<end)
            }
        }
    }

    /// Maps chunks of `0..<count` to values concurrently; results in chunk order.
    public static func mapChunks<T>(count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> T) -> [T] {
        guard count > 0 else { return [] }
        let chunks = max(1, min(threadCount, count / max(minimumChunk, 1)))
        let base = count / chunks, extra = count % chunks
        let ranges = (0..<chunks).map { c -> Range<Int> in
            let start = c * base + min(c, extra)
            return start..<(start + base + (c < extra ? 1 : 0))
        }
        var results = [T?](repeating: nil, count: chunks)
        let lock = NSLock()
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let value = body(ranges[c])
                lock.lock(); results[c] = value; lock.unlock()
            }
        }
        return results.map { $0! }
    }
}

/// The one process-wide setting `Parallel.setThreadCount` needs, behind a lock.
private final class ThreadCountOverride: @unchecked Sendable {
    static let shared = ThreadCountOverride()
    private let lock = NSLock()
    private var count = 0

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func set(_ newValue: Int) {
        lock.lock()
        count = newValue
        lock.unlock()
    }
}
