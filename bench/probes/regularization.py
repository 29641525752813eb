"""Differential probe of `regularization` (EXERCISES.md §12) for bench/mutation_score.py.

The penalties (lists of one to three arrays, α = 0 too, exact zeros in l1_penalty_grad, inputs unchanged);
Adam through the optimizers probe (its Adam items only); MultiLayerNetExtend over the whole contract:
initial params (keys, shapes, N(0, σ²) for every weight_init_std including the default He, zero b, γ = 1,
β = 0), every constructor default (activation relu, weight_decay_lambda 0, no dropout, no batch norm,
dropout_ratio 0.5), predict / loss with and without train_flg (the default is False) — batch norm replayed
over training calls (momentum 0.9, running statistics from zeros), then test mode on a batch of one —,
loss with weight decay over W only, gradient (with decay, with batch norm, sigmoid, a batch of one) and
the running statistics it leaves, accuracy, dropout (test mode ×(1 − p) after each hidden activation,
training masks read off an identity output layer, and — where np.random.seed fixes the masks — the
gradient through the mask against the numerical derivative of the net's own loss), params written in
place between calls, x and t unchanged.

Valid variants stay inside bands: any ε ≤ 1e-5 in batch norm, even one ε for the batch statistics and
another for the running ones (the four corners, as the grading does), and any δ ≤ 1e-5 inside the log
(the loss between δ = 0 and 1e-5, the gradient widened by the δ effect, as the grading does).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

from _common import Diffs, close, copies, short
from exercises.batchnorm import EPS_RANGE
from exercises.regularization import EPS_CORNERS, Cfg, _delta_slack_grads, _off_kinks, _trace
from reference import regularization as ref
from reference.initialization import init_std

NET = "MultiLayerNetExtend"
DELTA_MAX = 1e-5
PENALTIES = ("l2_penalty", "l2_penalty_grad", "l1_penalty", "l1_penalty_grad")


def _optimizers_probe():
    path = Path(__file__).with_name("optimizers.py")
    spec = importlib.util.spec_from_file_location("mutation_probe_optimizers_for_regularization", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------ helpers

def _env(d: Diffs, item: str, what: str, got, cands, atol=0.0, rtol=1e-4) -> bool:
    """got within the element-wise range of the candidates, widened by the tolerances (and ``atol``)."""
    stack = np.stack([np.asarray(c, dtype=float) for c in cands])
    lo, hi = stack.min(axis=0), stack.max(axis=0)
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        d.add(item, f"{what}: got {short(got)}, not an array")
        return False
    if g.shape != lo.shape and g.size == lo.size:
        g = g.reshape(lo.shape)
    tol = 1e-6 + atol + rtol * np.maximum(np.abs(lo), np.abs(hi))
    if g.shape == lo.shape and np.all(np.isfinite(g)) and np.all((g >= lo - tol) & (g <= hi + tol)):
        return True
    d.add(item, f"{what}: got {short(g)}, expected {short((lo + hi) / 2)}")
    return False


def _scalar(v):
    try:
        a = np.asarray(v, dtype=float)
        return float(a.reshape(())) if a.size == 1 else None
    except (TypeError, ValueError):
        return None


def _ce_band(scores, t):
    """Cross-entropy of softmax(scores) with δ = 0 and δ = DELTA_MAX."""
    z = scores - scores.max(axis=1, keepdims=True)
    y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y_t = np.sum(y * t, axis=1)
    return float(-np.mean(np.log(y_t))), float(-np.mean(np.log(y_t + DELTA_MAX)))


def _draw(rng, cfg: Cfg, n=8, p_range=(0.02, 0.98)):
    """x, one-hot t and parameter values: probabilities in range, ReLU inputs off the kink, batch-norm
    inputs of batch variance ≥ 0.1 (the conditions of the grading's own draws)."""
    for _ in range(500):
        x = rng.standard_normal((n, cfg.input_size))
        t = np.zeros((n, cfg.output_size))
        t[np.arange(n), rng.integers(0, cfg.output_size, n)] = 1.0
        values = {}
        for i in range(1, cfg.depth + 1):
            n_in, n_out = cfg.sizes[i - 1], cfg.sizes[i]
            values[f"W{i}"] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in) * (0.7 if i == cfg.depth else 1)
            values[f"b{i}"] = rng.standard_normal(n_out) * 0.3
            if cfg.use_batchnorm and i < cfg.depth:
                values[f"gamma{i}"] = rng.uniform(0.5, 1.5, n_out)
                values[f"beta{i}"] = rng.standard_normal(n_out) * 0.5
        acts, bn_inputs, scores = _trace(cfg.reference(values), x, True)
        z = np.exp(scores - scores.max(axis=1, keepdims=True))
        z /= z.sum(axis=1, keepdims=True)
        if (p_range[0] <= z.min() and z.max() <= p_range[1] and _off_kinks(cfg, acts)
                and (n == 1 or all(v.var(axis=0).min() >= 0.1 for v in bn_inputs))):
            return x, t, values
    raise AssertionError("could not draw test data")  # a probe bug


def _new(d: Diffs, item: str, cls, cfg: Cfg | None, **kw):
    """The student's net (``cfg``'s full constructor, or only ``kw``)."""
    args = cfg.ctor() if cfg is not None else kw
    ok, net = d.call(item, f"{NET}({args})", cls, **args)
    return net if ok else None


def _write(d: Diffs, item: str, net, values) -> bool:
    try:
        for k, v in values.items():
            net.params[k][...] = v
        return True
    except Exception as exc:  # noqa: BLE001
        d.add(item, f"writing into params failed: {type(exc).__name__}: {exc}")
        return False


# ------------------------------------------------------------------------------------------ penalties

def _penalties(d: Diffs, ns, rng):
    for name in PENALTIES:
        if name not in ns:
            d.add(name, f"{name} is not defined")
    for k in (1, 2, 3):
        weights = [rng.standard_normal((int(rng.integers(1, 6)), int(rng.integers(1, 6)))) for _ in range(k)]
        weights[0].flat[0] = 0.0
        for alpha in (round(float(rng.uniform(0.05, 0.9)), 3), 0.0, 1.7):
            keep = copies(*weights)
            for name in ("l2_penalty", "l1_penalty"):
                if name in ns:
                    ok, got = d.call(name, f"{name}(weights, {alpha})", ns[name], list(weights), alpha)
                    if ok:
                        d.check(name, f"{name} of {k} array(s), alpha={alpha}", _scalar(got),
                                getattr(ref, name)(weights, alpha))
            W = weights[-1]
            for name in ("l2_penalty_grad", "l1_penalty_grad"):
                if name in ns:
                    ok, got = d.call(name, f"{name}(W, {alpha})", ns[name], W, alpha)
                    if ok:
                        d.check(name, f"{name}(W {W.shape} with a zero, alpha={alpha})", got,
                                getattr(ref, name)(W, alpha))
            for i, (before, after) in enumerate(zip(keep, weights)):
                d.unchanged("l2_penalty", f"weights[{i}]", before, after)
    W = rng.standard_normal((4, 5))
    W.flat[rng.permutation(20)[:7]] = 0.0
    W.flat[3] = -0.0
    for name in ("l1_penalty_grad", "l2_penalty_grad"):
        if name in ns:
            ok, got = d.call(name, f"{name}(W with exact zeros, 0.3)", ns[name], W, 0.3)
            if ok:
                d.check(name, f"{name}(W with exact zeros, alpha=0.3)", got, getattr(ref, name)(W, 0.3))


# ------------------------------------------------------------------------------------------ the net

PARAMS_ARCH = (200, (150, 100), 60)  # every layer's n_in, n_out and n_in + n_out differ


def _stat(d: Diffs, what: str, a, std):
    a = np.asarray(a, dtype=float)
    n = a.size
    if abs(a.mean()) > 7 * std / np.sqrt(n) or abs(a.std() / std - 1) > 7 / np.sqrt(2 * n):
        d.add(f"{NET}.params", f"{what}: mean {a.mean():.4g}, std {a.std():.4g}, expected N(0, {std:.4g}²)")


def _params(d: Diffs, cls, rng):
    inp, hidden, out = PARAMS_ARCH
    cases = [({}, "relu", False), ({"weight_init_std": "he"}, "he", False),
             ({"weight_init_std": "relu", "use_batchnorm": True}, "relu", True),
             ({"activation": "sigmoid", "weight_init_std": "sigmoid", "use_batchnorm": True}, "sigmoid", True),
             ({"activation": "sigmoid", "weight_init_std": "xavier"}, "xavier", False),
             ({"weight_init_std": 0.01}, 0.01, False), ({"weight_init_std": 0.3, "use_batchnorm": True}, 0.3, True)]
    for kw, init, bn in cases:
        net = _new(d, f"{NET}.params", cls, None, input_size=inp, hidden_size_list=list(hidden), output_size=out, **kw)
        if net is None:
            continue
        p = getattr(net, "params", None)
        if not isinstance(p, dict):
            d.add(f"{NET}.params", f"params of {NET}(..., {kw}) is not a dict")
            continue
        cfg = Cfg(inp, hidden, out, use_batchnorm=bn)
        for key, shape in cfg.shapes().items():
            if key not in p:
                d.add(f"{NET}.params", f"{NET}(..., {kw}).params has no {key!r}")
                continue
            if np.shape(p[key]) != shape:
                d.add(f"{NET}.params", f"{NET}(..., {kw}).params[{key!r}] has shape {np.shape(p[key])}")
                continue
            v = np.asarray(p[key], dtype=float)
            if key.startswith("W"):
                i = int(key[1:])
                _stat(d, f"{NET}(..., {kw}).params[{key!r}]", v, init_std(cfg.sizes[i - 1], cfg.sizes[i], init))
            elif key.startswith("gamma") and not np.all(v == 1):
                d.add(f"{NET}.params", f"{NET}(..., {kw}).params[{key!r}] does not start at 1")
            elif not key.startswith(("W", "gamma")) and not np.all(v == 0):
                d.add(f"{NET}.params", f"{NET}(..., {kw}).params[{key!r}] does not start at 0")


def _predict(d: Diffs, cls, rng):
    """predict with and without train_flg, written params, batch-norm training calls then test mode."""
    item = f"{NET}.predict"
    cases = [(Cfg(5, (6, 4), 3), None), (Cfg(5, (6, 4), 3, activation="sigmoid", init="sigmoid"), None),
             (Cfg(5, (6, 4), 3, use_batchnorm=True), None), (Cfg(4, (5, 6, 3), 3, use_batchnorm=True, decay=0.1), None),
             (Cfg(5, (6, 4), 3), {"input_size": 5, "hidden_size_list": [6, 4], "output_size": 3}),
             (Cfg(5, (6, 4), 3, use_batchnorm=True),
              {"input_size": 5, "hidden_size_list": [6, 4], "output_size": 3, "use_batchnorm": True})]
    for cfg, kw in cases:
        x, _, values = _draw(rng, cfg)
        net = _new(d, item, cls, None, **(kw or cfg.ctor()))
        if net is None or not _write(d, item, net, values):
            continue
        refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
        x1 = rng.standard_normal((1, cfg.input_size))
        x6 = rng.standard_normal((6, cfg.input_size))
        x2 = x + 0.3 * rng.standard_normal(x.shape)
        if cfg.use_batchnorm:
            calls = [(x, {"train_flg": True}), (x2, {"train_flg": True}), (x6, {"train_flg": False}),
                     (x1, {}), (x1, {"train_flg": False}), (x, {"train_flg": True}), (x6, {})]
        else:
            calls = [(x, {}), (x, {"train_flg": True}), (x, {"train_flg": False}), (x1, {}), (x1, {"train_flg": True})]
        for xs, ckw in calls:
            keep = copies(xs)
            what = f"{cfg.label()}.predict(x{xs.shape}, {ckw or 'no train_flg'})" + (" [defaults]" if kw else "")
            ok, y = d.call(item, what, net.predict, xs, **ckw)
            flag = ckw.get("train_flg", False)
            expected = [r.predict(xs, train_flg=flag) for r in refs]
            if not ok or not _env(d, item, what, y, expected):
                break
            d.unchanged(item, "`x`", keep[0], xs)
        # new values written into the same arrays: the layers must see them
        _, _, values2 = _draw(rng, cfg)
        if _write(d, item, net, values2):
            ok, y = d.call(item, "predict after new params", net.predict, x6, train_flg=True)
            if ok:
                _env(d, item, f"{cfg.label()}.predict(x, train_flg=True) after writing new params", y,
                     [cfg.reference(values2, eps).predict(x6, train_flg=True) for eps in EPS_CORNERS])


def _loss(d: Diffs, cls, rng):
    item = f"{NET}.loss"
    lam = round(float(rng.uniform(0.05, 0.3)), 3)
    cases = [(Cfg(5, (6, 4), 3, decay=lam), False), (Cfg(5, (6, 4), 3), False),
             (Cfg(5, (4, 4), 3, decay=lam, use_batchnorm=True), True),
             (Cfg(4, (5, 3), 3, activation="sigmoid", init="sigmoid", decay=lam, use_batchnorm=True), True)]
    for cfg, bn_history in cases:
        x, t, values = _draw(rng, cfg)
        default_ctor = cfg.decay == 0
        net = _new(d, item, cls, None, **({k: v for k, v in cfg.ctor().items() if k in (
            "input_size", "hidden_size_list", "output_size")} if default_ctor else cfg.ctor()))
        if net is None or not _write(d, item, net, values):
            continue
        refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
        decay = cfg.decay * sum(float(np.sum(v * v)) for k, v in values.items() if k.startswith("W"))
        x2 = x + 0.2 * rng.standard_normal(x.shape)
        t1 = t[:1]
        if bn_history:
            calls = [(x, t, {"train_flg": True}), (x2, t, {"train_flg": True}), (x, t, {"train_flg": True}),
                     (x2, t, {"train_flg": False}), (x2, t, {}), (x[:1], t1, {})]
        else:
            calls = [(x, t, {}), (x, t, {"train_flg": True}), (x2, t, {"train_flg": False}), (x[:1], t1, {})]
        for xs, ts, ckw in calls:
            keep = copies(xs, ts)
            what = f"{cfg.label()}.loss(x{xs.shape}, t, {ckw or 'no train_flg'})" + (" [defaults]" if default_ctor else "")
            ok, v = d.call(item, what, net.loss, xs, ts, **ckw)
            flag = ckw.get("train_flg", False)
            band = [c + decay for r in refs for c in _ce_band(r.predict(xs, train_flg=flag), ts)]
            if not ok or not _env(d, item, what, _scalar(v), band):
                break
            d.unchanged(item, "`x`", keep[0], xs)
            d.unchanged(item, "`t`", keep[1], ts)


def _gradient(d: Diffs, cls, rng):
    item = f"{NET}.gradient"
    lam = round(float(rng.uniform(0.05, 0.3)), 3)
    cases = [(Cfg(5, (4, 4), 3, decay=lam, use_batchnorm=True), 8),
             (Cfg(4, (5, 3), 3, activation="sigmoid", init="sigmoid", decay=lam, use_batchnorm=True), 8),
             (Cfg(5, (4, 4), 3, decay=lam), 8), (Cfg(5, (6,), 3), 8), (Cfg(4, (5, 3), 3, decay=lam), 1),
             (Cfg(3, (4,), 2, activation="sigmoid", init="sigmoid"), 1)]
    for cfg, n in cases:
        x, t, values = _draw(rng, cfg, n=n)
        default_ctor = cfg.decay == 0 and cfg.activation == "relu"
        net = _new(d, item, cls, None, **({k: v for k, v in cfg.ctor().items() if k in (
            "input_size", "hidden_size_list", "output_size")} if default_ctor else cfg.ctor()))
        if net is None or not _write(d, item, net, values):
            continue
        keep = copies(x, t, values)
        what = f"{cfg.label()}.gradient(x{x.shape}, t)" + (" [defaults]" if default_ctor else "")
        ok, g = d.call(item, what, net.gradient, x, t)
        if not ok:
            continue
        if not isinstance(g, dict):
            d.add(item, f"{what} returned {type(g).__name__}, not a dict")
            continue
        expected = [cfg.reference(values, eps).gradient(x, t) for eps in EPS_RANGE]
        slack = _delta_slack_grads(cfg, values, x, t)
        for key in cfg.shapes():
            if key not in g:
                d.add(item, f"{what} has no key {key!r}")
                break
            if not _env(d, item, f"{what}[{key!r}]", g[key], [e[key] for e in expected], atol=1.5 * slack[key]):
                break
        d.unchanged(item, "`x`", keep[0], x)
        d.unchanged(item, "`t`", keep[1], t)
        for key, v in keep[2].items():
            if not np.array_equal(np.asarray(net.params[key], dtype=float), v):
                d.add(item, f"{what} changed params[{key!r}]")
                break
        if cfg.use_batchnorm:  # the running statistics gradient's training forward leaves behind
            x6 = rng.standard_normal((6, cfg.input_size))
            refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
            for r in refs:
                r.gradient(x, t)
            ok, y = d.call(item, "predict after gradient", net.predict, x6)
            if ok:
                _env(d, item, f"{cfg.label()}.predict(x) after one gradient(x, t) (running statistics)", y,
                     [r.predict(x6) for r in refs])


def _accuracy(d: Diffs, cls, rng):
    item = f"{NET}.accuracy"
    for cfg in (Cfg(5, (6, 4), 4), Cfg(5, (6, 4), 4, use_batchnorm=True),
                Cfg(5, (6, 4), 4, use_dropout=True, dropout_ratio=0.3, activation="sigmoid", init="sigmoid")):
        x, _, values = _draw(rng, cfg, n=20, p_range=(0.0, 1.0))
        net = _new(d, item, cls, cfg)
        if net is None or not _write(d, item, net, values):
            continue
        refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
        if cfg.use_batchnorm:
            ok, _ = d.call(item, "predict(x, train_flg=True)", net.predict, x, train_flg=True)
            if not ok:
                continue
            for r in refs:
                r.predict(x, train_flg=True)
        x2 = rng.standard_normal(x.shape)
        scores = [r.predict(x2) for r in refs]
        labels = np.argmax(scores[0], axis=1)
        wrong = np.zeros(20, dtype=bool)  # 5 to 8 rows wrong: never 50 %, where 1 − accuracy would hide
        wrong[rng.permutation(20)[:int(rng.integers(5, 9))]] = True
        labels[wrong] = (labels[wrong] + rng.integers(1, 4, int(wrong.sum()))) % 4
        t = np.eye(4)[labels]
        keep = copies(x2, t)
        ok, acc = d.call(item, "accuracy(x, t)", net.accuracy, x2, t)
        if ok:
            accs = [float(np.mean(np.argmax(s, axis=1) == labels)) for s in scores]
            got = _scalar(acc)
            if got is None or not (min(accs) - 1e-9 <= got <= max(accs) + 1e-9):
                d.add(item, f"{cfg.label()}.accuracy(x, t) = {short(acc)}, expected {accs[0]}")
        d.unchanged(item, "`x`", keep[0], x2)
        d.unchanged(item, "`t`", keep[1], t)


def _dropout(d: Diffs, cls, rng):
    item = f"{NET}.dropout"
    # test mode: ×(1 − p) after each hidden activation (sigmoid: not before it), p = 0.5 by default
    for cfg, kw in ((Cfg(5, (6, 4), 3, use_dropout=True, dropout_ratio=0.3), None),
                    (Cfg(5, (6, 4), 3, activation="sigmoid", init="sigmoid", use_dropout=True, dropout_ratio=0.3), None),
                    (Cfg(5, (6, 4), 3, use_dropout=True, dropout_ratio=0.5),
                     {"input_size": 5, "hidden_size_list": [6, 4], "output_size": 3, "use_dropout": True})):
        x, t, values = _draw(rng, cfg)
        net = _new(d, item, cls, None, **(kw or cfg.ctor()))
        if net is None or not _write(d, item, net, values):
            continue
        refs = [cfg.reference(values, eps) for eps in EPS_CORNERS]
        for ckw in ({}, {"train_flg": False}, {}):
            what = f"{cfg.label()}.predict(x, {ckw or 'no train_flg'})" + (" [default dropout_ratio]" if kw else "")
            ok, y = d.call(item, what, net.predict, x, **ckw)
            if not ok or not _env(d, item, what, y, [r.predict(x) for r in refs]):
                break
        ok, v = d.call(item, "loss(x, t)", net.loss, x, t)
        if ok:
            band = [c for r in refs for c in _ce_band(r.predict(x), t)]
            _env(d, item, f"{cfg.label()}.loss(x, t) (test mode)", _scalar(v), band)
    # training: an identity output layer shows the masks — each unit kept (unchanged) or dropped (0)
    for p, act in ((0.3, "relu"), (0.5, "sigmoid")):
        h = 100
        cfg = Cfg(6, (h,), h, activation=act, init=act, use_dropout=True, dropout_ratio=p)
        values = {"W1": rng.standard_normal((6, h)) * 0.1, "b1": rng.uniform(1.0, 2.0, h),
                  "W2": np.eye(h), "b2": np.zeros(h)}
        x = rng.standard_normal((100, 6))
        net = _new(d, item, cls, cfg)
        if net is None or not _write(d, item, net, values):
            continue
        a1 = x @ values["W1"] + values["b1"]
        hidden = np.maximum(a1, 0) if act == "relu" else 1 / (1 + np.exp(-a1))
        masks = []
        for call in range(2):
            ok, y = d.call(item, "predict(x, train_flg=True)", net.predict, x, train_flg=True)
            if not ok:
                return
            y = np.asarray(y, dtype=float)
            if y.shape != hidden.shape:
                d.add(item, f"predict(x, train_flg=True) has shape {y.shape}")
                return
            kept = np.isclose(y, hidden, rtol=1e-9, atol=1e-12)
            if not np.all(kept | (y == 0)):
                d.add(item, f"{cfg.label()}.predict(x, train_flg=True): units neither kept unchanged nor dropped "
                      f"(e.g. {short(y[~(kept | (y == 0))][:3])})")
                return
            if abs((1 - kept.mean()) - p) > 0.03:  # 10 000 units: 6σ ≈ 0.03
                d.add(item, f"{cfg.label()}.predict(x, train_flg=True) drops {1 - kept.mean():.3f}, expected {p}")
            masks.append(kept)
        if np.array_equal(*masks):
            d.add(item, f"{cfg.label()}: two training calls with the same mask")
    # the gradient through the masks, whatever the random source: W1 = 0, b1 = c > 0, W2 = I make every hidden
    # unit c_k·m_nk, so dE/dW2[k, k] = c_k Σ_n m_nk δ_nk = c_k · dE/db1[k] exactly when backward applies the mask
    h = 20
    cfg = Cfg(3, (h,), h, use_dropout=True, dropout_ratio=0.5)
    c = rng.uniform(0.5, 2.0, h)
    values = {"W1": np.zeros((3, h)), "b1": c, "W2": np.eye(h), "b2": rng.standard_normal(h)}
    x = rng.standard_normal((50, 3))
    t = np.eye(h)[rng.integers(0, h, 50)]
    net = _new(d, item, cls, cfg)
    if net is not None and _write(d, item, net, values):
        ok, g = d.call(f"{NET}.gradient", "gradient(x, t) with dropout", net.gradient, x, t)
        if ok and isinstance(g, dict):
            w2 = b1 = None
            try:
                w2, b1 = np.diag(np.asarray(g["W2"], dtype=float)), np.asarray(g["b1"], dtype=float)
                good = close(w2, c * b1, rtol=1e-6, atol=1e-9)
            except Exception:  # noqa: BLE001
                good = False
            if not good:
                d.add(item, f"{cfg.label()}.gradient(x, t) with W1 = 0, W2 = I: diag(dW2) = {short(w2)} is not "
                      f"b1 · db1 = {short(None if b1 is None else c * b1)} (backward does not go through the dropout masks)")
    # the gradient through the masks, where seeding np.random fixes them (np.random-based dropout)
    cfg = Cfg(4, (6, 5), 3, activation="sigmoid", init="sigmoid", use_dropout=True, dropout_ratio=0.3, decay=0.1)
    x, t, values = _draw(rng, cfg)
    net = _new(d, item, cls, cfg)
    if net is None or not _write(d, item, net, values):
        return
    seed = int(rng.integers(2**31))

    def seeded_loss():
        np.random.seed(seed)
        return _scalar(net.loss(x, t, train_flg=True))

    try:
        first, second = seeded_loss(), seeded_loss()
    except Exception as exc:  # noqa: BLE001
        d.add(f"{NET}.loss", f"loss(x, t, train_flg=True) with dropout raised {type(exc).__name__}: {exc}")
        return
    if first is None or first != second:
        return  # masks not drawn from np.random: nothing to fix them with
    np.random.seed(seed)
    ok, g = d.call(f"{NET}.gradient", "gradient(x, t) with dropout", net.gradient, x, t)
    if not ok or not isinstance(g, dict):
        return
    hh = 1e-5
    for key, v in values.items():
        num = np.empty_like(v)
        arr = net.params[key]
        for idx in np.ndindex(v.shape):
            arr[idx] = v[idx] + hh
            lp = seeded_loss()
            arr[idx] = v[idx] - hh
            lm = seeded_loss()
            arr[idx] = v[idx]
            num[idx] = (lp - lm) / (2 * hh)
        if not close(g.get(key), num, rtol=2e-3, atol=1e-5):
            d.add(item, f"{cfg.label()}.gradient(x, t)[{key!r}] with dropout (np.random seeded): got "
                  f"{short(g.get(key))}, the numerical derivative of loss(x, t, train_flg=True) is {short(num)}")
            return


def _net(d: Diffs, ns, rng):
    cls = ns.get(NET)
    if cls is None:
        d.add(f"{NET}.params", f"{NET} is not defined")
        return
    for step in (_params, _predict, _loss, _gradient, _accuracy, _dropout):
        try:
            step(d, cls, rng)
        except Exception as exc:  # noqa: BLE001 - a crash of the student's code is a difference
            d.add(f"{NET}.{step.__name__[1:]}", f"raised {type(exc).__name__}: {exc}")


def probe(ns, rng):
    d = Diffs()
    _penalties(d, ns, rng)
    if "Adam" in ns:
        d.extend(x for x in _optimizers_probe().probe({"Adam": ns["Adam"]}, rng) if x[0].startswith("Adam."))
    else:
        d.add("Adam.update", "Adam is not defined")
    _net(d, ns, rng)
    return d


def explain(m, old, new):
    old, new = old or "", new or ""
    if any(s in old for s in ("1e-7", "1e-07", "1e-8", "1e-08", "10e-7", "1e-5", "1e-05")):
        return "δ/ε changed within (0, 1e-5]: a valid variant"
    if ("eps" in old and "eps" not in new) or ("+ 0.0" in old and "- 0.0" in new):
        return "ε = 0 in batch normalisation: inside the valid range [0, 1e-5]"
    if re.search(r"max\(x|x\.max\(", old):
        return ("the shift of softmax (by the row max, the global max, +max or none): softmax is shift-invariant; "
                "only exp's overflow differs, at scores the net never produces")
    if "axis=-1" in old and "axis=1" in new:
        return "axis=-1 and axis=1 coincide on the net's (N, K) scores"
    if "def backward(self, dout" in old:
        return "the loss layer's own default of dout: the net always passes dout = 1"
    if re.search(r"self\.(momentum|running_mean|running_var) = ", old):
        return "a constructor argument of the batch-norm layer the net never passes (its default is used)"
    if "'Activation_function'" in old:
        return "the key of an activation layer in the ordered dict, which nothing reads"
    if "def __init__(self, dropout_ratio" in old:
        return "the Dropout layer's own default: the net always passes dropout_ratio"
    if any(k in old for k in ("ndim", "t.size", "y.size", "N, -1", "x.shape[0], -1", "N, C, H, W",
                              "self.input_shape)", "self.original_x_shape)")):
        return "a branch or reshape for a single sample or 4-D input: the net only passes (N, D) batches"
    if m.kind == "statement-deleted" and re.fullmatch(r"self\.\w+ = \w+", old):
        return "an attribute stored but never read"
    if "self.t] -= 1" in old or "dx = dx / batch_size" in old or "np.eye(x.shape[1])[t]" in old:
        return "inside the label-index branch (t of shape (N,)): the contract passes one-hot t"
    return None
