"""Differential probe of `dropout` (EXERCISES.md §11) for bench/mutation_score.py: the text's (non-inverted)
dropout — training keeps each element with probability 1 − p unchanged, a new mask each call; test
y = x·(1 − p); backward dout·mask; defaults dropout_ratio=0.5, train_flg=True; inputs unchanged."""

from __future__ import annotations

import numpy as np

from _common import Diffs, copies


def probe(ns, rng):
    d = Diffs()
    if "Dropout" not in ns:
        d.add("Dropout.forward", "Dropout is not defined")
        return d
    for kw, p in (({"dropout_ratio": 0.3}, 0.3), ({}, 0.5)):
        x = rng.standard_normal((300, 400))
        x[x == 0] = 1.0
        dout = rng.standard_normal(x.shape)
        keep = copies(x, dout)
        ok, obj = d.call("Dropout.forward", f"Dropout({kw})", ns["Dropout"], **kw)
        if not ok:
            return d
        ok, y = d.call("Dropout.forward", "forward(x)", obj.forward, x)
        if not ok:
            return d
        y = np.asarray(y, dtype=float)
        if y.shape != x.shape:
            d.add("Dropout.forward", f"forward(x) has shape {y.shape}")
            return d
        kept = y != 0
        if not np.allclose(y[kept], x[kept]):
            d.add("Dropout.forward", "kept values differ from x")
        dropped = 1 - kept.mean()
        if abs(dropped - p) > 0.01:  # 120 000 draws: 5σ ≈ 0.007
            d.add("Dropout.forward", f"{dropped:.4f} dropped, expected {p}")
        if abs(kept.mean(axis=0).std() - np.sqrt(p * (1 - p) / 300)) > 0.01 or np.all(kept == kept[0]):
            d.add("Dropout.forward", "the mask is not drawn per element")
        ok, dx = d.call("Dropout.backward", "backward(dout)", obj.backward, dout)
        if ok:
            d.check("Dropout.backward", "dx", dx, dout * kept)
        ok, y2 = d.call("Dropout.new_mask", "forward(x) again", obj.forward, x, True)
        if ok and np.array_equal(np.asarray(y2) != 0, kept):
            d.add("Dropout.new_mask", "the same mask twice")
        ok, yt = d.call("Dropout.test_mode", "forward(x, False)", obj.forward, x, False)
        if ok:
            d.check("Dropout.test_mode", "forward(x, train_flg=False)", yt, x * (1 - p))
        for name, before, after in zip(("x", "dout"), keep, (x, dout)):
            d.unchanged("Dropout.no_mutation", f"`{name}`", before, after)
    return d
