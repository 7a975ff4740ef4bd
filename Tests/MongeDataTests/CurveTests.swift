import Foundation
import MongeData
import Testing

/// sklearn-style curves and the spirals/roll against their closed forms.
@Suite("Moons, circles, Swiss roll, spirals")
struct CurveTests {
    @Test(arguments: [10, 11, 2, 3, 1])
    func noiselessMoonsAreTheClosedForm(n: Int) throws {
        let points = try Moons(noise: 0, shuffle: false).sample(n: n, seed: 0)
        let outer = n / 2, inner = n - outer
        for j in 0..<outer {
            let theta = outer > 1 ? Double.pi * Double(j) / Double(outer - 1) : 0
            #expect(points[j, 0] == cos(theta) && points[j, 1] == sin(theta))
        }
        for k in 0..<inner {
            let theta = inner > 1 ? Double.pi * Double(k) / Double(inner - 1) : 0
            #expect(points[outer + k, 0] == 1 - cos(theta) && points[outer + k, 1] == 0.5 - sin(theta))
        }
        // Endpoints of numpy's linspace(0, π, m): the moons' tips.
        if outer > 1 { #expect(points[0, 0] == 1 && points[outer - 1, 0] == -1) }
    }

    @Test func shuffledMoonsAreAPermutationOfTheCurve() throws {
        let n = 501
        let plain = try Moons(noise: 0, shuffle: false).sample(n: n, seed: 9)
        let shuffled = try Moons(noise: 0).sample(n: n, seed: 9)
        #expect(plain != shuffled)
        let key: ([Double]) -> [Double] = { $0 }
        let sortRows: (Matrix<Double>) -> [[Double]] = { m in
            (0..<m.rows).map { key(m.row($0)) }.sorted { $0.lexicographicallyPrecedes($1) }
        }
        #expect(sortRows(plain) == sortRows(shuffled))
    }

    @Test func moonsNoiseHasTheRequestedStd() throws {
        let n = 20_000
        let noisy = try Moons(noise: 0.05, shuffle: false).sample(n: n, seed: 1)
        var sumSquares = 0.0, sum = 0.0
        for j in 0..<n {
            let (x, y) = Moons.curvePoint(j, n: n)
            let dx = noisy[j, 0] - x, dy = noisy[j, 1] - y
            sum += dx + dy
            sumSquares += dx * dx + dy * dy
        }
        let std = (sumSquares / Double(2 * n)).squareRoot()
        #expect(abs(std - 0.05) < 5 * 0.05 / Double(4 * n).squareRoot(), "std \(std)")
        #expect(abs(sum / Double(2 * n)) < 4 * 0.05 / Double(2 * n).squareRoot())
    }

    @Test func moonsScaleAndShiftReproduceTheAnchorTarget() throws {
        // anchors/common.py: 3·(x − [0.5, 0.25]) = 3x + (−1.5, −0.75).
        let raw = try Moons(noise: 0.05, shuffle: false).sample(n: 100, seed: 2)
        let anchored = try Datasets.make("moons", parameters: ["scale": 3, "shiftX": -1.5, "shiftY": -0.75, "shuffle": 0])
            .sample(n: 100, seed: 2)
        for i in 0..<100 {
            #expect(abs(anchored[i, 0] - 3 * (raw[i, 0] - 0.5)) < 1e-12)
            #expect(abs(anchored[i, 1] - 3 * (raw[i, 1] - 0.25)) < 1e-12)
        }
    }

    @Test func noiselessCirclesHaveTwoRadiiAndEvenAngles() throws {
        let n = 101
        let points = try Circles(factor: 0.5, noise: 0, shuffle: false).sample(n: n, seed: 0)
        let outer = n / 2
        for j in 0..<n {
            let r = (points[j, 0] * points[j, 0] + points[j, 1] * points[j, 1]).squareRoot()
            #expect(abs(r - (j < outer ? 1 : 0.5)) < 1e-12)
        }
        // endpoint=False: the first angle is 0, the step 2π / m.
        #expect(points[0, 0] == 1 && points[0, 1] == 0)
        let step = atan2(points[1, 1], points[1, 0])
        #expect(abs(step - 2 * Double.pi / Double(outer)) < 1e-12)
    }

    @Test func noiselessSwissRollLiesOnTheCurve() throws {
        let roll = SwissRoll(scale: 0.2, noise: 0)
        let points = try roll.sample(n: 2000, seed: 5)
        var low = Double.infinity, high = -Double.infinity
        for i in 0..<points.rows {
            let t = (points[i, 0] * points[i, 0] + points[i, 1] * points[i, 1]).squareRoot() / 0.2
            low = min(low, t); high = max(high, t)
            #expect(abs(points[i, 0] - 0.2 * t * cos(t)) < 1e-9 && abs(points[i, 1] - 0.2 * t * sin(t)) < 1e-9)
        }
        // t spans [1.5π, 4.5π).
        #expect(low >= 1.5 * Double.pi - 1e-9 && low < 1.5 * Double.pi + 0.05)
        #expect(high < 4.5 * Double.pi && high > 4.5 * Double.pi - 0.05)
    }

    @Test func noiselessSpiralsLieOnTwoOppositeArms() throws {
        let spirals = Spirals(turns: 1.5, scale: 1.0 / 3, noise: 0)
        let points = try spirals.sample(n: 1000, seed: 6)
        for i in 0..<points.rows {
            let t = (points[i, 0] * points[i, 0] + points[i, 1] * points[i, 1]).squareRoot() * 3
            let sign: Double = i % 2 == 0 ? 1 : -1
            #expect(t <= 3 * Double.pi + 1e-9)
            #expect(abs(points[i, 0] - sign * -t * cos(t) / 3) < 1e-9 && abs(points[i, 1] - sign * t * sin(t) / 3) < 1e-9)
        }
    }
}
