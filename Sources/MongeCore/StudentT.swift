import Foundation

/// Student's t distribution with ν degrees of freedom: its CDF and quantile, computed (not tabulated)
/// from the regularized incomplete beta function, for confidence intervals over seeds.
///
/// P(T > t) = ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0 (Abramowitz & Stegun 26.7.1 with 26.5.27); the
/// quantile inverts it by Newton's method kept inside a bisection bracket, so it always converges.
public enum StudentT {
    /// P(T ≤ t) for ν > 0 degrees of freedom.
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0 && nu.isFinite, "degrees of freedom must be positive, got \(nu)")
        precondition(!t.isNaN, "t is NaN")
        let tail = upperTail(abs(t), nu)
        return t >= 0 ? 1 - tail : tail
    }

    /// The t with P(T ≤ t) = p, for 0 < p < 1 and ν > 0 degrees of freedom.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0 && nu.isFinite, "degrees of freedom must be positive, got \(nu)")
        precondition(p > 0 && p < 1, "the probability must be in (0, 1), got \(p)")
        if p == 0.5 { return 0 }
        // Solve P(T > t) = q for t ≥ 0 with q the smaller tail (1 − p is exact for p ≥ ½).
        let q = p < 0.5 ? p : 1 - p
        var lo = 0.0, hi = 1.0
        while upperTail(hi, nu) > q {
            lo = hi
            hi *= 2
            if !hi.isFinite { return p < 0.5 ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude }
        }
        var t = (lo + hi) / 2
        for _ in 0..<400 {
            let excess = upperTail(t, nu) - q  // decreasing in t
            if excess > 0 { lo = t } else if excess < 0 { hi = t } else { break }
            // Newton step on the tail (its derivative is −density); bisect when it leaves the bracket.
            var next = t + excess / density(t, nu)
            if !(next > lo && next < hi) { next = (lo + hi) / 2 }
            if abs(next - t) <= 4 * Double.ulpOfOne * max(abs(t), Double.leastNormalMagnitude) { t = next; break }
            t = next
        }
        return p < 0.5 ? -t : t
    }

    /// The density f(t) = Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + t²/ν)^(−(ν+1)/2).
    public static func density(_ t: Double, _ nu: Double) -> Double {
        let logC = -IncompleteBeta.logGammaRatio(nu / 2, 0.5) - 0.5 * log(nu * Double.pi)
        return exp(logC - (nu + 1) / 2 * log1p(t * t / nu))
    }

    /// P(T > t) for t ≥ 0: ½ I_x(ν/2, ½) with x = ν/(ν+t²) and 1 − x = y = t²/(ν+t²) computed
    /// without cancellation.
    ///
    /// Two evaluations, each used where it is well conditioned: ½(1 − I_y(½, ν/2)) by the
    /// continued fraction in y (relative error ≈ 1e-15 for any ν, as long as the tail is not tiny),
    /// and ½ I_x(ν/2, ½) by the continued fraction in x for tails below 1 % (its rounding grows
    /// like ν·1e-16 when x is near 1, which only happens for such tails when ν is huge).
    static func upperTail(_ t: Double, _ nu: Double) -> Double {
        if t == 0 { return 0.5 }
        if t.isInfinite { return 0 }
        let t2 = t * t
        // For |t| large t² may overflow; then x = ν/t² to first order and 1 − x = 1.
        let x = t2.isFinite ? nu / (nu + t2) : 0
        let y = t2.isFinite ? t2 / (nu + t2) : 1
        // (ν/2)·y ≥ 50 means a tail far below 1 % (and a slow fraction in y): skip to the other form.
        if y < 0.5 && nu / 2 * y < 50 {
            let tail = 0.5 * (1 - IncompleteBeta.continuedFractionForm(x: y, complement: x, a: 0.5, b: nu / 2))
            if tail >= 0.01 { return tail }
        }
        return 0.5 * IncompleteBeta.continuedFractionForm(x: x, complement: y, a: nu / 2, b: 0.5)
    }
}

/// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b).
public enum IncompleteBeta {
    /// I_x(a, b) for 0 ≤ x ≤ 1 and a, b > 0.
    public static func regularized(_ x: Double, a: Double, b: Double) -> Double {
        regularized(x: x, complement: 1 - x, a: a, b: b)
    }

    /// I_x(a, b) with 1 − x passed separately (`complement`), so that x near 1 keeps its precision.
    ///
    /// The continued fraction (A&S 26.5.8) converges quickly for x < (a + 1)/(a + b + 2); beyond,
    /// the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) is used.
    public static func regularized(x: Double, complement y: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0 && a.isFinite && b.isFinite, "I_x(a, b) needs a, b > 0, got \(a), \(b)")
        precondition(x >= 0 && x <= 1 && y >= 0 && y <= 1, "I_x(a, b) needs 0 ≤ x ≤ 1, got \(x)")
        if x == 0 { return 0 }
        if y == 0 { return 1 }
        if x < (a + 1) / (a + b + 2) { return continuedFractionForm(x: x, complement: y, a: a, b: b) }
        return 1 - continuedFractionForm(x: y, complement: x, a: b, b: a)
    }

    /// x^a (1 − x)^b / (a B(a, b)) times the continued fraction: I_x(a, b) without choosing a branch
    /// (fast and accurate for x < (a + 1)/(a + b + 2), still convergent beyond).
    static func continuedFractionForm(x: Double, complement y: Double, a: Double, b: Double) -> Double {
        if x == 0 { return 0 }
        // log x and log(1 − x) from whichever of x, 1 − x is small, so that neither loses digits near 1
        // (a·log x with a = ν/2 large amplifies any error in log x).
        let logX = x < 0.5 ? log(x) : log1p(-y)
        let logY = y < 0.5 ? log(y) : log1p(-x)
        let front = exp(a * logX + b * logY - logBeta(a, b))
        return front * continuedFraction(x: x, a: a, b: b) / a
    }

    /// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), without the cancellation of large ln Γ values.
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        let small = min(a, b), big = max(a, b)
        if big < 10 { return lgamma(a) + lgamma(b) - lgamma(a + b) }
        return lgamma(small) + logGammaRatio(big, small)
    }

    /// ln Γ(x) − ln Γ(x + b) for x, b > 0. For x ≥ 10 by Stirling's series of both terms, written as
    /// −(x − ½)·log1p(b/x) − b·ln(x + b) + b + S(x) − S(x + b) with S(z) = 1/(12z) − 1/(360z³) +
    /// 1/(1260z⁵) − 1/(1680z⁷) + 1/(1188z⁹) (truncation below 1e-13 at z = 10), which keeps full
    /// precision where the two ln Γ values are huge and nearly equal (Student t with large ν).
    static func logGammaRatio(_ x: Double, _ b: Double) -> Double {
        if x < 10 { return lgamma(x) - lgamma(x + b) }
        func series(_ z: Double) -> Double {
            let r = 1 / z, r2 = r * r
            return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))))
        }
        return -(x - 0.5) * log1p(b / x) - b * log(x + b) + b + series(x) - series(x + b)
    }

    /// 1 / (1 + d₁/(1 + d₂/(1 + …))) with d_{2m} = m(b − m)x / ((a + 2m − 1)(a + 2m)) and
    /// d_{2m+1} = −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)), by the modified Lentz method.
    static func continuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        func guarded(_ v: Double) -> Double { abs(v) < tiny ? tiny : v }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var h = d
        for m in 1...100_000 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 / guarded(1 + even * d)
            c = guarded(1 + even / c)
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 / guarded(1 + odd * d)
            c = guarded(1 + odd / c)
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }
}
