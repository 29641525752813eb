# Sums over the batch instead of averaging, in all three losses.
# expect-fail: mean_squared_error, binary_cross_entropy, binary_cross_entropy.edge_cases, cross_entropy_error, cross_entropy_error.edge_cases
# expect-mistake: mean_squared_error=loss-missing-1-over-n, binary_cross_entropy=ce-sum-not-mean, binary_cross_entropy.edge_cases=ce-sum-not-mean, cross_entropy_error=ce-sum-not-mean, cross_entropy_error.edge_cases=ce-sum-not-mean
import numpy as np


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def binary_cross_entropy(y, t):
    d = 1e-7
    return -np.sum(t * np.log(y + d) + (1 - t) * np.log(1 - y + d))


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    return -np.sum(t * np.log(y + 1e-7))
