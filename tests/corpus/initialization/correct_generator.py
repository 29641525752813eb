# A seeded Generator at module level (reproducible runs) — still a fresh draw on every call.
import numpy as np

rng = np.random.default_rng(2024)

SCALES = {
    "he": lambda n_in, n_out: np.sqrt(2 / n_in),
    "xavier": lambda n_in, n_out: np.sqrt(2 / (n_in + n_out)),
}


def init_weight(n_in, n_out, method):
    scale = SCALES[method](n_in, n_out) if isinstance(method, str) else method
    return scale * rng.standard_normal((n_in, n_out))
