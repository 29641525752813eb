# Every weight set to σ (no randomness at all).
# expect-fail: init_weight.he, init_weight.xavier, init_weight.std, init_weight.normal, init_weight.random
# expect-mistake: init_weight.he=init-constant, init_weight.xavier=init-constant, init_weight.std=init-constant
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.full((n_in, n_out), std)
