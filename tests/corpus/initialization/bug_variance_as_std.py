# The variance passed where np.random.normal wants the standard deviation (for He and Xavier).
# expect-fail: init_weight.he, init_weight.xavier
# expect-mistake: init_weight.he=init-variance-as-std, init_weight.xavier=init-variance-as-std
import numpy as np


def init_weight(n_in, n_out, method):
    if method == "he":
        return np.random.normal(0, 2.0 / n_in, (n_in, n_out))
    if method == "xavier":
        return np.random.normal(0, 2.0 / (n_in + n_out), (n_in, n_out))
    return np.random.normal(0, method, (n_in, n_out))
