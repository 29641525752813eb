# u and v mixed up: (v − s, u − t).
# expect-fail: q5
# expect-mistake: q5=chain-softmax-outputs-swapped
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
    return u * v * (dz_du - dz_dv), u * v * (dz_dv - dz_du)


def q5(x, y, s, t):
    u = sigmoid(x - y)
    return (1 - u) - s, u - t


def q6(W, dz_dy):
    return W @ dz_dy
