# math.exp works on one number only and overflows for -1000.
# expect-fail: sigmoid, sigmoid.large_inputs
# expect-mistake: sigmoid=math-function-on-array, sigmoid.large_inputs=math-function-on-array
import math
import numpy as np


def sigmoid(x):
    return np.array([1 / (1 + math.exp(-v)) for v in x])


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
