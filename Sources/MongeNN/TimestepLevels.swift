/// The distinct timesteps of a batch chunk, ascending, and each row's position among them.
///
/// Whatever depends on t alone (the time embedding's products, the time MLP, the per-block time
/// projections) is computed once per distinct timestep and added to the rows that share it
/// (`ek_*add_rows`); its gradient is summed back per timestep (`ek_*scatter_add_rows`). With a
/// chunk of n rows and T timesteps this evaluates about T·(1 − e^(−n/T)) rows instead of n.
final class TimestepLevels: @unchecked Sendable {
    private(set) var levels: [Int] = []
    /// Row i's position in `levels`.
    private(set) var index: [Int64]
    /// Position of each timestep in `levels`, or −1.
    private var slot: [Int32]

    init(rows: Int, timesteps: Int) {
        index = [Int64](repeating: 0, count: rows)
        slot = [Int32](repeating: -1, count: timesteps)
        levels.reserveCapacity(min(rows, timesteps))
    }

    var count: Int { levels.count }

    /// Finds the distinct values among `timesteps[0..<rows]`.
    func build(_ timesteps: UnsafePointer<Int>, rows: Int) {
        for level in levels { slot[level] = -1 }
        levels.removeAll(keepingCapacity: true)
        for i in 0..<rows {
            let t = timesteps[i]
            precondition(t >= 0 && t < slot.count, "timestep \(t) outside 0..<\(slot.count)")
            if slot[t] < 0 {
                slot[t] = 0
                levels.append(t)
            }
        }
        levels.sort()
        for (k, level) in levels.enumerated() { slot[level] = Int32(k) }
        for i in 0..<rows { index[i] = Int64(slot[timesteps[i]]) }
    }
}
