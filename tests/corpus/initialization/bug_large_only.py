# Adversarial: correct for large arrays only (small arrays get zeros).
# expect-fail: init_weight.random
# expect-mistake: init_weight.random=init-constant
import numpy as np


def init_weight(n_in, n_out, method):
    if n_in * n_out < 1000:
        return np.zeros((n_in, n_out))
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.random.randn(n_in, n_out) * std
