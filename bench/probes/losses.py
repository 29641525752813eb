"""Differential probe of `losses` (EXERCISES.md §2) for bench/mutation_score.py."""

from __future__ import annotations

import numpy as np

from _common import Diffs, copies, one_hot
from reference import functions as ref

DELTA_MAX = 1e-5  # any δ up to 1e-5 inside log is valid


def _call(ns, d, name, item, *args):
    if name not in ns:
        d.add(item, f"{name} is not defined")
        return False, None
    keep = copies(*args)
    ok, value = d.call(item, f"{name}{tuple(np.shape(a) for a in args)}", ns[name], *args)
    for i, (before, after) in enumerate(zip(keep, args)):
        d.unchanged(f"{name}.no_mutation", f"argument {i + 1} of {name}", before, after)
    return ok, value


def _scalar(value):
    try:
        return float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return value


def _bce(y, t, delta):
    n = y.shape[0]
    return -np.sum(t * np.log(y + delta) + (1 - t) * np.log(1 - y + delta)) / n


def _cee(y, t, delta):
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    return -np.sum(t.reshape(y2.shape) * np.log(y2 + delta)) / y2.shape[0]


def _prob_rows(rng, n, k):
    while True:
        y = ref.softmax(rng.standard_normal((n, k)) * 0.6)
        if y.min() >= 0.02 and y.max() <= 0.98:
            return y


def probe(ns, rng):
    d = Diffs()
    # mean squared error: (N, K), (N,), (N, 1), a batch of one
    for shape in ((6, 3), (8,), (5, 1), (1, 4)):
        y, t = rng.standard_normal(shape), rng.standard_normal(shape)
        ok, v = _call(ns, d, "mean_squared_error", "mean_squared_error", y, t)
        if ok:
            d.check("mean_squared_error", f"mean_squared_error for y {shape}", _scalar(v), ref.mean_squared_error(y, t))
    # binary cross-entropy: probabilities in [0.02, 0.98], exact 0/1 where right, exact 0/1 where wrong
    for shape in ((8, 1), (8,), (1, 1)):
        y = 0.02 + 0.96 * rng.random(shape)
        t = (rng.random(shape) < 0.5).astype(float)
        ok, v = _call(ns, d, "binary_cross_entropy", "binary_cross_entropy", y, t)
        if ok:
            d.band("binary_cross_entropy", f"binary_cross_entropy for y {shape}", _scalar(v), _bce(y, t, 1e-300),
                   _bce(y, t, DELTA_MAX))
    y = 0.05 + 0.9 * rng.random((8, 1))
    t = (rng.random((8, 1)) < 0.5).astype(float)
    t[:2] = [[0.0], [1.0]]
    y[:2] = t[:2]
    ok, v = _call(ns, d, "binary_cross_entropy", "binary_cross_entropy.edge_cases", y, t)
    if ok:
        exact = -np.sum(np.where(t == 1, np.log(np.where(t == 1, y, 1)), np.log(np.where(t == 0, 1 - y, 1)))) / 8
        d.check("binary_cross_entropy.edge_cases", "y with exact 0 where t = 0 and 1 where t = 1", _scalar(v),
                exact, atol=1e-4)
    y2, t2 = np.array([[1.0], [0.0], [0.5], [0.3]]), np.array([[0.0], [1.0], [1.0], [0.0]])
    ok, v = _call(ns, d, "binary_cross_entropy", "binary_cross_entropy.edge_cases", y2, t2)
    if ok:
        v = _scalar(v)
        if not (isinstance(v, float) and np.isfinite(v) and v > 1.0):
            d.add("binary_cross_entropy.edge_cases", f"y = [1, 0, .5, .3], t = [0, 1, 1, 0] gave {v} (finite, > 1)")
    # softmax: rows, a vector, large scores (equal and unequal, range > 709 so subtracting the minimum fails)
    cases = [rng.standard_normal((5, 4)) * 2, rng.standard_normal((1, 3)), rng.standard_normal(6) * 2,
             np.array([[1000.0, 1000.0, 1000.0], [1000.0, 999.0, 998.0], [-1000.0, 0.0, 1000.0], [5.0, 1.0, -2.0]]),
             np.array([1000.0, 1000.0]), np.array([1000.0, 999.0, -1000.0]), np.array([-1000.0, -999.0]),
             np.array([3.0])]
    for x in cases:
        item = "softmax.large_scores" if np.abs(x).max() >= 100 else ("softmax.vector" if x.ndim == 1 else "softmax")
        ok, v = _call(ns, d, "softmax", item, x)
        if ok:
            d.check(item, f"softmax(x) for x {short_x(x)}", v, ref.softmax(x))
    # cross-entropy: rows, a single sample (1-D), exact zeros where t = 0
    for n, k in ((6, 4), (1, 3)):
        y, t = _prob_rows(rng, n, k), one_hot(rng, n, k)
        ok, v = _call(ns, d, "cross_entropy_error", "cross_entropy_error", y, t)
        if ok:
            d.band("cross_entropy_error", f"cross_entropy_error for y {y.shape}", _scalar(v), _cee(y, t, 1e-300),
                   _cee(y, t, DELTA_MAX))
    y, t = _prob_rows(rng, 1, 5)[0], one_hot(rng, 1, 5)[0]
    ok, v = _call(ns, d, "cross_entropy_error", "cross_entropy_error.single_sample", y, t)
    if ok:
        d.band("cross_entropy_error.single_sample", "cross_entropy_error for a 1-D y", _scalar(v), _cee(y, t, 1e-300),
               _cee(y, t, DELTA_MAX))
    y, t = _prob_rows(rng, 5, 4), one_hot(rng, 5, 4)
    for i in range(5):
        zeros = [j for j in range(4) if t[i, j] == 0][: 2 if i == 0 else 1]
        y[i, zeros] = 0.0
        y[i] /= y[i].sum()
    ok, v = _call(ns, d, "cross_entropy_error", "cross_entropy_error.edge_cases", y, t)
    if ok:
        d.band("cross_entropy_error.edge_cases", "cross_entropy_error with exact zeros where t = 0", _scalar(v),
               _cee(y, t, 1e-300), _cee(y, t, DELTA_MAX))
    return d


def short_x(x):
    return np.array2string(np.asarray(x), threshold=6).replace("\n", "")


def explain(m, old, new):
    if "np.arange" in old or "argmax" in old:
        return "inside the optional label-index branch (t of shape (N,)); the contract passes one-hot t"
    if m.kind == "statement-deleted" and ("newaxis" in old or "reshape" in old):
        return "a reshape of t that broadcasting makes unnecessary"
    return None
