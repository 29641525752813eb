import numpy as np
np.random.seed(0)   # once, at the top of the notebook


def init_weight(n_in, n_out, method):
    W = np.random.randn(n_in * n_out).reshape(n_in, n_out)
    if type(method) is str:
        if method == 'he':
            return W / np.sqrt(n_in / 2)
        return W * np.sqrt(2) / np.sqrt(n_in + n_out)
    return W * method


# 5 層のネットワークで各層の出力の分布を調べる
x = np.random.randn(1000, 100)
activations = {}
for i in range(5):
    w = init_weight(100, 100, 'he')
    x = np.maximum(0, x @ w)
    activations[i] = x
print([float(a.std()) for a in activations.values()])
