"""The `TwoLayerNet.training` rule in-process: the grader's SGD loss curve for a correct gradient
matches the reference curve far inside CURVE_RTOL, and the typical backprop mistakes leave it far
outside, for every seed tried — so the item's verdict does not depend on the random data.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises import two_layer_net as T
from reference import two_layer_net as ref
from reference.functions import relu

SEEDS = range(12)  # 500 seeds were checked when CURVE_RTOL was chosen (exercises/two_layer_net.py, "training")


def _gradient(kind: str, task: str):
    acc = {}

    def grad(p, x, t):
        n = x.shape[0]
        a1 = x @ p["W1"] + p["b1"]
        z1 = relu(a1)
        y = T.OUT[task](z1 @ p["W2"] + p["b2"])
        dy = (y - t) / n
        if kind == "no_1_over_n":
            dy = dy * n
        if kind == "twice":
            dy = 2 * dy
        dz1 = dy @ p["W2"].T
        da1 = {"mask_missing": dz1, "mask_inverted": dz1 * (a1 <= 0)}.get(kind, dz1 * (a1 > 0))
        g = {"W1": x.T @ da1, "b1": da1.sum(axis=0), "W2": z1.T @ dy, "b2": dy.sum(axis=0)}
        if kind == "accumulates":
            for k, v in g.items():
                acc[k] = acc.get(k, 0) + v
            g = {k: v.copy() for k, v in acc.items()}
        if kind == "noise":  # rounding-level differences, as another correct implementation has
            g = {k: v * (1 + 1e-9 * np.random.default_rng(int(abs(v).sum() * 1e6) % 2**32).standard_normal(v.shape))
                 for k, v in g.items()}
        return g

    return grad


def _curve(task, init, x, t, batches, grad, stale=False):
    p = {k: v.copy() for k, v in init.items()}
    out = []
    with np.errstate(all="ignore"):
        for step, idx in enumerate(batches, 1):
            g = grad(init if stale else p, x[idx], t[idx])
            for k in T.KEYS:
                p[k] = p[k] - T.TRAIN_LR[task] * g[k]
            if step % T.CHECKPOINT == 0:
                out.append(float(ref.two_layer_forward_loss(p, x, t, task)))
    return np.array(out)


def _deviation(task, seed, kind):
    x, t, init, batches, loss0, ref_curve = T.training_problem(np.random.default_rng(seed), task)
    assert ref_curve[-1] < 0.5 * loss0
    curve = _curve(task, init, x, t, batches, _gradient(kind, task), stale=kind == "stale")
    with np.errstate(all="ignore"):
        return float(np.nan_to_num(np.abs(curve - ref_curve) / np.array(ref_curve), nan=np.inf).max())


@pytest.mark.parametrize("task", T.TASKS)
def test_correct_gradients_stay_on_the_reference_curve(task):
    for seed in SEEDS:
        assert _deviation(task, seed, "correct") < 1e-9
        assert _deviation(task, seed, "noise") < T.CURVE_RTOL / 100


@pytest.mark.parametrize("kind", ["no_1_over_n", "twice", "mask_missing", "mask_inverted", "accumulates", "stale"])
@pytest.mark.parametrize("task", T.TASKS)
def test_typical_mistakes_leave_the_curve(task, kind):
    for seed in SEEDS:
        assert _deviation(task, seed, kind) > 5 * T.CURVE_RTOL, (task, kind, seed)
