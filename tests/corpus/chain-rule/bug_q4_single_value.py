# Returns only dz/dx.
# expect-fail: q4
# expect-mistake: q4=chain-one-of-pair
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def q1(x, dz_du):
    u = sigmoid(x)
    return u * (1 - u) * dz_du


def q2(x, t):
    return sigmoid(x) - t


def q3(x, dz_du, dz_dv):
    return np.exp(x) * dz_du - np.exp(-x) * dz_dv


def q4(x, y, dz_du, dz_dv):
    u = sigmoid(x - y)
    v = 1 - u
    return u * v * (dz_du - dz_dv)


def q5(x, y, s, t):
    u = sigmoid(x - y)
    return u - s, (1 - u) - t


def q6(W, dz_dy):
    return W @ dz_dy
