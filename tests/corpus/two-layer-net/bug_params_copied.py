# Layers get copies of the weights: writing into params (as an optimizer or the grader does) changes nothing.
# expect-fail: TwoLayerNet.predict, TwoLayerNet.loss, TwoLayerNet.gradient, TwoLayerNet.training
# expect-mistake: TwoLayerNet.predict=params-not-shared, TwoLayerNet.loss=params-not-shared, TwoLayerNet.gradient=params-not-shared
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W = W.copy()
        self.b = b.copy()

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01):
        self.task = task
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size),
                       "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size),
                       "b2": np.zeros(output_size)}
        self.a1 = Affine(self.params["W1"], self.params["b1"])
        self.a2 = Affine(self.params["W2"], self.params["b2"])

    def _out(self, s):
        if self.task == "regression":
            return s
        if self.task == "binary":
            return 1 / (1 + np.exp(-s))
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x):
        self.h = self.a1.forward(x)
        return self._out(self.a2.forward(np.maximum(self.h, 0)))

    def loss(self, x, t):
        y = self.predict(x)
        n = len(x)
        if self.task == "regression":
            return 0.5 * np.sum((y - t) ** 2) / n
        if self.task == "binary":
            return -np.sum(t * np.log(y + 1e-7) + (1 - t) * np.log(1 - y + 1e-7)) / n
        return -np.sum(t * np.log(y + 1e-7)) / n

    def gradient(self, x, t):
        y = self.predict(x)
        d = (y - t) / len(x)
        d = self.a2.backward(d) * (self.h > 0)
        self.a1.backward(d)
        return {"W1": self.a1.dW, "b1": self.a1.db, "W2": self.a2.dW, "b2": self.a2.db}
