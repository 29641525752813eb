# np.max(0, x) is a reduction with axis=x, not the element-wise maximum.
# expect-fail: relu, relu.no_mutation
# expect-status: relu=error
# expect-mistake: relu=np-max-not-maximum, relu.no_mutation=np-max-not-maximum
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.max(0, x)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
