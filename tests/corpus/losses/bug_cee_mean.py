# np.mean over all N*K elements.
# expect-fail: cross_entropy_error, cross_entropy_error.single_sample, cross_entropy_error.edge_cases
# expect-mistake: cross_entropy_error=loss-divided-by-elements, cross_entropy_error.single_sample=cross-entropy-single-sample, cross_entropy_error.edge_cases=loss-divided-by-elements
import numpy as np


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2) / y.shape[0]


def binary_cross_entropy(y, t):
    d = 1e-7
    return -np.sum(t * np.log(y + d) + (1 - t) * np.log(1 - y + d)) / y.shape[0]


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    return -np.mean(t * np.log(y + 1e-7))
