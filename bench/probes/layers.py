"""Differential probe of `layers` (EXERCISES.md §6) for bench/mutation_score.py."""

from __future__ import annotations

import numpy as np

from _common import Diffs, copies, one_hot
from reference import layers as ref
from reference.functions import sigmoid

DELTA_MAX = 1e-5  # any δ up to 1e-5 inside log is valid


def _new(ns, d, cls, item, **kw):
    if cls not in ns:
        d.add(item, f"{cls} is not defined")
        return None
    ok, obj = d.call(item, f"{cls}({', '.join(kw)})", ns[cls], **kw)
    return obj if ok else None


def affine(ns, rng, d):
    for n, k, l in ((5, 4, 4), (5, 4, 3), (1, 3, 2)):
        x, W, b, dout = rng.standard_normal((n, k)), rng.standard_normal((k, l)), rng.standard_normal(l), \
            rng.standard_normal((n, l))
        keep = copies(x, W, b, dout)
        obj = _new(ns, d, "Affine", "Affine.forward", W=W, b=b)
        if obj is None:
            return
        ok, y = d.call("Affine.forward", "forward(x)", obj.forward, x)
        if not ok or not d.check("Affine.forward", f"forward(x) for x {x.shape}", y, x @ W + b):
            continue
        ok, dx = d.call("Affine.backward", "backward(dout)", obj.backward, dout)
        if not ok:
            continue
        d.check("Affine.backward", f"dx for x {x.shape}, W {W.shape}", dx, dout @ W.T)
        d.check("Affine.backward", f"self.dW for x {x.shape}", getattr(obj, "dW", None), x.T @ dout)
        d.check("Affine.backward", f"self.db for x {x.shape}", getattr(obj, "db", None), dout.sum(axis=0))
        for name, before, after in zip(("x", "W", "b", "dout"), keep, (x, W, b, dout)):
            d.unchanged("Affine.no_mutation", f"`{name}`", before, after)


def sigmoid_layer(ns, rng, d):
    x = np.concatenate([rng.standard_normal((3, 4)) * 3, [[-1000.0, -50.0, 0.0, 1000.0]]])
    dout = rng.standard_normal(x.shape)
    keep = copies(x, dout)
    obj = _new(ns, d, "Sigmoid", "Sigmoid.forward")
    if obj is None:
        return
    ok, y = d.call("Sigmoid.forward", "forward(x)", obj.forward, x)
    if not ok or not d.check("Sigmoid.forward", "forward(x) with |x| up to 1000", y, sigmoid(x)):
        return
    ok, dx = d.call("Sigmoid.backward", "backward(dout)", obj.backward, dout)
    if ok:
        s = sigmoid(x)
        d.check("Sigmoid.backward", "dx", dx, dout * s * (1 - s))
    d.unchanged("Sigmoid.no_mutation", "`x`", keep[0], x)
    d.unchanged("Sigmoid.no_mutation", "`dout`", keep[1], dout)


def relu_layer(ns, rng, d):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 0.05] = 0.5
    x[0, 0] = 0.0
    x[2, 3] = 0.0
    dout = rng.standard_normal(x.shape)
    keep = copies(x, dout)
    obj = _new(ns, d, "Relu", "Relu.forward")
    if obj is None:
        return
    ok, y = d.call("Relu.forward", "forward(x)", obj.forward, x)
    if not ok or not d.check("Relu.forward", "forward(x)", y, np.maximum(0, x)):
        return
    ok, dx = d.call("Relu.backward", "backward(dout)", obj.backward, dout)
    if ok:
        d.check("Relu.backward", "dx (0 where x ≤ 0, x = 0 included)", dx, dout * (x > 0))
    d.unchanged("Relu.no_mutation", "`x`", keep[0], x)
    d.unchanged("Relu.no_mutation", "`dout`", keep[1], dout)


def _loss_backwards(ns, d, cls, x, t, expected_dx, band=None):
    """forward(x, t) then backward() / backward(1) / backward(2.5) / backward(0.0), each on a new object."""
    item = f"{cls}.backward"
    for dout in (None, 1.0, 2.5, -0.7, 0.0):
        obj = _new(ns, d, cls, f"{cls}.forward")
        if obj is None:
            return
        keep = copies(x, t)
        ok, loss = d.call(f"{cls}.forward", "forward(x, t)", obj.forward, x, t)
        if not ok:
            return
        if band is not None and dout is None:
            d.band(f"{cls}.forward", f"forward(x, t) for x {x.shape}", loss, *band)
        args = () if dout is None else (dout,)
        ok, dx = d.call(item, f"backward({'' if dout is None else dout})", obj.backward, *args)
        if ok:
            d.check(item, f"backward({'' if dout is None else dout}) for x {x.shape}", dx,
                    expected_dx * (1.0 if dout is None else dout))
        d.unchanged(f"{cls}.no_mutation", "`x`/`y` (forward argument)", keep[0], x)
        d.unchanged(f"{cls}.no_mutation", "`t` (forward argument)", keep[1], t)


def identity(ns, rng, d):
    for n, k in ((6, 3), (1, 2)):
        y, t = rng.standard_normal((n, k)), rng.standard_normal((n, k))
        loss = np.sum((y - t) ** 2) / (2 * n)
        _loss_backwards(ns, d, "IdentityWithLoss", y, t, (y - t) / n, band=(loss, loss))


def _bce(y, t, delta):
    return -np.sum(t * np.log(y + delta) + (1 - t) * np.log(1 - y + delta)) / y.shape[0]


def sigmoid_loss(ns, rng, d):
    for shape in ((8, 1), (8,), (1, 1)):
        x = np.clip(rng.standard_normal(shape) * 2, -4, 4)
        t = (rng.random(shape) < 0.5).astype(float)
        y = sigmoid(x)
        exact = ref.SigmoidWithLoss().forward(x, t)
        _loss_backwards(ns, d, "SigmoidWithLoss", x, t, (y - t) / shape[0], band=(exact, _bce(y, t, DELTA_MAX)))


def softmax_loss(ns, rng, d):
    cases = [(rng.standard_normal((6, 4)) * 0.5, one_hot(rng, 6, 4)), (rng.standard_normal((1, 3)), one_hot(rng, 1, 3)),
             (np.array([[1000.0, 999.0, 998.0], [-1000.0, -998.0, -999.0], [5.0, 1.0, -2.0]]),
              np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))]
    for x, t in cases:
        r = ref.SoftmaxWithLoss()
        exact = r.forward(x, t)
        y = r.y
        shifted = -np.sum(t * np.log(y + DELTA_MAX)) / x.shape[0]
        _loss_backwards(ns, d, "SoftmaxWithLoss", x, t, (y - t) / x.shape[0], band=(exact, shifted))


def probe(ns, rng):
    d = Diffs()
    for part in (affine, sigmoid_layer, relu_layer, identity, sigmoid_loss, softmax_loss):
        part(ns, rng, d)
    return d
