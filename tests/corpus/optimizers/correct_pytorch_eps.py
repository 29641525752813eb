# Optimizers with PyTorch's ε = 1e-5 everywhere, written with np.subtract(..., out=) and slice assignment.
# Adam: implementation form with ε INSIDE the square root (the text's formula θ ← θ − λ s/√(r + ε)).
import numpy as np

EPS = 1e-5


class SGD(object):
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for name in params:
            np.subtract(params[name], self.lr * grads[name], out=params[name])


class Momentum(object):
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = {}

    def update(self, params, grads):
        for name in params:
            if name not in self.v:
                self.v[name] = np.zeros(params[name].shape)
            self.v[name] = self.momentum * self.v[name] - self.lr * grads[name]
            params[name][...] = params[name] + self.v[name]


class Nesterov(object):
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = {}

    def update(self, params, grads):
        a = self.momentum
        for name in params:
            v = self.v.get(name, np.zeros(params[name].shape))
            params[name][:] = params[name] + a * a * v - (1 + a) * self.lr * grads[name]
            self.v[name] = a * v - self.lr * grads[name]


class AdaGrad(object):
    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = {}

    def update(self, params, grads):
        for name in params:
            h = self.h.setdefault(name, np.zeros(params[name].shape))
            h += grads[name] * grads[name]
            params[name] -= self.lr * grads[name] / (np.sqrt(h) + EPS)


class RMSprop(object):
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = {}

    def update(self, params, grads):
        for name in params:
            h = self.h.setdefault(name, np.zeros(params[name].shape))
            h[...] = self.decay_rate * h + (1.0 - self.decay_rate) * np.square(grads[name])
            params[name] -= self.lr * grads[name] / np.sqrt(h + EPS)


class Adam(object):
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.s = {}
        self.r = {}

    def update(self, params, grads):
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for name in params:
            if name not in self.s:
                self.s[name] = np.zeros_like(params[name])
                self.r[name] = np.zeros_like(params[name])
            self.s[name] = self.beta1 * self.s[name] + (1 - self.beta1) * grads[name]
            self.r[name] = self.beta2 * self.r[name] + (1 - self.beta2) * grads[name] ** 2
            params[name] -= lr_t * self.s[name] / np.sqrt(self.r[name] + EPS)
