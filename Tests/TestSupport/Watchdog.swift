import Foundation
import Testing

/// A trait that ends the test process when a test runs longer than `seconds`: Swift Testing's
/// `.timeLimit` only records an issue once the test returns, so a solver caught in an endless
/// loop (a mutated cost row once hung a transport test for 11 minutes) would stall the suite.
/// The watchdog names the test on stderr and exits with status 124 (as `timeout` does), so the
/// run fails instead of waiting.
public struct Watchdog: TestTrait, SuiteTrait, TestScoping {
    public let seconds: Double
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil || !test.isSuite else { return try await function() }
        let name = test.displayName ?? test.name, limit = seconds
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + limit)
        timer.setEventHandler {
            FileHandle.standardError.write(Data("watchdog: \"\(name)\" ran longer than \(limit) s; ending the test process (a hang fails, it does not stall)\n".utf8))
            _exit(124)
        }
        timer.resume()
        defer { timer.cancel() }
        try await function()
    }
}

extension Trait where Self == Watchdog {
    /// Ends the test process when a test (or each test of a suite) runs longer than `seconds`.
    public static func watchdog(seconds: Double) -> Watchdog { Watchdog(seconds: seconds) }
}
