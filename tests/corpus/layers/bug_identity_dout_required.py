# IdentityWithLoss.backward(self, dout) without the default dout=1: backward() raises TypeError.
# expect-fail: IdentityWithLoss.backward
# expect-mistake: IdentityWithLoss.backward=loss-backward-dout-required
"""A different but valid style: @, np.maximum, float masks, labels or one-hot t, no dout default."""
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


class Sigmoid:
    def forward(self, x):
        # numerically stable in both directions
        self.y = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)


class Relu:
    def forward(self, x):
        out = np.maximum(x, 0)
        self.mask = (out > 0).astype(float)   # from the output: same as x > 0
        return out

    def backward(self, dout):
        return dout * self.mask


class IdentityWithLoss:
    def forward(self, y, t):
        self.diff = y - t
        self.n = len(y)
        return 0.5 * np.mean(np.sum(self.diff ** 2, axis=tuple(range(1, y.ndim)))) if y.ndim > 1 \
            else 0.5 * np.mean(self.diff ** 2)

    def backward(self, dout):
        return dout * self.diff / self.n


class SigmoidWithLoss:
    def forward(self, x, t):
        self.t = t.reshape(x.shape)
        self.y = 1.0 / (1.0 + np.exp(-x))
        eps = 1e-8
        return float(-np.mean(self.t * np.log(self.y + eps) + (1 - self.t) * np.log(1 - self.y + eps)) *
                     (x.size / x.shape[0]))

    def backward(self, dout=1.0):
        return dout * (self.y - self.t) / self.y.shape[0]


class SoftmaxWithLoss:
    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        self.y = e / e.sum(axis=1, keepdims=True)
        if t.ndim == 1:
            t = np.eye(x.shape[1])[t]
        self.t = t
        logp = z - np.log(e.sum(axis=1, keepdims=True))
        return -np.sum(t * logp) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.shape[0]
