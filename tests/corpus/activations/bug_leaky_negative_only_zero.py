# Leaky branch applied to x < 0 only is fine; this one zeroes the negative side like ReLU.
# expect-fail: leaky_relu
# expect-mistake: leaky_relu=leaky-relu-zero-slope
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x):
    return np.maximum(0, x) + 0.1 * np.minimum(0, x) * (x > 0)
