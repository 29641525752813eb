# Per-sample loops in the backward pass (fresh sums at every call); labels accepted for multiclass.
import math
import numpy as np


class TwoLayerNet:
    TASKS = ("regression", "binary", "multiclass")

    def __init__(self, input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01):
        if task not in self.TASKS:
            raise ValueError(task)
        self.task = task
        rng = np.random.default_rng()
        self.params = dict(W1=weight_init_std * rng.standard_normal((input_size, hidden_size)),
                           b1=np.zeros(hidden_size),
                           W2=weight_init_std * rng.standard_normal((hidden_size, output_size)),
                           b2=np.zeros(output_size))

    def _one_hot(self, t, k):
        if self.task == "multiclass" and t.ndim == 1:
            out = np.zeros((t.size, k))
            out[np.arange(t.size), t.astype(int)] = 1
            return out
        return t

    def _out(self, a):
        if self.task == "regression":
            return a
        if self.task == "binary":
            return np.array([[1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)) for v in row]
                             for row in a])
        m = a.max(axis=1, keepdims=True)
        e = np.exp(a - m)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x):
        h = np.dot(x, self.params["W1"]) + self.params["b1"]
        h = np.where(h > 0, h, 0.0)
        return self._out(np.dot(h, self.params["W2"]) + self.params["b2"])

    def loss(self, x, t):
        y = self.predict(x)
        t = self._one_hot(t, y.shape[1])
        total = 0.0
        for yi, ti in zip(y, t):
            for a, b in zip(yi, ti):
                if self.task == "regression":
                    total += 0.5 * (a - b) ** 2
                elif self.task == "binary":
                    total -= b * math.log(a + 1e-8) + (1 - b) * math.log(1 - a + 1e-8)
                else:
                    total -= b * math.log(a + 1e-8)
        return total / len(x)

    def gradient(self, x, t):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        y = self.predict(x)
        t = self._one_hot(t, y.shape[1])
        n = len(x)
        g = {k: np.zeros_like(v) for k, v in self.params.items()}
        for i in range(n):
            a1 = x[i] @ W1 + b1
            z1 = np.maximum(a1, 0)
            d2 = (y[i] - t[i]) / n
            g["W2"] += np.outer(z1, d2)
            g["b2"] += d2
            d1 = (W2 @ d2) * (a1 > 0)
            g["W1"] += np.outer(x[i], d1)
            g["b1"] += d1
        return g
