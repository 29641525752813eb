# leaky_relu misspelt: the name the exercise asks for is missing.
# expect-fail: leaky_relu, leaky_relu.no_mutation
# expect-status: leaky_relu=missing
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def LeakyReLU(x):
    return np.where(x > 0, x, 0.1 * x)
