import numpy as np


def init_weight(n_in, n_out, method):
    """重みの初期値: He (2/n_in), Glorot-Bengio (2/(n_in+n_out)), or a given standard deviation."""
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return np.random.randn(n_in, n_out) * std
