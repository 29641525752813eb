"""Differential probe of `batchnorm` (EXERCISES.md §10) for bench/mutation_score.py: forward (training:
batch statistics, biased variance; test: running statistics, a batch of one), backward dx, dγ, dβ, running
statistics with the default momentum 0.9 from zeros and with given ones, any ε in [0, 1e-5] (a band
between the two ends), inputs unchanged."""

from __future__ import annotations

import numpy as np

from _common import Diffs, copies
from reference import layers as ref

EPS = (0.0, 1e-5)


def _ref(gamma, beta, eps, **kw):
    return ref.BatchNormalization(np.array(gamma), np.array(beta), eps=eps, **kw)


def probe(ns, rng):
    d = Diffs()
    cls = ns.get("BatchNormalization")
    if cls is None:
        d.add("BatchNormalization.forward", "BatchNormalization is not defined")
        return d
    for n, dim, kw in ((8, 3, {}), (5, 5, {"momentum": 0.8}), (12, 4, {"momentum": 0.9})):
        z = rng.standard_normal((n, dim))
        x = (z - z.mean(0)) / z.std(0) * rng.uniform(1, 3, dim) + rng.uniform(-3, 3, dim)
        gamma, beta, dout = rng.uniform(0.5, 2, dim), rng.standard_normal(dim), rng.standard_normal((n, dim))
        extra = dict(kw)
        if kw:
            extra.update(running_mean=rng.standard_normal(dim), running_var=rng.uniform(0.5, 2, dim))
        refs = [_ref(gamma, beta, e, **{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in extra.items()})
                for e in EPS]
        keep = copies(x, dout)
        ok, obj = d.call("BatchNormalization.forward", "BatchNormalization(...)", cls, gamma=gamma.copy(),
                         beta=beta.copy(), **{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in extra.items()})
        if not ok:
            return d
        ok, y = d.call("BatchNormalization.forward", "forward(x)", obj.forward, x)
        if not ok:
            return d
        ys = [r.forward(x) for r in refs]
        d.band("BatchNormalization.forward", f"forward(x) {x.shape}", y, *ys)
        ok, dx = d.call("BatchNormalization.backward", "backward(dout)", obj.backward, dout)
        if ok:
            dxs = [r.backward(dout) for r in refs]
            d.band("BatchNormalization.backward", "dx", dx, *dxs)
            d.band("BatchNormalization.dgamma_dbeta", "dgamma", getattr(obj, "dgamma", None),
                   refs[0].dgamma, refs[1].dgamma)
            d.check("BatchNormalization.dgamma_dbeta", "dbeta", getattr(obj, "dbeta", None), refs[0].dbeta)
        for name, before, after in zip(("x", "dout"), keep, (x, dout)):
            d.unchanged("BatchNormalization.no_mutation", f"`{name}`", before, after)
        x2 = rng.standard_normal((n, dim)) * 2
        d.call("BatchNormalization.running_stats", "forward(x2, True)", obj.forward, x2, True)
        for r in refs:
            r.forward(x2, True)
        x1 = rng.standard_normal((1, dim)) * 2
        ok, y1 = d.call("BatchNormalization.test_mode", "forward(x1, False)", obj.forward, x1, False)
        if ok:
            a, b = (r.forward(x1, False) for r in refs)
            d.band("BatchNormalization.test_mode", "forward(batch of one, train_flg=False)", y1, a, b)
        ok, y1b = d.call("BatchNormalization.test_mode", "forward(x1, False) again", obj.forward, x1, False)
        if ok:
            d.band("BatchNormalization.test_mode", "second test call", y1b, a, b)
    return d
