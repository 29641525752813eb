"""Differential probe of `autograd` (EXERCISES.md §13, §3.8) for bench/mutation_score.py.

Every function is called twice with the same float64 inputs (gradients must not accumulate between calls)
on several shapes — a batch of one, 1-D and 3-D inputs for ``sigmoid_grad`` — and compared with NumPy's
closed forms: dX = dY Wᵀ, dW = Xᵀ dY, db = Σₙ dY, σ(1 − σ). ``softmax_with_loss_grads`` may put any δ in
[0, 1e-5] inside the log (the spec), so E and dE/dx must lie between the δ = 0 and δ = 1e-5 answers; rows of
large scores ([1000, 999, 998], ±700) must stay finite. Results may be tensors, arrays or floats; the
inputs must be left unchanged.
"""

from __future__ import annotations

import numpy as np

from _common import Diffs, short

DELTA_MAX = 1e-5


def prepare():
    """PyTorch imported before the mutant loads (the grader's torch zygote has it imported too)."""
    import torch  # noqa: F401


def _np(value):
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _parts(d, item, what, value, n):
    if not isinstance(value, (tuple, list)) or len(value) != n:
        d.add(item, f"{what} returned {short(value)}, expected a tuple of {n}")
        return None
    return [_np(v) for v in value]


def _twice(d, ns, item, args, expected, what):
    fn = ns.get(item)
    if fn is None:
        d.add(item, f"{item} is not defined")
        return
    before = [a.copy() for a in args]
    for call in (1, 2):
        ok, out = d.call(item, f"{what} (call {call})", fn, *args)
        if not ok:
            return
        got = [_np(out)] if len(expected) == 1 else _parts(d, item, what, out, len(expected))
        if got is None:
            return
        for i, (g, e) in enumerate(zip(got, expected)):
            if not d.check(item, f"{what} (call {call}) part {i}", g, e, squeeze=True):
                return
    for i, (a, b) in enumerate(zip(before, args)):
        d.unchanged(f"{item}.no_mutation", f"{what} argument {i}", a, b)


def _softmax_loss(x, t, delta):
    z = x - x.max(axis=1, keepdims=True)
    y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.sum(t * np.log(y + delta)) / n
    g = -t / (n * (y + delta))                      # dE/dy
    dx = y * (g - np.sum(g * y, axis=1, keepdims=True))
    return loss, dx


def _softmax(d, ns, x, t, what, twice=True):
    item = "softmax_with_loss_grads"
    fn = ns.get(item)
    if fn is None:
        d.add(item, f"{item} is not defined")
        return
    (e0, dx0), (e1, dx1) = _softmax_loss(x, t, 0.0), _softmax_loss(x, t, DELTA_MAX)
    xb, tb = x.copy(), t.copy()
    for call in (1, 2) if twice else (1,):
        ok, out = d.call(item, f"{what} (call {call})", fn, x, t)
        if not ok:
            return
        got = _parts(d, item, what, out, 2)
        if got is None:
            return
        if not (d.band(item, f"{what} (call {call}) E", got[0], e0, e1)
                and d.band(item, f"{what} (call {call}) dE/dx", got[1], dx0, dx1)):
            return
    d.unchanged(f"{item}.no_mutation", f"{what} x", xb, x)
    d.unchanged(f"{item}.no_mutation", f"{what} t", tb, t)


def probe(ns, rng):
    d = Diffs()
    for n, k, l in ((4, 3, 2), (1, 3, 2), (2, 5, 3)):
        X, W, dY = rng.standard_normal((n, k)), rng.standard_normal((k, l)), rng.standard_normal((n, l))
        _twice(d, ns, "matmul_grads", (X, W, dY), (dY @ W.T, X.T @ dY), f"matmul_grads(X {X.shape}, W {W.shape}, dY)")
        b = rng.standard_normal(l)
        _twice(d, ns, "affine_grads", (X, W, b, dY), (dY @ W.T, X.T @ dY, dY.sum(axis=0)),
               f"affine_grads(X {X.shape}, W {W.shape}, b, dY)")
    for shape in ((3, 4), (5,), (2, 3, 2), (1, 1)):
        x = rng.standard_normal(shape) * 3
        s = 1 / (1 + np.exp(-x))
        _twice(d, ns, "sigmoid_grad", (x,), (s * (1 - s),), f"sigmoid_grad(x {shape})")
    for n, k in ((6, 4), (1, 3), (3, 5)):
        x = rng.standard_normal((n, k)) * 0.5
        t = np.zeros((n, k))
        t[np.arange(n), rng.integers(0, k, n)] = 1.0
        _softmax(d, ns, x, t, f"softmax_with_loss_grads(x {x.shape}, t)")
    big = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.5], [700.0, 700.5, 699.0]])
    t = np.eye(3)[[0, 2, 1]]
    _softmax(d, ns, big, t, "softmax_with_loss_grads(large scores)", twice=False)
    return d
