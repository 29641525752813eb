# Subtracts the max of the whole batch: rows far below it underflow to 0/0.
# expect-fail: softmax.large_scores
# expect-mistake: softmax.large_scores=softmax-global-max
import numpy as np


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2) / y.shape[0]


def binary_cross_entropy(y, t):
    d = 1e-7
    return -np.sum(t * np.log(y + d) + (1 - t) * np.log(1 - y + d)) / y.shape[0]


def softmax(x):
    c = np.max(x)
    e = np.exp(x - c)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y, t = y.reshape(1, -1), t.reshape(1, -1)
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]
