"""Differential probe of `activations` (EXERCISES.md §1) for bench/mutation_score.py."""

from __future__ import annotations

import numpy as np

from _common import Diffs, copies
from reference import functions as ref


def _inputs(rng, scale):
    out = []
    for shape in ((7,), (3, 4), (2, 3, 4), (1,)):
        x = rng.standard_normal(shape) * scale
        x[np.abs(x) < 0.05] = 0.3
        out.append(x)
    z = rng.standard_normal(6) * scale
    z[0] = 0.0
    out.append(z)  # an exact 0 (every valid answer agrees there)
    return out


def _check(ns, d, name, item, x, expected):
    if name not in ns:
        d.add(item, f"{name} is not defined")
        return
    (keep,) = copies(x)
    ok, y = d.call(item, f"{name}(x)", ns[name], x)
    if ok:
        d.check(item, f"{name}(x) for x {x.shape}", y, expected)
    mut = f"{name}.no_mutation"
    d.unchanged(mut, f"`x` (the argument of {name})", keep, x)


def probe(ns, rng):
    d = Diffs()
    for x in _inputs(rng, 3.0):
        _check(ns, d, "sigmoid", "sigmoid", x, ref.sigmoid(x))
    big = rng.permutation(np.array([-1000.0, -710.0, -500.0, -100.0, -40.0, -1.0, 0.0, 1.0, 40.0, 100.0, 500.0,
                                    710.0, 1000.0]))
    _check(ns, d, "sigmoid", "sigmoid.large_inputs", big, ref.sigmoid(big))
    for x in _inputs(rng, 2.0):
        _check(ns, d, "relu", "relu", x, ref.relu(x))
        xt = np.clip(x, -8, 8)
        _check(ns, d, "tanh", "tanh", xt, ref.tanh(xt))
        _check(ns, d, "leaky_relu", "leaky_relu", x, ref.leaky_relu(x))
    return d


def explain(m, old, new):
    if "clip" in old:
        return "a clip of x (or its bound) that only matters where exp overflows harmlessly (sigmoid is 0 or 1 there)"
    if m.kind == "argument-ignored" and "alpha" in old:
        return "the slope parameter's default is 0.1, the only value the contract uses"
    if m.kind == "statement-deleted" and "asarray" in old:
        return "a conversion of x the grader's float64 arrays do not need"
    return None
