"""Reading Monge's sampler conformance kit (`monge conformance export --out KIT`) from Python.

The exact ε oracles of `cases.json` in numpy, and writers for the outputs that
`monge conformance check KIT OUTPUTS` reads (OUTPUTS/<method>/<case id>.npy).
"""
import json
import os

import numpy as np


class Kit:
    def __init__(self, directory):
        self.directory = directory
        with open(os.path.join(directory, "cases.json")) as f:
            self.manifest = json.load(f)
        if self.manifest["format"] != "monge-conformance/1":
            raise SystemExit(f"{directory}/cases.json: format {self.manifest['format']!r}, expected 'monge-conformance/1'")
        self.schedules = {s["name"]: s for s in self.manifest["schedules"]}
        self.oracles = {o["name"]: o for o in self.manifest["oracles"]}

    def array(self, relative):
        return np.load(os.path.join(self.directory, relative))

    def alphas_cumprod(self, schedule):
        return self.array(self.schedules[schedule]["alphas_cumprod"])

    def betas(self, schedule):
        return self.array(self.schedules[schedule]["betas"])

    def epsilon(self, oracle, x, alpha_bar):
        """The exact ε(x, ᾱ) of the oracle (cases.json's conventions), x of shape [N, D]."""
        o = self.oracles[oracle]
        x = np.asarray(x, dtype=np.float64)
        a = float(alpha_bar)
        if o["kind"] == "gaussian":
            mu = np.array(o["mean"])
            d = len(mu)
            sigma = np.array(o["covariance"]).reshape(d, d)
            c = a * sigma + (1 - a) * np.eye(d)
            return np.sqrt(1 - a) * np.linalg.solve(c, (x - np.sqrt(a) * mu).T).T
        if o["kind"] == "isotropic_mixture":
            means, stds, weights = np.array(o["means"]), np.array(o["stds"]), np.array(o["weights"])
            c = a * stds ** 2 + 1 - a                                     # [K]
            r = x[:, None, :] - np.sqrt(a) * means[None, :, :]            # [N, K, D]
            d = x.shape[1]
            logits = np.log(weights) - 0.5 * d * np.log(c) - 0.5 * (r ** 2).sum(-1) / c
            logits -= logits.max(axis=1, keepdims=True)
            w = np.exp(logits)
            w /= w.sum(axis=1, keepdims=True)
            return np.sqrt(1 - a) * (w[:, :, None] * r / c[None, :, None]).sum(1)
        raise SystemExit(f"unknown oracle kind {o['kind']!r}")


def write_output(outputs, method, case_id, array):
    folder = os.path.join(outputs, method)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, case_id + ".npy")
    tmp = path + ".tmp.npy"
    np.save(tmp, np.asarray(array))
    os.replace(tmp, path)
