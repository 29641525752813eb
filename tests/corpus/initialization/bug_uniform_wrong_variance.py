# Uniform on [−σ, σ]: variance σ²/3, and not normal.
# expect-fail: init_weight.he, init_weight.xavier, init_weight.std, init_weight.normal
# expect-mistake: init_weight.normal=init-uniform
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.random.uniform(-std, std, size=(n_in, n_out))
