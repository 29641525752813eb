# expect-fail: tanh
# expect-mistake: tanh=tanh-half-argument
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return 2 * sigmoid(x) - 1


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
