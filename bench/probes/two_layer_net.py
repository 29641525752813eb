"""Differential probe of `two-layer-net` (EXERCISES.md §5) for bench/mutation_score.py."""

from __future__ import annotations

import numpy as np

from _common import Diffs, copies, one_hot
from reference import two_layer_net as ref

DELTA_MAX = 1e-5
OUT = {"regression": 2, "binary": 1, "multiclass": 3}
KEYS = ("W1", "b1", "W2", "b2")


def _params(rng, d, h, k, task, x):
    for _ in range(500):
        p = {"W1": rng.standard_normal((d, h)) * 0.8, "b1": rng.standard_normal(h) * 0.3,
             "W2": rng.standard_normal((h, k)) * 0.6, "b2": rng.standard_normal(k) * 0.3}
        a1 = x @ p["W1"] + p["b1"]
        if np.abs(a1).min() < 0.02:
            continue
        y = _ref_net(task, p).predict(x)
        if task == "regression" or (y.min() >= 0.02 and y.max() <= 0.98):
            return p
    return None


def _ref_net(task, p):
    d, h = p["W1"].shape
    net = ref.TwoLayerNet(d, h, p["W2"].shape[1], task=task)
    for key in KEYS:
        net.params[key][...] = p[key]
    return net


def _targets(rng, task, n):
    if task == "regression":
        return rng.standard_normal((n, 2))
    if task == "binary":
        return (rng.random((n, 1)) < 0.5).astype(float)
    return one_hot(rng, n, 3)


def _loss_band(task, y, t):
    n = y.shape[0]
    if task == "regression":
        v = np.sum((y - t) ** 2) / (2 * n)
        return v, v
    if task == "binary":
        exact = -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)) / n
        return exact, -np.sum(t * np.log(y + DELTA_MAX) + (1 - t) * np.log(1 - y + DELTA_MAX)) / n
    return -np.sum(t * np.log(y)) / n, -np.sum(t * np.log(y + DELTA_MAX)) / n


def _stat(d, item, arr, std, what):
    a = np.asarray(arr, dtype=float)
    n = a.size
    if abs(a.mean()) > 7 * std / np.sqrt(n) or abs(a.std() / std - 1) > 7 / np.sqrt(2 * n):
        d.add(item, f"{what}: mean {a.mean():.4g}, std {a.std():.4g}, expected N(0, {std}²)")


def probe(ns, rng):
    d = Diffs()
    if "TwoLayerNet" not in ns:
        d.add("TwoLayerNet.params", "TwoLayerNet is not defined")
        return d
    cls = ns["TwoLayerNet"]
    # initial params: shapes, N(0, std²) with the default std 0.01 and a given one, zero biases; default task
    for kw, std in (({}, 0.01), ({"weight_init_std": 0.5}, 0.5)):
        for task in (None, "regression", "binary", "multiclass"):
            k = OUT[task or "multiclass"] if task != "multiclass" else 20
            extra = dict(kw, **({"task": task} if task else {}))
            ok, net = d.call("TwoLayerNet.params", f"TwoLayerNet(50, 300, {k}, {extra})", cls, input_size=50,
                             hidden_size=300, output_size=k, **extra)
            if not ok:
                continue
            p = getattr(net, "params", None)
            if not isinstance(p, dict) or any(key not in p for key in KEYS):
                d.add("TwoLayerNet.params", "params is not a dict with W1, b1, W2, b2")
                continue
            shapes = {"W1": (50, 300), "b1": (300,), "W2": (300, k), "b2": (k,)}
            for key in KEYS:
                if np.shape(p[key]) != shapes[key]:
                    d.add("TwoLayerNet.params", f"params['{key}'] has shape {np.shape(p[key])}, expected {shapes[key]}")
            _stat(d, "TwoLayerNet.params", p["W1"], std, f"W1 of TwoLayerNet(..., {extra})")
            if k >= 20:
                _stat(d, "TwoLayerNet.params", p["W2"], std, f"W2 of TwoLayerNet(..., {extra})")
            for key in ("b1", "b2"):
                if np.abs(np.asarray(p[key], dtype=float)).max() > 1e-12:
                    d.add("TwoLayerNet.params", f"params['{key}'] is not zero")
            if task is None:  # the default task is multiclass: probabilities that sum to 1 per row
                xx = rng.standard_normal((3, 50))
                ok, y = d.call("TwoLayerNet.predict", "predict(x) with the default task", net.predict, xx)
                if ok:
                    pr = {key: np.asarray(p[key], dtype=float) for key in KEYS}
                    d.check("TwoLayerNet.predict", "predict(x) with the default task (multiclass)", y,
                            _ref_net("multiclass", pr).predict(xx))
    # predict / loss / gradient with params written into the net's own arrays
    for task in ("regression", "binary", "multiclass"):
        for n in (5, 1):
            x = rng.standard_normal((n, 4))
            t = _targets(rng, task, n)
            p = _params(rng, 4, 6, OUT[task], task, x)
            if p is None:
                continue
            r = _ref_net(task, p)
            for step in ("predict", "loss", "gradient"):
                item = f"TwoLayerNet.{step}"
                ok, net = d.call(item, f"TwoLayerNet(4, 6, {OUT[task]}, task={task!r})", cls, input_size=4,
                                 hidden_size=6, output_size=OUT[task], task=task)
                if not ok:
                    break
                try:
                    for key in KEYS:
                        net.params[key][...] = p[key]
                except Exception as exc:  # noqa: BLE001
                    d.add("TwoLayerNet.params", f"writing into params failed: {exc}")
                    break
                keep = copies(x, t)
                if step == "predict":
                    ok, y = d.call(item, "predict(x)", net.predict, x)
                    if ok:
                        d.check(item, f"predict(x) for task {task}, N = {n}", y, r.predict(x))
                elif step == "loss":
                    ok, v = d.call(item, "loss(x, t)", net.loss, x, t)
                    if ok:
                        try:
                            v = float(np.asarray(v, dtype=float).reshape(()))
                        except (TypeError, ValueError):
                            pass
                        d.band(item, f"loss(x, t) for task {task}, N = {n}", v, *_loss_band(task, r.predict(x), t))
                else:
                    ok, g = d.call(item, "gradient(x, t)", net.gradient, x, t)
                    if ok:
                        want = r.gradient(x, t)
                        if not isinstance(g, dict):
                            d.add(item, f"gradient returned {type(g).__name__}, not a dict")
                        else:
                            for key in KEYS:
                                d.check(item, f"gradient['{key}'] for task {task}, N = {n}", g.get(key), want[key])
                d.unchanged(item, "`x`", keep[0], x)
                d.unchanged(item, "`t`", keep[1], t)
    return d
