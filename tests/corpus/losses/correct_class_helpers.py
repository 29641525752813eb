# Helpers in a class; log-sum-exp softmax; np.mean over the batch.
import numpy as np


class _Fn:
    delta = 1e-7

    @staticmethod
    def as_batch(a):
        return a.reshape(1, -1) if a.ndim == 1 else a

    @classmethod
    def safe_log(cls, p):
        return np.log(np.maximum(p, cls.delta))


def mean_squared_error(y, t):
    per_sample = 0.5 * np.sum((y - t) ** 2, axis=tuple(range(1, y.ndim)))
    return np.mean(per_sample)


def binary_cross_entropy(y, t):
    per_elem = -(t * _Fn.safe_log(y) + (1.0 - t) * _Fn.safe_log(1.0 - y))
    return per_elem.sum() / len(y)


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))
    return np.exp(x - lse)


def cross_entropy_error(y, t):
    y, t = _Fn.as_batch(y), _Fn.as_batch(t)
    return np.mean(-np.sum(t * _Fn.safe_log(y), axis=1))


print(softmax(np.array([1000.0, 1000.0])))
