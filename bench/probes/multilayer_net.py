"""Differential probe of `multilayer-net` (EXERCISES.md §7) for bench/mutation_score.py.

The whole contract of `MultiLayerNet(input_size, hidden_size_list, output_size, activation="relu",
weight_init_std=0.01)` against reference/: params exactly W1, b1, …, WL, bL (shapes, zero biases), the initial
weights' statistics per layer (the default 0.01, a float std, "he"/"relu" 2/n_in, "xavier"/"sigmoid"
2/(n_in + n_out); 7σ bounds, so a correct draw practically never fails), the default activation
(ReLU), predict / loss (any δ ≤ 1e-5 inside the log: a band) / accuracy / gradient on random inputs,
batches of one, nets of one to six Affine layers, gradient called first on a fresh net and again after
new values are written INTO the params arrays (the layers must share them), `layers` iterated in forward
order gives the scores, `last_layer` a SoftmaxWithLoss (backward() and backward(dout) for dout ≠ 1,
finite and right for large scores), inputs unchanged (MultiLayerNet.no_mutation). `explain` names why each
equivalent mutant of the corpus's correct files is equivalent (branches the contract never takes, the book's
weight decay with λ = 0, a valid δ).
"""

from __future__ import annotations

import difflib
import re

import numpy as np

from _common import Diffs, copies
from reference.layers import SoftmaxWithLoss as RefSoftmaxWithLoss
from reference.multilayer_net import MultiLayerNet as RefNet

DELTA_MAX = 1e-5
CLS = "MultiLayerNet"


def _keys(depth):
    return [f"{p}{i}" for i in range(1, depth + 1) for p in ("W", "b")]


def _ref(sizes, activation, p):
    net = RefNet(sizes[0], list(sizes[1:-1]), sizes[-1], activation=activation, weight_init_std=0.01,
                 rng=np.random.default_rng(0))
    for k, v in p.items():
        net.params[k][...] = v
    return net


def _draw(rng, sizes, activation, x):
    """Parameters with every hidden pre-activation ≥ 0.02 away from 0 (no ReLU kink)."""
    gain = np.sqrt(2.0) if activation == "relu" else 2.0
    depth = len(sizes) - 1
    for _ in range(500):
        p = {}
        for i in range(1, depth + 1):
            p[f"W{i}"] = rng.standard_normal((sizes[i - 1], sizes[i])) * gain / np.sqrt(sizes[i - 1])
            p[f"b{i}"] = rng.standard_normal(sizes[i]) * (0.1 if activation == "relu" else 0.5)
        h, ok = x, True
        for i in range(1, depth):
            z = h @ p[f"W{i}"] + p[f"b{i}"]
            if np.abs(z).min() < 0.02:
                ok = False
                break
            h = np.maximum(z, 0) if activation == "relu" else 1 / (1 + np.exp(-z))
        if ok:
            return p
    return None


def _new(d, cls, item, sizes, **kw):
    args = dict(input_size=sizes[0], hidden_size_list=list(sizes[1:-1]), output_size=sizes[-1], **kw)
    ok, net = d.call(item, f"{CLS}({sizes[0]}, {list(sizes[1:-1])}, {sizes[-1]}, {kw})", cls, **args)
    return net if ok else None


def _params(d, item, net, sizes):
    """net.params checked for keys and shapes; None (a difference recorded) if not."""
    p = getattr(net, "params", None)
    keys = _keys(len(sizes) - 1)
    if not hasattr(p, "__getitem__") or any(k not in p for k in keys):
        d.add(item, f"params has not the keys {keys}")
        return None
    extra = [k for k in p if k not in keys]
    if extra:
        d.add(f"{CLS}.params", f"params has the extra keys {extra}, expected exactly {keys}")
    for i in range(1, len(sizes)):
        for k, shape in ((f"W{i}", (sizes[i - 1], sizes[i])), (f"b{i}", (sizes[i],))):
            if np.shape(p[k]) != shape:
                d.add(item, f"params[{k!r}] has shape {np.shape(p[k])}, expected {shape}")
                return None
    return p


def _write(d, net, p) -> bool:
    try:
        for k, v in p.items():
            net.params[k][...] = v
        return True
    except Exception as exc:  # noqa: BLE001
        d.add(f"{CLS}.params", f"writing into params failed: {exc}")
        return False


def _scalar(v):
    try:
        return float(np.asarray(v, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return v


def _loss_band(scores, t):
    z = scores - scores.max(axis=1, keepdims=True)
    log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # exact even where y underflows to 0
    n = scores.shape[0]
    return -np.sum(t * log_y) / n, -np.sum(t * np.log(np.exp(log_y) + DELTA_MAX)) / n


def _one_hot(labels, k):
    return np.eye(k)[labels]


# ---------------------------------------------------------------------------------------- init


def _stat(d, item, a, std, what):
    a = np.asarray(a, dtype=float)
    n = a.size
    if not np.all(np.isfinite(a)):
        d.add(item, f"{what}: not finite")
        return
    m2 = float(np.mean(a * a))
    if abs(float(a.mean())) > 7 * std / np.sqrt(n) or abs(np.sqrt(m2) / std - 1) > 7 / np.sqrt(2 * n):
        d.add(item, f"{what}: mean {a.mean():.4g}, std {np.sqrt(m2):.4g}, expected N(0, {std:.4g}²)")


INIT_SIZES = (300, 100, 200, 50)  # n_in ≠ n_out, and ≠ input_size for layers 2 and 3


def init(cls, d):
    s = INIT_SIZES
    cases = (({}, "init_std", "relu", lambda i, o: 0.01), ({"weight_init_std": 0.05}, "init_std", "sigmoid",
                                                            lambda i, o: 0.05),
             ({"weight_init_std": 1.0}, "init_std", "relu", lambda i, o: 1.0),
             ({"weight_init_std": "he"}, "init_he", "relu", lambda i, o: np.sqrt(2 / i)),
             ({"weight_init_std": "relu"}, "init_he", "relu", lambda i, o: np.sqrt(2 / i)),
             ({"weight_init_std": "xavier"}, "init_xavier", "sigmoid", lambda i, o: np.sqrt(2 / (i + o))),
             ({"weight_init_std": "sigmoid"}, "init_xavier", "sigmoid", lambda i, o: np.sqrt(2 / (i + o))))
    for kw, item, act, std in cases:
        item = f"{CLS}.{item}"
        net = _new(d, cls, item, s, activation=act, **kw)
        if net is None:
            continue
        p = _params(d, item, net, s)
        if p is None:
            continue
        for i in range(1, len(s)):
            _stat(d, item, p[f"W{i}"], std(s[i - 1], s[i]), f"W{i} of {CLS}(..., {kw})")
            if np.any(np.asarray(p[f"b{i}"], dtype=float) != 0):
                d.add(f"{CLS}.params", f"b{i} of {CLS}(..., {kw}) is not zero")


# ---------------------------------------------------------------------------------------- nets

CFGS = (((4, 5, 3), "relu", 5), ((5, 4, 3, 3), "sigmoid", 5), ((3, 4, 4, 4, 4, 4, 2), "relu", 6),
        ((4, 6, 3), "sigmoid", 1), ((5, 4, 3, 3), "relu", 1), ((4, 3), "relu", 4), ((6, 5, 4, 3), None, 5))


def _layers_chain(d, net, x, expected, what):
    layers = getattr(net, "layers", None)
    try:
        objs = list(layers.values()) if hasattr(layers, "values") else list(layers)
    except TypeError:
        d.add(f"{CLS}.layers", f"layers is {type(layers).__name__}, not a list or an ordered dict")
        return
    h = x
    for o in objs:
        ok, h = d.call(f"{CLS}.layers", f"layers[…].forward(h) {what}", o.forward, h)
        if not ok:
            return
    d.check(f"{CLS}.layers", f"x through layers in order, {what}", h, expected)


def _grad(d, net, x, t, r, what):
    item = f"{CLS}.gradient"
    ok, g = d.call(item, f"gradient(x, t) {what}", net.gradient, x, t)
    if not ok:
        return
    want = r.gradient(x, t)
    if not isinstance(g, dict):
        d.add(item, f"gradient(x, t) {what} returned {type(g).__name__}, not a dict")
        return
    for k, v in want.items():
        if not d.check(item, f"gradient(x, t)[{k!r}] {what}", g.get(k), v):
            return


def nets(cls, rng, d):
    for sizes, act, n in CFGS:
        activation = act or "relu"
        kw = {} if act is None else {"activation": act}
        what = f"for {CFGS.index((sizes, act, n))}: sizes {list(sizes)}, {act or 'default activation'}, N = {n}"
        x = rng.standard_normal((n, sizes[0]))
        p = _draw(rng, sizes, activation, x)
        p2 = _draw(rng, sizes, activation, x)
        if p is None or p2 is None:
            continue
        r, r2 = _ref(sizes, activation, p), _ref(sizes, activation, p2)
        k = sizes[-1]
        t = _one_hot(rng.integers(0, k, n), k)
        keep = copies(x, t)
        # activation not given: the default "relu", which predict shows first
        net = _new(d, cls, f"{CLS}.params" if act else f"{CLS}.predict", sizes, **kw)
        if net is None:
            return
        if _params(d, f"{CLS}.params", net, sizes) is None or not _write(d, net, p):
            return
        # gradient first, on a net that has not run forward yet
        _grad(d, net, x, t, r, what)
        ok, y = d.call(f"{CLS}.predict", "predict(x)", net.predict, x)
        if ok:
            d.check(f"{CLS}.predict", f"predict(x) {what}", y, r.predict(x))
        ok, v = d.call(f"{CLS}.loss", "loss(x, t)", net.loss, x, t)
        if ok:
            d.band(f"{CLS}.loss", f"loss(x, t) {what}", _scalar(v), *_loss_band(r.predict(x), t))
        # accuracy: a random subset of rows right
        scores = r.predict(x)
        pred = scores.argmax(axis=1)
        right = rng.random(n) < 0.6
        labels = np.where(right, pred, (pred + 1 + rng.integers(0, k - 1, n)) % k) if k > 1 else pred
        ta = _one_hot(labels, k)
        keep_a = copies(ta)
        ok, acc = d.call(f"{CLS}.accuracy", "accuracy(x, t)", net.accuracy, x, ta)
        if ok:
            d.check(f"{CLS}.accuracy", f"accuracy(x, t) {what} ({int(right.sum())} of {n} right)", _scalar(acc),
                    float(np.mean(labels == pred)))
        d.unchanged(f"{CLS}.no_mutation", "`t` of accuracy", keep_a[0], ta)
        _layers_chain(d, net, x, r.predict(x), what)
        # new values written into the same arrays (an optimizer's in-place update): the net must see them
        if not _write(d, net, p2):
            return
        _grad(d, net, x, t, r2, what + ", after new params were written in place")
        ok, y = d.call(f"{CLS}.predict", "predict(x)", net.predict, x)
        if ok:
            d.check(f"{CLS}.predict", f"predict(x) {what}, after new params were written in place", y, r2.predict(x))
        ok, v = d.call(f"{CLS}.loss", "loss(x, t)", net.loss, x, t)
        if ok:
            d.band(f"{CLS}.loss", f"loss(x, t) {what}, new params", _scalar(v), *_loss_band(r2.predict(x), t))
        # a second gradient on the same net and the same params (state left from the first)
        _grad(d, net, x, t, r2, what + ", called twice")
        d.unchanged(f"{CLS}.no_mutation", f"`x` {what}", keep[0], x)
        d.unchanged(f"{CLS}.no_mutation", f"`t` {what}", keep[1], t)


# ---------------------------------------------------------------------------------------- last_layer


def last_layer(cls, rng, d):
    item = f"{CLS}.last_layer"
    for n, k, big in ((5, 3, False), (1, 4, False), (4, 3, True), (3, 3, True)):
        s = rng.standard_normal((n, k)) * 2
        t = _one_hot(rng.integers(0, k, n), k)
        if big and n == 3:  # EXERCISES.md §6: finite and right when every score is large (no probability 0)
            s = np.array([[1000.0, 999.0, 998.0], [-1000.0, -998.0, -999.0], [500.0, 503.0, 501.0]])
            t = np.eye(3)[[0, 1, 2]]
        elif big:
            s = s + 1000.0  # every score large
        exact = RefSoftmaxWithLoss()
        loss_exact = exact.forward(s, t)
        dx1 = exact.backward(1)
        band = _loss_band(s, t)
        for dout in (None, 1.0, 2.5, -0.7, 0.0):
            net = _new(d, cls, item, (3, 4, k), activation="relu")
            if net is None:
                return
            layer = getattr(net, "last_layer", None)
            if layer is None:
                d.add(item, "no last_layer")
                return
            keep = copies(s, t)
            ok, loss = d.call(item, "last_layer.forward(s, t)", layer.forward, s, t)
            if not ok:
                return
            if dout is None:
                d.band(item, f"last_layer.forward(s, t) for s {s.shape}{', large' if big else ''} "
                             f"(exact {loss_exact:.6g})", _scalar(loss), *band)
            args = () if dout is None else (dout,)
            ok, dx = d.call(item, f"last_layer.backward({'' if dout is None else dout})", layer.backward, *args)
            if ok:
                d.check(item, f"last_layer.backward({'' if dout is None else dout}) for s {s.shape}"
                              f"{', large' if big else ''}", dx, dx1 * (1.0 if dout is None else dout))
            d.unchanged(f"{CLS}.no_mutation", "`s` (last_layer.forward argument)", keep[0], s)
            d.unchanged(f"{CLS}.no_mutation", "`t` (last_layer.forward argument)", keep[1], t)


def probe(ns, rng):
    d = Diffs()
    cls = ns.get(CLS)
    if cls is None:
        d.add(f"{CLS}.params", f"{CLS} is not defined")
        return d
    init(cls, d)
    nets(cls, rng, d)
    last_layer(cls, rng, d)
    return d



# ---------------------------------------------------------------------------------------- equivalent mutants


def _near(m, text: str, before: int = 1, after: int = 3) -> bool:
    """``text`` occurs on the first changed line of ``m.original`` or on the lines around it (``m.original`` is
    the source the mutants were made from, not the file, so its line numbers are found by a diff)."""
    lines, mutated = m.original.splitlines(), m.source.splitlines()
    first = next((tag[1] for tag in difflib.SequenceMatcher(None, lines, mutated, autojunk=False).get_opcodes()
                  if tag[0] != "equal"), None)
    if first is None:
        return False
    return any(text in ln for ln in lines[max(0, first - before):first + after])


def explain(m, old, new):
    o, n = old or "", new or ""
    if "weight_decay" in o or (o.startswith("for idx in range") and _near(m, "weight_decay +=", 0, 3)):
        return ("the book's weight decay, multiplied by weight_decay_lambda = 0 (its default; the contract's "
                "MultiLayerNet has no such argument)")
    if o in ("x = x - np.max(x)",) or o.startswith("return np.exp(x) / np.sum(np.exp(x))"):
        return "softmax's 1-D branch (a single sample as a vector); the net always passes 2-D scores"
    if "y.ndim == 1" in o or "reshape(1, t.size)" in o or "reshape(1, y.size)" in o:
        return "cross_entropy_error's 1-D branch; the net always passes 2-D y and t"
    if ("self.t] -=" in o or o in ("dx = dx / batch_size", "dx = self.y.copy()") or "np.eye(x.shape[1])[t]" in o
            or "t.ndim != 1" in o):
        return "inside the optional label-index branch (t of shape (N,)); the contract passes one-hot t"
    if "original_x_shape" in o or "x.reshape(x.shape[0], -1)" in o:
        return "the book's reshape for image tensors; the contract's x is already (N, D)"
    if "self.layers['Activation_function'" in o:
        return "the key of a layer in the OrderedDict; the contract only iterates over layers"
    if "np.log(" in o and re.search(r"1e-0[5-8]", o):
        return ("δ inside the log changed to another valid value: 0 … 1e-5, or ±1e-7/±1e-8 (inside the tolerance, the "
                "contract's probabilities are ≥ 0.01)")
    if m.kind == "function" and "min(" in n and "max(" in o:
        return ("softmax shifted by the row minimum instead of the maximum: shift-invariant, and exp(x − min) only "
                "overflows for a row spread > 709, beyond the contract's large scores (no probability 0)")
    if "axis=-1" in o and "axis=1" in n:
        return "axis=-1 and axis=1 are the same axis of the 2-D scores"
    if m.kind == "comparison" and ("self.mask = x <= 0" in o or "self.x > 0" in o or "(x > 0).astype" in o):
        return ("the ReLU mask differs only where a hidden pre-activation is exactly 0, a kink the net's gradient "
                "is never taken at (the grader's and the probe's parameters keep pre-activations away from 0)")
    if m.kind == "copy-dropped" and o == "out = x.copy()":
        return ("Relu then writes into its input, which in the net is always the previous Affine's fresh output, "
                "never an array the caller passed")
    return None
