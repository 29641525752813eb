# expect-fail: TwoLayerNet.params
# expect-mistake: TwoLayerNet.params=bias-not-zero
import numpy as np


def relu(x):
    return np.maximum(0, x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01):
        self.task = task
        self.params = {
            "W1": np.random.normal(0.0, weight_init_std, (input_size, hidden_size)),
            "b1": weight_init_std * np.random.randn(hidden_size),
            "W2": np.random.normal(0.0, weight_init_std, (hidden_size, output_size)),
            "b2": np.zeros(output_size),
        }

    def forward(self, x):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        self.x = x
        self.A1 = x @ W1 + b1
        self.X1 = relu(self.A1)
        self.A2 = self.X1 @ W2 + b2
        if self.task == "regression":
            self.Y = self.A2
        elif self.task == "binary":
            self.Y = sigmoid(self.A2)
        else:
            self.Y = softmax(self.A2)
        return self.Y

    def predict(self, x):
        return self.forward(x)

    def loss(self, x, t):
        y = self.forward(x)
        n = x.shape[0]
        if self.task == "regression":
            return np.sum((y - t) ** 2) / (2 * n)
        y = np.clip(y, 1e-7, 1 - 1e-7)
        if self.task == "binary":
            return -np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)) / n
        return -np.sum(t * np.log(y)) / n

    def gradient(self, x, t):
        y = self.forward(x)
        n = x.shape[0]
        dA2 = (y - t) / n                       # the same for all three output layers (§3.7)
        grads = {"W2": self.X1.T @ dA2, "b2": dA2.sum(axis=0)}
        dX1 = dA2 @ self.params["W2"].T
        dA1 = dX1 * (self.A1 > 0)
        grads["W1"] = x.T @ dA1
        grads["b1"] = dA1.sum(axis=0)
        return grads
