"""Differential probe of `optimizers` (EXERCISES.md §8) for bench/mutation_score.py.

Every optimizer is run against the reference (reference/optimizers.py; for AdaGrad, RMSprop and Adam the
envelope of every valid ε ≤ 1e-5, inside or outside the root, both Adam forms — the same variants the checks
accept) with its defaults, with other hyperparameters, and with gradients of every size, exact zeros
included; ``params`` must be updated in place, ``grads`` left alone.
"""

from __future__ import annotations

import numpy as np

from _common import Diffs, short
from exercises.optimizers import DEFAULTS, valid_factories

NAMES = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")
OTHER = {
    "SGD": {"lr": 0.07}, "Momentum": {"lr": 0.03, "momentum": 0.6}, "Nesterov": {"lr": 0.03, "momentum": 0.6},
    "AdaGrad": {"lr": 0.3}, "RMSprop": {"lr": 0.02, "decay_rate": 0.8},
    "Adam": {"lr": 0.02, "beta1": 0.7, "beta2": 0.6},
}


def _grads(rng, shape, kind):
    if kind == "sized":  # exact zeros (always / first call), 0.01 … 30
        g = rng.standard_normal(shape) * np.exp(rng.uniform(np.log(0.01), np.log(30), shape))
        g.flat[::5] = 0.0
        return g
    return rng.uniform(1.0, 100.0, shape) * rng.choice([-1.0, 1.0], shape)


def _run(factory, params0, grads_seq):
    opt = factory()
    params = {k: v.copy() for k, v in params0.items()}
    out = []
    for g in grads_seq:
        opt.update(params, {k: v.copy() for k, v in g.items()})
        out.append({k: v.copy() for k, v in params.items()})
    return out


def _check(d, ns, name, kw, rng, kind):
    item = f"{name}.update"
    params0 = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    grads_seq = [{k: _grads(rng, v.shape, kind) for k, v in params0.items()} for _ in range(5)]
    if kind == "sized":
        for k in params0:
            grads_seq[0][k].flat[1::5] = 0.0
    spec = {**DEFAULTS[name], **kw}
    with np.errstate(all="ignore"):
        runs = [_run(f, params0, grads_seq) for f in valid_factories(name, spec)]
    ok, opt = d.call(item, f"{name}({', '.join(f'{k}={v}' for k, v in kw.items())})", ns[name], **kw)
    if not ok:
        return
    params = {k: v.copy() for k, v in params0.items()}
    arrays = dict(params)
    label = f"{name}({', '.join(f'{k}={v}' for k, v in kw.items())}), {kind} gradients"
    for step, g in enumerate(grads_seq):
        grads = {k: v.copy() for k, v in g.items()}
        with np.errstate(all="ignore"):
            ok, _ = d.call(item, f"{label}: update call {step + 1}", opt.update, params, grads)
        if not ok:
            return
        for k in params0:
            if params[k] is not arrays[k]:
                d.add(f"{name}.in_place", f"params[{k!r}] rebound at call {step + 1}")
                return
            if not np.array_equal(grads[k], g[k]):
                d.add(f"{name}.in_place", f"grads[{k!r}] modified at call {step + 1}")
                return
            lo = np.min([r[step][k] for r in runs], axis=0)
            hi = np.max([r[step][k] for r in runs], axis=0)
            tol = 1e-9 + 1e-6 * np.maximum(np.abs(lo), np.abs(hi))
            got = np.asarray(params[k], dtype=float)
            if got.shape != lo.shape or not np.all((got >= lo - tol) & (got <= hi + tol)):
                d.add(item, f"{label}: params[{k!r}] after call {step + 1} = {short(got)}, expected {short(lo)}")
                return


def probe(ns, rng):
    d = Diffs()
    for name in NAMES:
        if name not in ns:
            d.add(f"{name}.update", f"{name} is not defined")
            continue
        for kw in ({}, DEFAULTS[name], OTHER[name]):
            for kind in ("sized", "large"):
                _check(d, ns, name, kw, rng, kind)
        if name == "Adam":  # several keys: the step count advances once per call
            params0 = {f"k{i}": rng.standard_normal(3) for i in range(4)}
            g = [{k: _grads(rng, (3,), "large") for k in params0} for _ in range(3)]
            with np.errstate(all="ignore"):
                runs = [_run(f, params0, g) for f in valid_factories(name, DEFAULTS[name])]
            try:
                got = _run(lambda: ns[name](), params0, g)
            except Exception as exc:  # noqa: BLE001
                d.add("Adam.step_count", f"Adam() with 4 keys raised {type(exc).__name__}: {exc}")
                continue
            for step in range(3):
                for k in params0:
                    lo = np.min([r[step][k] for r in runs], axis=0)
                    hi = np.max([r[step][k] for r in runs], axis=0)
                    tol = 1e-9 + 1e-6 * np.maximum(np.abs(lo), np.abs(hi))
                    if not np.all((got[step][k] >= lo - tol) & (got[step][k] <= hi + tol)):
                        d.add("Adam.step_count", f"Adam() with 4 keys: {k} after call {step + 1} differs")
                        break
    return d


def explain(m, old, new):
    if "1e-07" in old or "1e-7" in old or "1e-08" in old or "10e-7" in old:
        return "ε changed within (0, 1e-5]: a valid variant"
    return None
