import MongeCore

/// The all-pairs searches of `CandidateSearch` and `OptimalityCertificate`, answered by
/// `PlanarTree` for two 2-D point clouds under the squared Euclidean cost: each query point
/// visits the tree nodes its bounds cannot exclude (about log n on spread data) instead of all
/// n pairs. Results equal those of the scans bit for bit (same expressions, rounding-safe bounds).
enum PlanarSearch {
    /// Two 2-D point clouds under the squared Euclidean cost.
    static func applies(to geometry: Geometry) -> Bool {
        geometry.x != nil && geometry.dimension == 2 && geometry.cost == .squaredEuclidean
    }

    /// Runs `body(range, stack)` over `0..<count` in parallel chunks (each with its own stack).
    private static func chunks<T>(_ count: Int, _ body: (Range<Int>, inout [Int32]) -> T) -> [T] {
        guard count > 0 else { return [] }
        func run(_ range: Range<Int>) -> T {
            var stack: [Int32] = []
            stack.reserveCapacity(256)
            return body(range, &stack)
        }
        if count < 4096 { return [run(0..<count)] }
        return Parallel.mapChunks(count: count, minimumChunk: 2048) { run($0) }
    }

    /// (max(0, max_ij fl(fl(f_i + g_j) − C_ij)), max_ij C_ij), as `OptimalityCertificate`'s scan
    /// computes them; the first is skipped (0) when `potentials` is false (not all finite).
    static func largestViolationAndCost(_ geometry: Geometry, f: [Double], g: [Double], potentials: Bool) -> (Double, Double) {
        let tree = PlanarTree(geometry.x!)
        let y = geometry.y!.storage
        f.withUnsafeBufferPointer { tree.setWeights($0.baseAddress!) }
        let parts: [(Double, Double)] = f.withUnsafeBufferPointer { fp in
            g.withUnsafeBufferPointer { gp in
                y.withUnsafeBufferPointer { yp in
                    nonisolated(unsafe) let fb = fp.baseAddress!, gb = gp.baseAddress!, ys = yp.baseAddress!
                    return chunks(geometry.targetCount) { range, stack in
                        var violation = 0.0, largest = 0.0
                        for j in range {
                            let q0 = ys[2 * j], q1 = ys[2 * j + 1]
                            tree.farthest(q0, q1, best: &largest, stack: &stack)
                            if potentials {
                                tree.largestExcess(q0, q1, offset: gb[j], weights: fb, best: &violation, stack: &stack)
                            }
                        }
                        return (violation, largest)
                    }
                }
            }
        }
        return (parts.map(\.0).max() ?? 0, parts.map(\.1).max() ?? 0)
    }

    /// A tree over the targets with weights g, for row queries min_j C_ij − g_j.
    private static func targetTree(_ geometry: Geometry, _ g: UnsafePointer<Double>) -> PlanarTree {
        let tree = PlanarTree(geometry.y!)
        tree.setWeights(g)
        return tree
    }

    /// `CandidateSearch.cheapest` by tree queries (same pairs and bounds).
    static func cheapest(_ geometry: Geometry, g: [Double]?, perRow: Int) -> (pairs: [(Int, Int, Double)], bounds: [Double]) {
        let m = geometry.targetCount
        let k = min(perRow, m)
        let shift = g ?? [Double](repeating: 0, count: m)
        let x = geometry.x!.storage
        let parts: [([(Int, Int, Double)], [Double])] = shift.withUnsafeBufferPointer { gp in
            x.withUnsafeBufferPointer { xp in
                nonisolated(unsafe) let gb = gp.baseAddress!, xs = xp.baseAddress!
                let tree = targetTree(geometry, gb)
                return chunks(geometry.sourceCount) { range, stack in
                    var selector = PowerSelector(k: k)
                    var out: [(Int, Int, Double)] = []
                    var bounds: [Double] = []
                    out.reserveCapacity(range.count * k)
                    for i in range {
                        tree.smallest(xs[2 * i], xs[2 * i + 1], weights: gb, into: &selector, stack: &stack)
                        for t in 0..<selector.selected { out.append((i, Int(selector.indices[t]), selector.costs[t])) }
                        bounds.append(k < m ? selector.next : .infinity)
                    }
                    return (out, bounds)
                }
            }
        }
        return (parts.flatMap { $0.0 }, parts.flatMap { $0.1 })
    }

    /// `CandidateSearch.violations` by tree queries: per source, up to `perRow` targets with
    /// C_ij − g_j < f_i − tolerance, the most violating first.
    static func violations(_ geometry: Geometry, f: [Double], g: [Double], tolerance: Double,
                           perRow: Int) -> [(Int, Int, Double)] {
        let k = min(perRow, geometry.targetCount)
        let x = geometry.x!.storage
        let parts: [[(Int, Int, Double)]] = f.withUnsafeBufferPointer { fp in
            g.withUnsafeBufferPointer { gp in
                x.withUnsafeBufferPointer { xp in
                    nonisolated(unsafe) let fb = fp.baseAddress!, gb = gp.baseAddress!, xs = xp.baseAddress!
                    let tree = targetTree(geometry, gb)
                    return chunks(geometry.sourceCount) { range, stack in
                        var selector = PowerSelector(k: k)
                        var out: [(Int, Int, Double)] = []
                        for i in range {
                            tree.smallest(xs[2 * i], xs[2 * i + 1], weights: gb, threshold: fb[i] - tolerance,
                                          into: &selector, stack: &stack)
                            for t in 0..<selector.selected { out.append((i, Int(selector.indices[t]), selector.costs[t])) }
                        }
                        return out
                    }
                }
            }
        }
        return parts.flatMap { $0 }
    }

    /// `CandidateSearch.cTransform`: h_j = min_i (C_ji − potentials_i) for each source j of
    /// `geometry`, with the tree over its targets.
    static func cTransform(_ geometry: Geometry, potentials: [Double]) -> [Double] {
        let x = geometry.x!.storage
        let parts: [[Double]] = potentials.withUnsafeBufferPointer { pp in
            x.withUnsafeBufferPointer { xp in
                nonisolated(unsafe) let p = pp.baseAddress!, xs = xp.baseAddress!
                let tree = targetTree(geometry, p)
                return chunks(geometry.sourceCount) { range, stack in
                    var selector = PowerSelector(k: 1)
                    return range.map { j in
                        tree.smallest(xs[2 * j], xs[2 * j + 1], weights: p, into: &selector, stack: &stack)
                        return selector.values[0]
                    }
                }
            }
        }
        return parts.flatMap { $0 }
    }
}
