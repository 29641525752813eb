# expect-fail: leaky_relu
# expect-mistake: leaky_relu=leaky-relu-slope
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x)
