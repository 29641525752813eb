# accuracy takes np.argmax(t) without axis=1: one index into the flattened t (row 0's label), compared with
# every row's prediction.
# expect-fail: MultiLayerNet.accuracy
from collections import OrderedDict

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Relu:
    def forward(self, x):
        self.mask = (x > 0).astype(float)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Sigmoid:
    def forward(self, x):
        ex = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + ex), ex / (1 + ex))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)


class SoftmaxWithLoss:
    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.t = t
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]


class MultiLayerNet:
    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std=0.01):
        sizes = [input_size] + list(hidden_size_list) + [output_size]
        self.n_affine = len(sizes) - 1
        self.params = OrderedDict()
        for i in range(1, self.n_affine + 1):
            n_in, n_out = sizes[i - 1], sizes[i]
            if weight_init_std in ("he", "relu"):
                std = np.sqrt(2.0 / n_in)
            elif weight_init_std in ("xavier", "sigmoid"):
                std = np.sqrt(2.0 / (n_in + n_out))
            else:
                std = weight_init_std
            self.params["W%d" % i] = std * np.random.randn(n_in, n_out)
            self.params["b%d" % i] = np.zeros(n_out)
        # 層の格納: リスト
        self.layers = []
        for i in range(1, self.n_affine + 1):
            self.layers.append(Affine(self.params["W%d" % i], self.params["b%d" % i]))
            if i < self.n_affine:
                self.layers.append(Relu() if activation == "relu" else Sigmoid())
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        return np.mean(np.argmax(self.predict(x), axis=1) == np.argmax(t))

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        grads = {}
        for i in range(1, self.n_affine + 1):
            affine = self.layers[2 * (i - 1)]
            grads["W%d" % i] = affine.dW
            grads["b%d" % i] = affine.db
        return grads
