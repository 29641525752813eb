"""Optimizers of §6 with a common `update(params, grads)`.

`update` changes the arrays of `params` in place (a network's layers hold the
same arrays) and never writes into `grads`. State is created on the first call;
the step count advances once per call.
"""

import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    """v ← αv − λg; θ ← θ + v (§6.1)."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val, dtype=np.float64) for key, val in params.items()}
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class Nesterov:
    """θ ← θ + α²v − (1+α)λg, then v ← αv − λg (the trajectory of PyTorch's nesterov=True)."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val, dtype=np.float64) for key, val in params.items()}
        a = self.momentum
        for key in params:
            params[key] += a * a * self.v[key] - (1 + a) * self.lr * grads[key]
            self.v[key] = a * self.v[key] - self.lr * grads[key]


class AdaGrad:
    """h ← h + g·g; θ ← θ − λg / (√h + ε)."""

    def __init__(self, lr=0.01, eps=1e-7):
        self.lr = lr
        self.eps = eps
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val, dtype=np.float64) for key, val in params.items()}
        for key in params:
            self.h[key] = self.h[key] + grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSprop:
    """h ← ρh + (1−ρ)g·g; θ ← θ − λg / (√h + ε)."""

    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-7):
        self.lr = lr
        self.decay_rate = decay_rate
        self.eps = eps
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val, dtype=np.float64) for key, val in params.items()}
        rho = self.decay_rate
        for key in params:
            self.h[key] = rho * self.h[key] + (1 - rho) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class Adam:
    """Adam of §6.2 (s: first moment, r: second moment, t: step count).

    form="original":       θ ← θ − λ s̃ / (√r̃ + ε), s̃ = s/(1−β₁ᵗ), r̃ = r/(1−β₂ᵗ)
    form="implementation": θ ← θ − λ_t s / (√r + ε), λ_t = λ√(1−β₂ᵗ)/(1−β₁ᵗ) from the base λ
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, form="original"):
        if form not in ("original", "implementation"):
            raise ValueError(f"form must be 'original' or 'implementation', not {form!r}")
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.form = form
        self.t = 0
        self.s = None
        self.r = None

    def update(self, params, grads):
        if self.s is None:
            self.s = {key: np.zeros_like(val, dtype=np.float64) for key, val in params.items()}
            self.r = {key: np.zeros_like(val, dtype=np.float64) for key, val in params.items()}
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        correction1, correction2 = 1 - b1**self.t, 1 - b2**self.t
        for key in params:
            g = grads[key]
            self.s[key] = b1 * self.s[key] + (1 - b1) * g
            self.r[key] = b2 * self.r[key] + (1 - b2) * g * g
            if self.form == "original":
                s_hat = self.s[key] / correction1
                r_hat = self.r[key] / correction2
                params[key] -= self.lr * s_hat / (np.sqrt(r_hat) + self.eps)
            else:
                lr_t = self.lr * np.sqrt(correction2) / correction1
                params[key] -= lr_t * self.s[key] / (np.sqrt(self.r[key]) + self.eps)


def trajectory(optimizer, steps, start=(10.0, 1.0)):
    """Positions (steps + 1, 2) of `optimizer` minimising f(x, y) = x² + 100y² from `start` (§6.1)."""
    params = {"x": np.array([float(start[0])]), "y": np.array([float(start[1])])}
    path = np.empty((steps + 1, 2))
    path[0] = params["x"][0], params["y"][0]
    for step in range(1, steps + 1):
        grads = {"x": 2.0 * params["x"], "y": 200.0 * params["y"]}
        optimizer.update(params, grads)
        path[step] = params["x"][0], params["y"][0]
    return path
