import math
import numpy as np


def init_weight(n_in, n_out, method):
    # accepts the aliases of MultiLayerNet too ("relu" = He, "sigmoid" = Glorot-Bengio)
    if isinstance(method, str):
        m = method.lower()
        if m in ("he", "relu"):
            variance = 2 / n_in
        elif m in ("xavier", "sigmoid", "glorot"):
            variance = 2 / (n_in + n_out)
        else:
            raise ValueError("unknown method: " + method)
        scale = math.sqrt(variance)
    else:
        scale = float(method)
    return np.random.normal(loc=0.0, scale=scale, size=(n_in, n_out))
