# One element at a time with the math module; results as NumPy arrays.
import math
import numpy as np


def _each(fn, *arrays):
    return np.array([fn(*vals) for vals in zip(*[np.ravel(a) for a in arrays])]).reshape(np.shape(arrays[0]))


def _s(v):
    return 1.0 / (1.0 + math.exp(-v))


def q1(x, dz_du):
    return _each(lambda a, g: _s(a) * (1 - _s(a)) * g, x, dz_du)


def q2(x, t):
    return _each(lambda a, b: -b * (1 - _s(a)) + (1 - b) * _s(a), x, t)


def q3(x, dz_du, dz_dv):
    return _each(lambda a, p, q: math.exp(a) * p - math.exp(-a) * q, x, dz_du, dz_dv)


def q4(x, y, dz_du, dz_dv):
    uv = _each(lambda a, b: _s(a - b) * _s(b - a), x, y)
    return (uv * (dz_du - dz_dv), uv * (dz_dv - dz_du))


def q5(x, y, s, t):
    dx = _each(lambda a, b, p, q: -_s(b - a) * p + _s(a - b) * q, x, y, s, t)   # -v s + u t
    dy = _each(lambda a, b, p, q: _s(b - a) * p - _s(a - b) * q, x, y, s, t)    # v s - u t
    return dx, dy


def q6(W, dz_dy):
    out = np.zeros(2)
    for i in range(2):
        for j in range(2):
            out[i] += W[i, j] * dz_dy[j]
    return out
