import Foundation

/// Resident memory of this process from /proc/self/status (Linux; 0 elsewhere): what `bench ot`
/// reports as peak and added memory per solve.
public enum ProcessMemory {
    /// Resets the peak (VmHWM) to the current resident size.
    public static func resetPeak() {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }

    /// Peak resident bytes since the last `resetPeak` (VmHWM).
    public static func peakBytes() -> Int { field("VmHWM:") }

    /// Resident bytes now (VmRSS).
    public static func residentBytes() -> Int { field("VmRSS:") }

    private static func field(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let digits = line.dropFirst(name.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first
            return (digits.flatMap { Int($0) } ?? 0) * 1024
        }
        return 0
    }
}
