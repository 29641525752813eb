# np.random.seed inside the function: every call returns the same numbers.
# expect-fail: init_weight.random
# expect-mistake: init_weight.random=init-same-values-every-call
import numpy as np


def init_weight(n_in, n_out, method):
    np.random.seed(0)
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.random.randn(n_in, n_out) * std
