# Correct values, but relu, leaky_relu and sigmoid write into their argument.
# expect-fail: relu.no_mutation, leaky_relu.no_mutation, sigmoid.no_mutation
# expect-mistake: relu.no_mutation=input-modified-in-place, leaky_relu.no_mutation=input-modified-in-place, sigmoid.no_mutation=input-modified-in-place
import numpy as np


def sigmoid(x):
    np.clip(x, -30, 30, out=x)  # avoid overflow... in the caller's array
    return 1 / (1 + np.exp(-x))


def relu(x):
    x[x < 0] = 0
    return x


def tanh(x):
    return np.tanh(x)


def leaky_relu(x):
    x[x <= 0] *= 0.1
    return x
