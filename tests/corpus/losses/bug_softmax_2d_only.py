# axis=1 works for (N, K) only; also shifts x in place.
# expect-fail: softmax.vector, softmax.no_mutation
# expect-status: softmax.vector=error
# expect-mistake: softmax.no_mutation=input-modified-in-place
import numpy as np


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2) / y.shape[0]


def binary_cross_entropy(y, t):
    d = 1e-7
    return -np.sum(t * np.log(y + d) + (1 - t) * np.log(1 - y + d)) / y.shape[0]


def softmax(x):
    x -= np.max(x, axis=1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y, t = y.reshape(1, -1), t.reshape(1, -1)
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]
