# np.random.rand (uniform on [0, 1)) instead of np.random.randn: mean ≠ 0.
# expect-fail: init_weight.he, init_weight.xavier, init_weight.std, init_weight.normal, init_weight.random
# expect-mistake: init_weight.normal=init-uniform
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.random.rand(n_in, n_out) * std
