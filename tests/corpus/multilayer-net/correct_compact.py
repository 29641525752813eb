# A compact MultiLayerNet: np.random.normal for the weights, a SoftmaxWithLoss that accepts labels or
# one-hot targets (δ = 1e-8), layers kept in an OrderedDict built with zip, grads gathered by isinstance.
import numpy as np
from collections import OrderedDict


def softmax(a):
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return np.dot(dout, self.W.T)


class Relu:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        return np.where(self.x > 0, dout, 0.0)


class Sigmoid:
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.y = softmax(x)
        n = x.shape[0]
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        return float(-np.sum(self.t * np.log(self.y + 1e-8)) / n)

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.shape[0]


class MultiLayerNet:
    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std=0.01):
        sizes = [input_size, *hidden_size_list, output_size]
        self.params = {}
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            if isinstance(weight_init_std, str):
                var = 2 / n_in if weight_init_std.lower() in ("he", "relu") else 2 / (n_in + n_out)
                scale = var ** 0.5
            else:
                scale = weight_init_std
            self.params[f"W{i}"] = np.random.normal(0.0, scale, (n_in, n_out))
            self.params[f"b{i}"] = np.zeros(n_out)
        act = {"relu": Relu, "sigmoid": Sigmoid}[activation]
        L = len(sizes) - 1
        self.layers = OrderedDict()
        for i in range(1, L + 1):
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i < L:
                self.layers[f"Act{i}"] = act()
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        out = x
        for layer in self.layers.values():
            out = layer.forward(out)
        return out

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = self.predict(x).argmax(axis=1)
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        return float((y == labels).sum()) / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        d = self.last_layer.backward()
        for layer in reversed(list(self.layers.values())):
            d = layer.backward(d)
        grads = {}
        for name, layer in self.layers.items():
            if isinstance(layer, Affine):
                i = name[len("Affine"):]
                grads["W" + i], grads["b" + i] = layer.dW, layer.db
        return grads
