import Foundation
import MongeCore
import Testing

/// Student's t (against scipy and closed forms), the incomplete beta, the seed summary and the
/// `--seeds` parser.
@Suite("Seed statistics")
struct SeedStatisticsTests {
    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    /// scipy 1.17.1 `scipy.stats.t.ppf(p, df)`, printed with repr (generated once; see the commit).
    static let quantiles: [(p: Double, df: Double, t: Double)] = [
        (0.975, 1, 12.706204736174694), (0.975, 2, 4.302652729749462), (0.975, 3, 3.1824463052837078),
        (0.975, 4, 2.7764451051977934), (0.975, 5, 2.5705818356363146), (0.975, 9, 2.262157162798205),
        (0.975, 10, 2.228138851986274), (0.975, 29, 2.045229642132703), (0.975, 30, 2.0422724563012378),
        (0.975, 100, 1.9839715185235518), (0.975, 1000, 1.9623390808264083), (0.95, 4, 2.1318467863266495),
        (0.995, 4, 4.604094871349992), (0.9, 7, 1.4149239276505086), (0.999, 2, 22.327124770119866),
        (0.6, 3, 0.2766706623326898), (0.025, 4, -2.7764451051977943), (1e-06, 3, -103.29946778041935),
        (0.975, 0.5, 164.55767348048818), (0.975, 2.5, 3.5746548420036817), (0.975, 1e6, 1.959966356814107),
    ]

    @Test func quantileMatchesScipy() {
        for (p, df, t) in Self.quantiles {
            let q = StudentT.quantile(p, degreesOfFreedom: df)
            #expect(Self.relative(q, t) < 1e-12, "t.ppf(\(p), \(df)) = \(t), got \(q)")
        }
        #expect(StudentT.quantile(0.5, degreesOfFreedom: 3) == 0)
    }

    /// ν = 1 (Cauchy): t = tan(π(p − ½)); ν = 2: t = (2p − 1)/√(2p(1 − p)); ν → ∞: the normal quantile.
    @Test func quantileMatchesClosedForms() {
        for p in [0.001, 0.05, 0.3, 0.55, 0.8, 0.975, 0.9999] {
            let cauchy = tan(Double.pi * (p - 0.5))
            #expect(Self.relative(StudentT.quantile(p, degreesOfFreedom: 1), cauchy) < 1e-12, "ν = 1, p = \(p)")
            let two = (2 * p - 1) / (2 * p * (1 - p)).squareRoot()
            #expect(Self.relative(StudentT.quantile(p, degreesOfFreedom: 2), two) < 1e-12, "ν = 2, p = \(p)")
        }
        // t_{0.975, 10⁹} = 1.959963986912325 (mpmath, 40 digits), 2.4e-9 above z_{0.975} = 1.959963984540054.
        #expect(Self.relative(StudentT.quantile(0.975, degreesOfFreedom: 1e9), 1.959963986912325) < 1e-12)
    }

    /// scipy `t.cdf`, the Cauchy CDF ½ + atan(t)/π, and CDF(quantile(p)) = p.
    @Test func cdfMatchesScipyAndInvertsTheQuantile() {
        let golden: [(t: Double, df: Double, p: Double)] = [
            (2.0, 4, 0.9419417382415922), (-1.5, 3, 0.11529193262241147), (0.3, 10, 0.6148396962171008),
            (10.0, 1, 0.9682744825694465), (50.0, 5, 0.9999999697612119), (1.0, 1000, 0.8412237909576638),
        ]
        for (t, df, p) in golden {
            #expect(Self.relative(StudentT.cdf(t, degreesOfFreedom: df), p) < 1e-13, "t.cdf(\(t), \(df))")
        }
        // Tails on both sides of the switch between the two evaluations (1 %): the integral of the
        // density by mpmath quad at 50 digits (0 for sf(50, 10⁴) ≈ 1e-540, which underflows).
        let tails: [(df: Double, t: Double, sf: Double)] = [
            (1e6, 5.0, 2.8669989354453707845e-7), (1e4, 50.0, 0.0), (10, 3.1, 0.0056253286080417092598),
            (10, 2.7, 0.011156682581738514924), (30, 5.5, 2.8392864725590362782e-6), (2.5, 300.0, 4.6144418309767449811e-7),
        ]
        for (df, t, sf) in tails {
            let tail = StudentT.cdf(-t, degreesOfFreedom: df)  // = P(T > t) by symmetry, without 1 − …
            let tolerance = df > 1e5 ? 1e-10 : 1e-12  // the far-tail form rounds like ν·1e-16
            #expect(sf == 0 ? tail < 1e-300 : Self.relative(tail, sf) < tolerance, "sf(\(t), \(df)) = \(sf), got \(tail)")
        }
        for t in [-30.0, -2, -0.1, 0, 0.7, 5] {
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: 1) - (0.5 + atan(t) / Double.pi)) < 1e-15)
        }
        for df in [1.0, 3, 4.5, 17, 250] {
            for p in [1e-9, 0.01, 0.2, 0.5, 0.77, 0.975, 0.999999] {
                let t = StudentT.quantile(p, degreesOfFreedom: df)
                #expect(Self.relative(StudentT.cdf(t, degreesOfFreedom: df), p) < 1e-12, "ν = \(df), p = \(p)")
            }
        }
    }

    /// I_x(1, 1) = x, I_x(a, 1) = x^a, I_x(1, b) = 1 − (1 − x)^b, I_½(a, a) = ½, and scipy `betainc`.
    @Test func incompleteBetaMatchesClosedFormsAndScipy() {
        for x in [0.0, 1e-8, 0.1, 0.42, 0.5, 0.93, 1.0] {
            #expect(abs(IncompleteBeta.regularized(x, a: 1, b: 1) - x) < 1e-15)
            for a in [0.5, 2.0, 7.5] {
                #expect(abs(IncompleteBeta.regularized(x, a: a, b: 1) - pow(x, a)) < 1e-14, "x = \(x), a = \(a)")
                #expect(abs(IncompleteBeta.regularized(x, a: 1, b: a) - (1 - pow(1 - x, a))) < 1e-14, "x = \(x), b = \(a)")
            }
        }
        for a in [0.3, 2.0, 45.0] { #expect(abs(IncompleteBeta.regularized(0.5, a: a, b: a) - 0.5) < 1e-14) }
        let golden: [(x: Double, a: Double, b: Double, value: Double)] = [
            (0.3, 2.5, 0.5, 0.018927124071945658), (0.9, 0.5, 7.0, 0.9999999780702157), (0.5, 10, 10, 0.5),
            (0.01, 3, 40, 0.008583853799733485), (0.99, 200, 0.5, 0.04509410713707966),
        ]
        for (x, a, b, value) in golden {
            #expect(Self.relative(IncompleteBeta.regularized(x, a: a, b: b), value) < 1e-12, "I_\(x)(\(a), \(b))")
        }
    }

    /// [1…5]: mean 3, s = √2.5, 95 % interval (1.0367568385224428, 4.963243161477557) by scipy's
    /// `t.interval(0.95, 4, loc=mean, scale=sem)`; a second set from the same call.
    @Test func summaryIsMeanSampleSDAndTInterval() throws {
        let s = try SeedSummary([1, 2, 3, 4, 5])
        #expect(s.count == 5 && s.mean == 3 && abs(s.standardDeviation - 2.5.squareRoot()) < 1e-15)
        #expect(Self.relative(s.lower, 1.0367568385224428) < 1e-13 && Self.relative(s.upper, 4.963243161477557) < 1e-13)
        #expect(s.minimum == 1 && s.maximum == 5)
        let g = try SeedSummary([16, 23, 21, 25, 19])
        #expect(Self.relative(g.standardDeviation, 3.492849839314596) < 1e-14)
        #expect(Self.relative(g.lower, 16.463054103391265) < 1e-13 && Self.relative(g.upper, 25.136945896608736) < 1e-13)
        // Equal values: zero width. One value: no spread, NaN interval.
        let flat = try SeedSummary([0.75, 0.75, 0.75])
        #expect(flat.standardDeviation == 0 && flat.lower == 0.75 && flat.upper == 0.75)
        let one = try SeedSummary([4])
        #expect(one.mean == 4 && one.standardDeviation.isNaN && one.halfWidth.isNaN)
        // 90 %: t_{0.95, 4} = 2.1318467863266495.
        let ninety = try SeedSummary([1, 2, 3, 4, 5], confidence: 0.9)
        #expect(Self.relative(ninety.halfWidth, 2.1318467863266495 * 0.5.squareRoot()) < 1e-13)
        #expect(throws: MongeError.invalidArgument(name: "kl", message: "no seeds to summarise")) { try SeedSummary([], name: "kl") }
        #expect(throws: MongeError.nonFinite("kl: value 2 of 3 is nan")) { try SeedSummary([1, .nan, 2], name: "kl") }
        #expect(throws: MongeError.self) { try SeedSummary([1, 2], confidence: 1) }
    }

    @Test func seedListParsesListsAndRanges() throws {
        #expect(try SeedList(parsing: "0,1,2").seeds == [0, 1, 2])
        #expect(try SeedList(parsing: "0-4").seeds == [0, 1, 2, 3, 4])
        #expect(try SeedList(parsing: " 7 , 2-3,10-10").seeds == [7, 2, 3, 10])
        #expect(try SeedList(parsing: "18446744073709551615").seeds == [UInt64.max])
        #expect(try SeedList(parsing: "5").seeds == [5])
    }

    @Test(arguments: [
        ("", "no seeds given"), (" ", "no seeds given"), ("1,,2", "empty item"), ("1,", "empty item"),
        ("-1", "non-negative"), ("0,-3", "non-negative"), ("2--1", "non-negative"), ("1,1", "seed 1 is listed twice"),
        ("0-3,2", "seed 2 is listed twice ('0-3' and '2')"), ("4-2", "descending; write 2-4"), ("a", "'a' is not a seed"),
        ("1.5", "not a seed"), ("0..4", "not a seed"), ("3-", "not a seed"), ("0-10000", "more than 10000 seeds"),
        ("18446744073709551616", "exceeds"),
    ])
    func seedListRejectsBadInput(_ text: String, _ fragment: String) {
        do {
            let list = try SeedList(parsing: text)
            Issue.record("'\(text)' parsed as \(list.seeds)")
        } catch let MongeError.invalidArgument(name, message) {
            #expect(name == "seed list")
            #expect(message.contains(fragment), "'\(text)': \(message)")
        } catch {
            Issue.record("'\(text)': unexpected \(error)")
        }
    }
}
