"""Helpers of the differential probes of bench/mutation_score.py (one module per exercise).

A probe compares a submission's namespace with reference/ over the whole contract and returns
[(item that should catch it, what differs)]; [] means "no difference found" (the mutant is
equivalent). Tolerances are the spec's: relative 1e-4, absolute 1e-6.
"""

from __future__ import annotations

import copy

import numpy as np

RTOL, ATOL = 1e-4, 1e-6


def arr(value):
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a


def close(got, expected, rtol=RTOL, atol=ATOL, squeeze=False) -> bool:
    g, e = arr(got), np.asarray(expected, dtype=np.float64)
    if g is None:
        return False
    if squeeze:
        g, e = np.squeeze(g), np.squeeze(e)
    if g.shape != e.shape:
        return False
    return bool(np.all(np.isfinite(g) == np.isfinite(e))
                and np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))


def in_band(got, a, b, rtol=RTOL, atol=ATOL) -> bool:
    """got lies between a and b (element-wise), up to the tolerances: for a δ/ε that may be anything
    in the valid range (the two ends give a and b)."""
    g = arr(got)
    if g is None:
        return False
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if g.shape != a.shape or not np.all(np.isfinite(g)):
        return False
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    tol = atol + rtol * np.maximum(np.abs(lo), np.abs(hi))
    return bool(np.all((g >= lo - tol) & (g <= hi + tol)))


def short(value) -> str:
    a = arr(value)
    if a is None:
        return repr(value)[:80]
    return np.array2string(a, precision=5, threshold=8, edgeitems=2).replace("\n", "")[:70]


class Diffs(list):
    """Collects (item, message); ``call`` runs a step and records an exception as a difference."""

    def add(self, item: str, msg: str) -> None:
        self.append((item, msg))

    def check(self, item: str, what: str, got, expected, **kw) -> bool:
        if close(got, expected, **kw):
            return True
        self.add(item, f"{what}: got {short(got)}, expected {short(expected)}")
        return False

    def band(self, item: str, what: str, got, a, b) -> bool:
        if in_band(got, a, b):
            return True
        self.add(item, f"{what}: got {short(got)}, expected between {short(a)} and {short(b)}")
        return False

    def unchanged(self, item: str, what: str, before, after) -> bool:
        if np.array_equal(np.asarray(before), np.asarray(after), equal_nan=True):
            return True
        self.add(item, f"{what} was modified in place")
        return False

    def call(self, item: str, what: str, fn, *args, **kw):
        """fn(*args) with copies kept of every array argument; returns (ok, value)."""
        try:
            return True, fn(*args, **kw)
        except Exception as exc:  # noqa: BLE001 - a crash is a difference
            self.add(item, f"{what} raised {type(exc).__name__}: {exc}")
            return False, None


def copies(*arrays):
    return [copy.deepcopy(a) for a in arrays]


def one_hot(rng, n, k):
    t = np.zeros((n, k))
    t[np.arange(n), rng.integers(0, k, n)] = 1.0
    return t
