"""Differential probe of `initialization` (EXERCISES.md §9) for bench/mutation_score.py: shape (n_in, n_out),
floats, mean 0, variance 2/n_in (He), 2/(n_in + n_out) (Glorot–Bengio), method² for a float, normal
shape (kurtosis 3), a new draw on every call, small arrays like large ones."""

from __future__ import annotations

import numpy as np

from _common import Diffs


def _stats(d, item, a, var, what):
    a = np.asarray(a, dtype=float)
    n = a.size
    if not np.all(np.isfinite(a)):
        d.add(item, f"{what}: not finite")
        return
    m2 = float(np.mean(a * a))
    if abs(float(a.mean())) > 6 * np.sqrt(var / n) or abs(m2 / var - 1) > 8 * np.sqrt(2 / n):
        d.add(item, f"{what}: mean {a.mean():.4g}, variance {m2:.4g}, expected 0 and {var:.4g}")
    kurt = float(np.mean(a ** 4)) / m2 ** 2 if m2 else 0.0
    if abs(kurt - 3) > 8 * np.sqrt(96 / n):
        d.add("init_weight.normal", f"{what}: kurtosis {kurt:.3f}, expected 3")


def probe(ns, rng):
    d = Diffs()
    f = ns.get("init_weight")
    if f is None:
        d.add("init_weight.shape", "init_weight is not defined")
        return d
    for n_in, n_out, method, var, item in ((400, 300, "he", 2 / 400, "init_weight.he"),
                                           (100, 1200, "xavier", 2 / 1300, "init_weight.xavier"),
                                           (1500, 80, 0.5, 0.25, "init_weight.std"),
                                           (300, 200, 2.0, 4.0, "init_weight.std"),
                                           (3, 5, "he", 2 / 3, "init_weight.shape")):
        ok, a = d.call(item, f"init_weight({n_in}, {n_out}, {method!r})", f, n_in, n_out, method)
        if not ok:
            continue
        a = np.asarray(a)
        if a.shape != (n_in, n_out) or a.dtype.kind != "f":
            d.add("init_weight.shape", f"init_weight({n_in}, {n_out}, {method!r}) has shape {a.shape}, {a.dtype}")
            continue
        if a.size > 1000:
            _stats(d, item, a, var, f"init_weight({n_in}, {n_out}, {method!r})")
    ok, a = d.call("init_weight.random", "init_weight(400, 300, 'he')", f, 400, 300, "he")
    ok2, b = d.call("init_weight.random", "init_weight(400, 300, 'he')", f, 400, 300, "he")
    if ok and ok2 and np.array_equal(np.asarray(a), np.asarray(b)):
        d.add("init_weight.random", "two calls returned the same array")
    smalls = []
    for _ in range(300):
        ok, s = d.call("init_weight.random", "init_weight(4, 6, 0.3)", f, 4, 6, 0.3)
        if not ok:
            return d
        smalls.append(np.asarray(s, dtype=float))
    if len({s.tobytes() for s in smalls}) < 300:
        d.add("init_weight.random", "small arrays repeat")
    else:
        _stats(d, "init_weight.random", np.concatenate([s.ravel() for s in smalls]), 0.09, "300 × init_weight(4, 6, 0.3)")
    return d
