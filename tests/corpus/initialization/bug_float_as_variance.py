# A float method taken as the variance (σ = √method).
# expect-fail: init_weight.std
# expect-mistake: init_weight.std=init-std-as-variance
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        var = 2.0 / n_in
    elif method == "xavier":
        var = 2.0 / (n_in + n_out)
    else:
        var = method
    return np.random.randn(n_in, n_out) * np.sqrt(var)
