# Glorot–Bengio with 1/(n_in + n_out) (the 2 forgotten).
# expect-fail: init_weight.xavier
# expect-mistake: init_weight.xavier=glorot-missing-2
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(1.0 / (n_in + n_out))
    else:
        std = method
    return np.random.randn(n_in, n_out) * std
