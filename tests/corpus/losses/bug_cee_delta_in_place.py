# cross_entropy_error adds its delta INTO y (y += 1e-7): the values are right, the caller's y changes.
# expect-fail: cross_entropy_error.no_mutation
# expect-mistake: cross_entropy_error.no_mutation=input-modified-in-place
# "Deep Learning from Scratch" style (common/functions.py).
import numpy as np


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2) / y.shape[0]


def binary_cross_entropy(y, t):
    delta = 1e-7
    return -np.sum(t * np.log(y + delta) + (1 - t) * np.log(1 - y + delta)) / y.shape[0]


def softmax(x):
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    # one-hot -> label indices
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    y += 1e-7
    return -np.sum(np.log(y[np.arange(batch_size), t])) / batch_size
