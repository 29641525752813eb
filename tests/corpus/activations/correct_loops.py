# Element by element with the math module, for arrays of any shape.
import math
import numpy as np


def _sig(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid(x):
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        out[idx] = _sig(x[idx])
    return out


def relu(x):
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        if x[idx] > 0:
            out[idx] = x[idx]
    return out


def tanh(x):
    out = np.empty(x.shape)
    for idx in np.ndindex(x.shape):
        out[idx] = math.tanh(x[idx])
    return out


def leaky_relu(x):
    out = np.empty(x.shape)
    for i in range(x.size):
        v = x.flat[i]
        out.flat[i] = v if v > 0 else 0.1 * v
    return out
