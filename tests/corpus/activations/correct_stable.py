# Overflow-free sigmoid chosen by the sign of x; formulas written out.
import numpy as np


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def relu(x):
    return x * (x > 0)


def tanh(x):
    ep = np.exp(x)
    em = np.exp(-x)
    return (ep - em) / (ep + em)


def leaky_relu(x):
    return np.maximum(0.1 * x, x)
