import Foundation
import MongeCore
import Testing

@Suite("Random stream tags")
struct StreamTagTests {
    /// No two purposes share a root stream, none is the default stream 0, and no two named
    /// substream labels of the default stream coincide.
    @Test func everyTagIsDistinct() {
        let roots = StreamTag.all.map(\.tag), labels = StreamTag.Label.all.map(\.tag)
        #expect(Set(roots).count == roots.count, "a root tag is used twice: \(roots)")
        #expect(Set(StreamTag.all.map(\.name)).count == roots.count)
        #expect(!roots.contains(0))
        #expect(Set(labels).count == labels.count)
        // Sampler.NoiseTag's substreams (1, 2, 3) and 2-D datasets' name hashes live under the
        // caller's stream; the named labels must not be small integers that such substreams use.
        #expect(labels.allSatisfy { $0 > 0xFFFF })
    }

    /// Every literal stream tag in Sources is in the registry: no `stream: 0x…` or
    /// `substream(0x…)` outside StreamTags.swift.
    @Test func sourcesUseTheRegistry() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var offenders: [String] = []
        var count = 0
        for case let url as URL in files where url.pathExtension == "swift" && url.lastPathComponent != "StreamTags.swift" {
            count += 1
            let text = try String(contentsOf: url, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains("stream: 0x") || line.contains("substream(0x") {
                offenders.append("\(url.lastPathComponent):\(n + 1)")
            }
        }
        #expect(count > 100, "found \(count) source files under \(sources.path)")
        #expect(offenders.isEmpty, "literal stream tags outside the registry: \(offenders)")
    }
}
