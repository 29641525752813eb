# Biases of shape (1, H) and matching (1, H) gradients: only the shape of params is wrong.
# expect-fail: TwoLayerNet.params
# expect-mistake: TwoLayerNet.params=bias-shape-2d
import numpy as np


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01):
        self.task = task
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size),
                       "b1": np.zeros((1, hidden_size)),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size),
                       "b2": np.zeros((1, output_size))}

    def _forward(self, x):
        p = self.params
        self.x = x
        self.a1 = x @ p["W1"] + p["b1"]
        self.z1 = np.maximum(self.a1, 0)
        s = self.z1 @ p["W2"] + p["b2"]
        if self.task == "regression":
            return s
        if self.task == "binary":
            return 1 / (1 + np.exp(-s))
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x):
        return self._forward(x)

    def loss(self, x, t):
        y = self._forward(x)
        n = x.shape[0]
        if self.task == "regression":
            return 0.5 * np.sum((y - t) ** 2) / n
        if self.task == "binary":
            return -np.sum(t * np.log(y + 1e-7) + (1 - t) * np.log(1 - y + 1e-7)) / n
        return -np.sum(t * np.log(y + 1e-7)) / n

    def gradient(self, x, t):
        y = self._forward(x)
        d2 = (y - t) / x.shape[0]
        d1 = (d2 @ self.params["W2"].T) * (self.a1 > 0)
        return {"W1": self.x.T @ d1, "b1": d1.sum(axis=0, keepdims=True),
                "W2": self.z1.T @ d2, "b2": d2.sum(axis=0, keepdims=True)}
