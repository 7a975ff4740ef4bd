"""Writes golden.json: reference values of Monge's image metrics from scikit-image and scipy.

Run from the package root with the venv (pip install scikit-image scipy):
    .venv/bin/python Tests/MongeEvaluationTests/golden/make_golden.py

Inputs are not stored: both this script and the Swift tests rebuild them from a 64-bit linear
congruential generator with exact integer and binary-fraction arithmetic, so the two sides see
bit-identical images and features and the JSON holds only the recipes and the reference outputs.
"""
import json
import os

import numpy as np
import scipy
import scipy.linalg
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

MASK = (1 << 64) - 1


def uniform(seed, count):
    """count numbers in [-1, 1): state <- 6364136223846793005 state + 1442695040888963407 (mod 2^64),
    u = (state >> 11) / 2^53, value 2u - 1. The first state is the seed itself."""
    state = seed & MASK
    out = np.empty(count)
    for k in range(count):
        state = (6364136223846793005 * state + 1442695040888963407) & MASK
        out[k] = 2.0 * ((state >> 11) / 9007199254740992.0) - 1.0
    return out


def image_pair(case):
    """The two images of an image case (recipes mirrored in ImageMetricsTests.swift)."""
    h, w, kind = case["height"], case["width"], case["kind"]
    if kind == "noise":  # y = 0.7 x + 0.25 v - 0.05 with x, v independent uniform in [-1, 1)
        x = uniform(case["seed"], h * w)
        v = uniform(case["seed"] + 1, h * w)
        y = 0.7 * x + 0.25 * v - 0.05
    elif kind == "blocks":  # 4x4 blocks of one value; y is x shifted right by one pixel (cyclically)
        values = uniform(case["seed"], (h // 4) * (w // 4)).reshape(h // 4, w // 4)
        x = np.repeat(np.repeat(values, 4, axis=0), 4, axis=1).reshape(-1)
        y = np.roll(x.reshape(h, w), 1, axis=1).reshape(-1)
    elif kind == "square":  # pixels in [0, 1): x = (u + 1) / 2, y = x * x
        x = (uniform(case["seed"], h * w) + 1.0) / 2.0
        y = x * x
    else:
        raise ValueError(kind)
    return x.reshape(h, w), y.reshape(h, w)


def features(spec):
    """[n, d] features: f[i, j] = s_j u[i, j] + c u[i, (j + o) mod d] + m_j (recipes mirrored in Swift)."""
    n, d, seed = spec["n"], spec["d"], spec["seed"]
    u = uniform(seed, n * d).reshape(n, d)
    s = uniform(seed + 1, d) + 1.5  # column scales in [0.5, 2.5)
    m = uniform(seed + 2, d)
    o, c = spec["offset"], spec["coupling"]
    f = np.empty((n, d))
    for i in range(n):
        for j in range(d):
            f[i, j] = s[j] * u[i, j] + c * u[i, (j + o) % d] + m[j]
    return f


def frechet_scipy(a, b):
    """FID's formula as the reference code computes it: scipy.linalg.sqrtm of sigma1 sigma2."""
    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def frechet_eigen(a, b):
    """The same through symmetric eigendecompositions (a check of the reference)."""
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    lam, q = np.linalg.eigh(s1)
    root = (q * np.sqrt(np.clip(lam, 0, None))) @ q.T
    mid = root @ s2 @ root
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((mid + mid.T) / 2), 0, None)).sum()
    diff = a.mean(axis=0) - b.mean(axis=0)
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * cross)


def main():
    image_cases = [
        {"name": "noise 28x28", "kind": "noise", "height": 28, "width": 28, "seed": 1, "data_range": 2.0},
        {"name": "blocks 28x32", "kind": "blocks", "height": 28, "width": 32, "seed": 7, "data_range": 2.0},
        {"name": "square 30x30 in [0, 1]", "kind": "square", "height": 30, "width": 30, "seed": 5, "data_range": 1.0},
        {"name": "noise 11x13 (one window high)", "kind": "noise", "height": 11, "width": 13, "seed": 3, "data_range": 2.0},
    ]
    for case in image_cases:
        x, y = image_pair(case)
        r = case["data_range"]
        case["psnr"] = float(peak_signal_noise_ratio(x, y, data_range=r))
        case["ssim"] = float(structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
                                                   use_sample_covariance=False, data_range=r))
        case["l2"] = float(np.linalg.norm((x - y).reshape(-1)))

    feature_cases = [
        {"name": "d = 6", "a": {"n": 300, "d": 6, "seed": 11, "offset": 1, "coupling": 0.5},
         "b": {"n": 250, "d": 6, "seed": 21, "offset": 2, "coupling": -0.3}},
        {"name": "d = 32", "a": {"n": 500, "d": 32, "seed": 31, "offset": 1, "coupling": 0.8},
         "b": {"n": 400, "d": 32, "seed": 41, "offset": 5, "coupling": 0.4}},
    ]
    for case in feature_cases:
        a, b = features(case["a"]), features(case["b"])
        reference = frechet_scipy(a, b)
        check = frechet_eigen(a, b)
        assert abs(reference - check) <= 1e-9 * abs(reference), (reference, check)
        case["frechet_squared"] = reference

    out = {
        "generator": "make_golden.py",
        "versions": {"scikit-image": skimage.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "images": image_cases,
        "features": feature_cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
