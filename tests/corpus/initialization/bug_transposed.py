# Shape (n_out, n_in) instead of (n_in, n_out).
# expect-fail: init_weight.shape, init_weight.he, init_weight.xavier, init_weight.std, init_weight.normal, init_weight.random
# expect-mistake: init_weight.shape=init-transposed, init_weight.he=init-transposed, init_weight.xavier=init-transposed, init_weight.std=init-transposed, init_weight.normal=init-transposed, init_weight.random=init-transposed
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.random.randn(n_out, n_in) * std
