"""Differential probe of `chain-rule` (EXERCISES.md §3) for bench/mutation_score.py."""

from __future__ import annotations

import numpy as np

from _common import Diffs, copies
from reference import chain_rule as ref


def _run(ns, d, name, args, expected, pair=False, squeeze=False):
    if name not in ns:
        d.add(name, f"{name} is not defined")
        return
    keep = copies(*args)
    ok, got = d.call(name, f"{name}(...)", ns[name], *args)
    if ok:
        if pair:
            try:
                gx, gy = got
            except (TypeError, ValueError):
                d.add(name, f"{name} returned {type(got).__name__}, not a pair")
                gx = gy = None
            if gx is not None:
                d.check(name, f"{name}(...)[0]", gx, expected[0])
                d.check(name, f"{name}(...)[1]", gy, expected[1])
        else:
            d.check(name, f"{name}(...)", got, expected, squeeze=squeeze)
    for i, (before, after) in enumerate(zip(keep, args)):
        d.unchanged(f"{name}.no_mutation", f"argument {i + 1} of {name}", before, after)


def probe(ns, rng):
    d = Diffs()
    for n in (6, 1):
        x, g1, g2 = rng.standard_normal(n) * 2, rng.standard_normal(n), rng.standard_normal(n)
        _run(ns, d, "q1", (x, g1), ref.q1(x, g1))
        t = (rng.random(n) < 0.5).astype(float)
        _run(ns, d, "q2", (x, t), ref.q2(x, t))
        xc = np.clip(x, -1.5, 1.5)
        _run(ns, d, "q3", (xc, g1, g2), ref.q3(xc, g1, g2))
        x4, y4 = rng.standard_normal(n) * 1.5, rng.standard_normal(n) * 1.5
        _run(ns, d, "q4", (x4, y4, g1, g2), ref.q4(x4, y4, g1, g2), pair=True)
        s = rng.random(n)
        _run(ns, d, "q5", (x4, y4, s, 1 - s), ref.q5(x4, y4, s, 1 - s), pair=True)
    for _ in range(3):
        W, dz = np.round(rng.standard_normal((2, 2)), 2), rng.standard_normal(2)
        _run(ns, d, "q6", (W, dz), ref.q6(W, dz), squeeze=True)
    return d
