# A uniform draw with exactly the right variance: U(−√3σ, √3σ). Right mean and variance, wrong shape.
# expect-fail: init_weight.normal
# expect-mistake: init_weight.normal=init-uniform
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    a = np.sqrt(3.0) * std
    return np.random.uniform(-a, a, (n_in, n_out))
