# Returns the mask (x > 0) instead of the values.
# expect-fail: relu
# expect-mistake: relu=relu-returns-mask
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return (x > 0).astype(float)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
