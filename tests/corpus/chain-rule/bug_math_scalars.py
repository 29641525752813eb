# math.exp only works on one number: every answer that calls it fails on arrays.
# expect-fail: q1, q2, q4, q5
# expect-status: q1=error, q2=error
# expect-mistake: q1=math-function-on-array, q2=math-function-on-array, q4=math-function-on-array, q5=math-function-on-array
import math
import numpy as np


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


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
    return u - s, (1 - u) - t


def q6(W, dz_dy):
    return W @ dz_dy
