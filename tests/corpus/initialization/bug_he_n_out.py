# He computed from the number of outputs (2/n_out).
# expect-fail: init_weight.he
# expect-mistake: init_weight.he=init-uses-n-out
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2.0 / n_out)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.random.randn(n_in, n_out) * std
