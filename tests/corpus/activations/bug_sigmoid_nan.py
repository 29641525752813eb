# "Stable" rewrite that is not: e^x / (1 + e^x) is inf/inf = nan for x = 1000.
# expect-fail: sigmoid.large_inputs
# expect-mistake: sigmoid.large_inputs=sigmoid-overflow
import numpy as np


def sigmoid(x):
    e = np.exp(x)
    return e / (1 + e)


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
