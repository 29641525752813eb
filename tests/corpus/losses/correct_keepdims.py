# axis=-1 with keepdims handles (N, K) and (K,) alike; the book's 10e-7 delta; np.clip for BCE.
import numpy as np


def mean_squared_error(y, t):
    N = y.shape[0]
    return np.sum(np.square(y - t)) / (2 * N)


def binary_cross_entropy(y, t):
    eps = 1e-7
    y = np.clip(y, eps, 1 - eps)
    N = y.shape[0]
    return -(t * np.log(y) + (1 - t) * np.log(1 - y)).sum() / N


def softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    ez = np.exp(z)
    return ez / ez.sum(axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y = y[np.newaxis, :]
        t = t[np.newaxis, :]
    return -np.sum(t * np.log(y + 10e-7)) / len(y)
