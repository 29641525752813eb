# Draws once per shape and returns the cached array afterwards (all layers of equal size alike).
# expect-fail: init_weight.random
# expect-mistake: init_weight.random=init-same-values-every-call
import numpy as np

_cache = {}


def init_weight(n_in, n_out, method):
    key = (n_in, n_out)
    if key not in _cache:
        _cache[key] = np.random.randn(n_in, n_out)
    if method == "he":
        std = np.sqrt(2.0 / n_in)
    elif method == "xavier":
        std = np.sqrt(2.0 / (n_in + n_out))
    else:
        std = method
    return _cache[key] * std
