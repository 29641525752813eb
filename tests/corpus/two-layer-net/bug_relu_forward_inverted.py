# Relu.forward keeps the negative part (mask inverted in forward): every output is wrong.
# expect-fail: TwoLayerNet.predict, TwoLayerNet.loss, TwoLayerNet.gradient, TwoLayerNet.training
# expect-mistake: TwoLayerNet.predict=relu-inverted, TwoLayerNet.loss=relu-inverted, TwoLayerNet.gradient=relu-inverted
from collections import OrderedDict

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x > 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class IdentityWithLoss:
    def forward(self, x, t):
        self.y, self.t = x, t
        return 0.5 * np.sum((x - t) ** 2) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.shape[0]


class SigmoidWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = sigmoid(x)
        d = 1e-7
        return -np.sum(t * np.log(self.y + d) + (1 - t) * np.log(1 - self.y + d)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        return dout * (self.y - self.t) / batch_size


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, task="multiclass", weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W2'], self.params['b2'])

        self.task = task
        if task == "regression":
            self.lastLayer, self.out = IdentityWithLoss(), lambda a: a
        elif task == "binary":
            self.lastLayer, self.out = SigmoidWithLoss(), sigmoid
        else:
            self.lastLayer, self.out = SoftmaxWithLoss(), softmax

    def _scores(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def predict(self, x):
        return self.out(self._scores(x))

    def loss(self, x, t):
        return self.lastLayer.forward(self._scores(x), t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W2'], grads['b2'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads
