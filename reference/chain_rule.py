"""Answers to the chain-rule problems (1)–(6) of §3.3, element-wise on arrays."""

import numpy as np

from reference.functions import sigmoid


def q1(x, dz_du):
    """z = z(u), u = sigmoid(x): dz/dx = u(1 − u) dz/du."""
    u = sigmoid(x)
    return u * (1 - u) * dz_du


def q2(x, t):
    """z = −t log u − (1−t) log(1−u), u = sigmoid(x): dz/dx = u − t."""
    return sigmoid(x) - t


def q3(x, dz_du, dz_dv):
    """z = z(u, v), u = 1 + e^x, v = 1 + e^(−x): dz/dx = e^x z_u − e^(−x) z_v."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(x) * dz_du - np.exp(-x) * dz_dv


def q4(x, y, dz_du, dz_dv):
    """(u, v) = softmax(x, y): (dz/dx, dz/dy) = uv (z_u − z_v, z_v − z_u)."""
    x = np.asarray(x, dtype=np.float64)
    # u = e^x / (e^x + e^y) = sigmoid(x − y), which stays finite for large scores.
    u = sigmoid(x - y)
    v = sigmoid(y - x)
    return u * v * (dz_du - dz_dv), u * v * (dz_dv - dz_du)


def q5(x, y, s, t):
    """z = −s log u − t log v with s + t = 1: (dz/dx, dz/dy) = (u − s, v − t)."""
    x = np.asarray(x, dtype=np.float64)
    return sigmoid(x - y) - s, sigmoid(y - x) - t


def q6(W, dz_dy):
    """(y0, y1) = (x0, x1) W + b: (dz/dx0, dz/dx1) = W (dz/dy0, dz/dy1)ᵀ, i.e. dE/dY Wᵀ."""
    return np.asarray(W, dtype=np.float64) @ np.asarray(dz_dy, dtype=np.float64)
