# log without delta: 0 * log(0) = nan at exact zeros.
# expect-fail: binary_cross_entropy.edge_cases, cross_entropy_error.edge_cases
# expect-mistake: binary_cross_entropy.edge_cases=ce-no-delta, cross_entropy_error.edge_cases=ce-no-delta
import numpy as np


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2) / y.shape[0]


def binary_cross_entropy(y, t):
    return -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)) / y.shape[0]


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y, t = y.reshape(1, -1), t.reshape(1, -1)
    return -np.sum(t * np.log(y)) / y.shape[0]
