# Python-2 style integer division: 2 / n_in written as 2 // n_in, so σ = 0 for He and Xavier.
# expect-fail: init_weight.he, init_weight.xavier, init_weight.normal, init_weight.random
# expect-mistake: init_weight.he=init-all-zero, init_weight.xavier=init-all-zero
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2 // n_in)
    elif method == "xavier":
        std = np.sqrt(2 // (n_in + n_out))
    else:
        std = method
    return np.random.randn(n_in, n_out) * std
