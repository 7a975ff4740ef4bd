import MongeCore
import MongeNN
import Testing

/// Issue 9: a residual model whose GroupNorm holds one feature per group trains a dead network.
@Suite("GroupNorm group width")
struct GroupWidthTests {
    /// Forward of one GroupNorm layer (scale 1, shift 0) on `rows` × `features` inputs.
    static func normalise(_ x: [Double], rows: Int, features: Int, groups: Int) -> [Double] {
        var layout = ParameterLayout()
        let norm = GroupNorm("n", features: features, groups: groups, layout: &layout)
        let p: [Double] = layout.initialValues(seed: 0)
        var xhat = [Double](repeating: 0, count: x.count), rstd = [Double](repeating: 0, count: rows * groups), y = xhat
        x.withUnsafeBufferPointer { xp in
            p.withUnsafeBufferPointer { pp in
                xhat.withUnsafeMutableBufferPointer { hp in
                    rstd.withUnsafeMutableBufferPointer { rp in
                        y.withUnsafeMutableBufferPointer { yp in
                            norm.forward(rows: rows, xp.baseAddress!, parameters: pp.baseAddress!, xhat: hp.baseAddress!,
                                         rstd: rp.baseAddress!, into: yp.baseAddress!)
                        }
                    }
                }
            }
        }
        return y
    }

    /// Why the rule exists: one feature per group normalises to the shift β = 0 whatever the input,
    /// two features to ±1.
    @Test func thinGroupsLoseTheInput() {
        let rng = RandomStream(seed: 3)
        let x = (0..<(6 * 8)).map { 5 * rng.normal(UInt64($0)) + 1 }
        let one = Self.normalise(x, rows: 6, features: 8, groups: 8)
        #expect(one.allSatisfy { abs($0) < 1e-12 }, "\(one)")
        let two = Self.normalise(x, rows: 6, features: 8, groups: 4)
        #expect(two.allSatisfy { abs(abs($0) - 1) < 1e-3 }, "\(two)")
        let three = Self.normalise((0..<36).map { 5 * rng.normal(UInt64(100 + $0)) }, rows: 4, features: 9, groups: 3)
        #expect(Set(three.map { ($0 * 1000).rounded() }).count > 12, "three features per group keep information")
    }

    @Test func validationRejectsGroupsOfFewerThanThreeFeatures() throws {
        for (width, groups) in [(32, 32), (32, 16), (8, 4), (4, 4)] {
            let config = ModelConfig(architecture: .residual, width: width, depth: 2, groups: groups)
            #expect {
                try config.validate()
            } throws: { error in
                let text = "\(error)"
                return text.contains("groups") && text.contains("at least 3 per group")
            }
        }
        for (width, groups) in [(32, 8), (9, 3), (256, 32)] {
            try ModelConfig(architecture: .residual, width: width, depth: 2, groups: groups).validate()
        }
        // Layer norm and no norm ignore the group count.
        try ModelConfig(architecture: .residual, width: 32, depth: 2, normalization: .layer, groups: 32).validate()
    }

    @Test func defaultGroupsKeepEightFeaturesPerGroup() throws {
        let expected = [256: 32, 512: 32, 128: 16, 64: 8, 32: 4, 24: 3, 16: 2, 12: 1, 8: 1, 6: 1, 96: 12, 100: 10]
        for (width, groups) in expected {
            #expect(ModelConfig.defaultGroups(width: width) == groups, "width \(width)")
            try ModelConfig.ddib2D(width: width, depth: 1).validate()
        }
    }
}
