"""Weight initialisation of §7.2: He, Glorot–Bengio, or a fixed standard deviation."""

import numpy as np


def init_std(n_in, n_out, method):
    """Standard deviation for `method`: "he"/"relu" √(2/n_in), "xavier"/"sigmoid" √(2/(n_in+n_out)), or a float."""
    if isinstance(method, str):
        name = method.lower()
        if name in ("he", "relu"):
            return float(np.sqrt(2.0 / n_in))
        if name in ("xavier", "sigmoid"):
            return float(np.sqrt(2.0 / (n_in + n_out)))
        raise ValueError(f"unknown initialisation method {method!r}")
    return float(method)


def init_weight(n_in, n_out, method, rng=None):
    """(n_in, n_out) array drawn from N(0, init_std(n_in, n_out, method)²)."""
    rng = np.random.default_rng() if rng is None else rng
    return init_std(n_in, n_out, method) * rng.standard_normal((n_in, n_out))
