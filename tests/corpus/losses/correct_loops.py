# Loops over samples, math.log on single numbers; no NumPy reductions.
import math
import numpy as np

DELTA = 1e-8


def mean_squared_error(y, t):
    total = 0.0
    for yi, ti in zip(y.reshape(len(y), -1), t.reshape(len(t), -1)):
        for a, b in zip(yi, ti):
            total += (a - b) ** 2
    return total / (2 * len(y))


def binary_cross_entropy(y, t):
    total = 0.0
    for a, b in zip(y.ravel(), t.ravel()):
        total += b * math.log(a + DELTA) + (1 - b) * math.log(1 - a + DELTA)
    return -total / y.shape[0]


def _softmax_row(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def softmax(x):
    if x.ndim == 1:
        return np.array(_softmax_row(x))
    return np.array([_softmax_row(r) for r in x])


def cross_entropy_error(y, t):
    y2 = np.atleast_2d(y)
    t2 = np.atleast_2d(t)
    loss = 0.0
    for yr, tr in zip(y2, t2):
        for p, q in zip(yr, tr):
            if q != 0:
                loss -= q * math.log(p + DELTA)
    return loss / y2.shape[0]
