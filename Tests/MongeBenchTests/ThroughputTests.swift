import Foundation
import MongeBench
import Testing

/// The benchmark report's arithmetic and its JSON names, on hand-made timings.
@Suite("Throughput reports")
struct ThroughputTests {
    @Test func medianOfOddAndEvenCounts() {
        #expect(BenchStatistics.median([3, 1, 2]) == 2)
        #expect(BenchStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(BenchStatistics.median([]) == 0)
    }

    /// Monge 2 s and PyTorch 3 s per rep of 100 steps: rate 50/s, ratio 1.5; the per-pair ratio
    /// is the median of 3/2, 6/2 and 3/4 = 1.5 too, though the PyTorch median alone moved.
    @Test func ratesAndRatios() {
        var m = ThroughputMeasurement(name: "w", work: 100, unit: "steps/s", flops: 4e9)
        m.monge = [2, 2, 4]
        m.mongeCPU = [4, 4, 8]
        m.peer = [3, 6, 3]
        #expect(m.rate == 50)
        #expect(m.gflops == 2)
        #expect(m.gflopsPerCPUSecond == 1)
        #expect(m.ratio == 1.5)
        #expect(m.ratioOfPairs == 1.5)
        var alone = m
        alone.peer = []
        #expect(alone.ratio == nil && alone.peerRate == nil)
    }

    /// Every key of the JSON report is snake_case (the README's one naming convention).
    @Test func jsonKeysAreSnakeCase() throws {
        var m = ThroughputMeasurement(name: "w", work: 1, unit: "images/s", flops: 1)
        m.monge = [1]
        m.mongeCPU = [1]
        m.peer = [2]
        let text = try ThroughputReport(benchmark: "unet", title: "t", threads: 2, peerVersion: "torch x", measurements: [m]).jsonText()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let row = try #require((object["rows"] as? [[String: Any]])?.first)
        let keys = Array(object.keys) + Array(row.keys)
        for key in keys { #expect(key.range(of: "^[a-z0-9_]+$", options: .regularExpression) != nil, "\(key)") }
        #expect(row["ratio"] as? Double == 2)
        #expect(text.contains("images/s"))
    }

    @Test func alternatingRunsTheBodyOncePerRep() throws {
        var calls = 0
        let m = try ThroughputMeasurement.alternating(ThroughputMeasurement(name: "n", work: 1, unit: "steps/s", flops: 1),
                                                      reps: 3, peer: nil, command: "") { calls += 1 }
        #expect(calls == 3 && m.monge.count == 3 && m.mongeCPU.count == 3 && m.peer.isEmpty)
    }
}
