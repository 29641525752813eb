"""最適化法 — written from the lecture text (§6): Adam in the ORIGINAL form with ε inside the root,
Nesterov written as PyTorch does it (b ← μb + g; θ ← θ − λ(g + μb)), state as dict comprehensions."""
import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key, g in grads.items():
            params[key] -= self.lr * g


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.v = None

    def update(self, params, grads):
        if self.v is None:
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.v[k] = self.momentum * self.v[k] - self.lr * grads[k]   # v ← αv − λ∂E/∂θ
            params[k] += self.v[k]                                          # θ ← θ + v


class Nesterov:
    """PyTorch's nesterov=True: b ← μb + g; θ ← θ − λ(g + μb) (the same path as θ ← θ + α²v − (1+α)λg, v ← αv − λg)."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.buf = None

    def update(self, params, grads):
        if self.buf is None:
            self.buf = {k: np.zeros_like(p) for k, p in params.items()}
        mu = self.momentum
        for k in params:
            g = grads[k]
            self.buf[k] = mu * self.buf[k] + g
            params[k] -= self.lr * (g + mu * self.buf[k])


class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.h[k] = self.h[k] + grads[k] ** 2
            params[k] -= self.lr * grads[k] / np.sqrt(self.h[k] + 1e-8)


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(p) for k, p in params.items()}
        rho = self.decay_rate
        for k in params:
            self.h[k] = rho * self.h[k] + (1 - rho) * grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / np.sqrt(self.h[k] + 1e-8)


class Adam:
    """§6.2 オリジナル: s̃ = s/(1−β1^t), r̃ = r/(1−β2^t), θ ← θ − α s̃/√(r̃ + ε)."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = 1e-8
        self.t = 0
        self.s = None
        self.r = None

    def update(self, params, grads):
        if self.s is None:
            self.s = {k: np.zeros_like(p) for k, p in params.items()}
            self.r = {k: np.zeros_like(p) for k, p in params.items()}
        self.t += 1
        for k in params:
            g = grads[k]
            self.s[k] = self.beta1 * self.s[k] + (1 - self.beta1) * g
            self.r[k] = self.beta2 * self.r[k] + (1 - self.beta2) * g * g
            s_hat = self.s[k] / (1 - self.beta1 ** self.t)
            r_hat = self.r[k] / (1 - self.beta2 ** self.t)
            params[k] -= self.lr * s_hat / np.sqrt(r_hat + self.eps)
