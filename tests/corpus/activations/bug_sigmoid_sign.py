# expect-fail: sigmoid, sigmoid.large_inputs
# expect-mistake: sigmoid=sigmoid-sign-flipped, sigmoid.large_inputs=sigmoid-sign-flipped
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
